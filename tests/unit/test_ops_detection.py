"""Detection op schemas (NonMaxSuppression, ROIAlign, PriorBox, PriorBoxClustered,
DetectionOutput, Proposal, RegionYolo, ReorgYolo): inferred shapes/types equal what OpenVINO
infers for the saved IR; NMS and ROIAlign run on OpenVINO's CPU plugin give what a numpy
reference of the op spec computes; folded priors equal OpenVINO's."""
import numpy as np
import pytest

from irconv import IrconvError, _core
from helpers import run_ir
from op_check import infer_vs_ov

RNG = np.random.default_rng(11)
F = "f32"


def c(v, dtype=np.int64):
    return np.array(v, dtype)


# ----------------------------------------------------------------------------------------------
# NonMaxSuppression

NMS_CASES = [
    # boxes, scores, extra inputs, attrs, version
    ([2, 10, 4], [2, 3, 10], [c(4)], {}, "opset9"),
    ([2, 10, 4], [2, 3, 10], [c([4]), np.array(0.5, np.float32)], {"output_type": "i32"}, "opset9"),
    ([-1, -1, 4], [-1, -1, -1], [c(4), np.array(0.5, np.float32), np.array(0.1, np.float32)], {}, "opset9"),
    ([1, 10, 4], [1, 2, 10], [("i64", [])], {"box_encoding": "center"}, "opset9"),
    (None, None, [], {}, "opset9"),
    ([1, 10, 4], [1, 2, 10], [], {}, "opset9"),
    ([1, 10, 4], [1, 2, 10], [c(0)], {}, "opset9"),
    ([1, 10, 4], [1, 2, 10], [c(5), np.array(0.5, np.float32), np.array(0.0, np.float32),
                              np.array(0.2, np.float32)], {"sort_result_descending": False}, "opset5"),
]


@pytest.mark.parametrize("boxes,scores,extra,attrs,version", NMS_CASES)
def test_nms_shapes(boxes, scores, extra, attrs, version):
    out = infer_vs_ov("NonMaxSuppression", [(F, boxes), (F, scores)] + extra, attrs, version=version)
    assert out[1][1] == "f32"


def test_nms_errors():
    g = _core.Graph("bad")
    b = g.parameter("b", F, [1, 10, 5]).output(0)
    s = g.parameter("s", F, [1, 2, 10]).output(0)
    with pytest.raises(IrconvError, match=r"NonMaxSuppression 'n1'.*last dimension of boxes must be 4"):
        g.op("NonMaxSuppression", [b, s], {}, name="n1")
    b4 = g.parameter("b4", F, [1, 9, 4]).output(0)
    with pytest.raises(IrconvError, match=r"'n2'.*box counts"):
        g.op("NonMaxSuppression", [b4, s], {}, name="n2")
    with pytest.raises(IrconvError, match=r"'n3'.*box_encoding"):
        g.op("NonMaxSuppression", [b4, g.parameter("s2", F, [1, 2, 9]).output(0)], {"box_encoding": "xywh"}, name="n3")


def iou(a, b, center):
    if center:
        a = [a[1] - a[3] / 2, a[0] - a[2] / 2, a[1] + a[3] / 2, a[0] + a[2] / 2]
        b = [b[1] - b[3] / 2, b[0] - b[2] / 2, b[1] + b[3] / 2, b[0] + b[2] / 2]
    ay1, ax1, ay2, ax2 = min(a[0], a[2]), min(a[1], a[3]), max(a[0], a[2]), max(a[1], a[3])
    by1, bx1, by2, bx2 = min(b[0], b[2]), min(b[1], b[3]), max(b[0], b[2]), max(b[1], b[3])
    area_a, area_b = (ay2 - ay1) * (ax2 - ax1), (by2 - by1) * (bx2 - bx1)
    if area_a <= 0 or area_b <= 0:
        return 0.0
    inter = max(min(ay2, by2) - max(ay1, by1), 0) * max(min(ax2, bx2) - max(ax1, bx1), 0)
    return inter / (area_a + area_b - inter)


def nms_ref(boxes, scores, max_out, iou_thr, score_thr, center):
    sel = []
    for b in range(scores.shape[0]):
        for cl in range(scores.shape[1]):
            order = sorted(range(scores.shape[2]), key=lambda i: (-scores[b, cl, i], i))
            kept = []
            for i in order:
                if len(kept) >= max_out or scores[b, cl, i] <= score_thr:
                    break
                if all(iou(boxes[b, i], boxes[b, k], center) <= iou_thr for k in kept):
                    kept.append(i)
            sel += [(b, cl, i, scores[b, cl, i]) for i in kept]
    return sel


