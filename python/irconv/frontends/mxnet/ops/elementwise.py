"""Element-wise ops: activations, unary math, binary / broadcast / scalar arithmetic and
comparisons (MXNet comparisons return 0/1 in the input's type), identities, fills."""
from __future__ import annotations

import math

import numpy as np

from irconv.limits import MAX_EXPANDED_BYTES, check_expansion, numel

from ..context import DTYPE_ET, ET_TO_NP
from ..registry import mxnet_op

# ---------------------------------------------------------------- activations

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_LAMBDA = 1.0507009873554804934193349852946


def _act(ctx, node, x, act):
    if act == "relu":
        return ctx.op1("ReLU", [x])
    if act == "sigmoid":
        return ctx.op1("Sigmoid", [x])
    if act == "tanh":
        return ctx.op1("Tanh", [x])
    if act == "softrelu":
        return ctx.op1("SoftPlus", [x], version="opset4")
    if act == "softsign":
        return ctx.op1("SoftSign", [x], version="opset9")
    if act == "log_sigmoid":
        return ctx.op1("Negative", [ctx.op1("SoftPlus", [ctx.op1("Negative", [x])], version="opset4")])
    if act == "mish":
        return ctx.op1("Mish", [x], version="opset4")
    node.fail("act_type '%s' is not supported" % act)


@mxnet_op("Activation")
def activation(ctx, node):
    return _act(ctx, node, node.input(0), node.required("act_type"))


@mxnet_op("LeakyReLU")
def leaky_relu(ctx, node):
    x = node.input(0)
    act = node.str("act_type", "leaky")
    if act == "leaky":
        return ctx.op1("PReLU", [x, ctx.const([node.float("slope", 0.25)], x)])
    if act == "prelu":
        return ctx.op1("PReLU", [x, node.input(1)])
    if act == "rrelu":      # inference: the mean of the random slope's range
        lo, hi = node.float("lower_bound", 0.125), node.float("upper_bound", 0.334)
        return ctx.op1("PReLU", [x, ctx.const([(lo + hi) / 2.0], x)])
    if act == "elu":
        return ctx.op1("Elu", [x], {"alpha": node.float("slope", 0.25)})
    if act == "selu":
        return ctx.op1("Selu", [x, ctx.const([_SELU_ALPHA], x), ctx.const([_SELU_LAMBDA], x)])
    if act == "gelu":
        return ctx.op1("Gelu", [x], {"approximation_mode": "ERF"}, version="opset7")
    node.fail("act_type '%s' is not supported" % act)


@mxnet_op("relu")
def relu(ctx, node):
    return ctx.op1("ReLU", [node.input(0)])


@mxnet_op("sigmoid")
def sigmoid(ctx, node):
    return ctx.op1("Sigmoid", [node.input(0)])


@mxnet_op("softsign")
def softsign(ctx, node):
    return ctx.op1("SoftSign", [node.input(0)], version="opset9")


@mxnet_op("hard_sigmoid")
def hard_sigmoid(ctx, node):
    x = node.input(0)
    return ctx.op1("HardSigmoid", [x, ctx.scalar(node.float("alpha", 0.2), x), ctx.scalar(node.float("beta", 0.5), x)])


# ---------------------------------------------------------------- unary math

_UNARY = {
    "abs": "Abs", "sign": "Sign", "ceil": "Ceiling", "floor": "Floor", "sqrt": "Sqrt", "exp": "Exp",
    "log": "Log", "negative": "Negative", "sin": "Sin", "cos": "Cos", "tan": "Tan", "arcsin": "Asin",
    "arccos": "Acos", "arctan": "Atan", "sinh": "Sinh", "cosh": "Cosh", "tanh": "Tanh", "arcsinh": "Asinh",
    "arccosh": "Acosh", "arctanh": "Atanh", "erf": "Erf",
}
_UNARY_VERSION = {"Asinh": "opset4", "Acosh": "opset4", "Atanh": "opset4"}


def _unary(op):
    def fn(ctx, node):
        return ctx.op1(op, [node.input(0)], version=_UNARY_VERSION.get(op, ""))
    return fn


for _name, _op in _UNARY.items():
    mxnet_op(_name, "_npi_" + _name if _name not in ("negative",) else "_npi_negative")(_unary(_op))


def _recip(ctx, y, like):
    return ctx.binary("Divide", ctx.scalar(1, like), y)


def _trunc(ctx, x):
    return ctx.binary("Multiply", ctx.op1("Sign", [x]), ctx.op1("Floor", [ctx.op1("Abs", [x])]))


def _cbrt(ctx, x):
    return ctx.binary("Multiply", ctx.op1("Sign", [x]),
                      ctx.binary("Power", ctx.op1("Abs", [x]), ctx.scalar(1.0 / 3.0, x)))


