"""Element-wise activations and power/exp/log layers (Caffe's neuron layers)."""
from __future__ import annotations

import math

import numpy as np

from ..registry import caffe_layer


def _one(ctx):
    ctx.expect_bottoms(1, 1)
    return ctx.input(0)


@caffe_layer("ReLU")
def relu(ctx, layer):
    x = _one(ctx)
    slope = layer.param("relu_param").float("negative_slope", 0.0)
    if slope == 0.0:
        return ctx.op1("ReLU", [x])
    # y = max(x, 0) + negative_slope * min(x, 0)
    return ctx.op1("PReLU", [x, ctx.scalar(slope)])


@caffe_layer("ReLU6")
def relu6(ctx, layer):
    # min(max(x, 0), 6)  (MobileNet-v2 Caffe forks)
    return ctx.op1("Clamp", [_one(ctx)], {"min": 0.0, "max": 6.0})


@caffe_layer("PReLU")
def prelu(ctx, layer):
    x = _one(ctx)
    shared = layer.param("prelu_param").bool("channel_shared", False)
    if shared:
        slope = ctx.weight(0, [1], "the slope")
    else:
        s = ctx.shape(x)
        c = s[1] if s is not None and len(s) > 1 and s[1] >= 0 else ctx.weight_array(0).size
        slope = ctx.weight(0, [c], "the per-channel slopes")
    return ctx.op1("PReLU", [x, slope])


@caffe_layer("ELU")
def elu(ctx, layer):
    x = _one(ctx)
    return ctx.op1("Elu", [x], {"alpha": layer.param("elu_param").float("alpha", 1.0)})


@caffe_layer("TanH")
def tanh(ctx, layer):
    return ctx.op1("Tanh", [_one(ctx)])


@caffe_layer("Sigmoid")
def sigmoid(ctx, layer):
    return ctx.op1("Sigmoid", [_one(ctx)])


@caffe_layer("AbsVal")
def absval(ctx, layer):
    return ctx.op1("Abs", [_one(ctx)])


@caffe_layer("BNLL")
def bnll(ctx, layer):
    # log(1 + exp(x))
    return ctx.op1("SoftPlus", [_one(ctx)], version="opset4")


@caffe_layer("Swish")
def swish(ctx, layer):
    # x * sigmoid(beta * x)
    x = _one(ctx)
    beta = layer.param("swish_param").float("beta", 1.0)
    if beta == 1.0:
        return ctx.op1("Swish", [x], version="opset4")
    return ctx.op1("Swish", [x, ctx.const(np.float32(beta))], version="opset4")


@caffe_layer("Clip")
def clip(ctx, layer):
    x = _one(ctx)
    p = layer.param("clip_param")
    if not (p.has("min") and p.has("max")):
        raise ctx.error("needs clip_param min and max")
    return ctx.op1("Clamp", [x], {"min": p.float("min"), "max": p.float("max")})


@caffe_layer("Threshold")
def threshold(ctx, layer):
    # y = x > threshold ? 1 : 0
    x = _one(ctx)
    t = layer.param("threshold_param").float("threshold", 0.0)
    gt = ctx.binary("Greater", x, ctx.scalar(t))
    return ctx.op1("Convert", [gt], {"destination_type": "f32"})


def _affine(ctx, x, scale: float, shift: float):
    """shift + scale * x"""
    if scale != 1.0:
        x = ctx.binary("Multiply", x, ctx.scalar(scale))
    if shift != 0.0:
        x = ctx.binary("Add", x, ctx.scalar(shift))
    return x


@caffe_layer("Power")
def power(ctx, layer):
    # y = (shift + scale * x) ^ power
    x = _one(ctx)
    p = layer.param("power_param")
    pw, scale, shift = p.float("power", 1.0), p.float("scale", 1.0), p.float("shift", 0.0)
    y = _affine(ctx, x, scale, shift)
    if pw != 1.0:
        y = ctx.binary("Power", y, ctx.scalar(pw))
    return y


@caffe_layer("Exp")
def exp(ctx, layer):
    # y = base ^ (shift + scale * x) = exp(ln(base) * scale * x) * base ^ shift  (base -1: e)
    x = _one(ctx)
    p = layer.param("exp_param")
    base, scale, shift = p.float("base", -1.0), p.float("scale", 1.0), p.float("shift", 0.0)
    if base != -1.0 and base <= 0:
        raise ctx.error("base %g must be positive (or -1 for e)" % base)
    ln = 1.0 if base == -1.0 else math.log(base)
    inner = ln * scale
    outer = math.exp(ln * shift)
    y = ctx.op1("Exp", [_affine(ctx, x, inner, 0.0)])
    if outer != 1.0:
        y = ctx.binary("Multiply", y, ctx.scalar(outer))
    return y


@caffe_layer("Log")
def log(ctx, layer):
    # y = log_base(shift + scale * x)  (base -1: e)
    x = _one(ctx)
    p = layer.param("log_param")
    base, scale, shift = p.float("base", -1.0), p.float("scale", 1.0), p.float("shift", 0.0)
    if base != -1.0 and (base <= 0 or base == 1.0):
        raise ctx.error("base %g must be positive and not 1 (or -1 for e)" % base)
    y = ctx.op1("Log", [_affine(ctx, x, scale, shift)])
    if base != -1.0:
        y = ctx.binary("Multiply", y, ctx.scalar(1.0 / math.log(base)))
    return y


@caffe_layer("Dropout")
def dropout(ctx, layer):
    # Caffe's Dropout is the identity at test time (it scales while training: scale_train).
    x = _one(ctx)
    if not layer.param("dropout_param").bool("scale_train", True):
        return ctx.binary("Multiply", x, ctx.scalar(1.0 - layer.param("dropout_param").float("dropout_ratio", 0.5)))
    return x
