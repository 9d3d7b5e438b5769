"""Reduce ops (axes attribute / input by opset), ArgMax/ArgMin."""
import numpy as np
import pytest

from onnx_fe_util import check, rng, single

X = rng(7).randn(2, 3, 4, 5).astype(np.float32)
OPS = ["ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
       "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"]


def _x(op):
    return np.abs(X) + 0.1 if op == "ReduceLogSum" else X


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("axes,keep", [([1], 1), ([2, 3], 0), ([-1], 0), (None, 0), (None, 1)])
def test_reduce_axes_attribute_opset13(op, axes, keep, tmp_path):
    x = _x(op)
    attrs = {"keepdims": keep}
    if op == "ReduceSum":  # axes are an input from opset 13
        inits = {"axes": np.array(axes, np.int64)} if axes is not None else None
        m = single(op, {"x": x}, attrs, opset=13, inits=inits)
    else:
        if axes is not None:
            attrs["axes"] = axes
        m = single(op, {"x": x}, attrs, opset=13)
    check(m, {"x": x}, tmp_path, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("axes,keep", [([1], 1), ([2, 3], 0), ([-1], 0), (None, 0)])
def test_reduce_axes_input_opset18(op, axes, keep, tmp_path):
    x = _x(op)
    inits = {"axes": np.array(axes, np.int64)} if axes is not None else None
    check(single(op, {"x": x}, {"keepdims": keep}, opset=18, inits=inits), {"x": x}, tmp_path, rtol=1e-4, atol=1e-4)


def test_reduce_noop_with_empty_axes(tmp_path):
    check(single("ReduceSum", {"x": X}, {"noop_with_empty_axes": 1}, opset=18), {"x": X}, tmp_path)


def test_reduce_axes_runtime_input(tmp_path):
    # keepdims=1: with runtime axes and keepdims=0 OpenVINO infers a dynamic rank, which its CPU
    # plugin refuses for Reduce ops
    axes = np.array([1, 3], np.int64)
    check(single("ReduceMean", {"x": X, "axes": axes}, {"keepdims": 1}, opset=18), {"x": X, "axes": axes}, tmp_path)


def test_logsumexp_large_values(tmp_path):
    x = X * 100
    check(single("ReduceLogSumExp", {"x": x}, {"axes": [3], "keepdims": 0}, opset=13), {"x": x}, tmp_path,
          rtol=1e-5)


@pytest.mark.parametrize("op", ["ArgMax", "ArgMin"])
@pytest.mark.parametrize("attrs", [{}, {"axis": 2, "keepdims": 0}, {"axis": -1, "select_last_index": 1},
                                   {"axis": 1, "keepdims": 0, "select_last_index": 1}])
def test_arg(op, attrs, tmp_path):
    x = np.round(X)  # ties
    check(single(op, {"x": x}, attrs), {"x": x}, tmp_path)


@pytest.mark.parametrize("op", ["ReduceMax", "ReduceMin"])
def test_reduce_bool(op, tmp_path):
    x = rng(3).rand(3, 4) > 0.5
    check(single(op, {"x": x}, {"keepdims": 0}, opset=20, inits={"axes": np.array([1], np.int64)}), {"x": x}, tmp_path)