@pytest.mark.parametrize("center", [False, True])
def test_nms_values_match_reference(center):
    nb, nc, n = 2, 3, 12
    xy = RNG.random((nb, n, 2)).astype(np.float32) * 4
    wh = RNG.random((nb, n, 2)).astype(np.float32) * 2 + 0.5
    boxes = np.concatenate([xy, wh], -1) if center else np.concatenate([xy, xy + wh], -1)
    scores = RNG.random((nb, nc, n)).astype(np.float32)
    max_out, iou_thr, score_thr = 4, 0.3, 0.2
    g = _core.Graph("nms")
    pb = g.parameter("boxes", F, [nb, n, 4]).output(0)
    ps = g.parameter("scores", F, [nb, nc, n]).output(0)
    extra = [g.constant(np.array(v, t)).output(0) for v, t in ((max_out, np.int64), (iou_thr, np.float32),
                                                               (score_thr, np.float32))]
    node = g.op("NonMaxSuppression", [pb, ps] + extra,
                {"box_encoding": "center" if center else "corner", "sort_result_descending": False}, name="nms")
    for i in range(3):
        g.result(node.output(i), name="o%d" % i)
    got = run_ir(g, {"boxes": boxes, "scores": scores})
    ref = nms_ref(boxes, scores, max_out, iou_thr, score_thr, center)
    valid = int(got[2][0])
    assert valid == len(ref)
    np.testing.assert_array_equal(got[0][:valid], np.array([r[:3] for r in ref], np.int64))
    np.testing.assert_allclose(got[1][:valid], np.array([(r[0], r[1], r[3]) for r in ref], np.float32), rtol=1e-6)


# ----------------------------------------------------------------------------------------------
# ROIAlign

ROI_CASES = [
    ([2, 3, 8, 8], [5, 4], [5], {"mode": "avg"}, "opset9"),
    ([-1, -1, 8, 8], [-1, 4], [7], {"mode": "max", "aligned_mode": "half_pixel"}, "opset9"),
    (None, None, None, {"mode": "avg"}, "opset9"),
    ([2, 3, 8, 8], [5, 4], [-1], {"mode": "avg"}, "opset3"),
]


@pytest.mark.parametrize("data,rois,idx,attrs,version", ROI_CASES)
def test_roi_align_shapes(data, rois, idx, attrs, version):
    a = {"pooled_h": 3, "pooled_w": 2, "sampling_ratio": 2, "spatial_scale": 0.5}
    a.update(attrs)
    infer_vs_ov("ROIAlign", [(F, data), (F, rois), ("i32", idx)], a, version=version)


def test_roi_align_errors():
    g = _core.Graph("bad")
    x = g.parameter("x", F, [1, 3, 8, 8]).output(0)
    i = g.parameter("i", "i32", [5]).output(0)
    a = {"pooled_h": 3, "pooled_w": 2, "sampling_ratio": 2, "spatial_scale": 0.5, "mode": "avg"}
    with pytest.raises(IrconvError, match=r"ROIAlign 'r1'.*4 box coordinates"):
        g.op("ROIAlign", [x, g.parameter("r", F, [5, 5]).output(0), i], a, name="r1")
    with pytest.raises(IrconvError, match=r"'r2.*ROI counts"):
        g.op("ROIAlign", [x, g.parameter("r2", F, [4, 4]).output(0), i], a, name="r2")
    with pytest.raises(IrconvError, match=r"'r3.*aligned_mode"):
        g.op("ROIAlign", [x, g.parameter("r3", F, [5, 4]).output(0), i], dict(a, aligned_mode="nearest"), name="r3")


def bilinear(img, y, x):
    """OpenVINO/ONNX RoiAlign sample: value at (y, x) of img [C, H, W] (zero outside [-1, H/W])."""
    H, W = img.shape[1:]
    if y < -1.0 or y > H or x < -1.0 or x > W:
        return np.zeros(img.shape[0], np.float64)
    y, x = max(y, 0.0), max(x, 0.0)
    yl, xl = int(y), int(x)
    if yl >= H - 1:
        yh = yl = H - 1
        y = float(yl)
    else:
        yh = yl + 1
    if xl >= W - 1:
        xh = xl = W - 1
        x = float(xl)
    else:
        xh = xl + 1
    ly, lx = y - yl, x - xl
    hy, hx = 1 - ly, 1 - lx
    return hy * hx * img[:, yl, xl] + hy * lx * img[:, yl, xh] + ly * hx * img[:, yh, xl] + ly * lx * img[:, yh, xh]


