"""Elementwise, activation, comparison/logical/bitwise and conversion op schemas.

Shapes/types irconv infers must equal what OpenVINO infers when it reads the saved IR; the eval
kernels (constant folding / known values) must give what OpenVINO computes for the same IR with
constant inputs."""
import numpy as np
import pytest

from irconv import IrconvError, _core
from helpers import ov_shape, read_ir, run_ir

RNG = np.random.default_rng(7)

NP = {"f32": np.float32, "f16": np.float16, "f64": np.float64, "i8": np.int8, "u8": np.uint8,
      "i32": np.int32, "i64": np.int64, "boolean": np.bool_}


# ----------------------------------------------------------------------------------------------
# helpers

def infer_vs_ov(type_, inputs, attrs=None, version=""):
    """inputs: list of (element type, shape) Parameters or numpy arrays (Consts). Returns the
    (shape, type) irconv inferred after checking it equals OpenVINO's."""
    g = _core.Graph("infer")
    ins = []
    for i, x in enumerate(inputs):
        if isinstance(x, np.ndarray):
            ins.append(g.constant(np.array(x, order="C"), name="c%d" % i).output(0))
        else:
            ins.append(g.parameter("p%d" % i, x[0], x[1]).output(0))
    n = g.op(type_, ins, attrs or {}, name="op", version=version)
    ours = (n.output(0).shape, n.output(0).element_type)
    g.result(n.output(0), name="out")
    m = read_ir(g)
    p = m.outputs[0]
    theirs = (ov_shape(p), p.get_element_type().get_type_name())
    assert ours == theirs, "%s: irconv %s vs OpenVINO %s" % (type_, ours, theirs)
    return ours


def ov_reference_fold(g):
    """OpenVINO's own ConstantFolding (its reference kernels) on the saved IR: the oracle for i64
    results, which the CPU plugin computes in i32."""
    from openvino.passes import ConstantFolding, Manager
    m = read_ir(g)
    mgr = Manager()
    mgr.register_pass(ConstantFolding())
    mgr.run_passes(m)
    src = m.get_results()[0].input_value(0).get_node()
    assert src.get_type_name() == "Constant", "OpenVINO did not fold the op"
    return src.get_data()


def fold_vs_ov(type_, arrays, attrs=None, version="", rtol=1e-5, atol=1e-6, oracle="cpu"):
    """Builds `type_` on Const inputs; the known value, the ConstantFolding result and OpenVINO's
    output of the unfolded IR (oracle "cpu": run on the CPU plugin; "ref": OpenVINO's
    ConstantFolding) must agree. Returns the folded array."""
    g = _core.Graph("fold")
    ins = [g.constant(np.array(a, order="C"), name="c%d" % i).output(0) for i, a in enumerate(arrays)]
    n = g.op(type_, ins, attrs or {}, name="op", version=version)
    known = n.output(0).value()
    g.result(n.output(0), name="out")
    expected = np.asarray(run_ir(g)[0] if oracle == "cpu" else ov_reference_fold(g))
    g.run_pass("ConstantFolding")
    src = g.results[0].inputs[0]
    assert src.node.type == "Const", "%s was not folded" % type_
    got = src.value()
    assert known is not None and np.array_equal(known, got, equal_nan=True)
    assert got.shape == expected.shape, "%s: shape %s vs OpenVINO %s" % (type_, got.shape, expected.shape)
    assert got.dtype == expected.dtype, "%s: dtype %s vs OpenVINO %s" % (type_, got.dtype, expected.dtype)
    if got.dtype.kind == "f":
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, equal_nan=True, err_msg=type_)
    else:
        np.testing.assert_array_equal(got, expected, err_msg=type_)
    return got


def rand(shape, dtype=np.float32, lo=-3.0, hi=3.0):
    return RNG.uniform(lo, hi, size=shape).astype(dtype)


def rint(shape, dtype=np.int32, lo=-20, hi=20):
    return RNG.integers(lo, hi, size=shape).astype(dtype)


