"""AttentionFusion on the forms exporters write beyond the basic one (test_fusions_attention.py):
scale on both Q and K, the scale computed from the query's shape (TorchScript), Where/Select masks,
torch's NaN guard after Softmax, causal masks, heads split by Reshape/Transpose; and near-misses."""
import tempfile

import numpy as np
import pytest

from helpers import core, run_ir, save_ir

from irconv import _core

B, H, L, E = 2, 3, 5, 8
rng = np.random.default_rng(0)
Q = rng.standard_normal((B, H, L, E)).astype(np.float32)
K = rng.standard_normal((B, H, L, E)).astype(np.float32)
V = rng.standard_normal((B, H, L, E)).astype(np.float32)
FEEDS = {"q": Q, "k": K, "v": V}
CAUSAL = np.tril(np.ones((L, L), bool))


def c(g, v, dt=np.float32):
    return g.constant(np.asarray(v, dtype=dt)).output(0)


def op(g, t, *ins, name="", **attrs):
    return g.op(t, list(ins), attrs or None, name=name).output(0)


def softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def ref(q=Q, k=K, v=V, scale=None, attend=None, add=None):
    scale = 1 / np.sqrt(q.shape[-1]) if scale is None else scale
    s = q.astype(np.float64) @ np.swapaxes(k, -1, -2) * scale
    if add is not None:
        s = s + add
    if attend is not None:
        s = np.where(attend, s, -np.inf)
    return softmax(s) @ v


def graph(scores_fn, guard=False, extra_out=False):
    """q, k, v [B, H, L, E] parameters; scores_fn(g, q, k) -> attention scores."""
    g = _core.Graph("sdpa")
    q = g.parameter("q", "f32", [B, H, L, E]).output(0)
    k = g.parameter("k", "f32", [B, H, L, E]).output(0)
    v = g.parameter("v", "f32", [B, H, L, E]).output(0)
    p = g.op("SoftMax", [scores_fn(g, q, k)], {"axis": -1}, version="opset8").output(0)
    if guard:      # torch: where(isnan(p), 0, p)
        p = op(g, "Select", op(g, "IsNaN", p), c(g, 0.0), p)
    out = op(g, "MatMul", p, v, name="attn")
    out.add_names(["out"])
    g.result(out, "out")
    if extra_out:
        g.result(p, "probs")
    return g


def kt(g, k):
    return op(g, "Transpose", k, c(g, [0, 1, 3, 2], np.int64))


def fused(g):
    g.run_passes()
    s = [n for n in g.topo_order() if n.type == "ScaledDotProductAttention"]
    assert len(s) == 1, [n.type for n in g.topo_order()]
    t = [n.type for n in g.topo_order()]
    assert "SoftMax" not in t and "MatMul" not in t
    return s[0], t


def shape_scale(g, t):
    """TorchScript's scale: sqrt(1 / sqrt(float(shape(t)[-1])))."""
    e = op(g, "Slice", op(g, "ShapeOf", t, output_type="i64"), c(g, [-1], np.int64), c(g, [2 ** 62], np.int64),
           c(g, [1], np.int64))
    return op(g, "Sqrt", op(g, "Divide", c(g, 1.0), op(g, "Sqrt", op(g, "Convert", e, destination_type="f32"))))


def test_scale_on_q_and_k_multiplies():
    s = np.float32(8 ** -0.25)
    g = graph(lambda g, q, k: op(g, "MatMul", op(g, "Multiply", q, c(g, s)), op(g, "Multiply", kt(g, k), c(g, s))))
    sdpa, t = fused(g)
    assert "Multiply" not in t and "Transpose" not in t
    assert float(sdpa.inputs[4].value()) == pytest.approx(float(s) * float(s), rel=1e-6)
    np.testing.assert_allclose(run_ir(g, FEEDS)["out"], ref(), rtol=1e-4, atol=1e-5)


