"""Pooling (MAX / AVE, global, Caffe's rounding) and the exact-shape rules it needs.

Caffe's pooled size (PoolingLayer::Reshape, round_mode CEIL, the default):
    out = ceil((in + 2 * pad - k) / s) + 1;  if pad > 0 and (out - 1) * s >= in + pad: out -= 1
A window may thus hang over the padded input at the end ("overhang"). MAX ignores both padding
and overhang. AVE divides by the part of the window inside [-pad, in + pad), i.e. padding counts
and overhang does not. With static shapes both are expressed exactly with floor rounding and an
explicit extra end padding; AVE with both padding and overhang pads the input with zeros first
and then excludes only the overhang (exclude-pad=true). With dynamic spatial dims MAX (and AVE
without padding) use rounding "ceil_torch" (MaxPool-14 / AvgPool-14: the same clamp rule as
Caffe's); padded AVE pools the zero-padded input and slices to Caffe's size computed in the graph.
"""
from __future__ import annotations

import numpy as np

from ..registry import caffe_layer
from .conv import spatial_params

_POOL = {"MAX": 0, "AVE": 1, "STOCHASTIC": 2}
_ROUND = {"CEIL": 0, "FLOOR": 1}


def caffe_pooled_size(size: int, k: int, pad: int, stride: int, ceil: bool) -> int:
    if ceil:
        out = -(-(size + 2 * pad - k) // stride) + 1
    else:
        out = (size + 2 * pad - k) // stride + 1
    if pad > 0 and (out - 1) * stride >= size + pad:
        out -= 1
    return out


@caffe_layer("Pooling")
def pooling(ctx, layer):
    ctx.expect_bottoms(1, 1)
    x = ctx.input(0)
    p = layer.param("pooling_param")
    method = p.enum("pool", _POOL, "MAX")
    if method == "STOCHASTIC":
        raise ctx.error("STOCHASTIC pooling has no deterministic inference form (Caffe's CPU code does not implement it)")
    rank = ctx.need_rank(x)
    if rank < 3:
        raise ctx.error("needs an input with spatial dims (N, C, ...), got %d-D" % rank)
    n = rank - 2
    axes = list(range(2, rank))
    if p.bool("global_pooling", False):
        kernel, pads, strides, _ = spatial_params(ctx, p, n, kernel_required=False)
        if any(pads) or any(s != 1 for s in strides):
            raise ctx.error("global pooling needs pad 0 and stride 1")
        red = "ReduceMax" if method == "MAX" else "ReduceMean"
        return ctx.op1(red, [x, np.asarray(axes, np.int64)], {"keep_dims": True})
    kernel, pads, strides, dil = spatial_params(ctx, p, n)
    if any(d != 1 for d in dil):
        raise ctx.error("dilated pooling (dilation %s) is not supported" % dil)
    ceil = p.enum("round_mode", _ROUND, "CEIL") == "CEIL"
    shape = ctx.shape(x)
    spatial = shape[2:] if shape is not None else [-1] * n
    if any(d < 0 for d in spatial):
        return _dynamic(ctx, x, method, kernel, pads, strides, ceil)
    over = []
    for i in range(n):
        out = caffe_pooled_size(spatial[i], kernel[i], pads[i], strides[i], ceil)
        if out <= 0:
            raise ctx.error("kernel %s with pad %s does not fit the %s input" % (kernel, pads, spatial))
        over.append(max(0, (out - 1) * strides[i] + kernel[i] - (spatial[i] + 2 * pads[i])))
    ends = [pads[i] + over[i] for i in range(n)]
    common = {"strides": strides, "kernel": kernel, "rounding_type": "floor", "auto_pad": "explicit"}
    if method == "MAX":
        attrs = dict(common, pads_begin=pads, pads_end=ends, dilations=[1] * n, index_element_type="i64", axis=0)
        return ctx.op("MaxPool", [x], attrs, version="opset8").output(0)
    if not any(over):
        return ctx.op1("AvgPool", [x], dict(common, pads_begin=pads, pads_end=pads, **{"exclude-pad": False}))
    if not any(pads):
        return ctx.op1("AvgPool", [x], dict(common, pads_begin=[0] * n, pads_end=over, **{"exclude-pad": True}))
    padded = ctx.op1("Pad", [x, np.asarray([0, 0] + pads, np.int64), np.asarray([0, 0] + pads, np.int64),
                             np.zeros((), np.float32)], {"pad_mode": "constant"}, version="opset12")
    return ctx.op1("AvgPool", [padded], dict(common, pads_begin=[0] * n, pads_end=over, **{"exclude-pad": True}))


def _dynamic(ctx, x, method, kernel, pads, strides, ceil):
    n = len(kernel)
    rounding = "ceil_torch" if ceil else "floor"
    if method == "MAX":
        attrs = {"strides": strides, "kernel": kernel, "pads_begin": pads, "pads_end": pads, "dilations": [1] * n,
                 "rounding_type": rounding, "auto_pad": "explicit", "index_element_type": "i64", "axis": 0}
        return ctx.op("MaxPool", [x], attrs, version="opset14").output(0)
    if not any(pads):
        # the divisor is the part of the window inside the input: exclude-pad
        attrs = {"strides": strides, "kernel": kernel, "pads_begin": [0] * n, "pads_end": [0] * n,
                 "rounding_type": rounding, "auto_pad": "explicit", "exclude-pad": True}
        return ctx.op1("AvgPool", [x], attrs, version="opset14")
    # Padding counts in the divisor, the overhang does not: zero-pad explicitly, pool with an
    # excluded end padding of min(stride, kernel) - 1 (no overhang is longer), keep Caffe's size.
    rank = n + 2
    padded = ctx.op1("Pad", [x, ctx.i64([0, 0] + pads), ctx.i64([0, 0] + pads), np.zeros((), np.float32)],
                     {"pad_mode": "constant"}, version="opset12")
    attrs = {"strides": strides, "kernel": kernel, "pads_begin": [0] * n,
             "pads_end": [min(st, k) - 1 for st, k in zip(strides, kernel)],
             "rounding_type": "floor", "auto_pad": "explicit", "exclude-pad": True}
    pooled = ctx.op1("AvgPool", [padded], attrs)
    size = _caffe_pooled_size_graph(ctx, ctx.dims(x, 2, rank), kernel, pads, strides, ceil)
    return ctx.op1("Slice", [pooled, ctx.i64([0] * n), size, ctx.i64([1] * n), ctx.i64(list(range(2, rank)))],
                   version="opset8")


def _caffe_pooled_size_graph(ctx, size, kernel, pads, strides, ceil):
    """caffe_pooled_size() on an i64 vector of spatial dims, as graph ops."""
    k, p, s = (ctx.i64(v) for v in (kernel, pads, strides))
    t = ctx.binary("Subtract", ctx.binary("Add", size, ctx.i64([2 * q for q in pads])), k)
    if ceil:
        t = ctx.binary("Add", t, ctx.i64([q - 1 for q in strides]))
    out = ctx.binary("Add", ctx.op1("Divide", [t, s], {"auto_broadcast": "numpy", "m_pythondiv": True}), ctx.i64([1] * len(kernel)))
    last = ctx.binary("Multiply", ctx.binary("Subtract", out, ctx.i64([1] * len(kernel))), s)
    drop = ctx.op1("Convert", [ctx.binary("GreaterEqual", last, ctx.binary("Add", size, p))], {"destination_type": "i64"})
    drop = ctx.binary("Multiply", drop, ctx.i64([1 if q > 0 else 0 for q in pads]))
    return ctx.binary("Subtract", out, drop)
