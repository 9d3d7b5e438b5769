"""Normalization fusions (MVNFusion, NormalizeL2Fusion) and linear fusions (BatchNormDecompose,
MulAddChains, WeightsScaleFusion): each fused graph runs on OpenVINO and matches the same graph
converted with the fusions switched off; negative cases stay unfused."""
import numpy as np
import pytest

from helpers import run_ir

from irconv import _core

FUSIONS = ["MVNFusion", "NormalizeL2Fusion", "BatchNormDecompose", "MulAddChains", "WeightsScaleFusion",
           "AttentionFusion", "TransposeMerge"]
rng = np.random.default_rng(0)


def c(g, v, dt=np.float32):
    return g.constant(np.asarray(v, dtype=dt)).output(0)


def both(build, feeds):
    """(fused graph, its outputs, reference outputs with every fusion off)."""
    g = build()
    g.run_passes()
    ref_g = build()
    ref_g.run_passes(disabled=FUSIONS)
    return g, run_ir(g, feeds), run_ir(ref_g, feeds)


def types(g):
    return [n.type for n in g.topo_order()]


# ---------------------------------------------------------------- MVN

def layernorm(axes_mean=(-1,), axes_var=(-1,), form="div", keep=True):
    def build():
        rng = np.random.default_rng(1)      # the same constants in the fused and the reference graph
        g = _core.Graph("ln")
        x = g.parameter("x", "f32", [2, 5, 8]).output(0)
        mean = g.op("ReduceMean", [x, c(g, list(axes_mean), np.int64)], {"keep_dims": keep}).output(0)
        d = g.op("Subtract", [x, mean]).output(0)
        var = g.op("ReduceMean", [g.op("Power", [d, c(g, 2.0)]).output(0), c(g, list(axes_var), np.int64)],
                   {"keep_dims": True}).output(0)
        ve = g.op("Add", [var, c(g, 1e-5)]).output(0)
        if form == "div":
            y = g.op("Divide", [d, g.op("Sqrt", [ve]).output(0)], name="ln").output(0)
        else:
            y = g.op("Multiply", [d, g.op("Power", [ve, c(g, -0.5)]).output(0)], name="ln").output(0)
        y = g.op("Add", [g.op("Multiply", [y, c(g, rng.standard_normal(8))]).output(0), c(g, rng.standard_normal(8))]).output(0)
        g.result(y, "y")
        return g
    return build


@pytest.mark.parametrize("form", ["div", "pow"])
def test_layernorm_decomposition_becomes_mvn(form):
    x = rng.standard_normal((2, 5, 8)).astype(np.float32)
    g, got, ref = both(layernorm(form=form), {"x": x})
    t = types(g)
    assert t.count("MVN") == 1 and "ReduceMean" not in t and "Sqrt" not in t
    np.testing.assert_allclose(got[0], ref[0], rtol=1e-4, atol=1e-5)
    xm = x - x.mean(-1, keepdims=True)
    mvn = [n for n in g.topo_order() if n.type == "MVN"][0]
    assert mvn.name == "ln" and abs(mvn.attrs["eps"] - 1e-5) < 1e-12 and mvn.attrs["eps_mode"] == "inside_sqrt"
    assert np.isfinite(xm).all()


def test_mean_and_variance_over_different_axes_stay():
    x = rng.standard_normal((2, 5, 8)).astype(np.float32)
    g, got, ref = both(layernorm(axes_mean=(-1,), axes_var=(1,)), {"x": x})
    assert "MVN" not in types(g)
    np.testing.assert_allclose(got[0], ref[0], rtol=1e-5)


