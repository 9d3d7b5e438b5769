"""The C++ ONNX wire pass: large initializers become external data pointing into the model file."""
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from irconv import IrconvError, _core


def _model(path):
    big = numpy_helper.from_array(np.arange(4096, dtype=np.float32).reshape(64, 64), "big")
    small = numpy_helper.from_array(np.array([1.0, 2.0], np.float32), "small")
    node = helper.make_node("Add", ["x", "big"], ["y"])
    g = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [64, 64])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [64, 64])], initializer=[big, small])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    onnx.save(m, str(path))
    return m


def test_strip_points_into_the_file(tmp_path):
    p = tmp_path / "m.onnx"
    ref = _model(p)
    data, n, nbytes = _core.onnx_strip_raw_data(str(p), "m.onnx", 1024)
    assert n == 1 and nbytes == 4096 * 4
    m = onnx.ModelProto.FromString(data)
    big = m.graph.initializer[0]
    assert big.data_location == TensorProto.EXTERNAL and not big.HasField("raw_data")
    info = {e.key: e.value for e in big.external_data}
    assert info["location"] == "m.onnx"
    raw = open(p, "rb").read()[int(info["offset"]):int(info["offset"]) + int(info["length"])]
    assert raw == ref.graph.initializer[0].raw_data
    assert m.graph.initializer[1].raw_data == ref.graph.initializer[1].raw_data  # small stays inline
    assert m.graph.node == ref.graph.node


@pytest.mark.parametrize("cut", [1, 7, 100, -1, -5000])
def test_truncated_files_are_errors(tmp_path, cut):
    p = tmp_path / "m.onnx"
    _model(p)
    raw = open(p, "rb").read()
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(raw[:cut])
    with pytest.raises(IrconvError, match="bad.onnx"):
        _core.onnx_strip_raw_data(str(bad), "bad.onnx", 1024)


def test_random_corruption_never_crashes(tmp_path):
    p = tmp_path / "m.onnx"
    _model(p)
    raw = bytearray(open(p, "rb").read())
    rng = np.random.default_rng(0)
    bad = tmp_path / "bad.onnx"
    for _ in range(300):
        b = bytearray(raw)
        for i in rng.integers(0, len(b), 4):
            b[i] = int(rng.integers(0, 256))
        bad.write_bytes(bytes(b))
        try:
            _core.onnx_strip_raw_data(str(bad), "bad.onnx", 1024)
        except IrconvError:
            pass


def test_missing_file_is_an_error(tmp_path):
    with pytest.raises(IrconvError, match="cannot open"):
        _core.onnx_strip_raw_data(str(tmp_path / "nope.onnx"), "nope.onnx", 1024)
