"""Identity, Dropout, Constant, Softmax family (coerced 2-D before opset 13), TopK, CumSum,
NonZero, OneHot, Einsum, EyeLike, Trilu, window functions, RMSNormalization."""
import numpy as np
import pytest

from onnx_fe_util import check, helper, make_model, numpy_helper, rng, single

R = rng(15)
X = R.randn(2, 3, 4, 5).astype(np.float32)


@pytest.mark.parametrize("op", ["Softmax", "LogSoftmax", "Hardmax"])
@pytest.mark.parametrize("opset,axis", [(11, 1), (11, -1), (11, 0), (11, 2), (13, 1), (13, -1), (13, 0), (11, None),
                                        (13, None)])
def test_softmax_family(op, opset, axis, tmp_path):
    x = np.round(X * 2) / 2 if op == "Hardmax" else X
    check(single(op, {"x": x}, {"axis": axis} if axis is not None else {}, opset=opset), {"x": x}, tmp_path,
          rtol=1e-5, atol=1e-6)


def test_softmax_opset11_dynamic_shape(tmp_path):
    m = make_model([helper.make_node("Softmax", ["x"], ["y"], axis=1)], {"x": (np.float32, ["n", 3, "h", 5])}, ["y"],
                   opset=11)
    check(m, {"x": X}, tmp_path, rtol=1e-5, atol=1e-6)


def test_identity_dropout(tmp_path):
    nodes = [helper.make_node("Identity", ["x"], ["a"]), helper.make_node("Dropout", ["x"], ["b", "mask"]),
             helper.make_node("Dropout", ["x", "r"], ["c"])]
    m = make_model(nodes, {"x": X}, ["a", "b", "mask", "c"], {"r": np.array(0.3, np.float32)}, opset=13)
    check(m, {"x": X}, tmp_path)


def test_constant_forms(tmp_path):
    nodes = [helper.make_node("Constant", [], ["t"], value=numpy_helper.from_array(np.arange(6, dtype=np.float32)
                                                                                   .reshape(2, 3))),
             helper.make_node("Constant", [], ["f"], value_float=2.5),
             helper.make_node("Constant", [], ["fs"], value_floats=[1.0, 2.0]),
             helper.make_node("Constant", [], ["i"], value_int=7),
             helper.make_node("Constant", [], ["is"], value_ints=[1, 2, 3]),
             helper.make_node("Add", ["x", "f"], ["y"])]
    check(make_model(nodes, {"x": X}, ["t", "f", "fs", "i", "is", "y"], opset=13), {"x": X}, tmp_path)


@pytest.mark.parametrize("attrs", [{}, {"axis": 1, "largest": 0}, {"axis": -2}])
def test_topk(attrs, tmp_path):
    x = np.round(X * 2)  # ties: lower index first
    check(single("TopK", {"x": x}, attrs, n_out=2, inits={"k": np.array([3], np.int64)}), {"x": x}, tmp_path)


def test_topk_opset1(tmp_path):
    m = make_model([helper.make_node("TopK", ["x"], ["v", "i"], k=2, axis=1)], {"x": X}, ["v", "i"], opset=1,
                   ir_version=3)
    from onnx_fe_util import to_graph
    from helpers import run_ir
    got = run_ir(to_graph(m, tmp_path), {"x": X})
    np.testing.assert_array_equal(got["i"], np.argsort(-X, axis=1, kind="stable")[:, :2])


@pytest.mark.parametrize("exclusive,reverse", [(0, 0), (1, 0), (0, 1), (1, 1)])
def test_cumsum(exclusive, reverse, tmp_path):
    check(single("CumSum", {"x": X}, {"exclusive": exclusive, "reverse": reverse},
                 inits={"a": np.array(2, np.int32)}), {"x": X}, tmp_path, rtol=1e-5)


