"""BatchNorm, Scale, Bias, LRN, MVN and SSD's Normalize."""
from __future__ import annotations

import numpy as np

from ..registry import caffe_layer


def _channels(ctx, x, fallback_blob: int) -> int:
    s = ctx.shape(x)
    if s is not None and len(s) > 1 and s[1] >= 0:
        return s[1]
    return ctx.weight_array(fallback_blob).size


@caffe_layer("BatchNorm")
def batch_norm(ctx, layer):
    """y = (x - mean) / sqrt(var + eps) with mean, var = blobs[0], blobs[1] divided by the stored
    moving-average factor blobs[2] (0 -> 0), as BatchNormLayer::Forward_cpu with use_global_stats
    (the TEST-phase default). use_global_stats: false normalizes with the batch's own statistics.
    NVIDIA Caffe's scale_bias: true then applies blobs[3] * y + blobs[4]."""
    ctx.expect_bottoms(1, 1)
    x = ctx.input(0)
    p = layer.param("batch_norm_param")
    eps = p.float("eps", 1e-5)
    rank = ctx.need_rank(x)
    if rank < 2:
        raise ctx.error("needs an input of rank >= 2 (N, C, ...), got %d-D" % rank)
    if not p.bool("use_global_stats", True):
        axes = np.asarray([0] + list(range(2, rank)), np.int64)
        mean = ctx.op1("ReduceMean", [x, axes], {"keep_dims": True})
        d = ctx.binary("Subtract", x, mean)
        var = ctx.op1("ReduceMean", [ctx.binary("Multiply", d, d), axes], {"keep_dims": True})
        den = ctx.op1("Sqrt", [ctx.binary("Add", var, ctx.scalar(eps))])
        return ctx.binary("Divide", d, den)
    c = _channels(ctx, x, 0)
    mean = ctx.weight_array(0, [c], "the mean").astype(np.float64)
    var = ctx.weight_array(1, [c], "the variance").astype(np.float64)
    f = float(ctx.weight_array(2, [1], "the moving-average factor")[0]) if ctx.num_blobs() > 2 else 1.0
    factor = 0.0 if f == 0 else 1.0 / f
    mean, var = mean * factor, var * factor
    a = 1.0 / np.sqrt(var + np.float64(np.float32(eps)))
    b = -mean * a
    if p.bool("scale_bias", False):
        # NVIDIA Caffe: blobs[3], blobs[4] are a learned scale and bias applied after normalizing
        g = ctx.weight_array(3, [c], "the scale").astype(np.float64)
        a, b = a * g, b * g + ctx.weight_array(4, [c], "the bias").astype(np.float64)
    y = ctx.binary("Multiply", x, ctx.channel_const(a.astype(np.float32), rank, 1, name=layer.name + "/scale"))
    return ctx.binary("Add", y, ctx.channel_const(b.astype(np.float32), rank, 1, name=layer.name + "/shift"))


def _param_shape(ctx, x, axis: int, num_axes: int, rank: int, blob: int):
    """The shape a learned Scale/Bias parameter covers: x.shape[axis : axis + num_axes]."""
    n = rank - axis if num_axes == -1 else num_axes
    if n < 0 or axis + n > rank:
        raise ctx.error("num_axes %d from axis %d does not fit a %d-D blob" % (num_axes, axis, rank))
    s = ctx.shape(x)
    dims = s[axis:axis + n] if s is not None else None
    if dims is None or any(d < 0 for d in dims):
        arr = ctx.weight_array(blob)
        if n == 1:
            dims = [arr.size]
        elif n == 0:
            dims = []
        else:
            dims = [d for d in arr.shape if d != 1] if arr.ndim > n else list(arr.shape)
            if len(dims) != n:
                raise ctx.error("cannot tell the shape of the parameter blob %s for num_axes %d" % (list(arr.shape), n))
    return dims


def _broadcast_at(ctx, v, axis: int, vrank: int, rank: int):
    """A tensor of rank vrank covering dims [axis, axis + vrank) of a rank-`rank` blob -> a tensor
    that broadcasts against it (numpy rules: trailing 1s added)."""
    trailing = rank - axis - vrank
    if vrank == 0 or trailing <= 0:
        return v
    val = ctx.value(v)
    if val is not None:
        return ctx.const(val.reshape(list(val.shape) + [1] * trailing))
    return ctx.unsqueeze(v, list(range(vrank, vrank + trailing)))


def _scale_or_bias(ctx, layer, kind: str):
    p = layer.param("scale_param" if kind == "Scale" else "bias_param")
    ctx.expect_bottoms(1, 2)
    x = ctx.input(0)
    rank = ctx.need_rank(x)
    two = len(layer.bottoms) == 2
    if two:
        other = ctx.input(1)
        vrank = ctx.need_rank(other, "the second bottom")
        axis = p.int("axis", 1)
        if vrank > 0:
            axis = ctx.norm_axis(axis, rank)
        v = _broadcast_at(ctx, other, axis, vrank, rank)
    else:
        axis = p.int("axis", 1)
        num_axes = p.int("num_axes", 1)
        if num_axes != 0:
            axis = ctx.norm_axis(axis, rank)
        dims = _param_shape(ctx, x, axis, num_axes, rank, 0)
        arr = ctx.weight_array(0, dims, "the %s" % ("scale" if kind == "Scale" else "bias"))
        v = ctx.const(arr.reshape(dims + [1] * (rank - axis - len(dims))) if dims else arr.reshape([1]),
                      name="%s/%s" % (layer.name, "scale" if kind == "Scale" else "bias"))
    y = ctx.binary("Multiply" if kind == "Scale" else "Add", x, v)
    if kind == "Scale" and p.bool("bias_term", False):
        bi = 0 if two else 1
        if two:
            vrank = ctx.rank(ctx.input(1))
            s = ctx.shape(ctx.input(1))
            dims = s if s is not None and all(d >= 0 for d in s) else list(ctx.weight_array(bi).shape)
        b = ctx.weight_array(bi, dims, "the bias")
        bconst = ctx.const(b.reshape(list(dims) + [1] * (rank - axis - len(dims))) if len(dims) else b.reshape([1]),
                           name=layer.name + "/bias")
        y = ctx.binary("Add", y, bconst)
    return y


