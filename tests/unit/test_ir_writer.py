"""IR v11 writer: every element type, scalars, strings, dynamic dims, FP16 compression, dedup,
determinism, atomic output. Each IR is read back by the OpenVINO runtime."""
import os
import re

import numpy as np
import pytest

from irconv import IrconvError, _core
from helpers import core, infer_xml, ov_shape, read_ir, save_ir

PLAIN = ["float32", "float16", "float64", "int8", "int16", "int32", "int64",
         "uint8", "uint16", "uint32", "uint64", "bool"]


@pytest.mark.parametrize("dtype", PLAIN)
def test_plain_constant_types_round_trip(tmp_path, dtype):
    rng = np.random.default_rng(0)
    v = (rng.standard_normal((2, 3)) * 10).astype(dtype)
    g = _core.Graph("t")
    c = g.constant(v, name="c")
    c.output(0).add_names(["c"])
    g.result(c.output(0))
    xml = save_ir(g, str(tmp_path))
    m = core().read_model(xml)
    assert ov_shape(m.outputs[0]) == [2, 3]
    assert m.outputs[0].get_element_type().to_dtype() == np.dtype(dtype)
    # the values as the runtime sees them
    const = [op for op in m.get_ordered_ops() if op.get_type_name() == "Constant"][0]
    np.testing.assert_array_equal(const.get_data(), v)


@pytest.mark.parametrize("et,bits", [("u1", 1), ("u2", 2), ("u3", 3), ("u4", 4), ("u6", 6), ("i4", 4),
                                     ("nf4", 4), ("f8e4m3", 8), ("f8e5m2", 8), ("bf16", 16), ("f4e2m1", 4),
                                     ("f8e8m0", 8)])
def test_packed_constant_types_read_by_runtime(tmp_path, et, bits):
    n = 10
    nbytes = (n * bits + 7) // 8
    raw = np.arange(nbytes, dtype=np.uint8) * 37 % 251
    g = _core.Graph("t")
    c = g.constant_bytes(raw, et, [2, 5], name="c")
    g.result(c.output(0))
    xml = save_ir(g, str(tmp_path))
    m = core().read_model(xml)
    assert m.outputs[0].get_element_type().get_type_name() == et
    assert ov_shape(m.outputs[0]) == [2, 5]
    text = open(xml).read()
    assert 'element_type="%s"' % et in text


def test_too_few_bytes_is_an_error():
    g = _core.Graph("t")
    with pytest.raises(IrconvError, match="bytes given"):
        g.constant_bytes(np.zeros(1, np.uint8), "u4", [5], name="c")


def test_scalar_and_empty_constants(tmp_path):
    g = _core.Graph("t")
    s = g.constant(np.array(3.5, np.float32), name="s")
    e = g.constant(np.zeros((0, 4), np.int64), name="e")
    g.result(s.output(0))
    g.result(e.output(0))
    xml = save_ir(g, str(tmp_path))
    m = core().read_model(xml)
    assert ov_shape(m.outputs[0]) == []
    assert ov_shape(m.outputs[1]) == [0, 4]
    assert 'shape=""' in open(xml).read()


def test_string_constant(tmp_path):
    g = _core.Graph("t")
    vals = ["hello", "", "wörld", "a,b"]
    c = g.constant_strings(vals, [2, 2], name="s")
    g.result(c.output(0))
    xml = save_ir(g, str(tmp_path))
    m = core().read_model(xml)
    const = [op for op in m.get_ordered_ops() if op.get_type_name() == "Constant"][0]
    assert const.get_output_element_type(0).get_type_name() == "string"
    assert list(const.get_tensor_view().str_data.reshape(-1)) == vals


def test_dynamic_dims_and_rank(tmp_path):
    g = _core.Graph("t")
    a = g.parameter("a", "f32", [-1, 3, -1])
    b = g.parameter("b", "i64", None)
    a.output(0).add_names(["a"])
    b.output(0).add_names(["b"])
    g.result(a.output(0))
    g.result(b.output(0))
    xml = save_ir(g, str(tmp_path))
    m = core().read_model(xml)
    assert ov_shape(m.inputs[0]) == [-1, 3, -1]
    assert ov_shape(m.inputs[1]) is None
    assert m.inputs[0].get_names() == {"a"} and m.inputs[1].get_names() == {"b"}
    # the CPU plugin runs dynamic dims (dynamic rank it refuses, so only `a` is run)
    g2 = _core.Graph("t2")
    a2 = g2.parameter("a", "f32", [-1, 3, -1])
    a2.output(0).add_names(["a"])
    g2.result(a2.output(0))
    out = infer_xml(save_ir(g2, str(tmp_path), name="m2"), {"a": np.ones((2, 3, 5), np.float32)})
    assert out[0].shape == (2, 3, 5)


