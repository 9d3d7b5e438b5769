"""BatchNormalization, InstanceNormalization, LayerNormalization, GroupNormalization, LRN,
LpNormalization, MeanVarianceNormalization."""
from __future__ import annotations

import numpy as np

from irconv.errors import IrconvError

from ..registry import UseFunction, onnx_op
from .pool import spatial_axes


@onnx_op("BatchNormalization")
def batch_norm(ctx, node):
    x = node.input_required(0)
    params = [ctx.convert_like(node.input_required(i), x) for i in range(1, 5)]
    if node.attr("training_mode", 0):
        return _batch_norm_training(ctx, node, x, params)
    if ctx.opset < 9 and node.has_attr("spatial") and node.attr("spatial") == 0:
        if any(ctx.rank(p) not in (None, 1) for p in params):
            raise IrconvError("%s: spatial=0 (per-activation statistics) is not supported" % node.describe())
    for i in range(1, len(node.outputs)):
        if node.output_used(i):
            raise IrconvError("%s: training outputs (running mean/var, saved statistics) are not "
                              "supported" % node.describe())
    eps = node.attr("epsilon", 1e-5)
    return [ctx.op1("BatchNormInference", [x] + params, {"epsilon": eps}, version="opset5")] + \
        [None] * (len(node.outputs) - 1)


def _batch_norm_training(ctx, node, x, params):
    """training_mode=1: normalise with the batch statistics (mean and population variance over
    all axes but 1); running_mean/var = input * momentum + batch * (1 - momentum)."""
    scale, bias, mean_in, var_in = params
    r = ctx.rank(x)
    if r is None:
        raise IrconvError("%s: training mode needs a known input rank" % node.describe())
    eps, momentum = node.attr("epsilon", 1e-5), node.attr("momentum", 0.9)
    axes = ctx.i64([0] + list(range(2, r)))
    mean = ctx.op1("ReduceMean", [x, axes], {"keep_dims": True})
    d = ctx.binary("Subtract", x, mean)
    var = ctx.op1("ReduceMean", [ctx.binary("Multiply", d, d), axes], {"keep_dims": True})
    y = ctx.binary("Divide", d, ctx.op1("Sqrt", [ctx.binary("Add", var, ctx.const(eps, var))]))
    y = _channel_affine(ctx, y, scale, bias, r)
    outs = [y, None, None]
    if node.output_used(1) or node.output_used(2):
        m, v = ctx.reshape(mean, [-1]), ctx.reshape(var, [-1])
        mom, rest = ctx.const(momentum, m), ctx.const(1.0 - momentum, m)
        outs[1] = ctx.binary("Add", ctx.binary("Multiply", mean_in, mom), ctx.binary("Multiply", m, rest))
        outs[2] = ctx.binary("Add", ctx.binary("Multiply", var_in, mom), ctx.binary("Multiply", v, rest))
    return outs


def _channel_affine(ctx, y, scale, bias, rank):
    """y * scale[C] + bias[C] for y of layout [N, C, ...]"""
    shape = [1, -1] + [1] * (rank - 2) if rank is not None else None
    out = []
    for t in (scale, bias):
        if t is None:
            out.append(None)
            continue
        t = ctx.convert_like(t, y)
        v = ctx.value(t)
        if shape is not None:
            t = ctx.const(v.reshape(shape)) if v is not None else ctx.reshape(t, shape)
        else:
            # unknown rank: [C] -> [C, 1, ..., 1] with rank-2 trailing ones via Unsqueeze by count
            raise IrconvError("per-channel scale needs a known input rank")
        out.append(t)
    if out[0] is not None:
        y = ctx.binary("Multiply", y, out[0])
    if out[1] is not None:
        y = ctx.binary("Add", y, out[1])
    return y


def _mvn(ctx, x, axes, eps, inside=True, normalize_variance=True):
    return ctx.op1("MVN", [x, axes], {"normalize_variance": normalize_variance, "eps": float(eps),
                                      "eps_mode": "inside_sqrt" if inside else "outside_sqrt"},
                   version="opset6")


@onnx_op("InstanceNormalization", since=6)
def instance_norm(ctx, node):
    x, scale, bias = node.input_required(0), node.input_required(1), node.input_required(2)
    y = _mvn(ctx, x, spatial_axes(ctx, x), node.attr("epsilon", 1e-5))
    return _channel_affine(ctx, y, scale, bias, ctx.rank(x))


def _trailing_axes(ctx, x, axis):
    """The axes [axis, rank) that Layer/RMS normalization reduce over, as an i64 tensor (computed
    from the rank at run time when it is unknown and axis >= 0)."""
    r = ctx.rank(x)
    if r is not None:
        return ctx.i64(list(range(ctx.norm_axis(axis, r), r)))
    if axis < 0:
        return ctx.i64(list(range(axis, 0)))
    rank = ctx.to_scalar(ctx.shape_of(ctx.shape_of(x)))
    return ctx.op1("Range", [ctx.const(np.array(axis, np.int64)), rank, ctx.const(np.array(1, np.int64))],
                   {"output_type": "i64"}, version="opset4")


