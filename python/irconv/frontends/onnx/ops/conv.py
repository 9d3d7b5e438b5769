"""Conv, ConvTranspose (and their integer/quantized forms in quantization.py)."""
from __future__ import annotations

from typing import List, Optional

import numpy as np

from irconv.errors import IrconvError

from ..registry import onnx_op

AUTO_PAD = {"NOTSET": "explicit", "": "explicit", "SAME_UPPER": "same_upper",
            "SAME_LOWER": "same_lower", "VALID": "valid"}


def auto_pad_of(node) -> str:
    ap = node.attr("auto_pad", "NOTSET")
    if ap not in AUTO_PAD:
        raise IrconvError("%s: unknown auto_pad '%s'" % (node.describe(), ap))
    return AUTO_PAD[ap]


def spatial_rank(ctx, node, x, w=None) -> int:
    ks = node.attr("kernel_shape")
    if ks:
        return len(ks)
    if w is not None and ctx.rank(w) is not None:
        return ctx.rank(w) - 2
    if ctx.rank(x) is not None:
        return ctx.rank(x) - 2
    raise IrconvError("%s: cannot tell the number of spatial dimensions (no kernel_shape, "
                      "dynamic ranks)" % node.describe())


def conv_attrs(node, n: int) -> dict:
    strides = node.attr("strides") or [1] * n
    dilations = node.attr("dilations") or [1] * n
    pads = node.attr("pads") or [0] * (2 * n)
    if len(pads) != 2 * n:
        raise IrconvError("%s: pads has %d values, expected %d" % (node.describe(), len(pads), 2 * n))
    return {"strides": strides, "pads_begin": pads[:n], "pads_end": pads[n:],
            "dilations": dilations, "auto_pad": auto_pad_of(node)}


def add_channel_bias(ctx, y, b, n_spatial: int):
    """y[N, C, ...] + b[C]"""
    bv = ctx.value(b)
    shape = [1, -1] + [1] * n_spatial
    if bv is not None:
        b = ctx.const(bv.reshape(shape))
    else:
        b = ctx.reshape(b, shape)
    return ctx.binary("Add", y, ctx.convert_like(b, y))


