"""Interp (DeepLab / PSPNet forks): bilinear resize with aligned corners."""
from __future__ import annotations

import numpy as np

from ..registry import caffe_layer


def _out_size(p, h: int):
    """InterpLayer::Reshape for one spatial dim of effective size h."""
    shrink, zoom = p.has("shrink_factor"), p.has("zoom_factor")
    s, z = p.int("shrink_factor", 1), p.int("zoom_factor", 1)
    if shrink and not zoom:
        return (h - 1) // s + 1
    if zoom and not shrink:
        return h + (h - 1) * (z - 1)
    if shrink and zoom:
        o = (h - 1) // s + 1
        return o + (o - 1) * (z - 1)
    return None


@caffe_layer("Interp")
def interp(ctx, layer):
    """out = bilinear resize of the input cropped by -pad_beg / -pad_end (non-positive pads), to
    height x width, or by zoom_factor (h + (h-1)(zoom-1)) / shrink_factor ((h-1)/shrink + 1),
    or to bottom[1]'s spatial size; sampling with aligned corners (src = dst * (in-1)/(out-1))."""
    ctx.expect_bottoms(1, 2)
    x = ctx.input(0)
    p = layer.param("interp_param")
    rank = ctx.need_rank(x)
    if rank != 4:
        raise ctx.error("needs a 4-D input (N, C, H, W), got %d-D" % rank)
    pb, pe = p.int("pad_beg", 0), p.int("pad_end", 0)
    if pb > 0 or pe > 0:
        raise ctx.error("pad_beg/pad_end must be <= 0 (cropping), got %d/%d" % (pb, pe))
    if pb or pe:
        stop = np.asarray([pe if pe < 0 else np.iinfo(np.int64).max] * 2, np.int64)
        x = ctx.op1("Slice", [x, ctx.i64([-pb, -pb]), ctx.const(stop, dtype=None), ctx.i64([1, 1]), ctx.i64([2, 3])],
                    version="opset8")
    s = ctx.shape(x)
    if len(layer.bottoms) == 2:
        sizes = ctx.dims(ctx.input(1), 2, 4)
    elif p.has("height") and p.has("width") and not (p.has("shrink_factor") or p.has("zoom_factor")):
        sizes = ctx.i64([p.int("height"), p.int("width")])
    elif p.has("shrink_factor") or p.has("zoom_factor"):
        if s[2] >= 0 and s[3] >= 0:
            sizes = ctx.i64([_out_size(p, s[2]), _out_size(p, s[3])])
        else:
            h = ctx.dims(x, 2, 4)
            sh, z = p.int("shrink_factor", 1), p.int("zoom_factor", 1)
            one = ctx.i64([1])
            if p.has("shrink_factor"):
                h = ctx.binary("Add", ctx.op1("Divide", [ctx.binary("Subtract", h, one), ctx.i64([sh])],
                                              {"auto_broadcast": "numpy", "m_pythondiv": True}), one)
            if p.has("zoom_factor"):
                h = ctx.binary("Add", ctx.binary("Multiply", h, ctx.i64([z])), ctx.i64([1 - z]))
            sizes = h
    else:
        raise ctx.error("needs height and width, zoom_factor, shrink_factor or a second bottom")
    attrs = {"mode": "linear_onnx", "shape_calculation_mode": "sizes", "coordinate_transformation_mode": "align_corners",
             "nearest_mode": "round_prefer_floor", "antialias": False, "pads_begin": [0, 0, 0, 0],
             "pads_end": [0, 0, 0, 0], "cube_coeff": -0.75}
    return ctx.op1("Interpolate", [x, sizes, ctx.i64([2, 3])], attrs, version="opset11")
