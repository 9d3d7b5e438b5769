"""MVNConstantsInsideFusion and the NormalizeL2Fusion forms of torch's F.normalize and Keras'
UnitNormalization (cpp/src/passes/normalization_fusions.cpp), built as the frontends translate
them; near-misses stay."""
import numpy as np
import pytest

from helpers import run_ir

from irconv import _core

NOT_FUSIONS = {"DeadCodeElimination", "ConstantFolding", "ConstantFoldingFinal", "DeadCodeEliminationFinal"}
FUSIONS = [p for p in _core.passes() if p not in NOT_FUSIONS]
rng = np.random.default_rng(0)
X = rng.standard_normal((2, 5, 16)).astype(np.float32) * 3 + 1
GAMMA = rng.uniform(0.5, 1.5, 16).astype(np.float32)
BETA = rng.standard_normal(16).astype(np.float32)


def c(g, v, dt=np.float32):
    return g.constant(np.asarray(v, dtype=dt)).output(0)


def op(g, t, *ins, name="", **attrs):
    return g.op(t, list(ins), attrs or None, name=name).output(0)


def both(body, feeds=None):
    def build():
        g = _core.Graph("n")
        x = g.parameter("x", "f32", [2, 5, 16]).output(0)
        y = body(g, x)
        y.add_names(["y"])
        g.result(y, "y")
        return g
    feeds = feeds or {"x": X}
    g = build()
    g.run_passes()
    r = build()
    r.run_passes(disabled=FUSIONS)
    return [n.type for n in g.topo_order()], g, run_ir(g, feeds)["y"], run_ir(r, feeds)["y"]


def np_ln(x, g=GAMMA, b=BETA, eps=1e-3, axes=(-1,)):
    m = x.mean(axis=axes, keepdims=True)
    v = ((x - m) ** 2).mean(axis=axes, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * (1 if g is None else g) + (0 if b is None else b)


def keras_ln(gamma=True, beta=True, form="keras", axes_var=(-1,), eps=1e-3):
    """Keras 3 LayerNormalization after translation: x * inv + (beta - mean * inv) with
    inv = rsqrt(var + eps) * gamma, written as TF writes it (Neg(mean) * inv + beta)."""
    def body(g, x):
        mean = op(g, "ReduceMean", x, c(g, [-1], np.int64), keep_dims=True)
        var = op(g, "ReduceMean", op(g, "SquaredDifference", x, mean), c(g, list(axes_var), np.int64), keep_dims=True)
        inv = op(g, "Power", op(g, "Add", var, c(g, eps)), c(g, -0.5))
        if gamma:
            inv = op(g, "Multiply", inv, c(g, GAMMA))
        xi = op(g, "Multiply", x, inv)
        if form == "keras":
            shift = op(g, "Multiply", op(g, "Negative", mean), inv)
            if beta:
                shift = op(g, "Add", shift, c(g, BETA))
            return op(g, "Add", xi, shift, name="root")
        # tf.nn.batch_normalization: x * inv + (offset - mean * inv)
        mi = op(g, "Multiply", mean, inv)
        if beta:
            return op(g, "Add", xi, op(g, "Subtract", c(g, BETA), mi), name="root")
        return op(g, "Subtract", xi, mi, name="root")
    return body


@pytest.mark.parametrize("gamma,beta,form", [(True, True, "keras"), (False, True, "keras"), (True, False, "keras"),
                                             (False, False, "keras"), (True, True, "tf_bn"), (True, False, "tf_bn")])
def test_constants_inside_form_becomes_mvn(gamma, beta, form):
    t, g, got, ref = both(keras_ln(gamma, beta, form))
    assert t.count("MVN") == 1 and "ReduceMean" not in t and "Power" not in t and "Negative" not in t
    assert t.count("Multiply") == int(gamma) and t.count("Add") + t.count("Subtract") == int(beta)
    last = [n for n in g.topo_order() if n.type not in ("Result", "Const")][-1]
    assert last.name == "root" and "y" in last.output(0).names
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(got, np_ln(X, GAMMA if gamma else None, BETA if beta else None), rtol=1e-4, atol=1e-4)


def test_constants_inside_with_mismatched_axes_stays():
    t, _, got, ref = both(keras_ln(axes_var=(1,)))
    assert "MVN" not in t
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5)


