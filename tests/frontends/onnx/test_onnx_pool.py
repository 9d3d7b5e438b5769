"""Pooling against onnxruntime, including ceil_mode windows that start in the padding."""
import numpy as np
import pytest

from onnx_fe_util import check, rng, single

R = rng(6)


@pytest.mark.parametrize("size,k,s,p,ceil", [
    (5, 2, 2, 1, 1), (6, 3, 2, 1, 1), (7, 3, 2, 0, 1), (8, 3, 3, 1, 1), (10, 4, 3, 2, 1), (63, 3, 2, 0, 1),
    (31, 3, 2, 0, 1), (6, 3, 2, 1, 0), (9, 2, 2, 0, 0),
])
def test_maxpool(size, k, s, p, ceil, tmp_path):
    x = R.randn(1, 2, size, size).astype(np.float32)
    attrs = {"kernel_shape": [k, k], "strides": [s, s], "pads": [p] * 4, "ceil_mode": ceil}
    check(single("MaxPool", {"x": x}, attrs), {"x": x}, tmp_path)


def test_maxpool_indices_and_dilation(tmp_path):
    x = R.randn(2, 3, 8, 8).astype(np.float32)
    attrs = {"kernel_shape": [2, 2], "strides": [2, 2], "dilations": [2, 2]}
    check(single("MaxPool", {"x": x}, attrs, n_out=2), {"x": x}, tmp_path)


@pytest.mark.parametrize("auto_pad", ["SAME_UPPER", "SAME_LOWER", "VALID"])
def test_maxpool_auto_pad(auto_pad, tmp_path):
    x = R.randn(1, 2, 7, 7).astype(np.float32)
    check(single("MaxPool", {"x": x}, {"kernel_shape": [3, 3], "strides": [2, 2], "auto_pad": auto_pad}),
          {"x": x}, tmp_path)


@pytest.mark.parametrize("size,k,s,p,ceil,cip", [
    (5, 2, 2, 1, 1, 0), (5, 2, 2, 1, 1, 1), (6, 3, 2, 1, 1, 1), (6, 3, 2, 1, 1, 0), (8, 3, 3, 1, 1, 1),
    (10, 4, 3, 2, 1, 1), (7, 3, 2, 1, 0, 1), (7, 3, 2, 1, 0, 0), (7, 3, 2, 0, 1, 0),
])
def test_avgpool(size, k, s, p, ceil, cip, tmp_path):
    x = R.randn(1, 2, size, size).astype(np.float32)
    attrs = {"kernel_shape": [k, k], "strides": [s, s], "pads": [p] * 4, "ceil_mode": ceil,
             "count_include_pad": cip}
    check(single("AveragePool", {"x": x}, attrs, opset=19), {"x": x}, tmp_path)


@pytest.mark.parametrize("op,attrs", [("GlobalAveragePool", {}), ("GlobalMaxPool", {}),
                                      ("GlobalLpPool", {"p": 2}), ("GlobalLpPool", {"p": 1}),
                                      ("GlobalLpPool", {"p": 3})])
def test_global_pool(op, attrs, tmp_path):
    x = R.randn(2, 3, 5, 4).astype(np.float32)
    check(single(op, {"x": x}, attrs), {"x": x}, tmp_path, rtol=1e-4)


@pytest.mark.parametrize("p", [1, 2])
def test_lppool(p, tmp_path):
    x = R.randn(1, 2, 6, 6).astype(np.float32)
    check(single("LpPool", {"x": x}, {"kernel_shape": [2, 2], "strides": [2, 2], "p": p, "pads": [1, 1, 1, 1]},
                 opset=18), {"x": x}, tmp_path, rtol=1e-4)


@pytest.mark.parametrize("cip", [0, 1])
@pytest.mark.parametrize("ceil", [0, 1])
@pytest.mark.parametrize("pads", [[0, 0, 0, 0], [2, 1, 2, 1]])
def test_avgpool_dilations(cip, ceil, pads, tmp_path):
    x = R.randn(1, 2, 9, 9).astype(np.float32)
    attrs = {"kernel_shape": [3, 3], "strides": [2, 2], "dilations": [2, 2], "pads": pads, "count_include_pad": cip,
             "ceil_mode": ceil}
    check(single("AveragePool", {"x": x}, attrs, opset=19), {"x": x}, tmp_path)


def test_lppool_dilations(tmp_path):
    x = R.randn(1, 2, 8, 8).astype(np.float32)
    check(single("LpPool", {"x": x}, {"kernel_shape": [2, 2], "dilations": [2, 2], "p": 2}, opset=18), {"x": x},
          tmp_path, rtol=1e-4)


@pytest.mark.parametrize("with_shape", [False, True])
def test_max_unpool(with_shape, tmp_path):
    from onnx_fe_util import helper, make_model
    x = R.randn(1, 2, 6, 6).astype(np.float32)
    nodes = [helper.make_node("MaxPool", ["x"], ["p", "i"], kernel_shape=[2, 2], strides=[2, 2]),
             helper.make_node("MaxUnpool", ["p", "i"] + (["s"] if with_shape else []), ["y"],
                              kernel_shape=[2, 2], strides=[2, 2])]
    inits = {"s": np.array([1, 2, 7, 7], np.int64)} if with_shape else {}
    model = make_model(nodes, {"x": x}, ["y"], inits, opset=11)
    if not with_shape:
        check(model, {"x": x}, tmp_path)
        return
    # with output_shape the indices still address the default (6x6) unpooled tensor, which the
    # output then extends with zeros (ONNX's reference and backend test; onnxruntime differs)
    from onnx.reference import ReferenceEvaluator
    from helpers import run_ir
    from onnx_fe_util import to_graph
    ref = ReferenceEvaluator(model).run(None, {"x": x})[0]
    np.testing.assert_array_equal(run_ir(to_graph(model, tmp_path), {"x": x})["y"], ref)

