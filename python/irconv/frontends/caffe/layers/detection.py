"""SSD's PriorBox and DetectionOutput (weiliu89/caffe), as OpenVINO's PriorBox-1 and
DetectionOutput-8, which implement the same algorithms."""
from __future__ import annotations

import numpy as np

from ..registry import caffe_layer

_FLT_MAX = 3.4028234663852886e38
_CODE = {"CORNER": 1, "CENTER_SIZE": 2, "CORNER_SIZE": 3}


@caffe_layer("PriorBox")
def prior_box(ctx, layer):
    """Priors for every position of bottom[0]'s H x W grid over the image bottom[1] (or
    img_size / img_h, img_w): per position, for each min_size the box min_size, then
    sqrt(min_size * max_size), then each aspect ratio != 1 (and 1/ratio with flip); output
    [1, 2, H * W * priors * 4] with the variances in the second row."""
    ctx.expect_bottoms(2, 2)
    feat, img = ctx.input(0), ctx.input(1)
    p = layer.param("prior_box_param")
    mins, maxs = p.floats("min_size"), p.floats("max_size")
    if not mins:
        raise ctx.error("needs min_size")
    if maxs and len(maxs) != len(mins):
        raise ctx.error("has %d max_size values for %d min_size values" % (len(maxs), len(mins)))
    for a, b in zip(mins, maxs):
        if b <= a:
            raise ctx.error("max_size %g must be greater than min_size %g" % (b, a))
    var = p.floats("variance") or [0.1]
    if len(var) not in (1, 4):
        raise ctx.error("variance must have 1 or 4 values, got %d" % len(var))
    if p.has("step_h") or p.has("step_w"):
        if p.has("step"):
            raise ctx.error("gives both step and step_h/step_w")
        sh, sw = p.float("step_h", 0.0), p.float("step_w", 0.0)
        if sh != sw:
            raise ctx.error("step_h %g != step_w %g is not supported (OpenVINO's PriorBox has one step)" % (sh, sw))
        step = sh
    else:
        step = p.float("step", 0.0)
    if p.has("img_h") or p.has("img_w"):
        img_size = ctx.i64([p.int("img_h", 0), p.int("img_w", 0)])
    elif p.has("img_size"):
        img_size = ctx.i64([p.int("img_size")] * 2)
    else:
        img_size = ctx.dims(img, 2, 4)
    attrs = {"min_size": mins, "max_size": maxs, "aspect_ratio": p.floats("aspect_ratio"),
             "flip": p.bool("flip", True), "clip": p.bool("clip", False), "step": float(step),
             "offset": p.float("offset", 0.5), "variance": var, "scale_all_sizes": True,
             "fixed_ratio": [], "fixed_size": [], "density": []}
    boxes = ctx.op1("PriorBox", [ctx.dims(feat, 2, 4), img_size], attrs, version="opset1")
    return ctx.unsqueeze(boxes, 0)


@caffe_layer("DetectionOutput")
def detection_output(ctx, layer):
    """Decodes bottom[0] (locations) against the priors bottom[2] and runs per-class NMS on the
    scores bottom[1]; output [1, 1, N * keep_top_k, 7] rows (image, label, score, box)."""
    ctx.expect_bottoms(3, 3)
    loc, conf, priors = ctx.input(0), ctx.input(1), ctx.input(2)
    p = layer.param("detection_output_param")
    nms = p.msg("nms_param")
    if nms.float("eta", 1.0) != 1.0:
        raise ctx.error("adaptive NMS (nms_param.eta != 1) is not supported")
    code = p.enum("code_type", _CODE, "CORNER")
    if code == "CORNER_SIZE":
        raise ctx.error("code_type CORNER_SIZE is not supported (OpenVINO decodes CORNER and CENTER_SIZE)")
    if not p.has("num_classes"):
        raise ctx.error("needs num_classes")
    loc = _flat2d(ctx, loc)
    conf = _flat2d(ctx, conf)
    attrs = {"background_label_id": p.int("background_label_id", 0), "top_k": nms.int("top_k", -1),
             "variance_encoded_in_target": p.bool("variance_encoded_in_target", False),
             "keep_top_k": [p.int("keep_top_k", -1)], "code_type": "caffe.PriorBoxParameter." + code,
             "share_location": p.bool("share_location", True), "nms_threshold": nms.float("nms_threshold", 0.3),
             "confidence_threshold": p.float("confidence_threshold", -_FLT_MAX), "clip_after_nms": False,
             "clip_before_nms": False, "decrease_label_id": False, "normalized": True, "input_height": 1,
             "input_width": 1, "objectness_score": 0.0}
    return ctx.op1("DetectionOutput", [loc, conf, priors], attrs, version="opset8")


def _flat2d(ctx, x):
    r = ctx.rank(x)
    if r == 2:
        return x
    return ctx.reshape(x, np.asarray([0, -1], np.int64), special_zero=True)