ARITH = ["Add", "Subtract", "Multiply", "Divide", "Power", "Maximum", "Minimum", "SquaredDifference",
         "FloorMod", "Mod"]
COMPARE = ["Equal", "NotEqual", "Less", "LessEqual", "Greater", "GreaterEqual"]
LOGICAL = ["LogicalAnd", "LogicalOr", "LogicalXor"]
BITWISE = ["BitwiseAnd", "BitwiseOr", "BitwiseXor"]
UNARY = ["Abs", "Acos", "Asin", "Atan", "Cos", "Cosh", "Sin", "Sinh", "Tan", "Tanh", "Ceiling", "Floor",
         "Exp", "Log", "Sqrt", "Negative", "Sign", "Erf", "Sigmoid", "Acosh", "Asinh", "Atanh"]


# ----------------------------------------------------------------------------------------------
# registry

def test_registered_versions():
    reg = set(_core.registered_ops())
    expect = [(t, "opset1") for t in ARITH + COMPARE + LOGICAL + ["LogicalNot", "Convert", "ConvertLike", "Select",
                                                                 "ReLU", "Elu", "Selu", "Clamp", "PReLU", "HardSigmoid"]]
    expect += [(t, "opset13") for t in BITWISE + ["BitwiseNot"]]
    expect += [("BitwiseLeftShift", "opset15"), ("BitwiseRightShift", "opset15"), ("Round", "opset5"),
               ("IsNaN", "opset10"), ("IsInf", "opset10"), ("IsFinite", "opset10"), ("Acosh", "opset4"),
               ("Asinh", "opset4"), ("Atanh", "opset4"), ("Swish", "opset4"), ("HSwish", "opset4"),
               ("HSigmoid", "opset5"), ("Mish", "opset4"), ("SoftPlus", "opset4"), ("SoftSign", "opset9"),
               ("Gelu", "opset7"), ("SoftMax", "opset8"), ("LogSoftmax", "opset5")]
    missing = [e for e in expect if e not in reg]
    assert not missing


# ----------------------------------------------------------------------------------------------
# shape / type inference vs OpenVINO

BCAST_CASES = [([2, -1, 1], [1, 1, 5]), ([3, -1], [-1, 1]), ([1], [-1]), ([-1], [4]), ([1, 2], [-1, -1, 2]),
               ([], [2, 3]), ([-1, 3], None), ([2, 1, 5], [4, 1]), ([], [])]


@pytest.mark.parametrize("a,b", BCAST_CASES)
@pytest.mark.parametrize("op", ["Add", "Divide", "FloorMod", "Equal", "Less"])
def test_binary_numpy_shapes(op, a, b):
    infer_vs_ov(op, [("f32", a), ("f32", b)])


@pytest.mark.parametrize("op", ARITH + COMPARE)
def test_binary_int_types(op):
    shape, et = infer_vs_ov(op, [("i32", [2, -1]), ("i32", [1])])
    assert et == ("boolean" if op in COMPARE else "i32")


def test_binary_none_and_pdpd():
    assert infer_vs_ov("Add", [("f32", [-1, 3]), ("f32", [2, -1])], {"auto_broadcast": "none"})[0] == [2, 3]
    assert infer_vs_ov("Multiply", [("f32", [2, 3, 4, 5]), ("f32", [2, 3])], {"auto_broadcast": "pdpd"})[0] == [2, 3, 4, 5]
    assert infer_vs_ov("Subtract", [("f32", [2, 3, 4, 5]), ("f32", [1, 3])], {"auto_broadcast": "pdpd"})[0] == [2, 3, 4, 5]
    assert infer_vs_ov("Add", [("f32", [-1, 3]), ("f32", [5])], {"auto_broadcast": "pdpd"})[0] == [5, 3]


