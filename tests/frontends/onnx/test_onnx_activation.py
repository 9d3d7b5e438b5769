"""Activations against onnxruntime."""
import numpy as np
import pytest

from onnx_fe_util import check, ir_ops, make_model, helper, rng, single

X = rng(2).randn(2, 3, 4, 5).astype(np.float32) * 3


@pytest.mark.parametrize("op,attrs,opset", [
    ("Relu", {}, 17), ("Sigmoid", {}, 17), ("Tanh", {}, 17), ("Softplus", {}, 17), ("Softsign", {}, 17),
    ("HardSwish", {}, 17), ("Mish", {}, 18), ("Elu", {"alpha": 0.7}, 17), ("Selu", {}, 17),
    ("Selu", {"alpha": 1.5, "gamma": 2.0}, 17), ("Celu", {"alpha": 2.0}, 17), ("Celu", {}, 17),
    ("ThresholdedRelu", {"alpha": 0.5}, 17), ("HardSigmoid", {"alpha": 0.3, "beta": 0.4}, 17),
    ("HardSigmoid", {}, 17), ("LeakyRelu", {"alpha": 0.2}, 17), ("LeakyRelu", {}, 17),
    ("Gelu", {}, 20), ("Gelu", {"approximate": "tanh"}, 20), ("Shrink", {"lambd": 1.0, "bias": 0.5}, 17),
])
def test_activation(op, attrs, opset, tmp_path):
    check(single(op, {"x": X}, attrs, opset=opset), {"x": X}, tmp_path)


@pytest.mark.parametrize("slope_shape", [(1,), (5,), (3, 1, 1), (1, 3, 4, 5), ()])
def test_prelu_numpy_broadcast(slope_shape, tmp_path):
    slope = np.asarray(rng(3).rand(*slope_shape), np.float32)
    check(single("PRelu", {"x": X}, inits={"s": slope}), {"x": X}, tmp_path)


def test_prelu_1d_channel_slope_is_not_per_channel(tmp_path):
    # [C] slope with W == C broadcasts along the last axis (numpy), not along axis 1
    x = rng(4).randn(1, 3, 2, 3).astype(np.float32)
    slope = np.array([0.1, 0.2, 0.3], np.float32)
    check(single("PRelu", {"x": x}, inits={"s": slope}), {"x": x}, tmp_path)


def test_clip_opset6_attrs(tmp_path):
    check(single("Clip", {"x": X}, {"min": -1.0, "max": 2.0}, opset=6), {"x": X}, tmp_path)


def test_clip_inputs(tmp_path):
    m = single("Clip", {"x": X}, inits={"lo": np.array(-1.0, np.float32), "hi": np.array(2.0, np.float32)})
    g, _, _ = check(m, {"x": X}, tmp_path)
    assert "Clamp" in ir_ops(g)


def test_clip_only_min_and_only_max(tmp_path):
    nodes = [helper.make_node("Clip", ["x", "lo"], ["a"]), helper.make_node("Clip", ["x", "", "hi"], ["b"]),
             helper.make_node("Clip", ["x"], ["c"])]
    m = make_model(nodes, {"x": X}, ["a", "b", "c"],
                   {"lo": np.array(-1.0, np.float32), "hi": np.array(2.0, np.float32)})
    check(m, {"x": X}, tmp_path)


def test_clip_dynamic_bounds(tmp_path):
    lo, hi = np.array(-0.5, np.float32), np.array(1.5, np.float32)
    m = single("Clip", {"x": X, "lo": lo, "hi": hi})
    check(m, {"x": X, "lo": lo, "hi": hi}, tmp_path)


def test_clip_int(tmp_path):
    x = np.arange(-5, 5, dtype=np.int32)
    m = single("Clip", {"x": x}, inits={"lo": np.array(-2, np.int32), "hi": np.array(3, np.int32)})
    check(m, {"x": x}, tmp_path)


def test_decomposed_activations_translate_literally(tmp_path):
    # x * sigmoid(x) and relu6(x + 3) / 6: translated op by op (fusion is the core's job)
    nodes = [helper.make_node("Sigmoid", ["x"], ["s"]), helper.make_node("Mul", ["x", "s"], ["swish"]),
             helper.make_node("Add", ["x", "three"], ["x3"]), helper.make_node("Clip", ["x3", "zero", "six"], ["r6"]),
             helper.make_node("Div", ["r6", "six"], ["hsig"])]
    f = lambda v: np.array(v, np.float32)  # noqa: E731
    m = make_model(nodes, {"x": X}, ["swish", "hsig"], {"three": f(3), "zero": f(0), "six": f(6)}, opset=13)
    check(m, {"x": X}, tmp_path)
