"""Element-wise arithmetic, comparison, logical and unary math ops against onnxruntime."""
import numpy as np
import pytest

from onnx_fe_util import check, make_model, helper, rng, single

R = rng(1)
A = R.randn(2, 3, 4).astype(np.float32)
B = R.randn(3, 4).astype(np.float32)


@pytest.mark.parametrize("op", ["Add", "Sub", "Mul", "Div", "Max", "Min", "Sum", "Mean"])
def test_binary_float(op, tmp_path):
    check(single(op, {"a": A, "b": B}), {"a": A, "b": B}, tmp_path)


@pytest.mark.parametrize("op", ["Equal", "Greater", "Less", "GreaterOrEqual", "LessOrEqual"])
def test_compare(op, tmp_path):
    a = np.round(A * 2) / 2
    b = np.round(B * 2) / 2
    check(single(op, {"a": a, "b": b}), {"a": a, "b": b}, tmp_path)


@pytest.mark.parametrize("op", ["And", "Or", "Xor"])
def test_logical(op, tmp_path):
    a, b = A > 0, B > 0
    check(single(op, {"a": a, "b": b}), {"a": a, "b": b}, tmp_path)


def test_not(tmp_path):
    a = A > 0
    check(single("Not", {"a": a}), {"a": a}, tmp_path)


def test_integer_div_truncates(tmp_path):
    a = np.array([7, -7, 7, -7, 0, 9], np.int32)
    b = np.array([2, 2, -2, -2, 3, -4], np.int32)
    check(single("Div", {"a": a, "b": b}), {"a": a, "b": b}, tmp_path)


@pytest.mark.parametrize("fmod", [0, 1])
def test_mod(fmod, tmp_path):
    a = np.array([7, -7, 7, -7, 5, -4], np.int64)
    b = np.array([3, 3, -3, -3, 5, 3], np.int64)
    check(single("Mod", {"a": a, "b": b}, {"fmod": fmod}), {"a": a, "b": b}, tmp_path)


def test_fmod_float(tmp_path):
    a, b = A * 5, B + 3
    check(single("Mod", {"a": a, "b": b}, {"fmod": 1}), {"a": a, "b": b}, tmp_path)


def test_pow_mixed_types(tmp_path):
    a = np.abs(A) + 0.5
    e = np.array([2, 3, 1, 0], np.int64)
    check(single("Pow", {"a": a}, inits={"e": e}), {"a": a}, tmp_path, rtol=1e-4)


@pytest.mark.parametrize("op,data", [
    ("Abs", A), ("Neg", A), ("Exp", A), ("Log", np.abs(A) + 0.1), ("Sqrt", np.abs(A)), ("Floor", A * 3),
    ("Ceil", A * 3), ("Sin", A), ("Cos", A), ("Tan", A * 0.5), ("Asin", np.tanh(A)), ("Acos", np.tanh(A)),
    ("Atan", A), ("Sinh", A), ("Cosh", A), ("Asinh", A), ("Acosh", np.abs(A) + 1), ("Atanh", np.tanh(A) * 0.9),
    ("Erf", A), ("Sign", np.round(A)), ("Reciprocal", A + 5),
    ("Round", np.array([0.5, 1.5, 2.5, -0.5, -1.5, 2.4, 2.6], np.float32)),
])
def test_unary(op, data, tmp_path):
    check(single(op, {"x": data}), {"x": data}, tmp_path)


def test_isnan_isinf(tmp_path):
    x = np.array([1.0, np.nan, np.inf, -np.inf, 0.0], np.float32)
    nodes = [helper.make_node("IsNaN", ["x"], ["nan"]),
             helper.make_node("IsInf", ["x"], ["inf"]),
             helper.make_node("IsInf", ["x"], ["pinf"], detect_negative=0),
             helper.make_node("IsInf", ["x"], ["ninf"], detect_positive=0)]
    m = make_model(nodes, {"x": x}, ["nan", "inf", "pinf", "ninf"])
    check(m, {"x": x}, tmp_path)


@pytest.mark.parametrize("op", ["BitwiseAnd", "BitwiseOr", "BitwiseXor"])
def test_bitwise(op, tmp_path):
    a = np.array([1, 6, 255, 12], np.int32)
    b = np.array([3, 5, 15, 10], np.int32)
    check(single(op, {"a": a, "b": b}, opset=18), {"a": a, "b": b}, tmp_path)


def test_bitshift(tmp_path):
    a = np.array([1, 6, 255, 12], np.uint8)
    b = np.array([1, 2, 3, 0], np.uint8)
    nodes = [helper.make_node("BitShift", ["a", "b"], ["l"], direction="LEFT"),
             helper.make_node("BitShift", ["a", "b"], ["r"], direction="RIGHT")]
    check(make_model(nodes, {"a": a, "b": b}, ["l", "r"]), {"a": a, "b": b}, tmp_path)


def test_legacy_broadcast_axis(tmp_path):
    # opset 6: B aligned to A from `axis` (B [3] along axis 1 of A [2, 3, 4])
    a = A
    b = np.array([1.0, 2.0, 3.0], np.float32)
    m = make_model([helper.make_node("Add", ["a", "b"], ["y"], broadcast=1, axis=1)], {"a": a}, ["y"],
                   {"b": b}, opset=6, ir_version=3)
    from onnx_fe_util import to_graph
    from helpers import run_ir
    got = run_ir(to_graph(m, tmp_path), {"a": a})["y"]
    np.testing.assert_allclose(got, a + b.reshape(1, 3, 1), rtol=1e-6)