def grouped_weights(ctx, w, group: int):
    """[O, I/G, k...] -> [G, O/G, I/G, k...] (Conv) or [I, O/G, k...] -> [G, I/G, O/G, k...]
    (ConvTranspose): the leading dim is split into (G, dim/G)."""
    ws = ctx.static_shape(w)
    if group < 1 or (ws and ws[0] >= 0 and ws[0] % group):
        raise IrconvError("group %d does not divide the weights' leading dimension (weights %s)" % (group, ws))
    wv = ctx.value(w)
    if wv is not None:
        return ctx.const(wv.reshape((group, wv.shape[0] // group) + wv.shape[1:]))
    if ws is not None:
        return ctx.reshape(w, [group, ws[0] // group] + ws[1:])
    rest = ctx.op1("Slice", [ctx.shape_of(w), np.array([1], np.int64), np.array([2 ** 62], np.int64),
                             np.array([1], np.int64)], version="opset8")
    target = ctx.concat([ctx.i64([group, -1]), rest], 0)
    return ctx.reshape(w, target)


def convolution(ctx, node, x, w):
    """Convolution or GroupConvolution (ONNX `group`) with the node's spatial attributes.
    Returns (output, spatial rank)."""
    n = spatial_rank(ctx, node, x, w)
    attrs = conv_attrs(node, n)
    group = node.attr("group", 1)
    if group == 1:
        return ctx.op1("Convolution", [x, w], attrs), n
    return ctx.op1("GroupConvolution", [x, grouped_weights(ctx, w, group)], attrs), n


@onnx_op("Conv")
def conv(ctx, node):
    x, w, b = node.input_required(0), node.input_required(1), node.input(2)
    w = ctx.convert_like(w, x)
    y, n = convolution(ctx, node, x, w)
    if b is not None:
        y = add_channel_bias(ctx, y, b, n)
    return y


def _transpose_pads(total: int, upper: bool):
    # ONNX ConvTranspose: SAME_UPPER puts the extra padding at the end, otherwise at the start
    if upper:
        return total // 2, total - total // 2
    return total - total // 2, total // 2


@onnx_op("ConvTranspose")
def conv_transpose(ctx, node):
    x, w, b = node.input_required(0), node.input_required(1), node.input(2)
    w = ctx.convert_like(w, x)
    n = spatial_rank(ctx, node, x, w)
    strides = node.attr("strides") or [1] * n
    dilations = node.attr("dilations") or [1] * n
    out_pad = node.attr("output_padding") or [0] * n
    pads = node.attr("pads") or [0] * (2 * n)
    auto_pad = node.attr("auto_pad", "NOTSET")
    group = node.attr("group", 1)
    out_shape = node.attr("output_shape")
    kernel = node.attr("kernel_shape")
    ws = ctx.shape(w)
    if not kernel and ws is not None and all(d >= 0 for d in ws[2:]):
        kernel = ws[2:]
    xs = ctx.shape(x)
    in_sp: Optional[List[int]] = None
    if xs is not None and all(d >= 0 for d in xs[2:]):
        in_sp = xs[2:]

    attrs = {"strides": strides, "dilations": dilations, "output_padding": out_pad,
             "pads_begin": pads[:n], "pads_end": pads[n:], "auto_pad": "explicit"}
    extra = []
    if out_shape or auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        if out_shape:
            target = list(out_shape)[-n:]
        elif in_sp is not None:
            target = [in_sp[i] * strides[i] for i in range(n)]
        else:
            target = None
        if target is not None and in_sp is not None and kernel:
            pb, pe = [], []
            for i in range(n):
                total = strides[i] * (in_sp[i] - 1) + out_pad[i] + (kernel[i] - 1) * dilations[i] + 1 - target[i]
                lo, hi = _transpose_pads(total, auto_pad == "SAME_UPPER")
                pb.append(lo)
                pe.append(hi)
            if all(p >= 0 for p in pb + pe):
                attrs["pads_begin"], attrs["pads_end"] = pb, pe
            else:
                attrs["pads_begin"], attrs["pads_end"] = [0] * n, [0] * n
                extra = [ctx.i64(target)]
        elif target is not None:
            extra = [ctx.i64(target)]
            attrs["auto_pad"] = "same_upper" if auto_pad == "SAME_UPPER" else (
                "same_lower" if auto_pad == "SAME_LOWER" else "explicit")
            attrs["pads_begin"], attrs["pads_end"] = [0] * n, [0] * n
        else:
            attrs["auto_pad"] = AUTO_PAD[auto_pad]
    elif auto_pad == "VALID":
        attrs["pads_begin"], attrs["pads_end"] = [0] * n, [0] * n
    if extra:
        attrs.pop("output_padding")  # with an explicit output shape OpenVINO derives it
    if group == 1:
        y = ctx.op1("ConvolutionBackpropData", [x, w] + extra, attrs)
    else:
        y = ctx.op1("GroupConvolutionBackpropData", [x, grouped_weights(ctx, w, group)] + extra, attrs)
    if b is not None:
        y = add_channel_bias(ctx, y, b, n)
    return y


@onnx_op("DeformConv", since=19)
def deform_conv(ctx, node):
    x, w, offset = node.input_required(0), node.input_required(1), node.input_required(2)
    b, mask = node.input(3), node.input(4)
    n = spatial_rank(ctx, node, x, w)
    attrs = conv_attrs(node, n)
    attrs.update({"group": node.attr("group", 1), "deformable_group": node.attr("offset_group", 1),
                  "bilinear_interpolation_pad": True})  # zero padding around the input, like ONNX Runtime
    ins = [x, offset, ctx.convert_like(w, x)] + ([ctx.convert_like(mask, x)] if mask is not None else [])
    y = ctx.op1("DeformableConvolution", ins, attrs, version="opset8")
    if b is not None:
        y = add_channel_bias(ctx, y, b, n)
    return y
