"""irconv: convert ONNX, TensorFlow, MXNet, Caffe and Kaldi models to OpenVINO IR.

    import irconv
    model = irconv.convert_model("model.onnx")
    model.save("out/model.xml", compress_to_fp16=False)
"""
from .errors import IrconvError
from ._load import load_core as _load_core

_core = _load_core()

from .api import Model, convert_model  # noqa: E402

__all__ = ["IrconvError", "Model", "convert_model"]
__version__ = "0.1.0"
