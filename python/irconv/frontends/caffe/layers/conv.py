"""Convolution, Deconvolution (and the kernel/pad/stride parsing Pooling shares)."""
from __future__ import annotations

from typing import List

import numpy as np

from ..registry import caffe_layer


def _per_dim(ctx, p, name: str, n: int, default: int, hw=None) -> List[int]:
    """A repeated spatial field (one value for all dims, or one per dim), or its _h/_w form."""
    if hw is not None and (p.has(hw[0]) or p.has(hw[1])):
        if n != 2:
            raise ctx.error("%s/%s only apply to 2-D %s, the blob has %d spatial dims" % (hw[0], hw[1], name, n))
        return [p.int(hw[0], default), p.int(hw[1], default)]
    v = p.ints(name)
    if not v:
        return [default] * n
    if len(v) == 1:
        return v * n
    if len(v) != n:
        raise ctx.error("%s has %d values, expected 1 or %d (one per spatial dim)" % (name, len(v), n))
    return v


def spatial_params(ctx, p, n: int, kernel_required: bool = True):
    """(kernel, pads, strides, dilations) of a convolution_param / pooling_param."""
    if p.has("kernel_h") or p.has("kernel_w"):
        if not (p.has("kernel_h") and p.has("kernel_w")):
            raise ctx.error("needs both kernel_h and kernel_w")
        kernel = _per_dim(ctx, p, "kernel_size", n, 0, ("kernel_h", "kernel_w"))
    elif p.ints("kernel_size"):
        kernel = _per_dim(ctx, p, "kernel_size", n, 0)
    else:
        if kernel_required:
            raise ctx.error("needs kernel_size (or kernel_h and kernel_w)")
        kernel = None
    pads = _per_dim(ctx, p, "pad", n, 0, ("pad_h", "pad_w"))
    strides = _per_dim(ctx, p, "stride", n, 1, ("stride_h", "stride_w"))
    dil = _per_dim(ctx, p, "dilation", n, 1)
    if kernel is not None and any(k <= 0 for k in kernel):
        raise ctx.error("kernel size %s must be positive" % kernel)
    if any(s <= 0 for s in strides):
        raise ctx.error("stride %s must be positive" % strides)
    return kernel, pads, strides, dil


def _spatial_rank(ctx, x, p) -> int:
    r = ctx.rank(x)
    if r is not None:
        if r < 3:
            raise ctx.error("needs an input with spatial dims (N, C, ...), got %d-D" % r)
        return r - 2
    ks = p.ints("kernel_size")
    return len(ks) if len(ks) > 1 else 2


def _check_axis(ctx, p, x):
    axis = p.int("axis", 1)
    r = ctx.rank(x)
    if (axis if axis >= 0 or r is None else axis + r) != 1:
        raise ctx.error("axis %d is not supported (only the channel axis 1)" % axis)


def _bias(ctx, y, p, n_spatial: int, num_output: int):
    if not p.bool("bias_term", True):
        return y
    b = ctx.weight_array(1, [num_output], "the bias")
    return ctx.binary("Add", y, ctx.const(b.reshape([1, num_output] + [1] * n_spatial), name=ctx.layer.name + "/biases"))


def _in_channels(ctx, x, count: int, per_in_channel: int, group: int) -> int:
    """Input channels: the blob's static channel dim, else what the weight count implies
    (count = per_in_channel * C / group)."""
    s = ctx.shape(x)
    if s is not None and len(s) > 1 and s[1] >= 0:
        c = s[1]
    else:
        if count % per_in_channel:
            raise ctx.error("the weights have %d values, not a multiple of %d" % (count, per_in_channel))
        c = count // per_in_channel * group
    if c % group:
        raise ctx.error("%d input channels are not divisible by group %d" % (c, group))
    return c


@caffe_layer("Convolution")
def convolution(ctx, layer):
    ctx.expect_bottoms(1, 1)
    x = ctx.input(0)
    p = layer.param("convolution_param")
    _check_axis(ctx, p, x)
    n = _spatial_rank(ctx, x, p)
    kernel, pads, strides, dil = spatial_params(ctx, p, n)
    num_output = p.int("num_output")
    if not num_output:
        raise ctx.error("needs num_output")
    group = p.int("group", 1)
    if group <= 0 or num_output % group:
        raise ctx.error("num_output %d is not divisible by group %d" % (num_output, group))
    count = ctx.weight_array(0, None, "the weights").size
    c = _in_channels(ctx, x, count, num_output * int(np.prod(kernel)), group)
    attrs = {"strides": strides, "pads_begin": pads, "pads_end": pads, "dilations": dil, "auto_pad": "explicit"}
    if group == 1:
        w = ctx.weight(0, [num_output, c] + kernel, "the weights")
        y = ctx.op1("Convolution", [x, w], attrs)
    else:
        w = ctx.weight(0, [group, num_output // group, c // group] + kernel, "the weights")
        y = ctx.op1("GroupConvolution", [x, w], attrs)
    return _bias(ctx, y, p, n, num_output)


@caffe_layer("Deconvolution")
def deconvolution(ctx, layer):
    ctx.expect_bottoms(1, 1)
    x = ctx.input(0)
    p = layer.param("convolution_param")
    _check_axis(ctx, p, x)
    n = _spatial_rank(ctx, x, p)
    kernel, pads, strides, dil = spatial_params(ctx, p, n)
    num_output = p.int("num_output")
    if not num_output:
        raise ctx.error("needs num_output")
    group = p.int("group", 1)
    if group <= 0 or num_output % group:
        raise ctx.error("num_output %d is not divisible by group %d" % (num_output, group))
    # Caffe's deconvolution weights: [C_in, num_output / group, k...]
    count = ctx.weight_array(0, None, "the weights").size
    c = _in_channels(ctx, x, count, num_output // group * int(np.prod(kernel)), 1)
    if c % group:
        raise ctx.error("%d input channels are not divisible by group %d" % (c, group))
    attrs = {"strides": strides, "pads_begin": pads, "pads_end": pads, "dilations": dil, "auto_pad": "explicit",
             "output_padding": [0] * n}
    if group == 1:
        w = ctx.weight(0, [c, num_output] + kernel, "the weights")
        y = ctx.op1("ConvolutionBackpropData", [x, w], attrs)
    else:
        w = ctx.weight(0, [group, c // group, num_output // group] + kernel, "the weights")
        y = ctx.op1("GroupConvolutionBackpropData", [x, w], attrs)
    return _bias(ctx, y, p, n, num_output)