def test_nonzero(tmp_path):
    x = (R.rand(3, 4) > 0.5).astype(np.float32)
    check(single("NonZero", {"x": x}), {"x": x}, tmp_path)


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_onehot(axis, tmp_path):
    idx = np.array([[0, 2, -1], [4, 1, -5]], np.int64)
    inits = {"d": np.array([5], np.int64), "v": np.array([-1.0, 3.0], np.float32)}
    check(single("OneHot", {"i": idx}, {"axis": axis}, inits=inits), {"i": idx}, tmp_path)


@pytest.mark.parametrize("eq,shapes", [("ij,jk->ik", [(3, 4), (4, 5)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
                                       ("ii->i", [(4, 4)]), ("i j , j -> i", [(3, 4), (4,)]),
                                       ("...ij->...ji", [(2, 3, 4)])])
def test_einsum(eq, shapes, tmp_path):
    ins = {"a%d" % i: R.randn(*s).astype(np.float32) for i, s in enumerate(shapes)}
    check(single("Einsum", ins, {"equation": eq}), ins, tmp_path, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("k", [0, 1, -2])
def test_eyelike(k, tmp_path):
    x = R.randn(4, 5).astype(np.float32)
    check(single("EyeLike", {"x": x}, {"k": k}), {"x": x}, tmp_path)
    m = make_model([helper.make_node("EyeLike", ["x"], ["y"], k=k, dtype=7)], {"x": (np.float32, ["a", "b"])}, ["y"])
    check(m, {"x": x}, tmp_path)


@pytest.mark.parametrize("upper", [0, 1])
@pytest.mark.parametrize("k", [None, 1, -1])
def test_trilu(upper, k, tmp_path):
    inits = {"k": np.array(k, np.int64)} if k is not None else None
    check(single("Trilu", {"x": X}, {"upper": upper}, inits=inits), {"x": X}, tmp_path)


@pytest.mark.parametrize("op", ["HannWindow", "HammingWindow", "BlackmanWindow"])
@pytest.mark.parametrize("periodic", [0, 1])
def test_windows(op, periodic, tmp_path):
    n = np.array(10, np.int64)
    check(single(op, {}, {"periodic": periodic}, inits={"n": n}), {}, tmp_path, rtol=1e-5, atol=1e-6)
    check(single(op, {"n": n}, {"periodic": periodic}), {"n": n}, tmp_path, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("axis", [-1, -2, 1])
def test_rms_normalization(axis, tmp_path):
    scale = R.rand(*X.shape[axis:]).astype(np.float32)
    check(single("RMSNormalization", {"x": X}, {"axis": axis, "epsilon": 1e-3}, opset=23, inits={"s": scale}),
          {"x": X}, tmp_path, rtol=1e-4, atol=1e-5)


def test_center_crop_pad(tmp_path):
    x = R.randn(5, 6, 3).astype(np.float32)
    check(single("CenterCropPad", {"x": x}, {"axes": [0, 1]}, opset=18, inits={"s": np.array([3, 9], np.int64)}),
          {"x": x}, tmp_path)
    check(single("CenterCropPad", {"x": x}, {}, opset=18, inits={"s": np.array([4, 3, 6], np.int64)}),
          {"x": x}, tmp_path)


@pytest.mark.parametrize("cond", [True, False])
def test_if_with_constant_condition(cond, tmp_path):
    then_g = helper.make_graph([helper.make_node("Relu", ["x"], ["t"]), helper.make_node("Add", ["t", "c"], ["out"])],
                               "then", [], [helper.make_empty_tensor_value_info("out")],
                               [numpy_helper.from_array(np.array(1.0, np.float32), "c")])
    else_g = helper.make_graph([helper.make_node("Neg", ["x"], ["out"])], "else", [],
                               [helper.make_empty_tensor_value_info("out")])
    nodes = [helper.make_node("If", ["cond"], ["y"], then_branch=then_g, else_branch=else_g)]
    m = make_model(nodes, {"x": X}, ["y"], {"cond": np.array(cond)})
    check(m, {"x": X}, tmp_path)