def roi_align_ref(X, rois, idx, ph, pw, sr, scale, mode, aligned):
    out = np.zeros((len(rois), X.shape[1], ph, pw))
    for r, (x1, y1, x2, y2) in enumerate(rois.astype(np.float64)):
        if aligned == "half_pixel":
            x1, y1, x2, y2 = ((v + 0.5) * scale - 0.5 for v in (x1, y1, x2, y2))
        elif aligned == "half_pixel_for_nn":
            x1, y1, x2, y2 = (v * scale - 0.5 for v in (x1, y1, x2, y2))
        else:
            x1, y1, x2, y2 = (v * scale for v in (x1, y1, x2, y2))
        rw, rh = x2 - x1, y2 - y1
        if aligned == "asymmetric":
            rw, rh = max(rw, 1.0), max(rh, 1.0)
        bw, bh = rw / pw, rh / ph
        gx = sr if sr > 0 else int(np.ceil(bw))
        gy = sr if sr > 0 else int(np.ceil(bh))
        for i in range(ph):
            for j in range(pw):
                vals = [bilinear(X[idx[r]], y1 + i * bh + (iy + 0.5) * bh / gy, x1 + j * bw + (ix + 0.5) * bw / gx)
                        for iy in range(gy) for ix in range(gx)]
                # OpenVINO's max pools from 0: max(0, samples...)
                out[r, :, i, j] = np.mean(vals, 0) if mode == "avg" else np.maximum(np.max(vals, 0), 0)
    return out.astype(np.float32)


@pytest.mark.parametrize("mode,aligned,sr", [("avg", "asymmetric", 2), ("avg", "half_pixel_for_nn", 0),
                                             ("avg", "half_pixel", 3), ("max", "asymmetric", 2)])
def test_roi_align_values_match_reference(mode, aligned, sr):
    X = RNG.standard_normal((2, 3, 10, 12)).astype(np.float32)
    rois = np.array([[0, 0, 9, 9], [1.5, 2.2, 7.1, 6.3], [6, 3, 18, 14], [-3, -2, 4, 5]], np.float32)
    idx = np.array([0, 1, 1, 0], np.int32)
    ph, pw, scale = 3, 4, 0.5
    g = _core.Graph("roi")
    ins = [g.parameter(k, t, s).output(0) for k, t, s in (("x", F, X.shape), ("r", F, rois.shape), ("i", "i32", [4]))]
    n = g.op("ROIAlign", ins, {"pooled_h": ph, "pooled_w": pw, "sampling_ratio": sr, "spatial_scale": scale,
                               "mode": mode, "aligned_mode": aligned}, name="roi")
    g.result(n.output(0), name="y")
    got = run_ir(g, {"x": X, "r": rois, "i": idx})[0]
    np.testing.assert_allclose(got, roi_align_ref(X, rois, idx, ph, pw, sr, scale, mode, aligned), rtol=1e-4,
                               atol=1e-5)


# ----------------------------------------------------------------------------------------------
# PriorBox / PriorBoxClustered

PB_ATTRS = [
    {"min_size": [16.0], "max_size": [38.46], "aspect_ratio": [2.0], "flip": True, "clip": False, "step": 16.0,
     "offset": 0.5, "variance": [0.1, 0.1, 0.2, 0.2]},
    {"min_size": [2.0, 4.5], "aspect_ratio": [2.0, 3.0, 0.5], "flip": True, "clip": True, "offset": 0.5,
     "variance": [0.2], "scale_all_sizes": True},
    {"min_size": [0.1, 0.2], "aspect_ratio": [2.0], "flip": False, "offset": 0.5, "step": 0.0,
     "scale_all_sizes": False},
    {"fixed_size": [8.0], "density": [2.0], "fixed_ratio": [2.0], "offset": 0.5, "step": 4.0, "clip": True},
    {"fixed_size": [8.0, 16.0], "density": [1.0, 2.0], "aspect_ratio": [2.0], "offset": 0.5, "step": 8.0},
    {"min_size": [16.0], "max_size": [32.0], "aspect_ratio": [2.0], "flip": True, "offset": 0.5,
     "min_max_aspect_ratios_order": False},
]


@pytest.mark.parametrize("version", ["opset8", "opset1"])
@pytest.mark.parametrize("attrs", PB_ATTRS)
def test_prior_box_folds_like_openvino(attrs, version):
    if version == "opset1":
        attrs = {k: v for k, v in attrs.items() if k != "min_max_aspect_ratios_order"}
    check_prior_fold("PriorBox", attrs, version, [5, 7], [40, 56])


