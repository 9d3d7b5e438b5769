"""NonMaxSuppression, RoiAlign."""
from __future__ import annotations

import numpy as np

from irconv.errors import IrconvError

from ..registry import onnx_op


# ---------------------------------------------------------------------------- NonMaxSuppression

def _next_up(ctx, t):
    """The smallest f32 above each element of t (t >= 0): OpenVINO suppresses a box when
    iou >= threshold, ONNX when iou > threshold, and for f32 values iou > t <=> iou >= next_up(t)."""
    tiny = np.float32(np.finfo(np.float32).tiny)  # not a subnormal: CPUs may flush those to zero
    v = ctx.value(t)
    if v is not None:
        v = v.astype(np.float32)
        return ctx.const(np.where(v == 0, tiny, np.nextafter(v, np.float32(np.inf))).astype(np.float32))
    t = ctx.convert(t, "f32")
    # t + t*2^-24 rounds to next_up(t) unless t is a power of two (a tie, rounded back to t);
    # there t + t*2^-23 is next_up(t) exactly. Zero goes to the smallest normal float.
    up1 = ctx.binary("Add", t, ctx.binary("Multiply", t, ctx.const(np.float32(2.0 ** -24))))
    up2 = ctx.binary("Add", t, ctx.binary("Multiply", t, ctx.const(np.float32(2.0 ** -23))))
    up = ctx.op1("Select", [ctx.binary("Greater", up1, t), up1, up2], {"auto_broadcast": "numpy"})
    return ctx.op1("Select", [ctx.binary("Equal", t, ctx.const(np.float32(0))), ctx.const(tiny), up],
                   {"auto_broadcast": "numpy"})


@onnx_op("NonMaxSuppression", since=10)
def non_max_suppression(ctx, node):
    boxes, scores = node.input_required(0), node.input_required(1)
    max_out = node.input(2)
    if max_out is None:
        max_out = ctx.const(np.array(0, np.int64))
    iou = node.input(3)
    iou = _next_up(ctx, iou if iou is not None else ctx.const(np.float32(0)))
    score = node.input(4)
    # no score_threshold = keep every box (OpenVINO's default 0 would drop scores <= 0)
    score = ctx.convert(score, "f32") if score is not None else ctx.const(np.float32(-np.inf))
    center = node.attr("center_point_box", 0)
    if center not in (0, 1):
        raise IrconvError("%s: center_point_box must be 0 or 1, got %d" % (node.describe(), center))
    n = ctx.op("NonMaxSuppression", [boxes, scores, max_out, iou, score],
               {"box_encoding": "center" if center else "corner", "sort_result_descending": False,
                "output_type": "i64"}, version="opset9")
    return n.output(0)


# ---------------------------------------------------------------------------- RoiAlign

@onnx_op("RoiAlign", since=10)
def roi_align(ctx, node):
    x, rois, idx = node.input_required(0), node.input_required(1), node.input_required(2)
    mode = node.attr("mode", "avg")
    ph, pw = node.attr("output_height", 1), node.attr("output_width", 1)
    sr = node.attr("sampling_ratio", 0)
    scale = node.attr("spatial_scale", 1.0)
    # opset 10 has no coordinate_transformation_mode and behaves as output_half_pixel
    ctm = node.attr("coordinate_transformation_mode", "half_pixel" if ctx.opset >= 16 else "output_half_pixel")
    if ctm not in ("half_pixel", "output_half_pixel"):
        raise IrconvError("%s: coordinate_transformation_mode '%s' is not supported" % (node.describe(), ctm))
    if mode not in ("avg", "max"):
        raise IrconvError("%s: mode '%s' is not supported (avg or max)" % (node.describe(), mode))
    rois = ctx.convert_like(rois, x)
    if mode == "max":
        return _roi_align_max(ctx, node, x, rois, idx, ph, pw, sr, scale, ctm == "half_pixel")
    # ONNX half_pixel: x * scale - 0.5 = OpenVINO's half_pixel_for_nn; output_half_pixel: x * scale
    aligned = "half_pixel_for_nn" if ctm == "half_pixel" else "asymmetric"
    return ctx.op1("ROIAlign", [x, rois, idx],
                   {"pooled_h": ph, "pooled_w": pw, "sampling_ratio": sr, "spatial_scale": float(scale),
                    "mode": "avg", "aligned_mode": aligned}, version="opset9")


