"""Elementwise math, comparisons, logic, casts, activations."""
import numpy as np

from irconv.errors import IrconvError

from ..registry import tf_op

_BINARY = {
    "Add": "Add", "AddV2": "Add", "Sub": "Subtract", "Mul": "Multiply", "RealDiv": "Divide",
    "Maximum": "Maximum", "Minimum": "Minimum", "Pow": "Power", "SquaredDifference": "SquaredDifference",
    "Equal": "Equal", "NotEqual": "NotEqual", "Less": "Less", "LessEqual": "LessEqual", "Greater": "Greater",
    "GreaterEqual": "GreaterEqual", "LogicalAnd": "LogicalAnd", "LogicalOr": "LogicalOr",
    "FloorMod": "FloorMod", "Mod": "Mod", "TruncateMod": "Mod",
}

_UNARY = {
    "Abs": "Abs", "Neg": "Negative", "Exp": "Exp", "Log": "Log", "Sqrt": "Sqrt", "Floor": "Floor",
    "Ceil": "Ceiling", "Sign": "Sign", "Sin": "Sin", "Cos": "Cos", "Tan": "Tan", "Asin": "Asin",
    "Acos": "Acos", "Atan": "Atan", "Sinh": "Sinh", "Cosh": "Cosh", "Tanh": "Tanh", "Asinh": "Asinh",
    "Acosh": "Acosh", "Atanh": "Atanh", "Erf": "Erf", "Sigmoid": "Sigmoid", "Relu": "ReLU",
    "LogicalNot": "LogicalNot", "IsNan": "IsNaN", "IsInf": "IsInf", "IsFinite": "IsFinite",
    "Softplus": "SoftPlus", "Softsign": "SoftSign",
}


def _is_float(et):
    return et in ("f32", "f16", "f64", "bf16")


@tf_op(*_BINARY)
def binary(ctx, node):
    return ctx.binary(_BINARY[node.op], node.input(0), node.input(1))


@tf_op(*_UNARY)
def unary(ctx, node):
    return ctx.op1(_UNARY[node.op], [node.input(0)])


@tf_op("Div", "TruncateDiv")
def div(ctx, node):
    a, b = node.input(0), node.input(1)
    if _is_float(ctx.et(a)):
        return ctx.binary("Divide", a, b)
    return ctx.op1("Divide", [a, b], {"auto_broadcast": "numpy", "m_pythondiv": False})


@tf_op("FloorDiv")
def floor_div(ctx, node):
    a, b = node.input(0), node.input(1)
    if _is_float(ctx.et(a)):
        return ctx.op1("Floor", [ctx.binary("Divide", a, b)])
    # floor(a / b) = (a - floormod(a, b)) / b, an exact division (OpenVINO's CPU plugin truncates
    # integer quotients whatever Divide's m_pythondiv says)
    exact = ctx.binary("Subtract", a, ctx.binary("FloorMod", a, b))
    return ctx.op1("Divide", [exact, b], {"auto_broadcast": "numpy", "m_pythondiv": False})


@tf_op("DivNoNan")
def div_no_nan(ctx, node):
    a, b = node.input(0), node.input(1)
    zero = ctx.const(0, b)
    is_zero = ctx.binary("Equal", b, zero)
    safe = ctx.op1("Select", [is_zero, ctx.const(1, b), b], {"auto_broadcast": "numpy"})
    q = ctx.binary("Divide", a, safe)
    return ctx.op1("Select", [is_zero, ctx.const(0, a), q], {"auto_broadcast": "numpy"})


@tf_op("Rsqrt")
def rsqrt(ctx, node):
    x = node.input(0)
    return ctx.binary("Power", x, ctx.const(-0.5, x))


@tf_op("Reciprocal", "Inv")
def reciprocal(ctx, node):
    x = node.input(0)
    return ctx.binary("Divide", ctx.const(1, x), x)


@tf_op("Square")
def square(ctx, node):
    x = node.input(0)
    return ctx.binary("Multiply", x, x)


@tf_op("Log1p")
def log1p(ctx, node):
    x = node.input(0)
    return ctx.op1("Log", [ctx.binary("Add", x, ctx.const(1, x))])


@tf_op("Expm1")
def expm1(ctx, node):
    x = node.input(0)
    return ctx.binary("Subtract", ctx.op1("Exp", [x]), ctx.const(1, x))


@tf_op("Round")
def round_(ctx, node):
    x = node.input(0)
    if not _is_float(ctx.et(x)):
        return x
    return ctx.op1("Round", [x], {"mode": "half_to_even"})


