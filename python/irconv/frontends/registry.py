"""Which frontend reads a model: by --framework, else by the file's name and contents."""
import os

from ..errors import IrconvError

FRAMEWORKS = ("onnx", "tf", "mxnet", "caffe", "kaldi")
_ALIASES = {"tensorflow": "tf", "paddle": None}

_EXT = {
    ".onnx": "onnx",
    ".pb": "tf", ".pbtxt": "tf", ".meta": "tf",
    ".params": "mxnet", ".json": "mxnet",
    ".caffemodel": "caffe", ".prototxt": "caffe",
    ".nnet": "kaldi", ".mdl": "kaldi", ".raw": "kaldi",
}


def _looks_like_onnx(path):
    """ONNX files are a ModelProto: they start with field 1 (ir_version, varint) or another
    ModelProto field tag; cheap sniff of the first bytes."""
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError:
        return False
    return len(head) > 2 and head[0] in (0x08, 0x12, 0x1a, 0x22, 0x3a, 0x42)


def detect(path, framework=None):
    """Returns the framework name for `path` or raises IrconvError."""
    if framework:
        fw = _ALIASES.get(framework.lower(), framework.lower())
        if fw not in FRAMEWORKS:
            raise IrconvError("unknown framework '%s' (expected one of: %s)" % (framework, ", ".join(FRAMEWORKS)))
        return fw
    if not os.path.exists(path):
        raise IrconvError("input model '%s' does not exist" % path)
    if os.path.isdir(path):
        if os.path.exists(os.path.join(path, "saved_model.pb")) or os.path.exists(os.path.join(path, "saved_model.pbtxt")):
            return "tf"
        raise IrconvError("'%s' is a directory but not a TensorFlow SavedModel (no saved_model.pb)" % path)
    ext = os.path.splitext(path)[1].lower()
    if ext in _EXT:
        return _EXT[ext]
    if _looks_like_onnx(path):
        return "onnx"
    raise IrconvError("cannot tell the framework of '%s' from its name or contents; pass --framework "
                      "(one of: %s)" % (path, ", ".join(FRAMEWORKS)))


_MODULES = {"onnx": "onnx", "tf": "tensorflow", "mxnet": "mxnet", "caffe": "caffe", "kaldi": "kaldi"}


def convert(path, framework, options):
    """Runs the frontend for `framework` (irconv.frontends.<module>.convert(path, options));
    returns an irconv._core.Graph. Frontends load lazily."""
    import importlib  # noqa: PLC0415
    mod = _MODULES.get(framework)
    try:
        fe = importlib.import_module("irconv.frontends." + mod) if mod else None
    except ModuleNotFoundError as e:
        if e.name != "irconv.frontends." + str(mod):
            raise
        fe = None
    if fe is None or not hasattr(fe, "convert"):
        raise IrconvError("the %s frontend is not available in this irconv version yet" % framework)
    return fe.convert(path, options)