def _roi_align_max(ctx, node, x, rois, idx, ph, pw, sr, scale, half_pixel):
    """ONNX's max mode (as its reference and onnxruntime compute it): per output cell, the maximum
    over the sample points of max(w1*v1, w2*v2, w3*v3, w4*v4) - the bilinear corner terms, not
    the interpolated value OpenVINO's ROIAlign pools - built from plain ops."""
    if sr <= 0:
        raise IrconvError("%s: mode 'max' with an adaptive sampling_ratio (0) is not supported"
                          % node.describe())

    def c(v):
        return ctx.const(np.asarray(v, np.float32), x)

    def bin_op(t, a, b):
        return ctx.binary(t, a, b)

    shape = ctx.shape_of(x)
    hw = ctx.convert_like(ctx.gather(shape, [2, 3]), x)          # [H, W]
    hw1 = bin_op("Subtract", hw, c(1))
    # box corners in feature-map coordinates: [R, 4] x1, y1, x2, y2
    box = bin_op("Multiply", rois, c(scale))
    if half_pixel:
        box = bin_op("Subtract", box, c(0.5))
    x1, y1, x2, y2 = [ctx.op("Split", [box, ctx.i64(1)], {"num_splits": 4}).output(i) for i in range(4)]

    def axis_samples(lo, hi, n, k):
        """Sample coordinates along one axis [R, n*sr] and the bilinear terms (low/high index,
        low/high weight), zeroed where a sample falls outside [-1, size]; k = 0 (y) or 1 (x)."""
        size = bin_op("Subtract", hi, lo)
        if not half_pixel:
            size = bin_op("Maximum", size, c(1))
        step = bin_op("Divide", size, c(n))
        frac = np.array([i + (j + 0.5) / sr for i in range(n) for j in range(sr)], np.float32)[None, :]
        p = bin_op("Add", lo, bin_op("Multiply", step, c(frac)))
        dim = ctx.gather(hw, [k])
        dim1 = ctx.gather(hw1, [k])
        inside = ctx.op1("LogicalAnd", [bin_op("GreaterEqual", p, c(-1)), bin_op("LessEqual", p, dim)],
                         {"auto_broadcast": "numpy"})
        p = bin_op("Maximum", p, c(0))
        low = ctx.op1("Floor", [p])
        clamped = bin_op("GreaterEqual", low, dim1)
        low = bin_op("Minimum", low, dim1)
        high = bin_op("Minimum", bin_op("Add", low, c(1)), dim1)
        l_w = ctx.op1("Select", [clamped, c(0), bin_op("Subtract", p, low)], {"auto_broadcast": "numpy"})
        h_w = bin_op("Subtract", c(1), l_w)
        keep = ctx.convert_like(inside, x)
        return (ctx.convert(low, "i64"), ctx.convert(high, "i64"), bin_op("Multiply", h_w, keep),
                bin_op("Multiply", l_w, keep))

    yl, yh, hy, ly = axis_samples(y1, y2, ph, 0)
    xl, xh, hx, lx = axis_samples(x1, x2, pw, 1)
    feat = ctx.op1("Gather", [x, ctx.convert(idx, "i64"), ctx.i64(0)], {"batch_dims": 0}, version="opset8")

    def pick(t, i, axis):  # t [R, C, a, b], i [R, n] -> values at i along axis (2 or 3), per ROI
        return ctx.op1("Gather", [t, i, ctx.i64(axis)], {"batch_dims": 1}, version="opset8")

    rows = {"l": pick(feat, yl, 2), "h": pick(feat, yh, 2)}           # [R, C, Py, W]
    wy = {"l": ctx.unsqueeze(hy, [1, 3]), "h": ctx.unsqueeze(ly, [1, 3])}   # [R, 1, Py, 1]
    wx = {"l": ctx.unsqueeze(hx, [1, 2]), "h": ctx.unsqueeze(lx, [1, 2])}   # [R, 1, 1, Px]
    terms = []
    for a in "lh":
        for b in "lh":
            v = pick(rows[a], xl if b == "l" else xh, 3)                    # [R, C, Py, Px]
            terms.append(bin_op("Multiply", bin_op("Multiply", wy[a], wx[b]), v))
    m = terms[0]
    for t in terms[1:]:
        m = bin_op("Maximum", m, t)
    m = ctx.reshape(m, [0, 0, ph, sr, pw, sr], special_zero=True)
    return ctx.op1("ReduceMax", [m, ctx.i64([3, 5])], {"keep_dims": False})