@caffe_layer("Scale")
def scale(ctx, layer):
    """y = x * scale (+ bias): scale is blobs[0] (1 bottom) or bottom[1], covering the dims from
    `axis`; bias_term adds the next blob."""
    return _scale_or_bias(ctx, layer, "Scale")


@caffe_layer("Bias")
def bias(ctx, layer):
    return _scale_or_bias(ctx, layer, "Bias")


@caffe_layer("LRN")
def lrn(ctx, layer):
    """ACROSS_CHANNELS: y = x * (k + alpha / n * sum_{window of n channels} x^2) ^ -beta
    WITHIN_CHANNEL:  y = x * (1 + alpha * avg_{n x n window, zero padded} x^2) ^ -beta (Caffe
    builds it from pooling + power layers and ignores k).
    ACROSS_CHANNELS with k == 1 is OpenVINO's LRN (axes [1]); otherwise both are built from exact
    math (some OpenVINO plugins ignore LRN's bias): the window sum is an average pooling that
    counts the padding (divisor always n or n*n)."""
    ctx.expect_bottoms(1, 1)
    x = ctx.input(0)
    p = layer.param("lrn_param")
    size = p.int("local_size", 5)
    alpha, beta, k = p.float("alpha", 1.0), p.float("beta", 0.75), p.float("k", 1.0)
    region = p.enum("norm_region", {"ACROSS_CHANNELS": 0, "WITHIN_CHANNEL": 1}, "ACROSS_CHANNELS")
    if size <= 0 or size % 2 == 0:
        raise ctx.error("local_size %d must be odd and positive" % size)
    rank = ctx.need_rank(x)
    if rank != 4:
        raise ctx.error("needs a 4-D input (N, C, H, W), got %d-D" % rank)
    if region == "ACROSS_CHANNELS" and k == 1.0:
        return ctx.op1("LRN", [x, ctx.i64([1])], {"alpha": alpha, "beta": beta, "bias": 1.0, "size": size})
    sq = ctx.binary("Multiply", x, x)
    pre = (size - 1) // 2
    if region == "ACROSS_CHANNELS":
        u = ctx.unsqueeze(sq, 1)                       # [N, 1, C, H, W]: pool over C
        avg = ctx.op1("AvgPool", [u], {"strides": [1, 1, 1], "kernel": [size, 1, 1], "pads_begin": [pre, 0, 0],
                                       "pads_end": [size - 1 - pre, 0, 0], "exclude-pad": False,
                                       "rounding_type": "floor", "auto_pad": "explicit"})
        avg = ctx.squeeze(avg, 1)
        base = ctx.binary("Add", ctx.binary("Multiply", avg, ctx.scalar(alpha)), ctx.scalar(k))
    else:
        avg = ctx.op1("AvgPool", [sq], {"strides": [1, 1], "kernel": [size, size], "pads_begin": [pre, pre],
                                        "pads_end": [pre, pre], "exclude-pad": False,
                                        "rounding_type": "floor", "auto_pad": "explicit"})
        base = ctx.binary("Add", ctx.binary("Multiply", avg, ctx.scalar(alpha)), ctx.scalar(1.0))
    return ctx.binary("Multiply", x, ctx.binary("Power", base, ctx.scalar(-beta)))


@caffe_layer("MVN")
def mvn(ctx, layer):
    """y = (x - mean) / (sqrt(var) + eps) over H, W (or C, H, W with across_channels);
    normalize_variance false: y = x - mean."""
    ctx.expect_bottoms(1, 1)
    x = ctx.input(0)
    p = layer.param("mvn_param")
    rank = ctx.need_rank(x)
    start = 1 if p.bool("across_channels", False) else 2
    if rank <= start:
        raise ctx.error("needs an input of rank > %d, got %d-D" % (start, rank))
    axes = np.asarray(list(range(start, rank)), np.int64)
    return ctx.op1("MVN", [x, axes], {"normalize_variance": p.bool("normalize_variance", True),
                                      "eps": p.float("eps", 1e-9), "eps_mode": "outside_sqrt"}, version="opset6")


@caffe_layer("Normalize")
def normalize(ctx, layer):
    """SSD's Normalize: y = x / sqrt(sum x^2 + eps) * scale, the sum over C, H, W (across_spatial,
    the default) or over C per position; scale is blobs[0], one value (channel_shared) or per C."""
    ctx.expect_bottoms(1, 1)
    x = ctx.input(0)
    p = layer.param("norm_param")
    rank = ctx.need_rank(x)
    if rank < 2:
        raise ctx.error("needs an input of rank >= 2, got %d-D" % rank)
    axes = list(range(1, rank)) if p.bool("across_spatial", True) else [1]
    y = ctx.op1("NormalizeL2", [x, np.asarray(axes, np.int64)], {"eps": p.float("eps", 1e-10), "eps_mode": "add"})
    if p.bool("channel_shared", True):
        s = ctx.weight(0, [1], "the scale", "scale")
    else:
        s = ctx.channel_const(ctx.weight_array(0, [_channels(ctx, x, 0)], "the scale"), rank, 1, name=layer.name + "/scale")
    return ctx.binary("Multiply", y, s)
