"""Convolution, Deconvolution, FullyConnected.

Defaults the file does not store: stride 1, dilate 1, pad 0, num_group 1; Convolution no_bias
False, Deconvolution no_bias **True**; FullyConnected flatten True."""
from __future__ import annotations


from ..registry import mxnet_op

_LAYOUTS = {"NCW", "NCHW", "NCDHW"}


def spatial_params(node, k):
    def get(key, default):
        v = node.ints(key) or []
        v = [default if x is None else x for x in v]
        if not v:
            return [default] * k
        if len(v) == 1 and k > 1:
            return v * k
        if len(v) != k:
            node.fail("'%s' has %d values for a %d-D kernel" % (key, len(v), k))
        return v
    return get("stride", 1), get("dilate", 1), get("pad", 0)


def _check_layout(node):
    layout = node.str("layout")
    if layout is not None and layout not in _LAYOUTS:
        node.fail("layout %s is not supported (channels-first layouts NCW/NCHW/NCDHW only)" % layout)


def add_channel_bias(ctx, x, bias, rank):
    return ctx.binary("Add", x, ctx.channel_shape(bias, rank))


@mxnet_op("Convolution", "Convolution_v1", "_npx_convolution")
def convolution(ctx, node):
    _check_layout(node)
    x = node.input(0)
    w = node.input(1)
    kernel = node.required("kernel", "ints")
    k = len(kernel)
    stride, dilate, pad = spatial_params(node, k)
    group = node.int("num_group", 1)
    no_bias = node.bool("no_bias", False)
    attrs = {"strides": stride, "dilations": dilate, "pads_begin": pad, "pads_end": pad, "auto_pad": "explicit"}
    ws = ctx.shape(w)
    if ws is None or len(ws) != k + 2:
        node.fail("weight shape %s does not fit a %d-D kernel" % (ws, k))
    if group == 1:
        y = ctx.op1("Convolution", [x, w], attrs)
    else:
        o = ws[0]
        if group < 1 or o % group:
            node.fail("num_filter %d is not divisible by num_group %d" % (o, group))
        wv = ctx.value(w)
        gshape = [group, o // group] + ws[1:]
        wg = ctx.const(wv.reshape(gshape), name=node.name + "/weight_grouped") if wv is not None else ctx.reshape(w, gshape)
        y = ctx.op1("GroupConvolution", [x, wg], attrs)
    if not no_bias and node.num_inputs > 2:
        y = add_channel_bias(ctx, y, node.input(2), k + 2)
    return y


def deconv_pads(node, in_spatial, kernel, stride, dilate, pad, adj):
    """MXNet's InferPad: with a target_shape, pad and adj follow from the input size."""
    target = node.ints("target_shape") or []
    if target and any(t for t in target):
        if len(target) != len(kernel):
            node.fail("target_shape has %d values for a %d-D kernel" % (len(target), len(kernel)))
        if in_spatial is None or any(d < 0 for d in in_spatial):
            node.fail("target_shape needs the input's spatial size (give --input_shape)")
        pad, adj = [], []
        for i in range(len(kernel)):
            total = stride[i] * (in_spatial[i] - 1) + dilate[i] * (kernel[i] - 1) + 1 - target[i]
            if total < 0:
                node.fail("target_shape %s is too big for input %s" % (target, in_spatial))
            adj.append(total % 2)
            pad.append((total + 1) // 2)
    return pad, adj


@mxnet_op("Deconvolution")
def deconvolution(ctx, node):
    _check_layout(node)
    x = node.input(0)
    w = node.input(1)
    kernel = node.required("kernel", "ints")
    k = len(kernel)
    stride, dilate, pad = spatial_params(node, k)
    adj = node.ints("adj") or [0] * k
    if len(adj) == 1 and k > 1:
        adj = adj * k
    group = node.int("num_group", 1)
    no_bias = node.bool("no_bias", True)
    xs = ctx.shape(x)
    pad, adj = deconv_pads(node, None if xs is None else xs[2:], kernel, stride, dilate, pad, adj)
    attrs = {"strides": stride, "dilations": dilate, "pads_begin": pad, "pads_end": pad, "auto_pad": "explicit",
             "output_padding": adj}
    ws = ctx.shape(w)
    if ws is None or len(ws) != k + 2:
        node.fail("weight shape %s does not fit a %d-D kernel" % (ws, k))
    if group == 1:
        y = ctx.op1("ConvolutionBackpropData", [x, w], attrs)
    else:
        c = ws[0]
        if group < 1 or c % group:
            node.fail("input channels %d are not divisible by num_group %d" % (c, group))
        gshape = [group, c // group] + ws[1:]
        wv = ctx.value(w)
        wg = ctx.const(wv.reshape(gshape), name=node.name + "/weight_grouped") if wv is not None else ctx.reshape(w, gshape)
        y = ctx.op1("GroupConvolutionBackpropData", [x, wg], attrs)
    if not no_bias and node.num_inputs > 2:
        y = add_channel_bias(ctx, y, node.input(2), k + 2)
    return y


@mxnet_op("FullyConnected")
def fully_connected(ctx, node):
    x = node.input(0)
    w = node.input(1)
    flatten = node.bool("flatten", True)
    no_bias = node.bool("no_bias", False)
    r = ctx.rank(x)
    if flatten and r != 2:
        x = ctx.reshape(x, [0, -1], special_zero=True)
    y = ctx.op1("MatMul", [x, w], {"transpose_a": False, "transpose_b": True})
    if not no_bias and node.num_inputs > 2:
        b = node.input(2)
        y = ctx.binary("Add", y, b)
    return y
