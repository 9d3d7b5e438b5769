"""irconv.convert_model with an in-memory onnx.ModelProto (no temporary file), including
external data relative to base_dir."""
import os

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import irconv
from helpers import infer_xml
from irconv.errors import IrconvError

R = np.random.RandomState(2)


def _model(big=False):
    w = R.randn(64, 64 if big else 4).astype(np.float32)       # 16 KiB: above the loader's mmap threshold
    b = R.randn(w.shape[1]).astype(np.float32)
    nodes = [helper.make_node("MatMul", ["x", "w"], ["m"]), helper.make_node("Add", ["m", "b"], ["y"])]
    g = helper.make_graph(nodes, "proto_model", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 64])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, w.shape[1]])],
                          [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    return m, w, b


@pytest.mark.parametrize("big", [False, True])
def test_model_proto_matches_file(big, tmp_path, monkeypatch):
    m, w, b = _model(big)
    path = tmp_path / "model.onnx"
    onnx.save(m, str(path))
    from_file = irconv.convert_model(str(path))
    import irconv.frontends.onnx.converter as conv

    def no_file(*a, **k):
        raise AssertionError("a ModelProto must not be read from a file")
    monkeypatch.setattr(conv, "load_model", no_file)
    from_proto = irconv.convert_model(m)
    assert from_proto.framework == "onnx"
    assert from_proto.name == "proto_model"
    assert from_proto.inputs == from_file.inputs and from_proto.outputs == from_file.outputs
    x = R.randn(2, 64).astype(np.float32)
    outs = []
    for i, model in enumerate((from_file, from_proto)):
        xml = str(tmp_path / ("m%d.xml" % i))
        model.save(xml, compress_to_fp16=False)
        outs.append(infer_xml(xml, {"x": x})["y"])
    np.testing.assert_allclose(outs[1], x @ w + b, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(outs[0], outs[1])
    # same weights bytes either way
    assert (tmp_path / "m0.bin").read_bytes() == (tmp_path / "m1.bin").read_bytes()


def test_model_proto_external_data_base_dir(tmp_path):
    m, w, b = _model(big=True)
    d = tmp_path / "weights_dir"
    d.mkdir()
    onnx.save(m, str(d / "model.onnx"), save_as_external_data=True, all_tensors_to_one_file=True,
              location="weights.bin", size_threshold=0)
    proto = onnx.load(str(d / "model.onnx"), load_external_data=False)
    assert any(t.data_location == TensorProto.EXTERNAL for t in proto.graph.initializer)
    with pytest.raises(IrconvError, match="base_dir"):
        irconv.convert_model(proto)
    model = irconv.convert_model(proto, base_dir=str(d))
    assert os.path.realpath(str(d / "weights.bin")) in {os.path.realpath(f) for f in model.input_files}
    xml = str(tmp_path / "out.xml")
    model.save(xml, compress_to_fp16=False)
    x = R.randn(2, 64).astype(np.float32)
    np.testing.assert_allclose(infer_xml(xml, {"x": x})["y"], x @ w + b, rtol=1e-5, atol=1e-5)
    # locations stay confined to base_dir
    proto.graph.initializer[0].external_data[0].value = "../escape.bin"
    with pytest.raises(IrconvError, match="outside"):
        irconv.convert_model(proto, base_dir=str(d))


def test_model_proto_errors(tmp_path):
    m, _, _ = _model()
    with pytest.raises(IrconvError, match="ONNX model"):
        irconv.convert_model(m, framework="tf")
    with pytest.raises(IrconvError, match="path or an onnx.ModelProto"):
        irconv.convert_model(12345)
    empty = onnx.ModelProto()
    with pytest.raises(IrconvError, match="no graph"):
        irconv.convert_model(empty)
    bad = onnx.ModelProto()
    bad.CopyFrom(m)
    bad.graph.node[0].op_type = "NoSuchOp"
    with pytest.raises(IrconvError, match="NoSuchOp"):
        irconv.convert_model(bad)


def test_model_proto_with_options(tmp_path):
    # the usual options apply: input shape override and an explicit model name
    m, _, _ = _model()
    model = irconv.convert_model(m, input_shape="[5,64]", model_name="renamed")
    assert model.name == "renamed"
    assert model.inputs[0]["shape"] == [5, 64]
