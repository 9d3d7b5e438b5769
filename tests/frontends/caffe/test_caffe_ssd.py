"""SSD's PriorBox and DetectionOutput (weiliu89/caffe) on hand-written nets, against numpy
references of PriorBoxLayer / DetectionOutputLayer::Forward_cpu."""
import math

import numpy as np
import pytest

from caffe_fe_util import rng, run

IMG = (1, 3, 32, 24)     # N, C, H, W of the image blob
FEAT = (1, 8, 4, 3)      # the feature map the priors are laid over


def ref_prior_box(layer_hw, img_hw, mins, maxs, ars, flip, clip, var, step=None, offset=0.5):
    lh, lw = layer_hw
    ih, iw = img_hw
    sh, sw = (step, step) if step else (ih / lh, iw / lw)
    ratios = [1.0]
    for a in ars:
        if any(abs(a - r) < 1e-6 for r in ratios):
            continue
        ratios.append(a)
        if flip:
            ratios.append(1.0 / a)
    boxes = []
    for h in range(lh):
        for w in range(lw):
            cx, cy = (w + offset) * sw, (h + offset) * sh
            for s, m in enumerate(mins):
                sizes = [(m, m)]
                if maxs:
                    sizes.append((math.sqrt(m * maxs[s]),) * 2)
                for a in ratios:
                    if abs(a - 1.0) < 1e-6:
                        continue
                    sizes.append((m * math.sqrt(a), m / math.sqrt(a)))
                for bw, bh in sizes:
                    boxes.append([(cx - bw / 2) / iw, (cy - bh / 2) / ih, (cx + bw / 2) / iw, (cy + bh / 2) / ih])
    b = np.asarray(boxes, np.float64).reshape(-1)
    if clip:
        b = np.clip(b, 0, 1)
    v = np.tile(np.asarray(var if len(var) == 4 else var * 4, np.float64), len(boxes))
    return np.stack([b, v])[None].astype(np.float32)


def _iou(a, b):
    if b[0] > a[2] or b[2] < a[0] or b[1] > a[3] or b[3] < a[1]:
        return 0.0
    iw = min(a[2], b[2]) - max(a[0], b[0])
    ih = min(a[3], b[3]) - max(a[1], b[1])
    inter = iw * ih
    area = lambda x: (x[2] - x[0]) * (x[3] - x[1])  # noqa: E731
    return inter / (area(a) + area(b) - inter)


def ref_detection_output(loc, conf, priors, num_classes, bg, nms_thr, top_k, keep_top_k, conf_thr, code):
    pr = priors[0, 0].reshape(-1, 4).astype(np.float64)
    var = priors[0, 1].reshape(-1, 4).astype(np.float64)
    lc = loc.reshape(-1, 4).astype(np.float64)
    if code == "CENTER_SIZE":
        pw, ph = pr[:, 2] - pr[:, 0], pr[:, 3] - pr[:, 1]
        pcx, pcy = (pr[:, 0] + pr[:, 2]) / 2, (pr[:, 1] + pr[:, 3]) / 2
        cx = var[:, 0] * lc[:, 0] * pw + pcx
        cy = var[:, 1] * lc[:, 1] * ph + pcy
        w = np.exp(var[:, 2] * lc[:, 2]) * pw
        h = np.exp(var[:, 3] * lc[:, 3]) * ph
        boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1)
    else:
        boxes = pr + var * lc
    scores = conf.reshape(-1, num_classes).astype(np.float64)
    kept = {}
    for c in range(num_classes):
        if c == bg:
            continue
        cand = [(s, i) for i, s in enumerate(scores[:, c]) if s > conf_thr]
        cand.sort(key=lambda t: -t[0])      # stable: equal scores keep index order
        if top_k > -1:
            cand = cand[:top_k]
        keep = []
        for s, i in cand:
            if all(_iou(boxes[i], boxes[k]) <= nms_thr for k in keep):
                keep.append(i)
        kept[c] = keep
    total = sum(len(v) for v in kept.values())
    if keep_top_k > -1 and total > keep_top_k:
        pairs = sorted(((scores[i, c], c, i) for c, v in kept.items() for i in v), key=lambda t: -t[0])[:keep_top_k]
        kept = {}
        for s, c, i in pairs:
            kept.setdefault(c, []).append(i)
    rows = [[0, c, scores[i, c]] + list(boxes[i]) for c in sorted(kept) for i in kept[c]]
    return np.asarray(rows, np.float32).reshape(-1, 7)


def _prior_layer(params, top="pb"):
    return ('layer { name: "%s" type: "PriorBox" bottom: "feat" bottom: "data" top: "%s" prior_box_param { %s } }\n'
            % (top, top, params))


