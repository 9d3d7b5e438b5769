"""Element-wise arithmetic, comparison, logical and unary math ops."""
from __future__ import annotations

from irconv.errors import IrconvError

from ..registry import onnx_op

FLOAT_ETS = ("f16", "bf16", "f32", "f64")


def legacy_broadcast(ctx, node, a, b):
    """Opset < 7 binary ops: `broadcast`=1 with `axis` aligns B to A starting at `axis`."""
    if ctx.opset >= 7 or not node.attr("broadcast", 0):
        return a, b
    axis = node.attr("axis", None)
    ra, rb = ctx.rank(a), ctx.rank(b)
    if axis is None or ra is None or rb is None:
        return a, b  # numpy-style suffix alignment
    axis = ctx.norm_axis(axis, ra)
    trailing = ra - axis - rb
    if trailing > 0:
        b = ctx.unsqueeze(b, list(range(rb, rb + trailing)))
    return a, b


def _binary(ov_type):
    def translate(ctx, node):
        a, b = legacy_broadcast(ctx, node, node.input_required(0), node.input_required(1))
        return ctx.binary(ov_type, a, b)
    return translate


for _onnx, _ov in (("Add", "Add"), ("Sub", "Subtract"), ("Mul", "Multiply"),
                   ("Equal", "Equal"), ("Less", "Less"), ("LessOrEqual", "LessEqual"),
                   ("And", "LogicalAnd"), ("Or", "LogicalOr"), ("Xor", "LogicalXor")):
    onnx_op(_onnx)(_binary(_ov))


def _swapped(ov_type):
    # a > b as b < a (a >= b as b <= a): OpenVINO's CPU Greater / GreaterEqual are true when an
    # operand is NaN, Less / LessEqual are false as IEEE comparisons must be
    def translate(ctx, node):
        a, b = legacy_broadcast(ctx, node, node.input_required(0), node.input_required(1))
        return ctx.binary(ov_type, b, a)
    return translate


onnx_op("Greater")(_swapped("Less"))
onnx_op("GreaterOrEqual")(_swapped("LessEqual"))


@onnx_op("Div")
def div(ctx, node):
    a, b = legacy_broadcast(ctx, node, node.input_required(0), node.input_required(1))
    attrs = {"auto_broadcast": "numpy"}
    if ctx.et(a) not in FLOAT_ETS:
        attrs["m_pythondiv"] = False  # ONNX integer division truncates toward zero
    return ctx.op1("Divide", [a, b], attrs)


@onnx_op("Pow")
def pow_(ctx, node):
    a, b = legacy_broadcast(ctx, node, node.input_required(0), node.input_required(1))
    b = ctx.convert_like(b, a)
    return ctx.binary("Power", a, b)


@onnx_op("Mod", since=10)
def mod(ctx, node):
    a, b = node.input_required(0), node.input_required(1)
    if ctx.et(a) not in FLOAT_ETS:
        # fmod=1: sign of the dividend (C fmod) = OV Mod; fmod=0: sign of the divisor = OV FloorMod
        return ctx.binary("Mod" if node.attr("fmod", 0) else "FloorMod", a, b)
    # Floats as C fmod / numpy mod define them, infinities included (OpenVINO's Mod and FloorMod
    # give NaN for a finite dividend and an infinite divisor):
    #   fmod(a, b) = a when b = +-inf and a is finite, else a - trunc(a / b) * b; a zero result
    #                has the sign of a
    #   mod(a, b)  = fmod(a, b) + b when that is non-zero and its sign differs from b's;
    #                a zero result has the sign of b
    inf_b = ctx.op1("IsInf", [b], version="opset10")
    finite_a = ctx.op1("LogicalNot", [ctx.op1("IsInf", [a], version="opset10")])
    f = ctx.op1("Select", [ctx.binary("LogicalAnd", inf_b, finite_a), a, ctx.binary("Mod", a, b)],
                {"auto_broadcast": "numpy"})
    zero = ctx.const(0, a)
    if node.attr("fmod", 0):
        # a zero result takes the dividend's sign
        return ctx.op1("Select", [ctx.binary("Equal", f, zero), ctx.binary("Multiply", a, zero), f],
                       {"auto_broadcast": "numpy"})
    differ = ctx.binary("NotEqual", ctx.binary("Less", f, zero), ctx.binary("Less", b, zero))
    fix = ctx.binary("LogicalAnd", ctx.binary("NotEqual", f, zero), differ)
    m = ctx.op1("Select", [fix, ctx.binary("Add", f, b), f], {"auto_broadcast": "numpy"})
    # a zero result takes the divisor's sign
    signed_zero = ctx.binary("Multiply", ctx.op1("Sign", [b]), zero)
    return ctx.op1("Select", [ctx.binary("Equal", m, zero), signed_zero, m], {"auto_broadcast": "numpy"})


