"""Python API: convert_model -> Model (inputs, outputs, ops, save)."""
import os

import numpy as np
import onnxruntime as ort
import pytest

import irconv
from helpers import infer_xml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(REPO, "examples", "tiny_cnn.onnx")


def test_model_surface_and_save(tmp_path):
    m = irconv.convert_model(EXAMPLE)
    assert m.name == "tiny_cnn" and m.framework == "onnx"
    assert m.inputs == [{"names": ["image"], "element_type": "f32", "shape": [-1, 3, 16, 16]}]
    assert m.outputs[0]["names"] == ["probs"] and m.outputs[0]["shape"] == [-1, 10]
    ops = m.ops()
    assert ops["Swish"] == 1 and "Sigmoid" not in ops        # x * sigmoid(x) fused
    xml = tmp_path / "sub" / "m.xml"
    m.save(xml, compress_to_fp16=False)
    x = np.random.default_rng(0).standard_normal((2, 3, 16, 16)).astype(np.float32)
    want = ort.InferenceSession(EXAMPLE, providers=["CPUExecutionProvider"]).run(None, {"image": x})[0]
    np.testing.assert_allclose(infer_xml(str(xml), {"image": x})["probs"], want, rtol=1e-5, atol=1e-6)


def test_framework_errors():
    with pytest.raises(irconv.IrconvError, match="unknown framework"):
        irconv.convert_model(EXAMPLE, framework="theano")
    with pytest.raises(irconv.IrconvError, match="not available"):
        irconv.convert_model(EXAMPLE, framework="caffe")


def test_save_needs_xml_suffix(tmp_path):
    with pytest.raises(irconv.IrconvError, match=".xml"):
        irconv.convert_model(EXAMPLE).save(tmp_path / "m.bin")


def test_disable_pass_keeps_the_decomposed_form():
    m = irconv.convert_model(EXAMPLE, disable_passes=["SwishFusion"])
    assert "Swish" not in m.ops() and m.ops()["Sigmoid"] == 1
