"""Activations. Decomposed activations in the source (x*sigmoid(x), Clip+Div...) are translated
literally; fusing them is the core passes' job."""
from __future__ import annotations

import numpy as np

from ..registry import onnx_op


def _simple(ov_type, version=""):
    def translate(ctx, node):
        return ctx.op1(ov_type, [node.input_required(0)], version=version)
    return translate


onnx_op("Relu")(_simple("ReLU"))
onnx_op("Sigmoid")(_simple("Sigmoid"))
onnx_op("Tanh")(_simple("Tanh"))
onnx_op("Softplus")(_simple("SoftPlus", "opset4"))
onnx_op("HardSwish", since=14)(_simple("HSwish", "opset4"))
onnx_op("Mish", since=18)(_simple("Mish", "opset4"))


@onnx_op("Softsign")
def softsign(ctx, node):
    return ctx.op1("SoftSign", [node.input_required(0)], version="opset9")


def prelu_with_slope(ctx, x, slope):
    """ONNX PRelu: slope is numpy-broadcast (unidirectionally) to x. OV PReLU treats a 1-D slope
    as per-channel (axis 1), so the slope is first given x's rank to keep numpy semantics."""
    rx, rs = ctx.rank(x), ctx.rank(slope)
    if rx is not None and rs is not None and rs < rx and not (rs == 1 and rx == 1):
        sv = ctx.value(slope)
        if sv is not None:
            slope = ctx.const(sv.reshape((1,) * (rx - rs) + sv.shape))
        else:
            slope = ctx.unsqueeze(slope, list(range(rx - rs)))
    elif rx is None or rs is None or rx == 0:
        # unknown ranks: where(x < 0, x * slope, x)
        neg = ctx.binary("Less", x, ctx.const(0, x))
        return ctx.op1("Select", [neg, ctx.binary("Multiply", x, slope), x], {"auto_broadcast": "numpy"})
    return ctx.op1("PReLU", [x, slope])


@onnx_op("PRelu")
def prelu(ctx, node):
    x, slope = node.input_required(0), node.input_required(1)
    slope = ctx.convert_like(slope, x)
    return prelu_with_slope(ctx, x, slope)


@onnx_op("LeakyRelu")
def leaky_relu(ctx, node):
    x = node.input_required(0)
    alpha = node.attr("alpha", 0.01)
    return prelu_with_slope(ctx, x, ctx.const(np.array([alpha]), x))


@onnx_op("Elu")
def elu(ctx, node):
    return ctx.op1("Elu", [node.input_required(0)], {"alpha": node.attr("alpha", 1.0)})


@onnx_op("Celu", since=12)
def celu(ctx, node):
    # celu(x) = alpha * elu(x / alpha, 1)
    x = node.input_required(0)
    alpha = node.attr("alpha", 1.0)
    if alpha == 1.0:
        return ctx.op1("Elu", [x], {"alpha": 1.0})
    a = ctx.const(alpha, x)
    return ctx.binary("Multiply", ctx.op1("Elu", [ctx.binary("Divide", x, a)], {"alpha": 1.0}), a)


@onnx_op("Selu")
def selu(ctx, node):
    x = node.input_required(0)
    alpha = node.attr("alpha", 1.67326319217681884765625)
    gamma = node.attr("gamma", 1.05070102214813232421875)
    return ctx.op1("Selu", [x, ctx.const([alpha], x), ctx.const([gamma], x)])


@onnx_op("ThresholdedRelu", since=10)
def thresholded_relu(ctx, node):
    x = node.input_required(0)
    mask = ctx.binary("Less", ctx.const(node.attr("alpha", 1.0), x), x)   # alpha < x: false for NaN
    return ctx.op1("Select", [mask, x, ctx.const(0, x)], {"auto_broadcast": "numpy"})


@onnx_op("HardSigmoid")
def hard_sigmoid(ctx, node):
    x = node.input_required(0)
    alpha = ctx.const(node.attr("alpha", 0.2), x)
    beta = ctx.const(node.attr("beta", 0.5), x)
    return ctx.op1("HardSigmoid", [x, alpha, beta])


@onnx_op("Gelu", since=20)
def gelu(ctx, node):
    mode = node.attr("approximate", "none")
    return ctx.op1("Gelu", [node.input_required(0)],
                   {"approximation_mode": "tanh" if mode == "tanh" else "erf"}, version="opset7")


@onnx_op("Swish", since=24)
def swish(ctx, node):
    x = node.input_required(0)
    alpha = node.attr("alpha", 1.0)
    return ctx.op1("Swish", [x, ctx.const(alpha, x)], version="opset4")


@onnx_op("Shrink", since=9)
def shrink(ctx, node):
    x = node.input_required(0)
    lambd, bias = node.attr("lambd", 0.5), node.attr("bias", 0.0)
    zero = ctx.const(0, x)
    lo = ctx.binary("Less", x, ctx.const(-lambd, x))
    hi = ctx.binary("Less", ctx.const(lambd, x), x)
    b = ctx.const(bias, x)
    y = ctx.op1("Select", [hi, ctx.binary("Subtract", x, b), zero], {"auto_broadcast": "numpy"})
    return ctx.op1("Select", [lo, ctx.binary("Add", x, b), y], {"auto_broadcast": "numpy"})


def _clip_bounds_const(ctx, x, lo, hi):
    return ctx.op1("Clamp", [x], {"min": float(lo), "max": float(hi)})


@onnx_op("Clip", until=10)
def clip_1(ctx, node):
    x = node.input_required(0)
    f = np.finfo(np.float32)
    lo = node.attr("min", float(f.min))
    hi = node.attr("max", float(f.max))
    if not node.has_attr("min"):
        return ctx.binary("Minimum", x, ctx.const(hi, x))
    if not node.has_attr("max"):
        return ctx.binary("Maximum", x, ctx.const(lo, x))
    return _clip_bounds_const(ctx, x, lo, hi)


@onnx_op("Clip", since=11)
def clip_11(ctx, node):
    x = node.input_required(0)
    lo, hi = node.input(1), node.input(2)
    lov = ctx.value(lo) if lo is not None else None
    hiv = ctx.value(hi) if hi is not None else None
    if lov is not None and hiv is not None and lov.size == 1 and hiv.size == 1:
        return _clip_bounds_const(ctx, x, lov.reshape(()).item(), hiv.reshape(()).item())
    y = x
    if lo is not None:
        y = ctx.binary("Maximum", y, ctx.convert_like(lo, x))
    if hi is not None:
        y = ctx.binary("Minimum", y, ctx.convert_like(hi, x))
    return y


@onnx_op("SwiGLU", since=28)
def swiglu(ctx, node):
    # Y = A * sigmoid(alpha * A) * B
    a, b = node.input_required(0), node.input_required(1)
    gate = ctx.op1("Swish", [a, ctx.const(node.attr("alpha", 1.0), a)], version="opset4")
    return ctx.binary("Multiply", gate, b)