def test_tensor_names_with_commas_are_escaped(tmp_path):
    g = _core.Graph("t")
    a = g.parameter("a", "f32", [1])
    a.output(0).add_names(["x,y", "z"])
    g.result(a.output(0))
    xml = save_ir(g, str(tmp_path))
    assert 'names="x\\,y,z"' in open(xml).read()
    m = core().read_model(xml)
    assert m.inputs[0].get_names() == {"x,y", "z"}


def _fp16_graph():
    g = _core.Graph("fp16")
    x = g.parameter("x", "f32", [2, 4])
    x.output(0).add_names(["x"])
    w = np.array([[1.0, 2.5, -3.25, 1e-3]], np.float32)
    big = np.full((1, 4), 1e6, np.float32)     # all out of f16 range: stays f32
    c1 = g.constant(w, name="w")
    c2 = g.constant(w.copy(), name="w_again")  # same bytes: stored once
    c3 = g.constant(big, name="big")
    r = [g.result(c.output(0)) for c in (c1, c2, c3)]
    return g, w, big, r


def test_fp16_compression_form(tmp_path):
    g, w, big, _ = _fp16_graph()
    xml = save_ir(g, str(tmp_path), compress_to_fp16=True)
    text = open(xml).read()
    assert re.search(r'name="w_compressed" type="Const" version="opset1">\s*<data element_type="f16"', text)
    assert re.search(r'name="w" type="Convert" version="opset1">\s*<data destination_type="f32"/>\s*<rt_info>\s*'
                     r'<attribute name="decompression" version="0"/>', text)
    assert 'name="big" type="Const"' in text and 'name="big_compressed"' not in text
    offsets = re.findall(r'name="w(?:_again)?_compressed".*?offset="(\d+)"', text, re.S)
    assert len(offsets) == 2 and offsets[0] == offsets[1]
    for off in re.findall(r'offset="(\d+)"', text):
        assert int(off) % 64 == 0
    m = core().read_model(xml)
    out = infer_xml(xml, {})
    np.testing.assert_allclose(out[0], w.astype(np.float16).astype(np.float32))
    np.testing.assert_array_equal(out[2], big)
    assert m.outputs[0].get_element_type().to_dtype() == np.float32


def test_fp16_keeps_shape_path_constants_precise(tmp_path):
    g = _core.Graph("t")
    x = g.parameter("x", "f32", [1, 2, 3, 3])
    # Interpolate scales are a shape input: compressing them would change the output size
    scales = g.constant(np.array([1.0, 1.0, 2.0009765625, 2.0009765625], np.float32), name="scales")
    n = g.op("Interpolate", [x.output(0), scales.output(0)],
             {"mode": "nearest", "shape_calculation_mode": "scales", "coordinate_transformation_mode": "asymmetric",
              "nearest_mode": "floor", "antialias": False, "pads_begin": [0, 0, 0, 0], "pads_end": [0, 0, 0, 0],
              "cube_coeff": -0.75}, name="up", version="opset11")
    g.result(n.output(0))
    xml = save_ir(g, str(tmp_path), compress_to_fp16=True)
    assert 'name="scales_compressed"' not in open(xml).read()


def test_deterministic_bytes(tmp_path):
    outs = []
    for i in range(2):
        g, *_ = _fp16_graph()
        d = tmp_path / str(i)
        d.mkdir()
        xml = save_ir(g, str(d), compress_to_fp16=True)
        outs.append((open(xml, "rb").read(), open(xml[:-4] + ".bin", "rb").read()))
    assert outs[0] == outs[1]


def test_failed_save_leaves_nothing(tmp_path):
    g, *_ = _fp16_graph()
    bad = tmp_path / "missing_dir" / "m.xml"
    with pytest.raises(IrconvError, match="cannot create"):
        g.save(str(bad), str(bad)[:-4] + ".bin")
    assert not any(p.name.startswith("m.") for p in tmp_path.rglob("*"))


def test_unknown_op_and_bad_inputs_are_errors():
    g = _core.Graph("t")
    x = g.parameter("x", "f32", [1])
    with pytest.raises(IrconvError, match="NoSuchOp"):
        g.op("NoSuchOp", [x.output(0)])
    with pytest.raises(IrconvError, match="no output 3"):
        x.output(3)