def test_logical_bitwise_shapes():
    for op in LOGICAL:
        assert infer_vs_ov(op, [("boolean", [2, -1]), ("boolean", [3, 1, 1])]) == ([3, 2, -1], "boolean")
    for op in BITWISE:
        for et in ["i32", "u8", "boolean"]:
            assert infer_vs_ov(op, [(et, [4]), (et, [2, 1])]) == ([2, 4], et)
    for op in ["BitwiseLeftShift", "BitwiseRightShift"]:
        assert infer_vs_ov(op, [("i64", [-1, 4]), ("i64", [])]) == ([-1, 4], "i64")
    assert infer_vs_ov("BitwiseNot", [("u8", [2, -1])]) == ([2, -1], "u8")
    assert infer_vs_ov("LogicalNot", [("boolean", [2])]) == ([2], "boolean")
    assert infer_vs_ov("LogicalNot", [("f32", None)]) == (None, "f32")


@pytest.mark.parametrize("op", UNARY)
def test_unary_shapes(op):
    assert infer_vs_ov(op, [("f32", [2, -1, 3])]) == ([2, -1, 3], "f32")
    assert infer_vs_ov(op, [("i32", None)]) == (None, "i32")


def test_round_and_classification_shapes():
    assert infer_vs_ov("Round", [("f16", [-1, 2])], {"mode": "half_away_from_zero"}) == ([-1, 2], "f16")
    for op in ["IsNaN", "IsInf", "IsFinite"]:
        assert infer_vs_ov(op, [("f32", [3, -1])]) == ([3, -1], "boolean")


ACT_CASES = [
    ("ReLU", [], {}), ("Elu", [], {"alpha": 0.5}), ("Clamp", [], {"min": -1.0, "max": 2.5}),
    ("Selu", [np.array([1.67], np.float32), np.array([1.05], np.float32)], {}),
    ("HardSigmoid", [np.array(0.2, np.float32), np.array(0.5, np.float32)], {}),
    ("PReLU", [np.array([0.1, 0.2, 0.3], np.float32)], {}), ("Swish", [], {}),
    ("Swish", [np.array(1.5, np.float32)], {}), ("HSwish", [], {}), ("HSigmoid", [], {}), ("Mish", [], {}),
    ("SoftPlus", [], {}), ("SoftSign", [], {}), ("Gelu", [], {"approximation_mode": "TANH"}),
    ("Gelu", [], {"approximation_mode": "erf"}), ("Gelu", [], {}), ("SoftMax", [], {"axis": -1}),
    ("LogSoftmax", [], {"axis": 1}),
]


@pytest.mark.parametrize("op,extra,attrs", ACT_CASES, ids=[c[0] for c in ACT_CASES])
def test_activation_shapes(op, extra, attrs):
    assert infer_vs_ov(op, [("f32", [-1, 3, 4])] + extra, attrs) == ([-1, 3, 4], "f32")


def test_activation_versions_and_int_types():
    assert infer_vs_ov("SoftMax", [("f32", [2, 3])], {"axis": 1}, version="opset1") == ([2, 3], "f32")
    assert infer_vs_ov("Gelu", [("f32", [2, -1])], version="opset2") == ([2, -1], "f32")
    assert infer_vs_ov("ReLU", [("i32", [2, -1])]) == ([2, -1], "i32")
    assert infer_vs_ov("Clamp", [("u8", [2])], {"min": 0.5, "max": 3.0}) == ([2], "u8")


def test_conversion_shapes():
    assert infer_vs_ov("Convert", [("f32", [2, -1])], {"destination_type": "i8"}) == ([2, -1], "i8")
    assert infer_vs_ov("Convert", [("boolean", None)], {"destination_type": "f16"}) == (None, "f16")
    assert infer_vs_ov("ConvertLike", [("f32", [2, -1]), ("i64", [5])]) == ([2, -1], "i64")
    assert infer_vs_ov("Select", [("boolean", [5, 2, 3]), ("f32", [2, 3]), ("f32", [3])]) == ([5, 2, 3], "f32")
    assert infer_vs_ov("Select", [("boolean", [-1]), ("i32", [2, 1]), ("i32", [1])]) == ([2, -1], "i32")
    assert infer_vs_ov("Select", [("boolean", [2, -1]), ("f32", [-1, 3]), ("f32", [2, 3])],
                       {"auto_broadcast": "none"}) == ([2, 3], "f32")


