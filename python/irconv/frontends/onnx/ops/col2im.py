"""Col2Im (opset 18): OpenVINO's Col2Im-15 covers the 2-D case (image_shape of 2 elements)."""
from __future__ import annotations

from irconv.errors import IrconvError

from ..registry import onnx_op


def _spatial_count(ctx, out):
    v = ctx.value(out)
    if v is not None:
        return int(v.size)
    s = ctx.shape(out)
    return s[0] if s is not None and len(s) == 1 and s[0] >= 0 else None


@onnx_op("Col2Im", since=18)
def col2im(ctx, node):
    x = node.input_required(0)
    image, block = node.input_required(1), node.input_required(2)
    k = _spatial_count(ctx, image)
    if k is None:
        k = _spatial_count(ctx, block)
    if k != 2:
        raise IrconvError("%s: only 2-D images are supported (OpenVINO's Col2Im-15), got %s spatial dimensions"
                          % (node.describe(), k if k is not None else "an unknown number of"))
    pads = node.attr("pads", [0, 0, 0, 0])
    if len(pads) != 4:
        raise IrconvError("%s: pads must have 4 values, got %s" % (node.describe(), pads))
    attrs = {"strides": node.attr("strides", [1, 1]), "dilations": node.attr("dilations", [1, 1]),
             "pads_begin": pads[:2], "pads_end": pads[2:]}
    return ctx.op1("Col2Im", [x, ctx.convert(image, "i64"), ctx.convert(block, "i64")], attrs, version="opset15")