def _texts_of_compressed(xml):
    return set(re.findall(r'name="([^"]+)_compressed"', open(xml).read()))


def test_fp16_keeps_quantization_ranges_and_dequant_scales_exact(tmp_path):
    g = _core.Graph("q")
    x = g.parameter("x", "f32", [1, 4])
    lo, hi = g.constant(np.array(-1.3, np.float32), name="in_lo"), g.constant(np.array(1.7, np.float32), name="in_hi")
    fq = g.op("FakeQuantize", [x.output(0), lo.output(0), hi.output(0), lo.output(0), hi.output(0)], {"levels": 256})
    wq = g.constant(np.array([[3, -7, 12, 1]], np.int8), name="w_int8")
    cv = g.op("Convert", [wq.output(0)], {"destination_type": "f32"})
    zp = g.constant(np.array(0.5, np.float32), name="zp")
    sub = g.op("Subtract", [cv.output(0), zp.output(0)])
    scale = g.constant(np.array(0.0123, np.float32), name="scale")
    deq = g.op("Multiply", [sub.output(0), scale.output(0)])
    other = g.constant(np.array([[0.1, 0.2, 0.3, 0.4]], np.float32), name="plain_weight")
    add = g.op("Add", [fq.output(0), deq.output(0)])
    g.result(g.op("Multiply", [add.output(0), other.output(0)]).output(0))
    xml = save_ir(g, str(tmp_path), compress_to_fp16=True)
    assert _texts_of_compressed(xml) == {"plain_weight"}
    core().read_model(xml)


def test_precise_rt_info_disables_compression(tmp_path):
    g = _core.Graph("p")
    c = g.constant(np.array([0.1, 0.2], np.float32), name="keep")
    c.add_rt_info("precise")
    g.result(c.output(0))
    xml = save_ir(g, str(tmp_path), compress_to_fp16=True)
    assert _texts_of_compressed(xml) == set()
    assert '<attribute name="precise" version="0"/>' in open(xml).read()


def test_fp16_conversion_matches_numpy_rounding(tmp_path):
    rng = np.random.default_rng(1)
    v = np.concatenate([rng.standard_normal(1000).astype(np.float32) * 100,
                        np.array([65504, 65519, 1e9, -1e9, 6e-8, 3e-8, 1e-30, 0.0, -0.0, np.inf, -np.inf, np.nan],
                                 np.float32)])
    g = _core.Graph("t")
    c = g.constant(v, name="v")
    g.result(c.output(0))
    xml = save_ir(g, str(tmp_path), compress_to_fp16=True)
    text = open(xml).read()
    off = int(re.search(r'name="v_compressed".*?offset="(\d+)"', text, re.S).group(1))
    got = np.frombuffer(open(xml[:-4] + ".bin", "rb").read(), np.float16, count=v.size, offset=off)
    want = np.clip(v, -65504, 65504).astype(np.float16)   # clamped, then IEEE round to nearest even
    np.testing.assert_array_equal(got.view(np.uint16)[~np.isnan(v)], want.view(np.uint16)[~np.isnan(v)])
    assert np.isnan(got[np.isnan(v)]).all()


@pytest.mark.parametrize("access", ["read", "copy"])
def test_mmap_backed_constants_written_correctly_and_twice(tmp_path, access):
    import mmap
    data = np.random.default_rng(2).standard_normal(300_000).astype(np.float32)
    f = tmp_path / "w.raw"
    f.write_bytes(data.tobytes())
    with open(f, "rb" if access == "read" else "r+b") as fh:
        mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ if access == "read" else mmap.ACCESS_COPY)
    arr = np.frombuffer(memoryview(mm), dtype=np.float32)
    if access == "copy":
        arr[:10] = 7.0          # private changes must survive the writer (no pages dropped)
        data[:10] = 7.0
    g = _core.Graph("t")
    c = g.constant(arr, name="w")
    g.result(c.output(0))
    for i in range(2):   # pages dropped after the first save are read again for the second
        d = tmp_path / str(i)
        d.mkdir()
        xml = save_ir(g, str(d))
        off = int(re.search(r'offset="(\d+)"', open(xml).read()).group(1))
        got = np.frombuffer(open(xml[:-4] + ".bin", "rb").read(), np.float32, count=data.size, offset=off)
        np.testing.assert_array_equal(got, data)
