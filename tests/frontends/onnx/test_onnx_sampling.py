"""GridSample against onnxruntime; random ops (RandomUniform/Normal(Like), Bernoulli, Multinomial)
by shape, type, range, determinism with a seed and statistics (ops/sampling.py)."""
import numpy as np
import pytest

from irconv import IrconvError
from onnx_fe_util import check, helper, make_model, rng, run_ir, to_graph

X = rng(1).randn(2, 3, 5, 6).astype(np.float32)
GRID = rng(2).uniform(-1.3, 1.3, (2, 4, 7, 2)).astype(np.float32)


@pytest.mark.parametrize("opset,mode", [(16, "bilinear"), (16, "nearest"), (16, "bicubic"), (20, "linear"),
                                        (20, "cubic"), (22, "nearest")])
@pytest.mark.parametrize("pad", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align", [0, 1])
def test_grid_sample(opset, mode, pad, align, tmp_path):
    node = helper.make_node("GridSample", ["x", "g"], ["y"], mode=mode, padding_mode=pad, align_corners=align)
    m = make_model([node], {"x": X, "g": GRID}, ["y"], opset=opset)
    check(m, {"x": X, "g": GRID}, tmp_path, rtol=1e-4, atol=1e-4)


def test_grid_sample_volumetric_is_refused(tmp_path):
    node = helper.make_node("GridSample", ["x", "g"], ["y"])
    m = make_model([node], {"x": (np.float32, [1, 1, 3, 2, 2]), "g": (np.float32, [1, 2, 4, 2, 3])}, ["y"],
                   opset=20)
    with pytest.raises(IrconvError, match="volumetric"):
        to_graph(m, tmp_path)


def _run(nodes, inputs, outputs, feeds, tmp_path, opset=17, inits=None):
    m = make_model(nodes, inputs, outputs, inits, opset=opset)
    g = to_graph(m, tmp_path)
    return g, run_ir(g, feeds)


def test_random_uniform(tmp_path):
    nodes = [helper.make_node("RandomUniform", [], ["a"], shape=[300, 40], low=-2.0, high=3.0, seed=5.0),
             helper.make_node("RandomUniform", [], ["b"], shape=[4, 5], dtype=11)]
    g, res = _run(nodes, {}, ["a", "b"], {}, tmp_path)
    a, b = res["a"], res["b"]
    assert a.shape == (300, 40) and a.dtype == np.float32 and b.shape == (4, 5) and b.dtype == np.float64
    assert a.min() >= -2 and a.max() < 3 and abs(a.mean() - 0.5) < 0.1 and abs(a.std() - 5 / np.sqrt(12)) < 0.1
    assert (b >= 0).all() and (b < 1).all()
    np.testing.assert_array_equal(run_ir(g, {})["a"], a)  # seeded: the same values every run


def test_random_normal_like(tmp_path):
    x = np.zeros((200, 50), np.float16)
    nodes = [helper.make_node("RandomNormalLike", ["x"], ["y"], mean=1.5, scale=2.0, seed=3.0),
             helper.make_node("RandomNormal", [], ["z"], shape=[100, 100])]
    _, res = _run(nodes, {"x": x}, ["y", "z"], {"x": x}, tmp_path)
    y, z = res["y"], res["z"]
    assert y.shape == (200, 50) and y.dtype == np.float16 and z.shape == (100, 100) and z.dtype == np.float32
    y = y.astype(np.float64)
    assert abs(y.mean() - 1.5) < 0.1 and abs(y.std() - 2.0) < 0.1
    assert abs(z.mean()) < 0.05 and abs(z.std() - 1.0) < 0.05 and np.isfinite(z).all()


def test_random_uniform_like_dynamic_shape(tmp_path):
    x = np.zeros((3, 7), np.float32)
    nodes = [helper.make_node("RandomUniformLike", ["x"], ["y"], dtype=10)]
    m = make_model(nodes, {"x": (np.float32, ["n", 7])}, ["y"], opset=17)
    res = run_ir(to_graph(m, tmp_path), {"x": x})
    assert res["y"].shape == (3, 7) and res["y"].dtype == np.float16


def test_bernoulli(tmp_path):
    p = np.tile(np.array([0.0, 1.0, 0.3], np.float32), (1000, 1))
    nodes = [helper.make_node("Bernoulli", ["p"], ["y"], seed=1.0),
             helper.make_node("Bernoulli", ["p"], ["b"], dtype=9)]
    _, res = _run(nodes, {"p": p}, ["y", "b"], {"p": p}, tmp_path, opset=15)
    y, b = res["y"], res["b"]
    assert y.dtype == np.float32 and b.dtype == np.bool_ and y.shape == b.shape == p.shape
    assert (y[:, 0] == 0).all() and (y[:, 1] == 1).all() and 0.25 < y[:, 2].mean() < 0.35
    assert not b[:, 0].any() and b[:, 1].all()


def test_multinomial(tmp_path):
    logits = np.log(np.array([[0.0, 1.0, 0.0], [2.0, 0.0, 2.0]], np.float32) + 1e-30)
    nodes = [helper.make_node("Multinomial", ["x"], ["y"], sample_size=500, seed=2.0),
             helper.make_node("Multinomial", ["x"], ["z"], dtype=7)]
    _, res = _run(nodes, {"x": logits}, ["y", "z"], {"x": logits}, tmp_path)
    y, z = res["y"], res["z"]
    assert y.shape == (2, 500) and y.dtype == np.int32 and z.shape == (2, 1) and z.dtype == np.int64
    assert (y[0] == 1).all() and set(np.unique(y[1])) <= {0, 2} and 180 < (y[1] == 0).sum() < 320
