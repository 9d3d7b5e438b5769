"""softmax, log_softmax, SoftmaxActivation, SoftmaxOutput (its label input is dropped).

SoftmaxActivation: mode instance = softmax over the last axis (MXNet flattens all leading axes),
channel = over axis 1. SoftmaxOutput: multi_output = over axis 1; preserve_shape = over the last
axis; otherwise over all non-batch values of each sample flattened together."""
from __future__ import annotations

from ..registry import mxnet_op


def _temperature(ctx, node, x):
    t = node.float("temperature")
    if t is not None and t != 1.0:
        x = ctx.binary("Divide", x, ctx.scalar(t, x))
    return x


@mxnet_op("softmax", "_npx_softmax", inputs=(0,))
def softmax(ctx, node):
    if node.bool("use_length", False):
        node.fail("use_length=True is not supported")
    x = _temperature(ctx, node, node.input(0))
    r = ctx.rank_required(x)
    return ctx.op1("SoftMax", [x], {"axis": ctx.norm_axis(node.int("axis", -1), r)}, version="opset8")


@mxnet_op("log_softmax", "_npx_log_softmax", inputs=(0,))
def log_softmax(ctx, node):
    if node.bool("use_length", False):
        node.fail("use_length=True is not supported")
    x = _temperature(ctx, node, node.input(0))
    r = ctx.rank_required(x)
    return ctx.op1("LogSoftmax", [x], {"axis": ctx.norm_axis(node.int("axis", -1), r)}, version="opset5")


@mxnet_op("SoftmaxActivation")
def softmax_activation(ctx, node):
    x = node.input(0)
    r = ctx.rank_required(x)
    axis = 1 if node.str("mode", "instance") == "channel" else r - 1
    return ctx.op1("SoftMax", [x], {"axis": axis}, version="opset8")


@mxnet_op("SoftmaxOutput", "Softmax", inputs=(0,))
def softmax_output(ctx, node):
    x = node.input(0)
    r = ctx.rank_required(x)
    if node.bool("multi_output", False):
        return ctx.op1("SoftMax", [x], {"axis": 1}, version="opset8")
    if node.bool("preserve_shape", False) or r <= 2:
        return ctx.op1("SoftMax", [x], {"axis": r - 1}, version="opset8")
    flat = ctx.reshape(x, [0, -1], special_zero=True)
    y = ctx.op1("SoftMax", [flat], {"axis": 1}, version="opset8")
    s = ctx.static_shape(x)
    return ctx.reshape(y, s if s is not None else ctx.shape_of(x))