def test_constants_inside_with_another_mean_stays():
    def body(g, x):
        mean = op(g, "ReduceMean", x, c(g, [-1], np.int64), keep_dims=True)
        other = op(g, "ReduceMax", x, c(g, [-1], np.int64), keep_dims=True)
        var = op(g, "ReduceMean", op(g, "SquaredDifference", x, mean), c(g, [-1], np.int64), keep_dims=True)
        inv = op(g, "Power", op(g, "Add", var, c(g, 1e-3)), c(g, -0.5))
        return op(g, "Add", op(g, "Multiply", x, inv), op(g, "Multiply", op(g, "Negative", other), inv))
    t, _, got, ref = both(body)
    assert "MVN" not in t
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------- NormalizeL2

def np_l2(x, eps):
    return x / np.maximum(np.sqrt((x.astype(np.float64) ** 2).sum(-1, keepdims=True)), eps)


@pytest.mark.parametrize("broadcast", [True, False])
def test_torch_normalize_becomes_normalize_l2(broadcast):
    def body(g, x):
        n = op(g, "Maximum", op(g, "ReduceL2", x, c(g, [-1], np.int64), keep_dims=True), c(g, 1e-12))
        if broadcast:   # torch writes Expand(norm, shape(x)) before the Div
            n = g.op("Broadcast", [n, c(g, [2, 5, 16], np.int64)], {"mode": "bidirectional"}).output(0)
        return op(g, "Divide", x, n, name="root")
    t, g, got, ref = both(body)
    assert t.count("NormalizeL2") == 1 and "ReduceL2" not in t and "Broadcast" not in t
    nl = [n for n in g.topo_order() if n.type == "NormalizeL2"][0]
    assert nl.attrs["eps_mode"] == "max" and nl.attrs["eps"] == pytest.approx(1e-24)
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got, np_l2(X, 1e-12), rtol=1e-5, atol=1e-6)


def test_torch_normalize_of_tiny_vectors_keeps_the_eps_floor():
    x = np.zeros((2, 5, 16), np.float32)
    x[0, 0, :3] = 1e-14
    body = lambda g, x: op(g, "Divide", x, op(g, "Maximum", op(g, "ReduceL2", x, c(g, [-1], np.int64), keep_dims=True),
                                               c(g, 1e-12)))
    t, _, got, ref = both(body, {"x": x})
    assert "NormalizeL2" in t
    np.testing.assert_allclose(got, np_l2(x, 1e-12), rtol=1e-4, atol=1e-6)


def test_keras_unit_normalization_becomes_normalize_l2():
    def body(g, x):
        s = op(g, "ReduceSum", op(g, "Multiply", x, x), c(g, [-1], np.int64), keep_dims=True)
        return op(g, "Multiply", x, op(g, "Minimum", op(g, "Power", s, c(g, -0.5)), c(g, 1e12)), name="root")
    t, _, got, ref = both(body)
    assert t.count("NormalizeL2") == 1
    np.testing.assert_allclose(got, np_l2(X, 1e-12), rtol=1e-5, atol=1e-6)


def test_l2_over_another_tensor_stays():
    def build_body(g, x):
        z = op(g, "Exp", x)
        return op(g, "Divide", x, op(g, "Maximum", op(g, "ReduceL2", z, c(g, [-1], np.int64), keep_dims=True), c(g, 1e-12)))
    t, _, got, ref = both(build_body)
    assert "NormalizeL2" not in t
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)


def test_l2_with_min_instead_of_max_stays():
    body = lambda g, x: op(g, "Divide", x, op(g, "Minimum", op(g, "ReduceL2", x, c(g, [-1], np.int64), keep_dims=True),
                                               c(g, 1.0)))
    t, _, got, ref = both(body)
    assert "NormalizeL2" not in t
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)
