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
                   ("Equal", "Equal"), ("Greater", "Greater"), ("Less", "Less"),
                   ("GreaterOrEqual", "GreaterEqual"), ("LessOrEqual", "LessEqual"),
                   ("And", "LogicalAnd"), ("Or", "LogicalOr"), ("Xor", "LogicalXor")):
    onnx_op(_onnx)(_binary(_ov))


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
    # fmod=1: sign of the dividend (C fmod) = OV Mod; fmod=0: sign of the divisor = OV FloorMod
    return ctx.binary("Mod" if node.attr("fmod", 0) else "FloorMod", a, b)


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


@onnx_op("BitShift", since=11)
def bit_shift(ctx, node):
    d = node.attr_required("direction")
    ov_type = {"LEFT": "BitwiseLeftShift", "RIGHT": "BitwiseRightShift"}.get(d)
    if ov_type is None:
        raise IrconvError("%s: unknown direction '%s'" % (node.describe(), d))
    return ctx.op1(ov_type, [node.input_required(0), node.input_required(1)], {"auto_broadcast": "numpy"},
                   version="opset15")