_MATH = {
    "round": lambda ctx, x: ctx.op1("Round", [x], {"mode": "half_away_from_zero"}, version="opset5"),
    "rint": lambda ctx, x: ctx.op1("Round", [x], {"mode": "half_to_even"}, version="opset5"),
    "fix": _trunc,
    "trunc": _trunc,
    "rsqrt": lambda ctx, x: _recip(ctx, ctx.op1("Sqrt", [x]), x),
    "cbrt": _cbrt,
    "rcbrt": lambda ctx, x: _recip(ctx, _cbrt(ctx, x), x),
    "expm1": lambda ctx, x: ctx.binary("Subtract", ctx.op1("Exp", [x]), ctx.scalar(1, x)),
    "log1p": lambda ctx, x: ctx.op1("Log", [ctx.binary("Add", x, ctx.scalar(1, x))]),
    "log2": lambda ctx, x: ctx.binary("Multiply", ctx.op1("Log", [x]), ctx.scalar(1.0 / math.log(2.0), x)),
    "log10": lambda ctx, x: ctx.binary("Multiply", ctx.op1("Log", [x]), ctx.scalar(1.0 / math.log(10.0), x)),
    "square": lambda ctx, x: ctx.binary("Multiply", x, x),
    "reciprocal": lambda ctx, x: _recip(ctx, x, x),
    "degrees": lambda ctx, x: ctx.binary("Multiply", x, ctx.scalar(180.0 / math.pi, x)),
    "radians": lambda ctx, x: ctx.binary("Multiply", x, ctx.scalar(math.pi / 180.0, x)),
    "logical_not": lambda ctx, x: ctx.convert(ctx.binary("Equal", x, ctx.scalar(0, x)), ctx.et(x)),
}


def _math(fn):
    def t(ctx, node):
        return fn(ctx, node.input(0))
    return t


for _name, _fn in _MATH.items():
    mxnet_op(_name)(_math(_fn))


@mxnet_op("clip")
def clip(ctx, node):
    return ctx.op1("Clamp", [node.input(0)], {"min": node.required("a_min", "float"), "max": node.required("a_max", "float")})


@mxnet_op("_copy", "identity", "BlockGrad", "stop_gradient", "make_loss", "MakeLoss", "_npi_copy")
def identity(ctx, node):
    return node.input(0)


@mxnet_op("Dropout", outputs=("output", "mask"))
def dropout(ctx, node):
    return node.input(0)


@mxnet_op("LinearRegressionOutput", "MAERegressionOutput", inputs=(0,))
def regression_output(ctx, node):
    return node.input(0)


@mxnet_op("LogisticRegressionOutput", inputs=(0,))
def logistic_output(ctx, node):
    return ctx.op1("Sigmoid", [node.input(0)])


# ---------------------------------------------------------------- binary

_ARITH = {"add": "Add", "sub": "Subtract", "mul": "Multiply", "div": "Divide", "plus": "Add", "minus": "Subtract",
          "maximum": "Maximum", "minimum": "Minimum", "power": "Power", "mod": "FloorMod"}
_CMP = {"equal": "Equal", "not_equal": "NotEqual", "greater": "Greater", "greater_equal": "GreaterEqual",
        "lesser": "Less", "lesser_equal": "LessEqual"}
_LOGIC = {"logical_and": "LogicalAnd", "logical_or": "LogicalOr", "logical_xor": "LogicalXor"}


def _arith(op):
    def fn(ctx, node):
        return ctx.binary(op, node.input(0), node.input(1))
    return fn


def _cmp(op):
    def fn(ctx, node):
        a = node.input(0)
        return ctx.convert(ctx.binary(op, a, node.input(1)), ctx.et(a))
    return fn


def _truth(ctx, x):
    return ctx.binary("NotEqual", x, ctx.scalar(0, x))


def _logic(op):
    def fn(ctx, node):
        a, b = node.input(0), node.input(1)
        return ctx.convert(ctx.binary(op, _truth(ctx, a), _truth(ctx, b)), ctx.et(a))
    return fn


for _k, _op in _ARITH.items():
    names = ["broadcast_" + _k, "_" + _k]
    if _k in ("add", "sub", "mul", "div"):
        names.append("elemwise_" + _k)
    if _k in ("maximum", "minimum", "power", "mod"):
        names = ["broadcast_" + _k, "_" + _k]
    if _k == "plus":
        names = ["broadcast_plus", "_plus", "_Plus"]
    if _k == "minus":
        names = ["broadcast_minus", "_minus", "_Minus"]
    if _k == "mul":
        names.append("_Mul")
    if _k == "div":
        names.append("_Div")
    mxnet_op(*names)(_arith(_op))
for _k, _op in _CMP.items():
    mxnet_op("broadcast_" + _k, "_" + _k)(_cmp(_op))
for _k, _op in _LOGIC.items():
    mxnet_op("broadcast_" + _k, "_" + _k)(_logic(_op))


@mxnet_op("_grad_add")
def grad_add(ctx, node):
    return ctx.binary("Add", node.input(0), node.input(1))


@mxnet_op("add_n", "ElementWiseSum", "_npi_add_n")
def add_n(ctx, node):
    xs = node.inputs()
    y = xs[0]
    for x in xs[1:]:
        y = ctx.binary("Add", y, x)
    return y


