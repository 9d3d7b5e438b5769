"""Det, CumProd (decomposed: ops/linalg.py), Unique (ops/unique.py) and Col2Im (ops/col2im.py)
against onnxruntime or, where onnxruntime lacks the op, ONNX's reference implementation."""
import numpy as np
import pytest

from irconv import IrconvError
from onnx_fe_util import check, helper, ir_ops, make_model, rng, run_ir, to_graph


# ----------------------------------------------------------------------------------------- Det

def _singular():
    m = rng(5).randn(3, 3).astype(np.float32)
    m[2] = m[0] * 2 - m[1]
    return m


DET = [
    rng(1).randn(2, 2).astype(np.float32),
    rng(2).randn(3, 4, 4).astype(np.float32),
    rng(3).randn(2, 3, 5, 5).astype(np.float32),
    np.array([[0, 1, 2], [3, 0, 1], [4, 5, 0]], np.float32),      # zero pivots: row swaps needed
    np.array([[0, 0, 1], [0, 1, 0], [1, 0, 0]], np.float32),      # a permutation matrix (det -1)
    np.zeros((2, 2), np.float32),
    _singular(),
    rng(4).randn(6, 6).astype(np.float64),
    np.array([[2.5]], np.float32),
]


@pytest.mark.parametrize("x", DET)
def test_det(x, tmp_path):
    m = make_model([helper.make_node("Det", ["x"], ["y"])], {"x": x}, ["y"], opset=22)
    if x.dtype == np.float32:
        check(m, {"x": x}, tmp_path, rtol=1e-4, atol=1e-5)
    got = run_ir(to_graph(m, tmp_path), {"x": x})["y"]  # onnxruntime has no f64 Det
    assert got.dtype == x.dtype and got.shape == x.shape[:-2]
    np.testing.assert_allclose(got, np.linalg.det(x.astype(np.float64)), rtol=1e-4, atol=1e-5)


def test_det_dynamic_batch(tmp_path):
    x = rng(6).randn(5, 3, 3).astype(np.float32)
    m = make_model([helper.make_node("Det", ["x"], ["y"])], {"x": (np.float32, ["n", 3, 3])}, ["y"], opset=22)
    check(m, {"x": x}, tmp_path, rtol=1e-4, atol=1e-5)


def test_det_needs_static_size(tmp_path):
    m = make_model([helper.make_node("Det", ["x"], ["y"])], {"x": (np.float32, [2, "m", "m"])}, ["y"], opset=22)
    with pytest.raises(IrconvError, match="static matrix size"):
        to_graph(m, tmp_path)


# ----------------------------------------------------------------------------------------- CumProd

def _ref(model, feeds):
    from onnx.reference import ReferenceEvaluator
    return ReferenceEvaluator(model).run(None, feeds)[0]


CUMPROD = [
    (np.array([1, 2, 3, 4, 5], np.float32), 0),
    (rng(7).uniform(0.5, 1.5, (3, 7, 4)).astype(np.float32), 1),
    (rng(8).uniform(0.5, 1.5, (3, 7, 4)).astype(np.float32), -1),
    (rng(9).randint(-3, 4, (4, 9)).astype(np.int32), 1),
    (rng(10).randint(-3, 4, (17, 2)).astype(np.int64), 0),
]


@pytest.mark.parametrize("x,axis", CUMPROD)
@pytest.mark.parametrize("exclusive,reverse", [(0, 0), (1, 0), (0, 1), (1, 1)])
@pytest.mark.parametrize("runtime_axis", [False, True])
def test_cumprod(x, axis, exclusive, reverse, runtime_axis, tmp_path):
    node = helper.make_node("CumProd", ["x", "axis"], ["y"], exclusive=exclusive, reverse=reverse)
    ax = np.array(axis, np.int64)
    if runtime_axis:
        m = make_model([node], {"x": x, "axis": ax}, ["y"], opset=26)
        feeds = {"x": x, "axis": ax}
    else:
        m = make_model([node], {"x": x}, ["y"], {"axis": ax}, opset=26)
        feeds = {"x": x}
    exp = _ref(m, feeds)
    got = run_ir(to_graph(m, tmp_path), feeds)["y"]
    assert got.shape == exp.shape and got.dtype == exp.dtype
    np.testing.assert_allclose(got, exp, rtol=1e-5)


def test_cumprod_log_steps(tmp_path):
    x = rng(11).uniform(0.9, 1.1, (1000,)).astype(np.float32)
    m = make_model([helper.make_node("CumProd", ["x", "axis"], ["y"])], {"x": x}, ["y"],
                   {"axis": np.array(0, np.int64)}, opset=26)
    g = to_graph(m, tmp_path)
    assert ir_ops(g).get("Multiply", 0) == 10  # ceil(log2(1000)) steps, not 999
    np.testing.assert_allclose(run_ir(g, {"x": x})["y"], np.cumprod(x.astype(np.float64)), rtol=1e-4)