@onnx_op("LayerNormalization", since=17)
def layer_norm(ctx, node):
    x, scale, bias = node.input_required(0), node.input_required(1), node.input(2)
    axis = node.attr("axis", -1)
    eps = node.attr("epsilon", 1e-5)
    axes = _trailing_axes(ctx, x, axis)
    y = _mvn(ctx, x, axes, eps)
    y = ctx.binary("Multiply", y, ctx.convert_like(scale, x))
    if bias is not None:
        y = ctx.binary("Add", y, ctx.convert_like(bias, x))
    mean = inv_std = None
    if node.output_used(1) or node.output_used(2):
        mean = ctx.op1("ReduceMean", [x, axes], {"keep_dims": True})
        if node.output_used(2):
            d = ctx.binary("Subtract", x, mean)
            var = ctx.op1("ReduceMean", [ctx.binary("Multiply", d, d), axes], {"keep_dims": True})
            std = ctx.op1("Sqrt", [ctx.binary("Add", var, ctx.const(eps, var))])
            inv_std = ctx.binary("Divide", ctx.const(1, std), std)
    return [y, mean, inv_std]


@onnx_op("GroupNormalization", since=18)
def group_norm(ctx, node):
    x, scale, bias = node.input_required(0), node.input_required(1), node.input_required(2)
    groups = node.attr_required("num_groups")
    eps = node.attr("epsilon", 1e-5)
    scale, bias = ctx.convert_like(scale, x), ctx.convert_like(bias, x)
    if ctx.opset < 21:
        # opset 18: scale and bias are per group; GroupNormalization-12 takes them per channel
        xs = ctx.shape(x)
        c = xs[1] if xs is not None and len(xs) > 1 else -1
        if c < 0:
            raise UseFunction("per-group scale/bias need a static channel dimension")
        rep = c // groups
        expanded = []
        for t in (scale, bias):
            v = ctx.value(t)
            if v is not None:
                expanded.append(ctx.const(np.repeat(v.reshape(-1), rep)))
            else:
                t = ctx.reshape(t, [groups, 1])
                t = ctx.op1("Broadcast", [t, ctx.i64([groups, rep])], {"mode": "numpy"}, version="opset3")
                expanded.append(ctx.reshape(t, [c]))
        scale, bias = expanded
    return ctx.op1("GroupNormalization", [x, scale, bias], {"num_groups": groups, "epsilon": eps},
                   version="opset12")


@onnx_op("LRN")
def lrn(ctx, node):
    # x / (bias + alpha/size * sqsum)^beta = LRN(alpha/bias, bias=1) * bias^-beta: OpenVINO's CPU
    # plugin computes LRN as if bias were 1, so the bias is factored out
    x = node.input_required(0)
    alpha, beta = node.attr("alpha", 1e-4), node.attr("beta", 0.75)
    bias = node.attr("bias", 1.0)
    attrs = {"alpha": alpha / bias, "beta": beta, "bias": 1.0, "size": node.attr_required("size")}
    y = ctx.op1("LRN", [x, ctx.i64([1])], attrs)
    if bias != 1.0:
        y = ctx.binary("Multiply", y, ctx.const(bias ** -beta, y))
    return y


@onnx_op("LpNormalization")
def lp_norm(ctx, node):
    x = node.input_required(0)
    axis = node.attr("axis", -1)
    p = node.attr("p", 2)
    if p not in (1, 2):
        raise IrconvError("%s: p=%d is not supported (1 or 2)" % (node.describe(), p))
    axes = ctx.i64([axis])
    norm = ctx.op1("ReduceL2" if p == 2 else "ReduceL1", [x, axes], {"keep_dims": True}, version="opset4")
    # a zero vector stays zero (ONNX Runtime divides by 1 there)
    zero = ctx.binary("Equal", norm, ctx.const(0, norm))
    norm = ctx.op1("Select", [zero, ctx.const(1, norm), norm], {"auto_broadcast": "numpy"})
    return ctx.binary("Divide", x, norm)


@onnx_op("MeanVarianceNormalization", since=9)
def mean_variance_norm(ctx, node):
    # ONNX: (X - mean) / (sqrt(var) + 1e-9)
    x = node.input_required(0)
    axes = node.attr("axes", [0, 2, 3])
    return _mvn(ctx, x, ctx.i64(axes), 1e-9, inside=False)


@onnx_op("RMSNormalization", since=23)
def rms_norm(ctx, node):
    # x / sqrt(mean(x^2 over [axis..]) + eps) * scale
    x, scale = node.input_required(0), node.input_required(1)
    axis = node.attr("axis", -1)
    eps = node.attr("epsilon", 1e-5)
    axes = _trailing_axes(ctx, x, axis)
    ms = ctx.op1("ReduceMean", [ctx.binary("Multiply", x, x), axes], {"keep_dims": True})
    rms = ctx.op1("Sqrt", [ctx.binary("Add", ms, ctx.const(eps, ms))])
    return ctx.binary("Multiply", ctx.binary("Divide", x, rms), ctx.convert_like(scale, x))