# ----------------------------------------------------------------------------------------------
# errors

def _op(g, type_, ins, attrs=None, name="bad"):
    return g.op(type_, ins, attrs or {}, name=name)


def test_mismatched_element_types():
    g = _core.Graph("e")
    a = g.parameter("a", "f32", [2]).output(0)
    b = g.parameter("b", "i32", [2]).output(0)
    for op in ["Add", "Equal", "Maximum"]:
        with pytest.raises(IrconvError, match=r"bad_%s.*f32.*i32" % op):
            _op(g, op, [a, b], name="bad_" + op)
    h = g.parameter("h", "f16", [2]).output(0)
    with pytest.raises(IrconvError, match="bad"):
        _op(g, "Select", [g.parameter("c", "boolean", [2]).output(0), a, h])


def test_type_and_shape_errors():
    g = _core.Graph("e")
    f = g.parameter("f", "f32", [2, 3]).output(0)
    i = g.parameter("i", "i32", [2, 3]).output(0)
    bo = g.parameter("bo", "boolean", [2, 3]).output(0)
    cases = [
        ("Add", [f, g.parameter("f4", "f32", [4]).output(0)], {}),           # not broadcastable
        ("Add", [f, g.parameter("f3", "f32", [3]).output(0)], {"auto_broadcast": "none"}),
        ("Add", [bo, bo], {}),                                                 # arithmetic on boolean
        ("LogicalAnd", [f, f], {}),                                            # logical on f32
        ("BitwiseAnd", [f, f], {}),
        ("BitwiseLeftShift", [bo, bo], {}),
        ("Abs", [bo], {}),
        ("IsNaN", [i], {}),
        ("Gelu", [i], {}),
        ("SoftPlus", [i], {}),
        ("Clamp", [f], {"min": 3.0, "max": 1.0}),
        ("SoftMax", [f], {"axis": 2}),
        ("Select", [f, f, f], {}),                                             # cond not boolean
        ("Convert", [f], {"destination_type": "f33"}),
        ("Round", [f], {"mode": "nearest"}),
        ("Add", [f, f], {"auto_broadcast": "explicit"}),
    ]
    for k, (op, ins, attrs) in enumerate(cases):
        with pytest.raises(IrconvError, match="case%d" % k):
            _op(g, op, ins, attrs, name="case%d" % k)


# ----------------------------------------------------------------------------------------------
# eval kernels vs OpenVINO

def _binary_inputs(op, dtype, shape_a, shape_b):
    if np.dtype(dtype).kind == "f":
        a, b = rand(shape_a, dtype), rand(shape_b, dtype)
        if op == "Power":
            a = np.abs(a) + np.asarray(0.1, dtype)
        if op in ("Divide", "FloorMod", "Mod"):
            b = np.where(np.abs(b) < 0.25, np.asarray(0.5, dtype), b).astype(dtype)
    else:
        a, b = rint(shape_a, dtype), rint(shape_b, dtype)
        if op == "Power":
            a, b = rint(shape_a, dtype, -4, 5), rint(shape_b, dtype, 0, 6)
        if op in ("Divide", "FloorMod", "Mod"):
            b = np.where(b == 0, 3, b).astype(dtype)
    return a, b


@pytest.mark.parametrize("op", ARITH)
@pytest.mark.parametrize("dtype", [np.float32, np.int32])
def test_fold_arith_broadcast(op, dtype):
    a, b = _binary_inputs(op, dtype, (2, 1, 3), (4, 1))
    fold_vs_ov(op, [a, b])