@pytest.mark.parametrize("attrs", [
    {"width": [4.0, 8.0, 3.5], "height": [2.0, 9.0, 3.5], "offset": 0.5, "clip": False, "variance": [0.1, 0.1, 0.2, 0.2]},
    {"width": [4.0], "height": [6.0], "offset": 0.5, "step": 8.0, "clip": True},
    {"width": [4.0, 5.0], "height": [6.0, 5.0], "offset": 0.3, "step_w": 4.0, "step_h": 6.0, "variance": [0.5]},
])
def test_prior_box_clustered_folds_like_openvino(attrs):
    check_prior_fold("PriorBoxClustered", attrs, "opset1", [3, 4], [30, 50])


def check_prior_fold(op, attrs, version, size, image):
    """Folded priors (irconv's evaluator) vs OpenVINO computing the op (its CPU plugin does not
    run every PriorBox-8 variant, so OpenVINO gets Const inputs and folds it itself)."""
    g = _core.Graph("fold")
    n = g.op(op, [g.constant(c(size, np.int32)).output(0), g.constant(c(image, np.int32)).output(0)], attrs,
             name="pb", version=version)
    folded = n.output(0).value()
    assert folded is not None and folded.dtype == np.float32 and list(folded.shape) == n.output(0).shape
    g.result(n.output(0), name="y")
    exp = run_ir(g)[0]
    assert exp.shape == folded.shape
    np.testing.assert_allclose(folded, exp, rtol=1e-6, atol=1e-7)
    dyn = _core.Graph("dyn")
    dn = dyn.op(op, [dyn.parameter("s", "i32", [2]).output(0), dyn.parameter("im", "i32", [2]).output(0)], attrs,
                name="pb", version=version)
    assert dn.output(0).shape == [2, -1] and dn.output(0).value() is None


def test_prior_box_sizes_seen_through_shape_of():
    # the usual form: sizes sliced from ShapeOf of the feature map and the image
    g = _core.Graph("pb")
    feat = g.parameter("feat", F, [1, 8, 5, 7]).output(0)
    img = g.parameter("img", F, [1, 3, 40, 56]).output(0)

    def hw(x):
        s = g.op("ShapeOf", [x], {"output_type": "i64"}, version="opset3").output(0)
        return g.op("StridedSlice", [s, g.constant(c([2])).output(0), g.constant(c([4])).output(0),
                                     g.constant(c([1])).output(0)],
                    {"begin_mask": [0], "end_mask": [0]}).output(0)

    n = g.op("PriorBox", [hw(feat), hw(img)], PB_ATTRS[0], name="pb")
    assert n.output(0).shape == [2, 5 * 7 * 4 * 4]
    g.result(n.output(0), name="y")
    g.run_pass("ConstantFolding")  # priors follow the input shapes: kept for a reshapeable IR
    assert g.results[0].inputs[0].node.type == "PriorBox"
    g.run_pass("ConstantFolding", True)  # --static_shape
    assert g.results[0].inputs[0].node.type == "Const"


def test_prior_box_dynamic_and_errors():
    infer_vs_ov("PriorBox", [("i64", [2]), ("i64", [2])], PB_ATTRS[0])
    infer_vs_ov("PriorBoxClustered", [("i32", [-1]), ("i32", None)], {"width": [1.0, 2.0], "height": [3.0, 4.0],
                                                                        "offset": 0.5})
    g = _core.Graph("bad")
    s = g.constant(c([3, 4])).output(0)
    with pytest.raises(IrconvError, match=r"PriorBoxClustered 'p1'.*width has 2 values and height 1"):
        g.op("PriorBoxClustered", [s, s], {"width": [1.0, 2.0], "height": [1.0], "offset": 0.5}, name="p1")
    with pytest.raises(IrconvError, match=r"'p2'.*integer"):
        g.op("PriorBox", [g.constant(np.array([3.0, 4.0], np.float32)).output(0), s], PB_ATTRS[0], name="p2")


# ----------------------------------------------------------------------------------------------
# DetectionOutput / Proposal / RegionYolo / ReorgYolo

DO_BASE = {"keep_top_k": [200], "nms_threshold": 0.45, "top_k": 400, "code_type": "caffe.PriorBoxParameter.CENTER_SIZE",
           "background_label_id": 0, "confidence_threshold": 0.01, "share_location": True, "normalized": True,
           "variance_encoded_in_target": False, "clip_after_nms": False, "clip_before_nms": False,
           "decrease_label_id": False, "input_height": 1, "input_width": 1, "objectness_score": 0.0}

