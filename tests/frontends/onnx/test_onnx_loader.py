"""Loading: external data through mmap (never read whole), typed TensorProto fields, broken files."""
import mmap
import os

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from irconv.errors import IrconvError
from irconv.frontends.onnx import convert
from irconv.frontends.onnx.loader import ExternalData, RawConst, StringConst, tensor_to_value
from onnx_fe_util import check, make_model, rng

from helpers import run_ir

R = rng(16)


def _mlp(tmp_path, location="weights.bin"):
    w1 = R.randn(16, 32).astype(np.float32)
    w2 = R.randn(32, 4).astype(np.float32)
    b = R.randn(4).astype(np.float32)
    nodes = [helper.make_node("MatMul", ["x", "w1"], ["h"]), helper.make_node("Relu", ["h"], ["r"]),
             helper.make_node("MatMul", ["r", "w2"], ["m"]), helper.make_node("Add", ["m", "b"], ["y"])]
    m = make_model(nodes, {"x": (np.float32, [2, 16])}, ["y"], {"w1": w1, "w2": w2, "b": b})
    path = os.path.join(str(tmp_path), "model.onnx")
    onnx.save(m, path, save_as_external_data=True, all_tensors_to_one_file=True, location=location,
              size_threshold=1024)
    return path, m


def _base_chain(a):
    out = []
    while a is not None:
        out.append(a)
        a = getattr(a, "base", None) if not isinstance(a, memoryview) else a.obj
    return out


def test_external_data_converts_and_runs(tmp_path):
    path, m = _mlp(tmp_path)
    x = R.randn(2, 16).astype(np.float32)
    from onnx_fe_util import ort_run
    ref = ort_run(onnx.load(path), {"x": x})["y"]
    g = convert(path, {})
    g.run_passes()
    np.testing.assert_allclose(run_ir(g, {"x": x})["y"], ref, rtol=1e-5, atol=1e-5)


def test_external_data_is_mmapped_not_read(tmp_path):
    path, _ = _mlp(tmp_path)
    model = onnx.load(path, load_external_data=False)
    ext = ExternalData(path)
    t = next(t for t in model.graph.initializer if t.name == "w1")
    assert t.data_location == TensorProto.EXTERNAL
    a = tensor_to_value(t, ext)
    assert a.shape == (16, 32) and a.dtype == np.float32
    assert any(isinstance(o, mmap.mmap) for o in _base_chain(a)), "external tensor should view an mmap"
    # inline (small) tensors view the protobuf's bytes
    b = tensor_to_value(next(t for t in model.graph.initializer if t.name == "b"), ext)
    assert not b.flags.owndata


def test_external_data_in_subdirectory(tmp_path):
    os.makedirs(os.path.join(str(tmp_path), "data"))
    path, _ = _mlp(tmp_path, location="data/w.bin")
    g = convert(path, {})
    g.run_passes()
    run_ir(g, {"x": np.zeros((2, 16), np.float32)})


def test_missing_external_file(tmp_path):
    path, _ = _mlp(tmp_path)
    os.remove(os.path.join(str(tmp_path), "weights.bin"))
    with pytest.raises(IrconvError, match=r"weights\.bin.*not found"):
        convert(path, {})


def test_truncated_external_file(tmp_path):
    path, _ = _mlp(tmp_path)
    wb = os.path.join(str(tmp_path), "weights.bin")
    size = os.path.getsize(wb)
    with open(wb, "r+b") as f:
        f.truncate(size - 100)
    with pytest.raises(IrconvError, match="truncated"):
        convert(path, {})


@pytest.mark.parametrize("location", ["../outside.bin", "sub/../../outside.bin", "/etc/passwd"])
def test_external_location_escaping_model_dir(location, tmp_path):
    d = os.path.join(str(tmp_path), "m")
    os.makedirs(d)
    with open(os.path.join(str(tmp_path), "outside.bin"), "wb") as f:
        f.write(b"\0" * 4096)
    w = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[4])
    w.data_location = TensorProto.EXTERNAL
    for k, v in (("location", location), ("offset", "0"), ("length", "16")):
        e = w.external_data.add()
        e.key, e.value = k, v
    m = make_model([helper.make_node("Add", ["x", "w"], ["y"])], {"x": (np.float32, [4])}, ["y"])
    m.graph.initializer.append(w)
    path = os.path.join(d, "model.onnx")
    with open(path, "wb") as f:
        f.write(m.SerializeToString())
    with pytest.raises(IrconvError, match="outside|absolute"):
        convert(path, {})


def test_external_length_mismatch(tmp_path):
    path, _ = _mlp(tmp_path)
    m = onnx.load(path, load_external_data=False)
    t = next(t for t in m.graph.initializer if t.name == "w1")
    for e in t.external_data:
        if e.key == "length":
            e.value = "12"
    with open(path, "wb") as f:
        f.write(m.SerializeToString())
    with pytest.raises(IrconvError, match="length 12"):
        convert(path, {})


def test_not_a_protobuf(tmp_path):
    p = os.path.join(str(tmp_path), "bad.onnx")
    with open(p, "wb") as f:
        f.write(b"\xff\xfe this is not an onnx model \x00\x01" * 10)
    with pytest.raises(IrconvError, match="bad.onnx.*not a valid ONNX model"):
        convert(p, {})