def test_fold_arith_special_values():
    a = np.array([-7, -3, -1, 0, 1, 3, 7, 10], np.int32)
    b = np.array([2, 2, 3, 5, -2, -2, 3, 4], np.int32)
    assert fold_vs_ov("Divide", [a, b]).tolist() == [-4, -2, -1, 0, -1, -2, 2, 2]  # floor division
    assert fold_vs_ov("Divide", [a, b], {"m_pythondiv": False}).tolist() == [-3, -1, 0, 0, 0, -1, 2, 2]
    fold_vs_ov("FloorMod", [a, b])
    fold_vs_ov("Mod", [a, b])
    fold_vs_ov("Power", [np.array([2, 4, -2, 3], np.int32), np.array([-1, -2, 3, 4], np.int32)])
    fold_vs_ov("Power", [np.array([3, 2], np.int64), np.array([39, 62], np.int64)], oracle="ref")
    x = np.array([np.nan, 1, -7.5, 7.5], np.float32)
    y = np.array([1, np.nan, 2, -2], np.float32)
    for op in ["Maximum", "Minimum", "FloorMod"]:
        fold_vs_ov(op, [x, y])
    fold_vs_ov("Add", [np.array([120, 100], np.int8), np.array([10, 100], np.int8)])  # wraps
    fold_vs_ov("Subtract", [np.array([3, 250], np.uint8), np.array([5, 5], np.uint8)])


def test_fold_pdpd_and_none():
    fold_vs_ov("Add", [rand((2, 3, 4)), rand((2, 3))], {"auto_broadcast": "pdpd"})
    fold_vs_ov("Multiply", [rand((2, 3, 4)), rand((1, 3, 1))], {"auto_broadcast": "pdpd"})
    fold_vs_ov("Subtract", [rand((2, 3)), rand((2, 3))], {"auto_broadcast": "none"})


@pytest.mark.parametrize("op", COMPARE)
def test_fold_compare(op):
    a = np.array([[1, 2, np.nan, 4]], np.float32)
    b = np.array([[1], [3], [np.nan]], np.float32)
    assert fold_vs_ov(op, [a, b]).dtype == np.bool_
    fold_vs_ov(op, [rint((3, 1), np.int64, -2, 2), rint((4,), np.int64, -2, 2)])


def test_fold_logical_bitwise():
    a = np.array([[True, False, True, False]])
    b = np.array([[True], [False]])
    for op in LOGICAL:
        fold_vs_ov(op, [a, b])
    fold_vs_ov("LogicalNot", [a])
    fold_vs_ov("LogicalNot", [np.array([0, 2.5, -1], np.float32)])
    for op in BITWISE:
        fold_vs_ov(op, [rint((3, 4), np.int32, -100, 100), rint((4,), np.int32, -100, 100)])
        fold_vs_ov(op, [rint((5,), np.uint8, 0, 255), rint((5,), np.uint8, 0, 255)])
        fold_vs_ov(op, [a, b])
    fold_vs_ov("BitwiseNot", [rint((6,), np.int32, -100, 100)])
    fold_vs_ov("BitwiseNot", [np.array([0, 1, 200, 255], np.uint8)])
    fold_vs_ov("BitwiseNot", [a])
    x = np.array([1, -1, 7, -16, 1 << 20, -(1 << 30)], np.int32)
    s = np.array([0, 3, 31, 2, 5, 1], np.int32)
    fold_vs_ov("BitwiseLeftShift", [x, s])
    fold_vs_ov("BitwiseRightShift", [x, s])
    # i64 (OpenVINO folds no i64 shifts and the CPU plugin runs them in i32): numpy is the oracle
    g = _core.Graph("sh")
    xs = np.array([-(1 << 40), 1 << 62, 5], np.int64)
    ss = np.array([3, 61, 63], np.int64)
    ins = [g.constant(xs, name="x").output(0), g.constant(ss, name="s").output(0)]
    assert g.op("BitwiseRightShift", ins, {}, name="r").output(0).value().tolist() == (xs >> ss).tolist()
    assert g.op("BitwiseLeftShift", ins, {}, name="l").output(0).value().tolist() == (xs << ss).tolist()


UNARY_DOMAIN = {"Acos": (-1, 1), "Asin": (-1, 1), "Atanh": (-0.95, 0.95), "Acosh": (1, 5), "Log": (0.1, 5),
                "Sqrt": (0, 9)}


@pytest.mark.parametrize("op", UNARY)
def test_fold_unary_float(op):
    lo, hi = UNARY_DOMAIN.get(op, (-3, 3))
    fold_vs_ov(op, [rand((2, 3, 4), np.float32, lo, hi)])