def _variadic(ov_type):
    def translate(ctx, node):
        ins = [node.input(i) for i in range(len(node.inputs)) if node.has_input(i)]
        if not ins:
            raise IrconvError("%s: needs at least one input" % node.describe())
        acc = ins[0]
        for x in ins[1:]:
            acc = ctx.binary(ov_type, acc, x)
        return acc
    return translate


onnx_op("Sum")(_variadic("Add"))
onnx_op("Max")(_variadic("Maximum"))
onnx_op("Min")(_variadic("Minimum"))


@onnx_op("Mean")
def mean(ctx, node):
    ins = [node.input(i) for i in range(len(node.inputs)) if node.has_input(i)]
    acc = _variadic("Add")(ctx, node)
    if len(ins) == 1:
        return acc
    return ctx.binary("Divide", acc, ctx.const(len(ins), acc))


def _unary(ov_type, attrs=None, version=""):
    def translate(ctx, node):
        return ctx.op1(ov_type, [node.input_required(0)], attrs, version=version)
    return translate


for _onnx, _ov in (("Abs", "Abs"), ("Neg", "Negative"), ("Exp", "Exp"), ("Log", "Log"),
                   ("Sqrt", "Sqrt"), ("Floor", "Floor"), ("Ceil", "Ceiling"), ("Sin", "Sin"),
                   ("Cos", "Cos"), ("Tan", "Tan"), ("Asin", "Asin"), ("Acos", "Acos"),
                   ("Atan", "Atan"), ("Sinh", "Sinh"), ("Cosh", "Cosh"), ("Asinh", "Asinh"),
                   ("Acosh", "Acosh"), ("Atanh", "Atanh"), ("Erf", "Erf"), ("Sign", "Sign"),
                   ("Not", "LogicalNot")):
    onnx_op(_onnx)(_unary(_ov))

onnx_op("Round", since=11)(_unary("Round", {"mode": "half_to_even"}, "opset5"))


@onnx_op("Reciprocal")
def reciprocal(ctx, node):
    x = node.input_required(0)
    return ctx.binary("Divide", ctx.const(1, x), x)


@onnx_op("IsNaN", since=9)
def is_nan(ctx, node):
    return ctx.op1("IsNaN", [node.input_required(0)], version="opset10")


@onnx_op("IsInf", since=10)
def is_inf(ctx, node):
    return ctx.op1("IsInf", [node.input_required(0)],
                   {"detect_negative": bool(node.attr("detect_negative", 1)),
                    "detect_positive": bool(node.attr("detect_positive", 1))}, version="opset10")


for _onnx, _ov in (("BitwiseAnd", "BitwiseAnd"), ("BitwiseOr", "BitwiseOr"), ("BitwiseXor", "BitwiseXor")):
    onnx_op(_onnx, since=18)(_binary(_ov))
onnx_op("BitwiseNot", since=18)(_unary("BitwiseNot", version="opset13"))


_BITS = {"u8": 8, "i8": 8, "u16": 16, "i16": 16, "u32": 32, "i32": 32, "u64": 64, "i64": 64}


@onnx_op("BitShift", since=11)
def bit_shift(ctx, node):
    d = node.attr_required("direction")
    ov_type = {"LEFT": "BitwiseLeftShift", "RIGHT": "BitwiseRightShift"}.get(d)
    if ov_type is None:
        raise IrconvError("%s: unknown direction '%s'" % (node.describe(), d))
    x, s = node.input_required(0), node.input_required(1)
    et = ctx.et(x)
    bits = _BITS.get(et)
    sv = ctx.value(s)
    if bits is None or (sv is not None and ((sv >= 0) & (sv < bits)).all()):
        return ctx.op1(ov_type, [x, s], {"auto_broadcast": "numpy"}, version="opset15")
    # A shift that is negative or >= the bit width shifts every bit out: 0, or for a right shift
    # of a signed value its sign fill (-1 / 0), which is a shift by width - 1.
    signed = et.startswith("i")
    zero, top = ctx.const(0, s), ctx.const(bits - 1, s)
    oor = ctx.binary("LogicalOr", ctx.binary("Less", s, zero), ctx.binary("Greater", s, top))
    if d == "RIGHT" and signed:
        s = ctx.op1("Select", [oor, top, s], {"auto_broadcast": "numpy"})
        return ctx.op1(ov_type, [x, s], {"auto_broadcast": "numpy"}, version="opset15")
    s = ctx.op1("Select", [oor, zero, s], {"auto_broadcast": "numpy"})
    y = ctx.op1(ov_type, [x, s], {"auto_broadcast": "numpy"}, version="opset15")
    return ctx.op1("Select", [oor, ctx.const(0, x), y], {"auto_broadcast": "numpy"})
