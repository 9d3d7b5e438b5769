"""Normalization ops against onnxruntime."""
import numpy as np
import pytest

from onnx_fe_util import check, helper, make_model, rng, single

R = rng(9)
X = R.randn(2, 6, 5, 4).astype(np.float32)
C = lambda *s: R.rand(*s).astype(np.float32) + 0.5  # noqa: E731


@pytest.mark.parametrize("opset", [7, 9, 15])
def test_batch_norm(opset, tmp_path):
    inits = {"s": C(6), "b": C(6), "m": C(6), "v": C(6)}
    m = single("BatchNormalization", {"x": X}, {"epsilon": 1e-3}, opset=opset, inits=inits)
    check(m, {"x": X}, tmp_path, rtol=1e-4, atol=1e-5)


def test_batch_norm_2d_input(tmp_path):
    x = R.randn(4, 6).astype(np.float32)
    inits = {"s": C(6), "b": C(6), "m": C(6), "v": C(6)}
    check(single("BatchNormalization", {"x": x}, {}, inits=inits), {"x": x}, tmp_path)


def test_instance_norm(tmp_path):
    check(single("InstanceNormalization", {"x": X}, {"epsilon": 1e-4}, inits={"s": C(6), "b": C(6)}), {"x": X},
          tmp_path, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("axis", [-1, -2, 1])
def test_layer_norm(axis, tmp_path):
    shape = X.shape[axis:] if axis < 0 else X.shape[axis:]
    nodes = [helper.make_node("LayerNormalization", ["x", "s", "b"], ["y", "mean", "istd"], axis=axis,
                              epsilon=1e-5)]
    m = make_model(nodes, {"x": X}, ["y", "mean", "istd"], {"s": C(*shape), "b": C(*shape)}, opset=17)
    check(m, {"x": X}, tmp_path, rtol=1e-4, atol=1e-4)


def test_layer_norm_no_bias(tmp_path):
    check(single("LayerNormalization", {"x": X}, {}, opset=17, inits={"s": C(4)}), {"x": X}, tmp_path,
          rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("opset", [18, 21])
def test_group_norm(opset, tmp_path):
    groups = 3
    n = groups if opset < 21 else 6
    m = single("GroupNormalization", {"x": X}, {"num_groups": groups, "epsilon": 1e-5}, opset=opset,
               inits={"s": C(n), "b": C(n)})
    check(m, {"x": X}, tmp_path, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("size,bias", [(3, 1.5), (5, 1.0), (5, 0.7)])
def test_lrn(size, bias, tmp_path):
    check(single("LRN", {"x": X}, {"size": size, "alpha": 1e-2, "beta": 0.6, "bias": bias}), {"x": X}, tmp_path,
          rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("p,axis", [(2, 1), (1, -1), (2, 0)])
def test_lp_norm(p, axis, tmp_path):
    x = X.copy()
    x[0, :, 0, 0] = 0  # a zero vector along axis 1
    check(single("LpNormalization", {"x": x}, {"p": p, "axis": axis}), {"x": x}, tmp_path, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("axes", [None, [1], [0, 1, 2, 3]])
def test_mvn(axes, tmp_path):
    check(single("MeanVarianceNormalization", {"x": X}, {"axes": axes} if axes else {}), {"x": X}, tmp_path,
          rtol=1e-4, atol=1e-4)


def test_batch_norm_training_mode(tmp_path):
    inits = {"s": C(6), "b": C(6), "m": C(6), "v": C(6)}
    node = helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y", "rm", "rv"], training_mode=1,
                            momentum=0.8)
    check(make_model([node], {"x": X}, ["y", "rm", "rv"], inits, opset=15), {"x": X}, tmp_path, rtol=1e-4, atol=1e-4)
