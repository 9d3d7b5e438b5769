"""Sampling ops (sampling.cpp): GridSample, RandomUniform, Multinomial.

Inferred shapes/types must equal what OpenVINO infers for the saved IR; GridSample values are
checked against a numpy reference; random ops by their range and statistics."""
import numpy as np
import pytest

from irconv import IrconvError, _core
from helpers import run_ir

from op_check import _inputs, a, infer_vs_ov

DYN = None


def err(type_, inputs, attrs, match, version=""):
    g = _core.Graph("t")
    ins, _ = _inputs(g, inputs)
    with pytest.raises(IrconvError, match=match):
        g.op(type_, ins, attrs, name="op", version=version)


def test_registered_versions():
    reg = set(_core.registered_ops())
    for t, v in [("GridSample", "opset9"), ("RandomUniform", "opset8"), ("Multinomial", "opset13")]:
        assert (t, v) in reg


@pytest.mark.parametrize("data,grid", [([1, 2, 4, 4], [1, 3, 3, 2]), ([-1, 2, 4, 4], [1, 3, -1, 2]),
                                       (DYN, [1, 3, -1, 2]), ([2, 3, 5, 5], DYN), (DYN, DYN)])
def test_grid_sample_infer(data, grid):
    infer_vs_ov("GridSample", [("f32", data), ("f32", grid)], {})


def test_grid_sample_errors():
    err("GridSample", [("f32", [1, 2, 4, 4]), ("f32", [1, 3, 3, 3])], {}, "last grid dimension")
    err("GridSample", [("f32", [1, 2, 4, 4, 4]), ("f32", [1, 3, 3, 3, 3])], {}, "4D")
    err("GridSample", [("f32", [1, 2, 4, 4]), ("f32", [1, 3, 3, 2])], {"mode": "linear"}, "mode")
    err("GridSample", [("f32", [2, 2, 4, 4]), ("f32", [3, 3, 3, 2])], {}, "batch")


def _bilinear_ref(x, grid, align_corners):
    """GridSample, bilinear, zeros padding (PyTorch/ONNX semantics)."""
    n, c, h, w = x.shape
    _, ho, wo, _ = grid.shape
    out = np.zeros((n, c, ho, wo), np.float64)

    def unnorm(v, size):
        return (v + 1) / 2 * (size - 1) if align_corners else ((v + 1) * size - 1) / 2

    for b in range(n):
        for i in range(ho):
            for j in range(wo):
                gx, gy = unnorm(grid[b, i, j, 0], w), unnorm(grid[b, i, j, 1], h)
                x0, y0 = int(np.floor(gx)), int(np.floor(gy))
                for yy, wy in ((y0, 1 - (gy - y0)), (y0 + 1, gy - y0)):
                    for xx, wx in ((x0, 1 - (gx - x0)), (x0 + 1, gx - x0)):
                        if 0 <= yy < h and 0 <= xx < w:
                            out[b, :, i, j] += wy * wx * x[b, :, yy, xx]
    return out.astype(np.float32)


@pytest.mark.parametrize("align", [False, True])
def test_grid_sample_bilinear_values(align):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 5, 6)).astype(np.float32)
    grid = rng.uniform(-1.2, 1.2, (2, 4, 3, 2)).astype(np.float32)
    g = _core.Graph("t")
    p = g.parameter("x", "f32", [2, 3, 5, 6])
    q = g.parameter("grid", "f32", [2, 4, 3, 2])
    n = g.op("GridSample", [p.output(0), q.output(0)], {"align_corners": align, "mode": "bilinear",
                                                        "padding_mode": "zeros"})
    g.result(n.output(0), name="y")
    y = run_ir(g, {"x": x, "grid": grid})[0]
    np.testing.assert_allclose(y, _bilinear_ref(x, grid, align), rtol=1e-4, atol=1e-5)


RU_INFER = [
    (a(2, 3), np.float32(0), np.float32(1), "f32"),
    (("i64", [3]), np.float32(0), np.float32(1), "f32"),
    (("i32", [-1]), np.float32(0), np.float32(1), "f32"),
    (a(2, 3), np.int32(0), np.int32(10), "i32"),
    (a(4), np.float16(-1), np.float16(1), "f16"),
]


@pytest.mark.parametrize("shape,lo,hi,et", RU_INFER)
def test_random_uniform_infer(shape, lo, hi, et):
    infer_vs_ov("RandomUniform", [shape, np.array(lo), np.array(hi)], {"output_type": et, "global_seed": 1,
                                                                       "op_seed": 2})


def test_random_uniform_errors():
    err("RandomUniform", [a(2), np.array(np.float32(0)), np.array(np.float32(1))], {"output_type": "f16"},
        "output_type")
    err("RandomUniform", [a(2), np.array(np.float32(1)), np.array(np.float32(0))], {"output_type": "f32"},
        "less than")


def test_random_uniform_values():
    g = _core.Graph("t")
    n = g.op("RandomUniform", [g.constant(a(200, 50)).output(0), g.constant(np.array(np.float32(-2))).output(0),
                               g.constant(np.array(np.float32(3))).output(0)],
             {"output_type": "f32", "global_seed": 7, "op_seed": 11})
    g.result(n.output(0), name="y")
    g.run_pass("ConstantFolding")  # must not fold a random op
    y = run_ir(g)[0]
    assert y.shape == (200, 50) and y.dtype == np.float32
    assert y.min() >= -2 and y.max() < 3
    assert abs(y.mean() - 0.5) < 0.1 and abs(y.std() - 5 / np.sqrt(12)) < 0.1


@pytest.mark.parametrize("probs,ns,ct", [([2, 5], np.array(3, np.int64), "i64"), ([2, 5], ("i64", []), "i32"),
                                         ([-1, 5], np.array([4], np.int32), "i32"), (DYN, np.array(3), "i64")])
def test_multinomial_infer(probs, ns, ct):
    infer_vs_ov("Multinomial", [("f32", probs), ns], {"convert_type": ct, "with_replacement": True,
                                                      "log_probs": False, "global_seed": 0, "op_seed": 0})


def test_multinomial_values():
    g = _core.Graph("t")
    probs = np.array([[0.0, 1.0, 0.0], [0.5, 0.0, 0.5]], np.float32)
    n = g.op("Multinomial", [g.constant(probs).output(0), g.constant(np.array(400, np.int64)).output(0)],
             {"convert_type": "i64", "with_replacement": True, "log_probs": False, "global_seed": 3, "op_seed": 1})
    g.result(n.output(0), name="y")
    y = run_ir(g)[0]
    assert y.shape == (2, 400) and y.dtype == np.int64
    assert (y[0] == 1).all() and set(np.unique(y[1])) <= {0, 2} and 120 < (y[1] == 0).sum() < 280