DO_CASES = [
    ([2, 40], [2, 210], [1, 2, 40], {}, "opset8"),
    ([2, 40], [2, 210], [1, 2, 40], {"keep_top_k": [-1]}, "opset8"),
    ([2, 40], [2, 210], [1, 2, 40], {"keep_top_k": [-1], "top_k": -1}, "opset8"),
    ([-1, 40], [-1, -1], [1, 2, -1], {"keep_top_k": [-1], "top_k": 5}, "opset8"),
    ([2, 840], [2, 210], [2, 1, 50], {"share_location": False, "normalized": False,
                                      "variance_encoded_in_target": True, "keep_top_k": [-1], "top_k": -1}, "opset8"),
    (None, None, None, {"keep_top_k": [-1]}, "opset8"),
    ([2, 40], [2, 210], [1, 2, 40], {"num_classes": 21, "keep_top_k": [-1]}, "opset1"),
]


@pytest.mark.parametrize("loc,conf,priors,attrs,version", DO_CASES)
def test_detection_output_shapes(loc, conf, priors, attrs, version):
    a = dict(DO_BASE, **attrs)
    infer_vs_ov("DetectionOutput", [(F, loc), (F, conf), (F, priors)], a, version=version)


def test_detection_output_five_inputs():
    a = dict(DO_BASE, keep_top_k=[-1], top_k=-1, objectness_score=0.01)
    infer_vs_ov("DetectionOutput", [(F, [1, 40]), (F, [1, 30]), (F, [1, 2, 40]), (F, [1, 20]), (F, [1, 40])], a)


def test_detection_output_errors():
    g = _core.Graph("bad")
    p = [g.parameter("p%d" % i, F, s).output(0) for i, s in enumerate([[2, 40], [2, 211], [1, 2, 40]])]
    with pytest.raises(IrconvError, match=r"DetectionOutput 'd1'.*multiple of the 10 prior boxes"):
        g.op("DetectionOutput", p, dict(DO_BASE), name="d1")


PROPOSAL_ATTRS = {"base_size": 16, "pre_nms_topn": 100, "post_nms_topn": 20, "nms_thresh": 0.7, "feat_stride": 16,
                  "min_size": 16, "ratio": [0.5, 1.0, 2.0], "scale": [8.0, 16.0], "clip_before_nms": True,
                  "clip_after_nms": False, "normalize": False, "box_size_scale": 1.0, "box_coordinate_scale": 1.0,
                  "framework": ""}


@pytest.mark.parametrize("probs,deltas,info,version", [
    ([2, 12, 7, 9], [2, 24, 7, 9], [3], "opset4"),
    ([-1, 12, 7, 9], [-1, 24, 7, 9], [4], "opset4"),
    (None, [3, 24, 7, 9], [-1], "opset4"),
    ([2, 12, 7, 9], [2, 24, 7, 9], [3], "opset1"),
])
def test_proposal_shapes(probs, deltas, info, version):
    infer_vs_ov("Proposal", [(F, probs), (F, deltas), (F, info)], PROPOSAL_ATTRS, version=version)


@pytest.mark.parametrize("shape,attrs", [
    ([1, 125, 13, 13], {"do_softmax": True, "axis": 1, "end_axis": 3, "num": 5}),
    ([1, 255, 26, 26], {"do_softmax": False, "axis": 1, "end_axis": 3, "num": 9, "mask": [0, 1, 2]}),
    ([2, 125, -1, 13], {"do_softmax": True, "axis": 2, "end_axis": -1, "num": 5}),
    ([2, 125, 13, 13], {"do_softmax": True, "axis": 2, "end_axis": 1, "num": 5}),
    (None, {"do_softmax": True, "axis": 1, "end_axis": 3, "num": 5}),
])
def test_region_yolo_shapes(shape, attrs):
    a = {"coords": 4, "classes": 80 if not attrs["do_softmax"] else 20,
         "anchors": [1.08, 1.19, 3.42, 4.41, 6.63, 11.38, 9.42, 5.11, 16.62, 10.52]}
    a.update(attrs)
    infer_vs_ov("RegionYolo", [(F, shape)], a)


@pytest.mark.parametrize("shape", [[1, 64, 26, 26], [-1, 8, -1, 6], None])
def test_reorg_yolo_shapes(shape):
    infer_vs_ov("ReorgYolo", [(F, shape)], {"stride": 2})


def test_reorg_yolo_errors():
    g = _core.Graph("bad")
    with pytest.raises(IrconvError, match=r"ReorgYolo 'r1'.*not divisible by stride 2"):
        g.op("ReorgYolo", [g.parameter("x", F, [1, 8, 5, 6]).output(0)], {"stride": 2}, name="r1")