def test_torchscript_shape_scale_is_the_default_scale_and_the_ir_stays_reshapeable():
    g = graph(lambda g, q, k: op(g, "MatMul", op(g, "Multiply", q, shape_scale(g, q)),
                                 op(g, "Multiply", kt(g, k), shape_scale(g, q))))
    sdpa, t = fused(g)
    assert len(sdpa.inputs) == 3 and "ShapeOf" not in t      # no scale input: SDPA's default 1/sqrt(E)
    np.testing.assert_allclose(run_ir(g, FEEDS)["out"], ref(), rtol=1e-4, atol=1e-5)
    with tempfile.TemporaryDirectory() as d:
        m = core().read_model(save_ir(g, d))
        m.reshape({p: [1, 2, 4, 16] for p in m.inputs})
        cm = core().compile_model(m, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
        q2, k2, v2 = (rng.standard_normal((1, 2, 4, 16)).astype(np.float32) for _ in range(3))
        np.testing.assert_allclose(cm([q2, k2, v2])[0], ref(q2, k2, v2), rtol=1e-4, atol=1e-5)


def test_shape_scale_applied_once_after_the_matmul():
    g = graph(lambda g, q, k: op(g, "Divide", op(g, "MatMul", q, kt(g, k)),
                                 op(g, "Sqrt", op(g, "Convert", op(g, "Gather", op(g, "ShapeOf", q), c(g, 3, np.int64),
                                                                   c(g, 0, np.int64)), destination_type="f32"))))
    sdpa, _ = fused(g)
    assert len(sdpa.inputs) == 3
    np.testing.assert_allclose(run_ir(g, FEEDS)["out"], ref(), rtol=1e-4, atol=1e-5)


def test_run_time_scale_is_not_fused():
    g = graph(lambda g, q, k: op(g, "Multiply", op(g, "MatMul", q, kt(g, k)),
                                 g.parameter("s", "f32", []).output(0)))
    g.run_passes()
    assert "ScaledDotProductAttention" not in [n.type for n in g.topo_order()]


def test_nan_guard_after_softmax_is_part_of_the_pattern():
    g = graph(lambda g, q, k: op(g, "Multiply", op(g, "MatMul", q, kt(g, k)), c(g, 0.3)), guard=True)
    _, t = fused(g)
    assert "IsNaN" not in t and "Select" not in t
    np.testing.assert_allclose(run_ir(g, FEEDS)["out"], ref(scale=0.3), rtol=1e-4, atol=1e-5)


def test_softmax_output_used_elsewhere_is_not_fused():
    g = graph(lambda g, q, k: op(g, "Multiply", op(g, "MatMul", q, kt(g, k)), c(g, 0.3)), extra_out=True)
    g.run_passes()
    assert "ScaledDotProductAttention" not in [n.type for n in g.topo_order()]


@pytest.mark.parametrize("fill_first", [True, False])
def test_where_masks_become_boolean_masks(fill_first):
    attend = rng.random((1, 1, L, L)) > 0.3
    attend[..., 0] = True

    def scores(g, q, k):
        s = op(g, "Multiply", op(g, "MatMul", q, kt(g, k)), c(g, 0.3))
        m = g.parameter("attend", "boolean", [1, 1, L, L]).output(0)
        if fill_first:       # masked_fill(~attend, -inf): Select(!attend, -inf, s)
            return op(g, "Select", op(g, "LogicalNot", m), c(g, -np.inf), s)
        return op(g, "Select", m, s, c(g, np.finfo(np.float32).min))
    g = graph(scores)
    sdpa, t = fused(g)
    assert sdpa.inputs[3].element_type == "boolean" and "Select" not in t
    np.testing.assert_allclose(run_ir(g, dict(FEEDS, attend=attend))["out"], ref(scale=0.3, attend=attend),
                               rtol=1e-4, atol=1e-5)


def test_select_with_a_small_fill_is_not_a_mask():
    def scores(g, q, k):
        s = op(g, "MatMul", q, kt(g, k))
        m = g.parameter("attend", "boolean", [1, 1, L, L]).output(0)
        return op(g, "Select", m, s, c(g, -5.0))       # -5 still takes part in the softmax
    g = graph(scores)
    g.run_passes()
    assert "ScaledDotProductAttention" not in [n.type for n in g.topo_order()]


def test_torch_additive_bool_mask_is_passed_as_boolean():
    # torch: attn_mask.bool() -> where(mask, 0, -inf) added to the scores
    def scores(g, q, k):
        m = g.parameter("attend", "boolean", [1, 1, L, L]).output(0)
        add = op(g, "Select", m, c(g, 0.0), c(g, -np.finfo(np.float32).max))
        return op(g, "Add", op(g, "MatMul", q, kt(g, k)), add)
    g = graph(scores)
    sdpa, t = fused(g)
    assert sdpa.inputs[3].node.type == "Parameter" and "Select" not in t
    attend = np.broadcast_to(CAUSAL, (1, 1, L, L))
    np.testing.assert_allclose(run_ir(g, dict(FEEDS, attend=attend))["out"], ref(scale=1.0, attend=attend),
                               rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kind", ["additive", "boolean_where"])
def test_constant_causal_mask_becomes_causal(kind):
    def scores(g, q, k):
        s = op(g, "MatMul", q, kt(g, k))
        if kind == "additive":
            return op(g, "Add", s, c(g, np.where(CAUSAL, 0.0, -np.inf)))
        return op(g, "Select", c(g, CAUSAL, bool), s, c(g, -1e9))
    g = graph(scores)
    sdpa, _ = fused(g)
    assert sdpa.attrs["causal"] is True and len(sdpa.inputs) in (3, 5)
    np.testing.assert_allclose(run_ir(g, FEEDS)["out"], ref(scale=1.0, attend=CAUSAL), rtol=1e-4, atol=1e-5)


def test_almost_causal_mask_stays_a_mask():
    almost = CAUSAL.copy()
    almost[3, 1] = False
    g = graph(lambda g, q, k: op(g, "Add", op(g, "MatMul", q, kt(g, k)), c(g, np.where(almost, 0.0, -1e9))))
    sdpa, _ = fused(g)
    assert sdpa.attrs["causal"] is False and len(sdpa.inputs) == 5
    np.testing.assert_allclose(run_ir(g, FEEDS)["out"], ref(scale=1.0, attend=almost), rtol=1e-4, atol=1e-5)


def test_heads_split_by_reshape_transpose_reshape_reach_the_sdpa_directly():
    # torch dynamo: K^T as Reshape([B*H, L, E]) -> Transpose(0, 2, 1) -> Reshape([B, H, E, L]), scaled
    def scores(g, q, k):
        kr = op(g, "Reshape", k, c(g, [-1, L, E], np.int64), special_zero=True)
        ktr = op(g, "Reshape", op(g, "Transpose", kr, c(g, [0, 2, 1], np.int64)), c(g, [B, H, E, L], np.int64),
                 special_zero=True)
        s = np.float32(E ** -0.25)
        return op(g, "MatMul", op(g, "Multiply", q, c(g, s)), op(g, "Multiply", ktr, c(g, s)))
    g = graph(scores)
    sdpa, t = fused(g)
    assert "Reshape" not in t and "Transpose" not in t and sdpa.inputs[1].node.type == "Parameter"
    np.testing.assert_allclose(run_ir(g, FEEDS)["out"], ref(), rtol=1e-4, atol=1e-5)
