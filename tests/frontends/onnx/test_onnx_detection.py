"""NonMaxSuppression and RoiAlign against onnxruntime: thresholds as constants and as graph
inputs (the IoU boundary is exclusive in ONNX), a missing score threshold, center boxes, RoiAlign
coordinate modes of opsets 10 and 16 and ONNX's own max pooling."""
import numpy as np
import pytest

from irconv import IrconvError
from onnx_fe_util import check, helper, make_model, rng, to_graph

R = rng(3)


def boxes_scores(nb, nc, n, center=False):
    xy = R.rand(nb, n, 2).astype(np.float32) * 4
    wh = R.rand(nb, n, 2).astype(np.float32) * 2 + 0.5
    b = np.concatenate([xy, wh], -1) if center else np.concatenate([xy, xy + wh], -1)
    return b, (R.rand(nb, nc, n).astype(np.float32) * 2 - 0.5)


@pytest.mark.parametrize("as_inputs", [False, True])
@pytest.mark.parametrize("center", [0, 1])
def test_nms(as_inputs, center, tmp_path):
    b, s = boxes_scores(2, 3, 15, center)
    consts = {"max": np.array([4], np.int64), "iou": np.array([0.3], np.float32),
              "score": np.array([0.1], np.float32)}
    node = helper.make_node("NonMaxSuppression", ["b", "s", "max", "iou", "score"], ["sel"], center_point_box=center)
    feeds = {"b": b, "s": s}
    if as_inputs:
        feeds.update(consts)
        m = make_model([node], feeds, ["sel"], opset=11)
    else:
        m = make_model([node], feeds, ["sel"], consts, opset=11)
    check(m, feeds, tmp_path)


@pytest.mark.parametrize("as_inputs", [False, True])
@pytest.mark.parametrize("thr", [1 / 7, 0.25, 0.5, 0.0])
def test_nms_iou_equal_to_threshold_is_kept(as_inputs, thr, tmp_path):
    # boxes with IoU exactly 1/7, 1/4 (power of two: another rounding path), 1/2, and disjoint ones
    b = np.array([[[0, 0, 1, 1], [0.5, 0.5, 1.5, 1.5], [0, 0, 1, 4], [0, 0, 2, 1], [3, 3, 4, 4]]], np.float32)
    s = np.array([[[0.9, 0.8, 0.7, 0.6, 0.5]]], np.float32)
    consts = {"max": np.array([5], np.int64), "iou": np.array([thr], np.float32)}
    node = helper.make_node("NonMaxSuppression", ["b", "s", "max", "iou"], ["sel"])
    feeds = {"b": b, "s": s}
    if as_inputs:
        feeds.update(consts)
        m = make_model([node], feeds, ["sel"], opset=11)
    else:
        m = make_model([node], feeds, ["sel"], consts, opset=11)
    check(m, feeds, tmp_path)


def test_nms_without_thresholds_keeps_negative_scores(tmp_path):
    b, s = boxes_scores(1, 2, 10)
    s -= 1.0
    node = helper.make_node("NonMaxSuppression", ["b", "s", "max"], ["sel"])
    m = make_model([node], {"b": b, "s": s}, ["sel"], {"max": np.array(3, np.int64)}, opset=10)
    check(m, {"b": b, "s": s}, tmp_path)


def test_nms_without_max_output_selects_nothing(tmp_path):
    b, s = boxes_scores(1, 1, 4)
    m = make_model([helper.make_node("NonMaxSuppression", ["b", "s"], ["sel"])], {"b": b, "s": s}, ["sel"], opset=11)
    check(m, {"b": b, "s": s}, tmp_path)


X = R.rand(2, 3, 10, 12).astype(np.float32) * 2 - 1
ROIS = np.array([[0, 0, 9, 9], [1.5, 2.2, 7.1, 6.3], [6, 3, 11.5, 9.5], [-1.5, -2, 4, 5], [3, 3, 3.2, 3.1]],
                np.float32)
IDX = np.array([0, 1, 1, 0, 1], np.int64)


def roi_model(opset, **attrs):
    node = helper.make_node("RoiAlign", ["x", "rois", "idx"], ["y"], **attrs)
    return make_model([node], {"x": X, "rois": ROIS, "idx": IDX}, ["y"], opset=opset)


@pytest.mark.parametrize("opset,attrs", [
    (10, {"output_height": 3, "output_width": 4, "sampling_ratio": 2, "spatial_scale": 0.5}),
    (10, {"output_height": 2, "output_width": 2, "sampling_ratio": 0, "spatial_scale": 1.0}),
    (16, {"output_height": 3, "output_width": 4, "sampling_ratio": 2, "spatial_scale": 0.5}),
    (16, {"output_height": 3, "output_width": 3, "sampling_ratio": 0, "coordinate_transformation_mode":
          "output_half_pixel"}),
    (16, {"output_height": 3, "output_width": 4, "sampling_ratio": 2, "mode": "max"}),
    (16, {"output_height": 2, "output_width": 3, "sampling_ratio": 3, "spatial_scale": 0.8, "mode": "max",
          "coordinate_transformation_mode": "output_half_pixel"}),
    (10, {"output_height": 4, "output_width": 4, "sampling_ratio": 1, "mode": "max"}),
])
def test_roi_align(opset, attrs, tmp_path):
    check(roi_model(opset, **attrs), {"x": X, "rois": ROIS, "idx": IDX}, tmp_path, rtol=1e-4, atol=1e-5)


def test_roi_align_max_with_adaptive_sampling_is_reported(tmp_path):
    with pytest.raises(IrconvError, match=r"RoiAlign node .*adaptive sampling_ratio"):
        to_graph(roi_model(16, mode="max", sampling_ratio=0), tmp_path)