def test_missing_model_file(tmp_path):
    with pytest.raises(IrconvError, match="not found"):
        convert(os.path.join(str(tmp_path), "nope.onnx"), {})


@pytest.mark.parametrize("dt,vals,field", [
    (TensorProto.FLOAT, [1.5, -2.0], "float_data"), (TensorProto.INT64, [1, -7], "int64_data"),
    (TensorProto.INT32, [3, -4], "int32_data"), (TensorProto.DOUBLE, [0.25, 8.0], "double_data"),
    (TensorProto.UINT64, [5, 2 ** 40], "uint64_data"), (TensorProto.UINT32, [5, 2 ** 31], "uint64_data"),
])
def test_typed_fields(dt, vals, field, tmp_path):
    t = TensorProto(name="t", data_type=dt, dims=[2])
    getattr(t, field).extend(vals)
    v = tensor_to_value(t, ExternalData(os.path.join(str(tmp_path), "m.onnx")))
    np.testing.assert_array_equal(v, np.array(vals, dtype=v.dtype))


@pytest.mark.parametrize("dt,np_dt", [(TensorProto.FLOAT16, np.float16), (TensorProto.INT8, np.int8),
                                      (TensorProto.UINT8, np.uint8), (TensorProto.INT16, np.int16),
                                      (TensorProto.UINT16, np.uint16), (TensorProto.BOOL, np.bool_)])
def test_int32_data_holds_small_types(dt, np_dt, tmp_path):
    vals = np.array([1, 0, 1, 1], np_dt) if np_dt == np.bool_ else np.array([-3, 2.5, 100, 7], np.float64)
    arr = np.asarray(vals).astype(np_dt) if np_dt != np.float16 else np.array([1.5, -2.25, 65504, 0], np.float16)
    t = helper.make_tensor("t", dt, [4], arr.tolist() if np_dt != np.float16 else arr)
    assert not t.raw_data
    v = tensor_to_value(t, ExternalData(os.path.join(str(tmp_path), "m.onnx")))
    np.testing.assert_array_equal(v, arr)
    assert v.dtype == np.dtype(np_dt)


def test_bf16_and_string_tensors(tmp_path):
    bf = helper.make_tensor("b", TensorProto.BFLOAT16, [3], [1.0, -2.0, 0.5])
    v = tensor_to_value(bf, ExternalData(os.path.join(str(tmp_path), "m.onnx")))
    assert isinstance(v, RawConst) and v.et == "bf16"
    assert np.frombuffer(bytes(v.buffer), np.uint16).tolist() == [0x3F80, 0xC000, 0x3F00]
    s = helper.make_tensor("s", TensorProto.STRING, [2], [b"ab", b"c"])
    v = tensor_to_value(s, ExternalData(os.path.join(str(tmp_path), "m.onnx")))
    assert isinstance(v, StringConst) and v.strings == ["ab", "c"]


def test_bf16_initializer_runs(tmp_path):
    w = helper.make_tensor("w", TensorProto.BFLOAT16, [3], [1.0, -2.0, 0.5])
    nodes = [helper.make_node("Cast", ["w"], ["wf"], to=TensorProto.FLOAT), helper.make_node("Mul", ["x", "wf"], ["y"])]
    m = make_model(nodes, {"x": (np.float32, [3])}, ["y"])
    m.graph.initializer.append(w)
    x = np.array([1.0, 2.0, 3.0], np.float32)
    check(m, {"x": x}, tmp_path)


def test_int4_initializer(tmp_path):
    vals = np.array([1, -2, 7, -8, 3], np.int8)
    w = helper.make_tensor("w", TensorProto.INT4, [5], vals.tolist())
    nodes = [helper.make_node("Cast", ["w"], ["wf"], to=TensorProto.FLOAT), helper.make_node("Mul", ["x", "wf"], ["y"])]
    m = make_model(nodes, {"x": (np.float32, [5])}, ["y"], opset=21)
    m.graph.initializer.append(w)
    x = np.ones(5, np.float32)
    g = convert(_save(m, tmp_path), {})
    g.run_passes()
    np.testing.assert_array_equal(run_ir(g, {"x": x})["y"], vals.astype(np.float32))


def test_sparse_initializer(tmp_path):
    values = numpy_helper.from_array(np.array([5.0, 6.0], np.float32), "w")
    idx = numpy_helper.from_array(np.array([1, 4], np.int64), "w_idx")
    sp = helper.make_sparse_tensor(values, idx, [6])
    m = make_model([helper.make_node("Add", ["x", "w"], ["y"])], {"x": (np.float32, [6])}, ["y"])
    m.graph.sparse_initializer.append(sp)
    g = convert(_save(m, tmp_path), {})
    g.run_passes()
    np.testing.assert_array_equal(run_ir(g, {"x": np.zeros(6, np.float32)})["y"], [0, 5, 0, 0, 6, 0])


def _save(m, tmp_path):
    p = os.path.join(str(tmp_path), "model.onnx")
    with open(p, "wb") as f:
        f.write(m.SerializeToString())
    return p