@tf_op("Rint")
def rint(ctx, node):
    return ctx.op1("Round", [node.input(0)], {"mode": "half_to_even"})


@tf_op("Cast")
def cast(ctx, node):
    x = node.input(0)
    dst = node.et("DstT")
    src = ctx.et(x)
    if _is_float(src) and not _is_float(dst) and dst != "boolean":
        # TF truncates towards zero; make that explicit so every backend agrees
        v = ctx.value(x)
        if v is None:
            x = ctx.op1("Multiply", [ctx.op1("Sign", [x]), ctx.op1("Floor", [ctx.op1("Abs", [x])])],
                        {"auto_broadcast": "numpy"})
    return ctx.convert(x, dst)


@tf_op("BiasAdd", "BiasAddV1")
def bias_add(ctx, node):
    x, b = node.input(0), node.input(1)
    fmt = node.attr("data_format", "NHWC")
    r = ctx.rank(x)
    if fmt.startswith("NC") and r is not None and r > 2:
        b = ctx.reshape(b, [1, -1] + [1] * (r - 2))
    elif fmt.startswith("NC") and r is None:
        raise IrconvError("BiasAdd in %s needs a known input rank" % fmt)
    return ctx.binary("Add", x, b)


@tf_op("AddN", "AccumulateNV2")
def add_n(ctx, node):
    xs = node.inputs()
    out = xs[0]
    for x in xs[1:]:
        out = ctx.binary("Add", out, x)
    return out


def _select(ctx, c, a, b):
    if ctx.et(a) == "boolean":
        # OpenVINO's CPU plugin has no boolean Select: select u8 and convert back
        a, b = ctx.convert(a, "u8"), ctx.convert(b, "u8")
        return ctx.convert(ctx.op1("Select", [c, a, b], {"auto_broadcast": "numpy"}), "boolean")
    return ctx.op1("Select", [c, a, b], {"auto_broadcast": "numpy"})


@tf_op("Select")
def select(ctx, node):
    c, a, b = node.input(0), node.input(1), node.input(2)
    rc, ra = ctx.rank(c), ctx.rank(a)
    if rc == 1 and ra is not None and ra > 1:
        c = ctx.reshape(c, [-1] + [1] * (ra - 1))     # a vector condition picks rows
    elif rc is None and ra != 0:
        raise IrconvError("Select with a condition of unknown rank is not supported")
    return _select(ctx, c, a, b)


@tf_op("SelectV2")
def select_v2(ctx, node):
    return _select(ctx, node.input(0), node.input(1), node.input(2))


@tf_op("ClipByValue")
def clip_by_value(ctx, node):
    x, lo, hi = node.input(0), node.input(1), node.input(2)
    lv, hv = ctx.value(lo), ctx.value(hi)
    if lv is not None and hv is not None and lv.size == 1 and hv.size == 1 and _is_float(ctx.et(x)):
        return ctx.op1("Clamp", [x], {"min": float(lv.reshape(())), "max": float(hv.reshape(()))})
    return ctx.binary("Minimum", ctx.binary("Maximum", x, lo), hi)


@tf_op("ZerosLike", "OnesLike")
def zeros_like(ctx, node):
    x = node.input(0)
    c = ctx.const(0 if node.op == "ZerosLike" else 1, x)
    return ctx.filled(c, ctx.shape_of(x))


# ---------------------------------------------------------------- activations

@tf_op("Relu6")
def relu6(ctx, node):
    return ctx.op1("Clamp", [node.input(0)], {"min": 0.0, "max": 6.0})


@tf_op("Elu")
def elu(ctx, node):
    return ctx.op1("Elu", [node.input(0)], {"alpha": 1.0})


@tf_op("Selu")
def selu(ctx, node):
    x = node.input(0)
    return ctx.op1("Selu", [x, ctx.const([1.6732632423543772], x), ctx.const([1.0507009873554805], x)])


@tf_op("LeakyRelu")
def leaky_relu(ctx, node):
    x = node.input(0)
    alpha = float(node.attr("alpha", 0.2))
    return ctx.op1("PReLU", [x, ctx.const(np.asarray([alpha]), x)])


@tf_op("Softmax", "LogSoftmax")
def softmax(ctx, node):
    x = node.input(0)
    if node.op == "Softmax":
        return ctx.op1("SoftMax", [x], {"axis": -1}, version="opset8")
    return ctx.op1("LogSoftmax", [x], {"axis": -1})


@tf_op("Gelu")
def gelu(ctx, node):
    approx = node.attr("approximate", False)
    return ctx.op1("Gelu", [node.input(0)], {"approximation_mode": "TANH" if approx else "ERF"}, version="opset7")