@pytest.mark.parametrize("op", ["Abs", "Negative", "Sign", "Ceiling", "Floor", "Sqrt", "Exp", "Log", "Sin", "Cos",
                                "Tan", "Tanh", "Atan", "Erf", "Sigmoid", "Sinh", "Cosh", "Asinh", "Asin", "Acos",
                                "Acosh"])
def test_fold_unary_int(op):
    vals = {"Sqrt": [0, 1, 2, 3, 5, 8, 15], "Log": [1, 2, 3, 8, 20], "Exp": [-2, 0, 1, 2, 3],
            "Asin": [-1, 0, 1], "Acos": [-1, 0, 1], "Acosh": [1, 2, 3, 8]}.get(op, list(range(-6, 7)))
    fold_vs_ov(op, [np.array(vals, np.int32)])


def test_fold_unary_f16_and_round():
    fold_vs_ov("Exp", [rand((8,), np.float16)], rtol=1e-3, atol=1e-3)
    v = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 2.6, -2.6], np.float32)
    assert fold_vs_ov("Round", [v], {"mode": "half_to_even"}).tolist() == [-2, -2, -0, 0, 2, 2, 3, -3]
    assert fold_vs_ov("Round", [v], {"mode": "half_away_from_zero"}).tolist() == [-3, -2, -1, 1, 2, 3, 3, -3]
    fold_vs_ov("Round", [np.array([-3, 4], np.int32)], {"mode": "half_to_even"})
    x = np.array([np.nan, np.inf, -np.inf, 0, -1.5], np.float32)
    for op in ["IsNaN", "IsFinite", "IsInf"]:
        fold_vs_ov(op, [x])
    fold_vs_ov("IsInf", [x], {"detect_negative": False})
    fold_vs_ov("IsInf", [x], {"detect_positive": False})


ACT_FOLD = [
    ("ReLU", [], {}), ("Elu", [], {"alpha": 0.7}), ("Clamp", [], {"min": -1.0, "max": 2.5}),
    ("Selu", [np.array([1.6732632], np.float32), np.array([1.0507], np.float32)], {}),
    ("HardSigmoid", [np.array(0.2, np.float32), np.array(0.5, np.float32)], {}),
    ("Swish", [], {}), ("Swish", [np.array(0.75, np.float32)], {}), ("HSwish", [], {}), ("HSigmoid", [], {}),
    ("Mish", [], {}), ("SoftPlus", [], {}), ("SoftSign", [], {}), ("Gelu", [], {"approximation_mode": "TANH"}),
    ("Gelu", [], {"approximation_mode": "ERF"}), ("SoftMax", [], {"axis": -1}), ("SoftMax", [], {"axis": 0}),
    ("LogSoftmax", [], {"axis": 1}), ("PReLU", [np.array([0.1, -0.2, 0.3], np.float32)], {}),
    ("PReLU", [np.array([0.1, 0.2, 0.3, 0.4], np.float32)], {}), ("PReLU", [np.array(0.25, np.float32)], {}),
]


@pytest.mark.parametrize("op,extra,attrs", ACT_FOLD, ids=["%s%d" % (c[0], i) for i, c in enumerate(ACT_FOLD)])
def test_fold_activation(op, extra, attrs):
    x = rand((2, 3, 4), np.float32, -5, 5)
    fold_vs_ov(op, [x] + extra, attrs)


