"""SSD heads: _contrib_MultiBoxPrior -> PriorBoxClustered, _contrib_MultiBoxDetection ->
DetectionOutput.

MultiBoxPrior (defaults sizes [1], ratios [1], clip False, steps (-1, -1) = 1/size, offsets
(0.5, 0.5)) writes, per feature-map cell (row-major) and per anchor (all sizes with ratios[0],
then ratios[1:] with sizes[0]), [cx - w, cy - h, cx + w, cy + h] in image-relative units with
cx = (x + offset_x) * step_x, w = size * H / W * sqrt(ratio) / 2, h = size / sqrt(ratio) / 2.
That is PriorBoxClustered on an image of H x W "pixels" (one per cell) with box widths
size * H * sqrt(ratio) and heights size * H / sqrt(ratio); output (1, anchors, 4).

MultiBoxDetection(cls_prob (N, classes, anchors), loc_pred (N, anchors * 4), anchors
(1, anchors, 4)) keeps, per anchor, its best non-background class if its score reaches
`threshold`, decodes the box (center-size with `variances`), and runs NMS among boxes of the
same class: DetectionOutput with decrease_label_id (OpenVINO's MXNet-style NMS, labels without
the background) does the same. The result is OpenVINO's [1, 1, K, 7] detections
(image, label, score, xmin, ymin, xmax, ymax; image -1 ends the list), not MXNet's (N, anchors, 6)."""
from __future__ import annotations

import math

import numpy as np

from irconv.limits import check_expansion

from ..registry import mxnet_op


def multibox_prior_boxes(h, w, sizes, ratios, steps, offsets, clip):
    """MXNet's MultiBoxPriorForward in numpy (float32 maths): (1, h * w * anchors, 4)."""
    check_expansion(h * w * (len(sizes) + len(ratios)) * 16, "MultiBoxPrior boxes for a %d x %d feature map" % (h, w))
    step_y = steps[0] if steps[0] > 0 else 1.0 / h
    step_x = steps[1] if steps[1] > 0 else 1.0 / w
    anchors = [(s, ratios[0]) for s in sizes] + [(sizes[0], r) for r in ratios[1:]]
    out = np.zeros((h, w, len(anchors), 4), np.float32)
    cy = ((np.arange(h, dtype=np.float32) + np.float32(offsets[0])) * np.float32(step_y))[:, None]
    cx = ((np.arange(w, dtype=np.float32) + np.float32(offsets[1])) * np.float32(step_x))[None, :]
    for k, (s, r) in enumerate(anchors):
        sr = math.sqrt(r)
        bw = np.float32(s * h / w * sr / 2)
        bh = np.float32(s / sr / 2)
        out[:, :, k, 0] = cx - bw
        out[:, :, k, 1] = cy - bh
        out[:, :, k, 2] = cx + bw
        out[:, :, k, 3] = cy + bh
    if clip:
        np.clip(out, 0, 1, out=out)
    return out.reshape(1, -1, 4)


@mxnet_op("_contrib_MultiBoxPrior", "MultiBoxPrior")
def multibox_prior(ctx, node):
    x = node.input(0)
    s = ctx.shape(x)
    if s is None or len(s) != 4 or s[2] < 0 or s[3] < 0:
        node.fail("needs a 4-D input with a known height and width (give --input_shape)")
    h, w = s[2], s[3]
    sizes = node.floats("sizes", [1.0]) or [1.0]
    ratios = node.floats("ratios", [1.0]) or [1.0]
    steps = node.floats("steps", [-1.0, -1.0])
    offsets = node.floats("offsets", [0.5, 0.5])
    clip = node.bool("clip", False)
    if len(steps) != 2 or len(offsets) != 2:
        node.fail("steps and offsets need two values (y, x)")
    step_y = steps[0] if steps[0] > 0 else 1.0 / h
    step_x = steps[1] if steps[1] > 0 else 1.0 / w
    if offsets[0] != offsets[1]:
        # PriorBoxClustered has one offset for both axes: the boxes as a constant
        return ctx.const(multibox_prior_boxes(h, w, sizes, ratios, steps, offsets, clip), x)
    anchors = [(sz, ratios[0]) for sz in sizes] + [(sizes[0], r) for r in ratios[1:]]
    widths = [sz * h * math.sqrt(r) for sz, r in anchors]
    heights = [sz * h / math.sqrt(r) for sz, r in anchors]
    attrs = {"width": widths, "height": heights, "clip": clip, "step": 0.0, "step_w": step_x * w,
             "step_h": step_y * h, "offset": offsets[0], "variance": [0.1, 0.1, 0.2, 0.2]}
    shape = ctx.dims_of(x, [2, 3])
    pb = ctx.op1("PriorBoxClustered", [shape, ctx.i64([h, w])], attrs, version="opset1")
    boxes = ctx.op1("Slice", [pb, ctx.i64([0]), ctx.i64([1]), ctx.i64([1]), ctx.i64([0])], version="opset8")
    return ctx.convert(ctx.reshape(boxes, [1, -1, 4]), ctx.et(x))


@mxnet_op("_contrib_MultiBoxDetection", "MultiBoxDetection")
def multibox_detection(ctx, node):
    cls_prob, loc, anchors = node.input(0), node.input(1), node.input(2)
    if node.bool("force_suppress", False):
        node.fail("force_suppress=True (NMS across classes) has no OpenVINO DetectionOutput equivalent")
    if node.int("background_id", 0) != 0:
        node.fail("background_id %d is not supported (DetectionOutput's MXNet mode needs 0)" % node.int("background_id"))
    cs = ctx.shape(cls_prob)
    if cs is None or len(cs) != 3 or cs[1] < 0:
        node.fail("cls_prob must be (batch, classes, anchors) with a known class count, got %s" % (cs,))
    variances = node.floats("variances", [0.1, 0.1, 0.2, 0.2])
    if len(variances) != 4:
        node.fail("variances needs 4 values")
    topk = node.int("nms_topk", -1)
    topk = -1 if topk is None or topk <= 0 else topk
    et = ctx.et(loc)
    # class_preds [N, anchors * classes]; proposals [1, 2, anchors * 4] (boxes, variances)
    conf = ctx.reshape(ctx.transpose(cls_prob, [0, 2, 1]), [0, -1], special_zero=True)
    boxes = ctx.reshape(anchors, [1, 1, -1])
    var = ctx.op1("Broadcast", [ctx.const(np.asarray(variances, np.float32).reshape(1, 1, 4), et),
                                ctx.shape_of(anchors)], {"mode": "numpy"}, version="opset3")
    var = ctx.reshape(var, [1, 1, -1])
    proposals = ctx.concat([boxes, var], 1)
    clip = node.bool("clip", True)
    attrs = {"background_label_id": 0, "top_k": topk, "variance_encoded_in_target": False,
             "keep_top_k": [topk], "code_type": "caffe.PriorBoxParameter.CENTER_SIZE", "share_location": True,
             "nms_threshold": node.float("nms_threshold", 0.5),
             "confidence_threshold": node.float("threshold", 0.01), "clip_after_nms": False,
             "clip_before_nms": clip, "decrease_label_id": True, "normalized": True, "input_height": 1,
             "input_width": 1, "objectness_score": 0.0}
    return ctx.op1("DetectionOutput", [loc, conf, proposals], attrs, version="opset8")
