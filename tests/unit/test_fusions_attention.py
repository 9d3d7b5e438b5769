"""AttentionFusion and TransposeMerge (cpp/src/passes/attention_fusion.cpp): the forms exporters
write fuse into ScaledDotProductAttention-13 and give the numpy result on OpenVINO; forms that are
not attention stay as they are."""
import numpy as np
import pytest

from helpers import run_ir

from irconv import _core

B, H, L, S, E = 2, 3, 5, 7, 4
rng = np.random.default_rng(0)
Q = rng.standard_normal((B, H, L, E)).astype(np.float32)
K = rng.standard_normal((B, H, S, E)).astype(np.float32)
V = rng.standard_normal((B, H, S, E)).astype(np.float32)
MASK = np.where(rng.random((1, 1, L, S)) < 0.3, -1e4, 0.0).astype(np.float32)


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def ref(scale, mask=None):
    s = Q @ K.transpose(0, 1, 3, 2) * scale
    if mask is not None:
        s = s + mask
    return softmax(s) @ V


def c(g, v, dt=np.float32):
    return g.constant(np.asarray(v, dtype=dt)).output(0)


def build(form, softmax_axis=-1, scale_value=0.5):
    g = _core.Graph("attn")
    q = g.parameter("q", "f32", [B, H, L, E]).output(0)
    k = g.parameter("k", "f32", [B, H, S, E]).output(0)
    v = g.parameter("v", "f32", [B, H, S, E]).output(0)
    kt = g.op("Transpose", [k, c(g, [0, 1, 3, 2], np.int64)]).output(0)
    if form == "mul":
        sc = g.op("Multiply", [g.op("MatMul", [q, kt]).output(0), c(g, scale_value)]).output(0)
    elif form == "div":
        sc = g.op("Divide", [g.op("MatMul", [q, kt]).output(0), c(g, 1.0 / scale_value)]).output(0)
    elif form == "q_scaled":
        sc = g.op("MatMul", [g.op("Multiply", [q, c(g, scale_value)]).output(0), kt]).output(0)
    elif form == "transpose_b":
        sc = g.op("Multiply", [g.op("MatMul", [q, k], {"transpose_a": False, "transpose_b": True}).output(0),
                               c(g, scale_value)]).output(0)
    elif form == "mask":
        sc = g.op("Add", [g.op("Multiply", [g.op("MatMul", [q, kt]).output(0), c(g, scale_value)]).output(0),
                          c(g, MASK)]).output(0)
    elif form == "nonuniform_scale":
        sc = g.op("Multiply", [g.op("MatMul", [q, kt]).output(0),
                               c(g, np.linspace(0.1, 1.0, S).astype(np.float32))]).output(0)
    else:
        raise ValueError(form)
    p = g.op("SoftMax", [sc], {"axis": softmax_axis}, version="opset8").output(0)
    out = g.op("MatMul", [p, v], name="attn_out").output(0)
    out.add_names(["out"])
    g.result(out, "out")
    return g


def ops(g):
    return [n.type for n in g.topo_order()]


@pytest.mark.parametrize("form,mask", [("mul", None), ("div", None), ("q_scaled", None), ("transpose_b", None),
                                       ("mask", MASK)])
def test_attention_forms_fuse_and_match_numpy(form, mask):
    g = build(form)
    g.run_passes()
    t = ops(g)
    assert t.count("ScaledDotProductAttention") == 1
    assert "SoftMax" not in t and "MatMul" not in t
    # K's Transpose pair cancels: K reaches the SDPA directly
    assert "Transpose" not in t
    sdpa = [n for n in g.topo_order() if n.type == "ScaledDotProductAttention"][0]
    assert sdpa.name == "attn_out" and "out" in sdpa.output(0).names
    got = run_ir(g, {"q": Q, "k": K, "v": V})["out"]
    np.testing.assert_allclose(got, ref(0.5, mask), rtol=1e-4, atol=1e-5)


def test_softmax_over_another_axis_is_not_attention():
    g = build("mul", softmax_axis=2)
    g.run_passes()
    assert "ScaledDotProductAttention" not in ops(g)
    got = run_ir(g, {"q": Q, "k": K, "v": V})["out"]
    np.testing.assert_allclose(got, softmax(Q @ K.transpose(0, 1, 3, 2) * 0.5, axis=2) @ V, rtol=1e-4, atol=1e-5)


def test_per_position_scale_is_not_fused():
    g = build("nonuniform_scale")
    g.run_passes()
    assert "ScaledDotProductAttention" not in ops(g)


def test_attention_fusion_can_be_disabled():
    g = build("mul")
    g.run_passes(disabled=["AttentionFusion"])
    assert "ScaledDotProductAttention" not in ops(g) and "SoftMax" in ops(g)


def test_transpose_merge_composes_and_cancels():
    g = _core.Graph("tt")
    x = g.parameter("x", "f32", [2, 3, 4, 5]).output(0)
    t1 = g.op("Transpose", [x, c(g, [0, 2, 3, 1], np.int64)]).output(0)
    t2 = g.op("Transpose", [t1, c(g, [0, 2, 1, 3], np.int64)], name="t2").output(0)   # -> [0,3,2,1]
    t2.add_names(["y"])
    g.result(t2, "y")
    g.run_passes()
    trs = [n for n in g.topo_order() if n.type == "Transpose"]
    assert len(trs) == 1 and trs[0].name == "t2"
    xv = rng.standard_normal((2, 3, 4, 5)).astype(np.float32)
    np.testing.assert_array_equal(run_ir(g, {"x": xv})["y"], xv.transpose(0, 3, 2, 1))

    g = _core.Graph("tt2")
    x = g.parameter("x", "f32", [2, 3, 4]).output(0)
    t1 = g.op("Transpose", [x, c(g, [0, 2, 1], np.int64)]).output(0)
    t2 = g.op("Transpose", [t1, c(g, [0, 2, 1], np.int64)]).output(0)
    r = g.op("ReLU", [t2], name="r").output(0)
    g.result(r, "r")
    g.run_passes()
    assert ops(g).count("Transpose") == 0


def test_transpose_merge_keeps_a_shared_inner_transpose():
    g = _core.Graph("tt3")
    x = g.parameter("x", "f32", [2, 3, 4]).output(0)
    t1 = g.op("Transpose", [x, c(g, [0, 2, 1], np.int64)]).output(0)
    t2 = g.op("Transpose", [t1, c(g, [1, 0, 2], np.int64)]).output(0)
    g.result(t1, "a")
    g.result(t2, "b")
    g.run_passes()
    assert ops(g).count("Transpose") == 2