def _inputs(extra=""):
    return ('input: "data" input_shape { dim: %d dim: %d dim: %d dim: %d }\n' % IMG
            + 'input: "feat" input_shape { dim: %d dim: %d dim: %d dim: %d }\n' % FEAT + extra)


@pytest.mark.parametrize("params,kw", [
    ("min_size: 6 max_size: 12 aspect_ratio: 2 flip: true clip: false variance: 0.1 variance: 0.1 variance: 0.2 "
     "variance: 0.2", dict(mins=[6], maxs=[12], ars=[2], flip=True, clip=False, var=[0.1, 0.1, 0.2, 0.2])),
    ("min_size: 10 aspect_ratio: 2 aspect_ratio: 3 aspect_ratio: 2 flip: false clip: true step: 8 offset: 0.25",
     dict(mins=[10], maxs=[], ars=[2, 3], flip=False, clip=True, var=[0.1], step=8, offset=0.25)),
    ("min_size: 4 min_size: 9 max_size: 9 max_size: 20 aspect_ratio: 0.5 variance: 0.2",
     dict(mins=[4, 9], maxs=[9, 20], ars=[0.5], flip=True, clip=False, var=[0.2])),
])
def test_prior_box(tmp_path, params, kw):
    got, m = run(tmp_path, _inputs() + _prior_layer(params), [],
                 {"data": np.zeros(IMG, np.float32), "feat": np.zeros(FEAT, np.float32)})
    exp = ref_prior_box(FEAT[2:], IMG[2:], **kw)
    assert got["pb"].shape == exp.shape
    np.testing.assert_allclose(got["pb"], exp, rtol=1e-5, atol=1e-6)


def test_prior_box_img_size_and_step_hw(tmp_path):
    params = "min_size: 8 max_size: 16 img_h: 64 img_w: 48 step_h: 12 step_w: 12 clip: false"
    got, _ = run(tmp_path, _inputs() + _prior_layer(params), [],
                 {"data": np.zeros(IMG, np.float32), "feat": np.zeros(FEAT, np.float32)})
    exp = ref_prior_box(FEAT[2:], (64, 48), [8], [16], [], True, False, [0.1], step=12)
    np.testing.assert_allclose(got["pb"], exp, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("code", ["CENTER_SIZE", "CORNER"])
def test_detection_output(tmp_path, code):
    """An SSD head: PriorBox over the feature map, DetectionOutput on given loc / conf."""
    ncls = 3
    pb = "min_size: 6 max_size: 12 aspect_ratio: 2 flip: true clip: false variance: 0.1 variance: 0.1 " \
         "variance: 0.2 variance: 0.2"
    priors = ref_prior_box(FEAT[2:], IMG[2:], [6], [12], [2], True, False, [0.1, 0.1, 0.2, 0.2])
    n = priors.shape[2] // 4
    r = rng(30)
    loc = (r.randn(1, n * 4) * (0.5 if code == "CENTER_SIZE" else 0.02)).astype(np.float32)
    logits = r.randn(1, n, ncls).astype(np.float32) * 2
    conf = (np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)).reshape(1, -1).astype(np.float32)
    proto = _inputs('input: "loc" input_shape { dim: 1 dim: %d }\ninput: "conf" input_shape { dim: 1 dim: %d }\n'
                    % (n * 4, n * ncls)) + _prior_layer(pb) + (
        'layer { name: "det" type: "DetectionOutput" bottom: "loc" bottom: "conf" bottom: "pb" top: "det"\n'
        '  include { phase: TEST }\n'
        '  detection_output_param { num_classes: %d share_location: true background_label_id: 0\n'
        '    nms_param { nms_threshold: 0.45 top_k: 20 } code_type: %s keep_top_k: 12 confidence_threshold: 0.3\n'
        '    save_output_param { output_directory: "/tmp/none" output_format: "VOC" } } }\n' % (ncls, code))
    got, m = run(tmp_path, proto, [], {"data": np.zeros(IMG, np.float32), "feat": np.zeros(FEAT, np.float32),
                                       "loc": loc, "conf": conf})
    exp = ref_detection_output(loc, conf, priors, ncls, 0, 0.45, 20, 12, 0.3, code)
    det = got["det"]
    assert det.shape == (1, 1, 12, 7)
    k = exp.shape[0]
    assert 0 < k <= 12
    np.testing.assert_allclose(det[0, 0, :k], exp, rtol=1e-4, atol=1e-5)
    if k < 12:
        assert det[0, 0, k, 0] == -1