@mxnet_op("where")
def where(ctx, node):
    cond, x, y = node.input(0), node.input(1), node.input(2)
    rc, rx = ctx.rank(cond), ctx.rank(x)
    if rc == 1 and rx is not None and rx > 1:
        # a 1-D condition selects whole rows along axis 0
        cond = ctx.unsqueeze(cond, list(range(1, rx)))
    return ctx.op1("Select", [_truth(ctx, cond), x, y], {"auto_broadcast": "numpy"})


# ---------------------------------------------------------------- scalar

def _scalar_value(ctx, node, x):
    return ctx.scalar(node.float("scalar", 0.0), x)


_SCALAR = {"_plus_scalar": ("Add", False), "_minus_scalar": ("Subtract", False), "_rminus_scalar": ("Subtract", True),
           "_mul_scalar": ("Multiply", False), "_div_scalar": ("Divide", False), "_rdiv_scalar": ("Divide", True),
           "_power_scalar": ("Power", False), "_rpower_scalar": ("Power", True),
           "_maximum_scalar": ("Maximum", False), "_minimum_scalar": ("Minimum", False),
           "_mod_scalar": ("FloorMod", False), "_rmod_scalar": ("FloorMod", True),
           "_PlusScalar": ("Add", False), "_MinusScalar": ("Subtract", False), "_RMinusScalar": ("Subtract", True),
           "_MulScalar": ("Multiply", False), "_DivScalar": ("Divide", False), "_RDivScalar": ("Divide", True),
           "_PowerScalar": ("Power", False), "_RPowerScalar": ("Power", True),
           "_MaximumScalar": ("Maximum", False), "_MinimumScalar": ("Minimum", False)}
_SCALAR_CMP = {"_equal_scalar": "Equal", "_not_equal_scalar": "NotEqual", "_greater_scalar": "Greater",
               "_greater_equal_scalar": "GreaterEqual", "_lesser_scalar": "Less", "_lesser_equal_scalar": "LessEqual"}


def _scalar_op(op, reverse):
    def fn(ctx, node):
        x = node.input(0)
        s = _scalar_value(ctx, node, x)
        return ctx.binary(op, s, x) if reverse else ctx.binary(op, x, s)
    return fn


def _scalar_cmp(op):
    def fn(ctx, node):
        x = node.input(0)
        return ctx.convert(ctx.binary(op, x, _scalar_value(ctx, node, x)), ctx.et(x))
    return fn


for _name, (_op, _rev) in _SCALAR.items():
    mxnet_op(_name)(_scalar_op(_op, _rev))
for _name, _op in _SCALAR_CMP.items():
    mxnet_op(_name)(_scalar_cmp(_op))


# ---------------------------------------------------------------- fills

def _fill_et(node, default="f32"):
    dt = node.str("dtype")
    if dt is None:
        return default
    et = DTYPE_ET.get(dt)
    if et is None:
        node.fail("dtype '%s' is not supported" % dt)
    return et


def _fill(ctx, node, value):
    shape = node.ints("shape", [])
    if any(d is None or d <= 0 for d in shape):
        # MXNet fills unknown (0) dims from the consumer's shapes: only consumers that know them
        # (the RNN op's begin states) can use this node
        ctx.unresolved[(node.mx.index, 0)] = ("%s: shape %s has unknown (0) dimensions that only its consumer "
                                              "could fill" % (node.describe(), tuple(shape)))
        return None
    et = _fill_et(node)
    check_expansion(numel(shape) * ET_TO_NP[et].itemsize, "%s: shape %s" % (node.describe(), tuple(shape)))
    return ctx.const(np.full(shape, value, dtype=ET_TO_NP[et]))


@mxnet_op("_zeros", "zeros", "_npi_zeros")
def zeros(ctx, node):
    return _fill(ctx, node, 0)


@mxnet_op("_ones", "ones", "_npi_ones")
def ones(ctx, node):
    return _fill(ctx, node, 1)


@mxnet_op("_full", "full", "_npi_full")
def full(ctx, node):
    return _fill(ctx, node, node.float("value", 0.0))


def _like(ctx, node, value):
    x = node.input(0)
    s = ctx.static_shape(x)
    if s is not None and numel(s) * ET_TO_NP[ctx.et(x)].itemsize <= MAX_EXPANDED_BYTES:
        return ctx.const(np.full(s, value, dtype=ET_TO_NP[ctx.et(x)]))
    return ctx.op1("Broadcast", [ctx.scalar(value, x), ctx.shape_of(x)], {"mode": "numpy"}, version="opset3")


@mxnet_op("zeros_like")
def zeros_like(ctx, node):
    return _like(ctx, node, 0)


@mxnet_op("ones_like")
def ones_like(ctx, node):
    return _like(ctx, node, 1)


@mxnet_op("Cast", "cast", "amp_cast")
def cast(ctx, node):
    return ctx.convert(node.input(0), _fill_et(node, None) or node.fail("dtype is required"))