def test_instancenorm_axes_fuse():
    x = rng.standard_normal((2, 5, 8)).astype(np.float32)
    g, got, ref = both(layernorm(axes_mean=(1, 2), axes_var=(2, 1)), {"x": x})
    assert types(g).count("MVN") == 1
    np.testing.assert_allclose(got[0], ref[0], rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------- NormalizeL2

@pytest.mark.parametrize("eps_op,keep", [("Add", True), ("Maximum", True), ("Add", False)])
def test_l2_normalization(eps_op, keep):
    def build():
        g = _core.Graph("l2")
        x = g.parameter("x", "f32", [3, 6]).output(0)
        s = g.op("ReduceSum", [g.op("Multiply", [x, x]).output(0), c(g, [1], np.int64)], {"keep_dims": keep}).output(0)
        if not keep:
            s = g.op("Unsqueeze", [s, c(g, [1], np.int64)]).output(0)
        s = g.op(eps_op, [s, c(g, 1e-6)]).output(0)
        g.result(g.op("Divide", [x, g.op("Sqrt", [s]).output(0)]).output(0), "y")
        return g
    x = rng.standard_normal((3, 6)).astype(np.float32)
    g, got, ref = both(build, {"x": x})
    assert (types(g).count("NormalizeL2") == 1) == keep
    np.testing.assert_allclose(got[0], ref[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got[0], x / np.linalg.norm(x, axis=1, keepdims=True), rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------- BatchNorm / weights folding

def conv_bn(group=False):
    def build():
        rng = np.random.default_rng(2)
        g = _core.Graph("cbn")
        x = g.parameter("x", "f32", [1, 4, 6, 6]).output(0)
        if group:
            w = c(g, rng.standard_normal((2, 3, 2, 3, 3)))
            y = g.op("GroupConvolution", [x, w], {"strides": [1, 1], "dilations": [1, 1], "pads_begin": [1, 1],
                                                  "pads_end": [1, 1], "auto_pad": "explicit"}).output(0)
        else:
            w = c(g, rng.standard_normal((6, 4, 3, 3)))
            y = g.op("Convolution", [x, w], {"strides": [1, 1], "dilations": [1, 1], "pads_begin": [1, 1],
                                             "pads_end": [1, 1], "auto_pad": "explicit"}).output(0)
        y = g.op("Add", [y, c(g, rng.standard_normal((1, 6, 1, 1)))]).output(0)
        y = g.op("BatchNormInference", [y, c(g, rng.uniform(0.5, 2, 6)), c(g, rng.standard_normal(6)),
                                        c(g, rng.standard_normal(6)), c(g, rng.uniform(0.5, 2, 6))],
                 {"epsilon": 1e-3}, name="bn").output(0)
        g.result(g.op("ReLU", [y]).output(0), "y")
        return g
    return build


@pytest.mark.parametrize("group", [False, True])
def test_batchnorm_folds_into_convolution(group):
    x = rng.standard_normal((1, 4, 6, 6)).astype(np.float32)
    g, got, ref = both(conv_bn(group), {"x": x})
    t = types(g)
    assert "BatchNormInference" not in t and "Multiply" not in t and t.count("Add") == 1
    np.testing.assert_allclose(got[0], ref[0], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("transpose_b", [False, True])
def test_scale_folds_into_matmul_weights(transpose_b):
    def build():
        rng = np.random.default_rng(3)
        g = _core.Graph("mm")
        x = g.parameter("x", "f32", [3, 5]).output(0)
        w = c(g, rng.standard_normal((7, 5) if transpose_b else (5, 7)))
        y = g.op("MatMul", [x, w], {"transpose_a": False, "transpose_b": transpose_b}).output(0)
        y = g.op("Multiply", [y, c(g, rng.uniform(1, 2, 7))], name="scaled").output(0)
        g.result(y, "y")
        return g
    x = rng.standard_normal((3, 5)).astype(np.float32)
    g, got, ref = both(build, {"x": x})
    assert types(g).count("Multiply") == 0 and [n.name for n in g.topo_order() if n.type == "MatMul"] == ["scaled"]
    np.testing.assert_allclose(got[0], ref[0], rtol=1e-5, atol=1e-5)


def test_chains_combine_and_a_varying_scale_does_not_fold():
    def build():
        rng = np.random.default_rng(4)
        g = _core.Graph("ch")
        x = g.parameter("x", "f32", [2, 4]).output(0)
        w = c(g, rng.standard_normal((4, 3)))
        y = g.op("MatMul", [x, w]).output(0)
        # a scale that varies along the batch axis cannot fold into the weights
        y = g.op("Multiply", [y, c(g, [[2.0], [3.0]])]).output(0)
        y = g.op("Add", [g.op("Add", [y, c(g, [1.0, 2.0, 3.0])]).output(0), c(g, 0.5)]).output(0)
        y = g.op("Multiply", [g.op("Multiply", [y, c(g, 2.0)]).output(0), c(g, [1.0, 0.5, 0.25])]).output(0)
        g.result(y, "y")
        return g
    x = rng.standard_normal((2, 4)).astype(np.float32)
    g, got, ref = both(build, {"x": x})
    t = types(g)
    assert t.count("MatMul") == 1 and t.count("Add") == 1 and t.count("Multiply") == 1
    np.testing.assert_allclose(got[0], ref[0], rtol=1e-5, atol=1e-5)


def test_shared_weights_are_not_rewritten():
    def build():
        rng = np.random.default_rng(5)
        g = _core.Graph("sh")
        x = g.parameter("x", "f32", [2, 4]).output(0)
        w = c(g, rng.standard_normal((4, 3)))
        a = g.op("Multiply", [g.op("MatMul", [x, w]).output(0), c(g, [1.0, 2.0, 3.0])]).output(0)
        b = g.op("MatMul", [x, w]).output(0)
        g.result(a, "a")
        g.result(b, "b")
        return g
    x = rng.standard_normal((2, 4)).astype(np.float32)
    g, got, ref = both(build, {"x": x})
    assert types(g).count("Multiply") == 1
    np.testing.assert_allclose(got[0], ref[0], rtol=1e-6)


def test_divide_and_subtract_by_constants_fold_like_multiply_and_add():
    def build():
        rng = np.random.default_rng(6)
        g = _core.Graph("sd")
        x = g.parameter("x", "f32", [1, 3, 5, 5]).output(0)
        w = c(g, rng.standard_normal((4, 3, 3, 3)))
        y = g.op("Convolution", [x, w], {"strides": [1, 1], "dilations": [1, 1], "pads_begin": [1, 1],
                                         "pads_end": [1, 1], "auto_pad": "explicit"}).output(0)
        y = g.op("Divide", [y, c(g, rng.uniform(1, 2, (4, 1, 1)))]).output(0)      # -> weights * 1/c
        y = g.op("Add", [y, c(g, rng.standard_normal((4, 1, 1)))]).output(0)
        y = g.op("Subtract", [y, c(g, 0.5)]).output(0)                              # -> one bias Add
        g.result(y, "y")
        return g
    x = rng.standard_normal((1, 3, 5, 5)).astype(np.float32)
    g, got, ref = both(build, {"x": x})
    t = types(g)
    assert "Divide" not in t and "Subtract" not in t and "Multiply" not in t and t.count("Add") == 1
    np.testing.assert_allclose(got[0], ref[0], rtol=1e-4, atol=1e-5)


def test_constant_divided_by_a_convolution_and_division_by_zero_stay():
    def build():
        rng = np.random.default_rng(7)
        g = _core.Graph("sd2")
        x = g.parameter("x", "f32", [2, 4]).output(0)
        y = g.op("MatMul", [x, c(g, rng.standard_normal((4, 3)))]).output(0)
        a = g.op("Divide", [c(g, 1.0), y]).output(0)
        b = g.op("Divide", [g.op("MatMul", [x, c(g, rng.standard_normal((4, 3)))]).output(0), c(g, [1.0, 0.0, 2.0])]).output(0)
        g.result(a, "a")
        g.result(b, "b")
        return g
    g = build()
    g.run_passes()
    assert types(g).count("Divide") == 2