def test_fold_activation_int_and_special():
    a = np.array([-7, -3, -1, 0, 1, 3, 7, 10], np.int32)
    fold_vs_ov("ReLU", [a])
    assert fold_vs_ov("Clamp", [a], {"min": -2.5, "max": 3.5}).tolist() == [-2, -2, -1, 0, 1, 3, 3, 3]
    fold_vs_ov("Clamp", [np.array([0, 1, 2, 3], np.uint8)], {"min": 0.2, "max": 2.7})
    fold_vs_ov("Clamp", [np.array([0, 1, np.nan, 3], np.float32)], {"min": 0.2, "max": 2.7})
    fold_vs_ov("SoftPlus", [np.array([-30, 0, 19, 21, 100], np.float32)])
    fold_vs_ov("SoftMax", [rand((2, 3))], {"axis": 1}, version="opset1")
    fold_vs_ov("Gelu", [rand((2, 3))], version="opset2")
    # PReLU: per-channel slope on dim 1 vs numpy broadcast
    fold_vs_ov("PReLU", [-np.ones((2, 3, 2), np.float32), np.array([1, 2, 3], np.float32)])
    fold_vs_ov("PReLU", [-np.ones((3, 3), np.float32), np.array([1, 2, 3], np.float32)])
    fold_vs_ov("PReLU", [rand((4,)), np.array([0.5, 0.1, 0.2, 0.3], np.float32)])


def test_fold_convert():
    x = np.array([-300, -2.5, -1.7, -0.5, 0.5, 1.5, 2.5, 2.7, 255.6, 256.5, 300, 70000], np.float32)
    for dt in ["i8", "u8", "i32", "i64", "f16", "boolean", "f64"]:
        fold_vs_ov("Convert", [x], {"destination_type": dt})
    y = np.array([-1, 255, 256, -129, 70000, 2 ** 40], np.int64)
    for dt in ["i8", "u8", "i32", "boolean", "f16", "f32"]:
        fold_vs_ov("Convert", [y], {"destination_type": dt})
    fold_vs_ov("Convert", [np.array([True, False])], {"destination_type": "f32"})
    fold_vs_ov("Convert", [np.array([True, False])], {"destination_type": "i32"})
    fold_vs_ov("Convert", [np.array([-1.5, 300, 65504], np.float16)], {"destination_type": "u8"})
    fold_vs_ov("Convert", [np.array([1e-3, 1e5, -3.14159], np.float32)], {"destination_type": "f16"})
    fold_vs_ov("ConvertLike", [x, np.array([1], np.int32)])
    fold_vs_ov("ConvertLike", [np.array([3, -4], np.int32), np.array([1.0], np.float32)])


def test_convert_bf16_roundtrip():
    g = _core.Graph("bf")
    x = np.array([1.0, 3.14159, -2.71828, 1e30, 65504.0, 1.00390625], np.float32)
    c = g.constant(x, name="x").output(0)
    b = g.op("Convert", [c], {"destination_type": "bf16"}, name="to_bf16")
    assert b.output(0).element_type == "bf16"
    back = g.op("Convert", [b.output(0)], {"destination_type": "f32"}, name="back").output(0).value()
    bits = x.view(np.uint32)
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16 << 16).astype(np.uint32).view(np.float32)
    np.testing.assert_array_equal(back, rounded)


def test_fold_select():
    cond = np.array([[[True]], [[False]]])  # (2,1,1)
    fold_vs_ov("Select", [cond, rand((3, 4)), rand((4,))])
    fold_vs_ov("Select", [RNG.integers(0, 2, (2, 3)).astype(bool), rint((2, 3)), rint((2, 1))])
    fold_vs_ov("Select", [np.array([True, False, True]), np.array([1, 2, 3], np.int8), np.array([9], np.int8)])


def test_dynamic_inputs_not_folded():
    g = _core.Graph("d")
    p = g.parameter("p", "f32", [2, -1])
    c = g.constant(np.ones((1,), np.float32), name="one")
    n = g.op("Add", [p.output(0), c.output(0)], {}, name="add")
    assert n.output(0).value() is None
    assert n.output(0).shape == [2, -1]


def test_dynamic_element_type_merges():
    g = _core.Graph("dt")
    d = g.parameter("d", "dynamic", [2, 1]).output(0)
    f = g.parameter("f", "f32", [3]).output(0)
    assert g.op("Add", [d, f], {}, name="a").output(0).element_type == "f32"
    assert g.op("Less", [d, f], {}, name="l").output(0).element_type == "boolean"
    assert g.op("Select", [d, f, d], {}, name="s").output(0).element_type == "f32"
    assert g.op("Exp", [d], {}, name="e").output(0).element_type == "dynamic"