# ----------------------------------------------------------------------------------------- Unique

UNIQUE = [
    (np.array([2, 1, 1, 3, 4, 3], np.float32), None, 1),
    (np.array([2, 1, 1, 3, 4, 3], np.float32), None, 0),
    (np.array([[1, 0, 0], [1, 0, 0], [2, 3, 4]], np.float32), 0, 1),
    (np.array([[[1, 1], [0, 1], [2, 1], [0, 1]], [[1, 1], [0, 1], [2, 1], [0, 1]]], np.float32), 1, 1),
    (np.array([[1, 0, 0], [1, 0, 0], [2, 3, 3]], np.int64), -1, 1),
    (np.array([[5, 3], [5, 3], [1, 9]], np.int32), 0, 0),
]


@pytest.mark.parametrize("x,axis,sorted_", UNIQUE)
def test_unique(x, axis, sorted_, tmp_path):
    attrs = {"sorted": sorted_}
    if axis is not None:
        attrs["axis"] = axis
    node = helper.make_node("Unique", ["x"], ["y", "idx", "inv", "cnt"], **attrs)
    m = make_model([node], {"x": x}, ["y", "idx", "inv", "cnt"], opset=11)
    if x.dtype != np.int32:
        check(m, {"x": x}, tmp_path)
    from onnx.reference import ReferenceEvaluator
    exp = ReferenceEvaluator(m).run(None, {"x": x})
    got = run_ir(to_graph(m, tmp_path), {"x": x})
    for name, e in zip(["y", "idx", "inv", "cnt"], exp):
        np.testing.assert_array_equal(got[name], e.reshape(got[name].shape), err_msg=name)


# ----------------------------------------------------------------------------------------- Col2Im

COL2IM = [
    ((1, 5, 5), [5, 5], [1, 5], {}),
    ((2, 12, 24), [5, 6], [2, 2], {"dilations": [2, 1], "pads": [1, 0, 0, 1]}),
    ((1, 9, 4), [5, 5], [3, 3], {"strides": [2, 2]}),
    ((2, 8, 20), [6, 5], [2, 2], {}),
]


@pytest.mark.parametrize("shape,image,block,attrs", COL2IM)
@pytest.mark.parametrize("runtime", [False, True])
def test_col2im(shape, image, block, attrs, runtime, tmp_path):
    x = rng(12).randn(*shape).astype(np.float32)
    node = helper.make_node("Col2Im", ["x", "image", "block"], ["y"], **attrs)
    im, bl = np.array(image, np.int64), np.array(block, np.int64)
    if runtime:
        m = make_model([node], {"x": x, "image": im, "block": bl}, ["y"], opset=18)
        feeds = {"x": x, "image": im, "block": bl}
    else:
        m = make_model([node], {"x": x}, ["y"], {"image": im, "block": bl}, opset=18)
        feeds = {"x": x}
    check(m, feeds, tmp_path)


ND = [
    ((1, 10, 12), [3, 4, 5], [1, 1, 5], {}),
    ((2, 24, 36), [4, 5, 3], [2, 2, 2], {"strides": [1, 2, 1], "dilations": [1, 1, 2], "pads": [0, 1, 1, 1, 0, 1]}),
    ((2, 6, 4), [7], [3], {"strides": [2], "pads": [1, 2]}),
    ((1, 16, 16), [3, 3, 3, 3], [2, 2, 2, 2], {}),
]


@pytest.mark.parametrize("shape,image,block,attrs", ND)
@pytest.mark.parametrize("runtime", [False, True])
def test_col2im_nd(shape, image, block, attrs, runtime, tmp_path):
    from onnx.reference import ReferenceEvaluator
    x = rng(13).randn(*shape).astype(np.float32)
    node = helper.make_node("Col2Im", ["x", "image", "block"], ["y"], **attrs)
    im, bl = np.array(image, np.int64), np.array(block, np.int64)
    if runtime:
        m = make_model([node], {"x": x, "image": im, "block": bl}, ["y"], opset=18)
        feeds = {"x": x, "image": im, "block": bl}
    else:
        m = make_model([node], {"x": x}, ["y"], {"image": im, "block": bl}, opset=18)
        feeds = {"x": x}
    exp = ReferenceEvaluator(m).run(None, feeds)[0]
    got = run_ir(to_graph(m, tmp_path), feeds)["y"]
    assert got.shape == exp.shape
    np.testing.assert_allclose(got, exp, rtol=1e-5, atol=1e-5)
