"""BatchNorm, InstanceNorm, LayerNorm, L2Normalization, LRN.

Defaults the file does not store: BatchNorm eps 1e-3 and **fix_gamma True** (gamma is 1 whatever
is stored), axis 1; InstanceNorm eps 1e-3; LayerNorm axis -1, eps 1e-5; L2Normalization eps
1e-10, mode instance (all non-batch axes; channel: axis 1; spatial: axes 2..); LRN alpha 1e-4,
beta 0.75, knorm 2."""
from __future__ import annotations

import numpy as np

from irconv.limits import MAX_EXPANDED_BYTES, numel

from ..registry import mxnet_op


def _ones_like_input(ctx, v):
    s = ctx.shape(v)
    if s is not None and all(d >= 0 for d in s) and numel(s) * 4 <= MAX_EXPANDED_BYTES:
        return ctx.const(np.ones(s, dtype=np.float32), v)
    return ctx.op1("ConvertLike", [ctx.op1("Broadcast", [ctx.scalar(1, v), ctx.shape_of(v)],
                                            {"mode": "numpy"}, version="opset3"), v])


@mxnet_op("BatchNorm", "BatchNorm_v1", "CuDNNBatchNorm", "_contrib_SyncBatchNorm",
          outputs=("output", "mean", "var"))
def batch_norm(ctx, node):
    x = node.input(0)
    gamma, beta, mean, var = node.input(1), node.input(2), node.input(3), node.input(4)
    eps = node.float("eps", 1e-3)
    axis = node.int("axis", 1)
    if node.bool("fix_gamma", True):
        gamma = _ones_like_input(ctx, gamma)
    r = ctx.rank(x)
    axis = ctx.norm_axis(axis, r)
    if axis == 1 and r is not None and r >= 2:
        y = ctx.op1("BatchNormInference", [x, gamma, beta, mean, var], {"epsilon": eps}, version="opset5")
    else:
        rank = ctx.rank_required(x)
        inv = ctx.op1("Sqrt", [ctx.binary("Add", var, ctx.scalar(eps, var))])
        scale = ctx.binary("Divide", gamma, inv)
        y = ctx.binary("Multiply", ctx.binary("Subtract", x, ctx.channel_shape(mean, rank, axis)),
                       ctx.channel_shape(scale, rank, axis))
        y = ctx.binary("Add", y, ctx.channel_shape(beta, rank, axis))
    return [y, mean, var]


def _affine(ctx, y, gamma, beta, rank, axis):
    y = ctx.binary("Multiply", y, ctx.channel_shape(gamma, rank, axis))
    return ctx.binary("Add", y, ctx.channel_shape(beta, rank, axis))


@mxnet_op("InstanceNorm")
def instance_norm(ctx, node):
    x = node.input(0)
    r = ctx.rank_required(x)
    eps = node.float("eps", 1e-3)
    y = ctx.op1("MVN", [x, ctx.i64(list(range(2, r)))],
                {"normalize_variance": True, "eps": eps, "eps_mode": "inside_sqrt"}, version="opset6")
    return _affine(ctx, y, node.input(1), node.input(2), r, 1)


@mxnet_op("LayerNorm", outputs=("output", "mean", "std"))
def layer_norm(ctx, node):
    x = node.input(0)
    r = ctx.rank_required(x)
    axis = ctx.norm_axis(node.int("axis", -1), r)
    eps = node.float("eps", 1e-5)
    y = ctx.op1("MVN", [x, ctx.i64([axis])], {"normalize_variance": True, "eps": eps, "eps_mode": "inside_sqrt"},
                version="opset6")
    return _affine(ctx, y, node.input(1), node.input(2), r, axis)


@mxnet_op("L2Normalization")
def l2_normalization(ctx, node):
    x = node.input(0)
    r = ctx.rank_required(x)
    mode = node.str("mode", "instance")
    eps = node.float("eps", 1e-10)
    if mode == "instance":
        axes = list(range(1, r))
    elif mode == "channel":
        axes = [1]
    elif mode == "spatial":
        axes = list(range(2, r))
    else:
        node.fail("mode '%s' is not supported (instance, channel, spatial)" % mode)
    # x / sqrt(sum(x^2 over axes) + eps)
    return ctx.op1("NormalizeL2", [x, ctx.i64(axes)], {"eps": eps, "eps_mode": "add"})


@mxnet_op("LRN")
def lrn(ctx, node):
    x = node.input(0)
    size = node.required("nsize", "int")
    return ctx.op1("LRN", [x, ctx.i64([1])], {"alpha": node.float("alpha", 1e-4), "beta": node.float("beta", 0.75),
                                              "bias": node.float("knorm", 2.0), "size": size})
