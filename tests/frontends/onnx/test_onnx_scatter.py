"""ScatterND (all reductions), ScatterElements, GatherND, GatherElements."""
import numpy as np
import pytest

from onnx_fe_util import check, rng, single

R = rng(12)
D = R.randn(5, 6).astype(np.float32)


@pytest.mark.parametrize("reduction", ["none", "add", "mul", "max", "min"])
def test_scatter_nd(reduction, tmp_path):
    idx = np.array([[1], [3], [1]] if reduction != "none" else [[1], [3], [0]], np.int64)
    upd = R.randn(3, 6).astype(np.float32)
    m = single("ScatterND", {"d": D, "u": upd}, {"reduction": reduction} if reduction != "none" else {}, opset=18,
               inits={"i": idx}, input_names=["d", "i", "u"])
    check(m, {"d": D, "u": upd}, tmp_path)


def test_scatter_nd_points(tmp_path):
    idx = np.array([[0, 1], [4, 5], [2, 2]], np.int64)
    upd = R.randn(3).astype(np.float32)
    m = single("ScatterND", {"d": D, "u": upd}, {}, inits={"i": idx}, input_names=["d", "i", "u"])
    check(m, {"d": D, "u": upd}, tmp_path)


@pytest.mark.parametrize("reduction", ["none", "add", "mul", "max", "min"])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_scatter_elements(reduction, axis, tmp_path):
    idx = R.randint(0, 5, (2, 3)).astype(np.int64)
    if reduction == "none":
        idx = np.array([[0, 1, 2], [3, 4, 0]], np.int64)
        if axis == 0:
            idx = np.array([[0, 1, 2], [3, 4, 0]], np.int64)
    upd = R.randn(2, 3).astype(np.float32)
    attrs = {"axis": axis}
    if reduction != "none":
        attrs["reduction"] = reduction
    m = single("ScatterElements", {"d": D, "u": upd}, attrs, opset=18, inits={"i": idx}, input_names=["d", "i", "u"])
    check(m, {"d": D, "u": upd}, tmp_path)


def test_scatter_elements_negative_indices(tmp_path):
    idx = np.array([[-1, 0, -2]], np.int64)
    upd = R.randn(1, 3).astype(np.float32)
    m = single("ScatterElements", {"d": D, "u": upd}, {"axis": 1}, inits={"i": idx}, input_names=["d", "i", "u"])
    check(m, {"d": D, "u": upd}, tmp_path)


@pytest.mark.parametrize("batch_dims,idx", [(0, [[1, 2], [0, 0]]), (0, [[[4], [0]]]), (1, [[1], [0], [3], [2], [4]])])
def test_gather_nd(batch_dims, idx, tmp_path):
    d = R.randn(5, 6, 2).astype(np.float32)
    check(single("GatherND", {"d": d}, {"batch_dims": batch_dims}, inits={"i": np.array(idx, np.int64)}),
          {"d": d}, tmp_path)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_gather_elements(axis, tmp_path):
    idx = R.randint(-5, 5, (4, 6)).astype(np.int64)
    check(single("GatherElements", {"d": D}, {"axis": axis}, inits={"i": idx}), {"d": D}, tmp_path)


@pytest.mark.parametrize("mode", ["linear", "circular"])
@pytest.mark.parametrize("with_idx", [False, True])
def test_tensor_scatter(mode, with_idx, tmp_path):
    cache = R.randn(2, 3, 8, 4).astype(np.float32)
    upd = R.randn(2, 3, 3, 4).astype(np.float32)
    ins = {"c": cache, "u": upd}
    if with_idx:
        ins["w"] = np.array([1, 6] if mode == "circular" else [1, 5], np.int64)
    check(single("TensorScatter", ins, {"mode": mode}, opset=24), ins, tmp_path)
