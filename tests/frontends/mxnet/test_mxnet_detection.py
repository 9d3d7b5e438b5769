"""SSD heads: MultiBoxPrior against a numpy transcription of MXNet's MultiBoxPriorForward, and
MultiBoxDetection (as DetectionOutput) against a numpy MultiBoxDetectionForward: the same set of
(class, score, box) detections."""
import math

import numpy as np
import pytest

from irconv.errors import IrconvError
from mx_files import SymBuilder, convert, run_model


def mx_prior(h, w, sizes, ratios, steps=(-1, -1), offsets=(0.5, 0.5), clip=False):
    """Loop-by-loop transcription of MXNet's MultiBoxPriorForward."""
    step_y = steps[0] if steps[0] > 0 else 1.0 / h
    step_x = steps[1] if steps[1] > 0 else 1.0 / w
    out = []
    for r in range(h):
        cy = (r + offsets[0]) * step_y
        for c in range(w):
            cx = (c + offsets[1]) * step_x
            ratio = math.sqrt(ratios[0])
            for s in sizes:
                bw, bh = s * h / w * ratio / 2, s / ratio / 2
                out.append([cx - bw, cy - bh, cx + bw, cy + bh])
            for rr in ratios[1:]:
                ratio = math.sqrt(rr)
                bw, bh = sizes[0] * h / w * ratio / 2, sizes[0] / ratio / 2
                out.append([cx - bw, cy - bh, cx + bw, cy + bh])
    a = np.asarray(out, np.float32)
    if clip:
        a = np.clip(a, 0, 1)
    return a.reshape(1, -1, 4)


@pytest.mark.parametrize("h,w,attrs", [
    (4, 4, {}),
    (3, 5, {"sizes": "[0.2, 0.27]", "ratios": "[1, 2, 0.5]"}),
    (5, 3, {"sizes": "[0.5, 0.7, 0.9]", "ratios": "[1, 3]", "clip": True}),
    (4, 6, {"sizes": "[0.3]", "ratios": "[2, 0.5]", "steps": "(0.1, 0.2)", "offsets": "(0.25, 0.25)"}),
    (4, 6, {"sizes": "[0.3]", "ratios": "[1, 2]", "offsets": "(0.5, 0.25)"}),
])
def test_multibox_prior(h, w, attrs):
    b = SymBuilder()
    y = b.op("_contrib_MultiBoxPrior", "anchors", [b.var("data")], **attrs)
    x = np.zeros((1, 2, h, w), np.float32)
    got = run_model(b.to_json([y]), {}, {"data": x})["anchors_output"]

    def parse(k, d):
        v = attrs.get(k)
        return d if v is None else [float(t) for t in v.strip("[]()").split(",")]
    want = mx_prior(h, w, parse("sizes", [1.0]), parse("ratios", [1.0]), parse("steps", [-1, -1]),
                    parse("offsets", [0.5, 0.5]), attrs.get("clip", False))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def mx_detection(cls_prob, loc, anchors, threshold=0.01, nms=0.5, variances=(0.1, 0.1, 0.2, 0.2), clip=True,
                 topk=-1):
    """MXNet's MultiBoxDetectionForward: per image, the list of kept [class, score, x0, y0, x1, y1]."""
    n, ncls, na = cls_prob.shape
    res = []
    for b in range(n):
        rows = []
        for i in range(na):
            j = 1 + int(np.argmax(cls_prob[b, 1:, i]))
            score = cls_prob[b, j, i]
            if score < threshold:
                continue
            al, at, ar, ab = anchors[0, i]
            aw, ah, ax, ay = ar - al, ab - at, (al + ar) / 2, (at + ab) / 2
            px, py, pw, ph = loc[b, i * 4:i * 4 + 4]
            ox, oy = px * variances[0] * aw + ax, py * variances[1] * ah + ay
            ow, oh = np.exp(pw * variances[2]) * aw / 2, np.exp(ph * variances[3]) * ah / 2
            box = np.array([ox - ow, oy - oh, ox + ow, oy + oh])
            if clip:
                box = np.clip(box, 0, 1)
            rows.append([j - 1, score] + list(box))
        rows.sort(key=lambda r: -r[1])
        if topk > 0:
            rows = rows[:topk]
        keep = []
        for r in rows:
            ok = True
            for k in keep:
                if k[0] != r[0]:
                    continue
                ix = max(0, min(r[4], k[4]) - max(r[2], k[2]))
                iy = max(0, min(r[5], k[5]) - max(r[3], k[3]))
                inter = ix * iy
                union = (r[4] - r[2]) * (r[5] - r[3]) + (k[4] - k[2]) * (k[5] - k[3]) - inter
                if union > 0 and inter / union >= nms:
                    ok = False
                    break
            if ok:
                keep.append(r)
        res.append(sorted(keep, key=lambda r: (r[0], -r[1])))
    return res


@pytest.mark.parametrize("topk,clip", [(-1, True), (5, False)])
def test_multibox_detection(topk, clip):
    rng = np.random.RandomState(5)
    n, ncls, h, w = 2, 4, 4, 4
    b = SymBuilder()
    anchors = b.op("_contrib_MultiBoxPrior", "anchors", [b.var("feat")], sizes="[0.3, 0.5]", ratios="[1, 2]")
    det = b.op("_contrib_MultiBoxDetection", "det", [b.var("cls_prob"), b.var("loc_pred"), anchors],
               threshold=0.3, nms_threshold=0.45, nms_topk=topk, clip=clip)
    na = h * w * 3
    logits = rng.randn(n, ncls, na).astype(np.float32) * 2
    cls_prob = (np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)).astype(np.float32)
    loc = (rng.randn(n, na * 4) * 0.5).astype(np.float32)
    feat = np.zeros((1, 8, h, w), np.float32)
    got = run_model(b.to_json([det]), {}, {"feat": feat, "cls_prob": cls_prob, "loc_pred": loc})["det_output"]
    want = mx_detection(cls_prob, loc, mx_prior(h, w, [0.3, 0.5], [1, 2]), 0.3, 0.45, clip=clip, topk=topk)
    rows = got.reshape(-1, 7)
    end = np.where(rows[:, 0] == -1)[0]
    rows = rows[:end[0]] if len(end) else rows
    for img in range(n):
        mine = sorted([list(r[1:]) for r in rows if r[0] == img], key=lambda r: (r[0], -r[1]))
        assert len(mine) == len(want[img]) and len(mine) > 0
        np.testing.assert_allclose(np.asarray(mine), np.asarray(want[img]), rtol=1e-4, atol=1e-5)


def test_multibox_detection_force_suppress_is_rejected():
    b = SymBuilder()
    det = b.op("_contrib_MultiBoxDetection", "det", [b.var("c"), b.var("l"), b.var("a")], force_suppress=True)
    with pytest.raises(IrconvError, match="force_suppress"):
        convert(b.to_json([det]), {}, input_shape="[1,3,8],[1,32],[1,8,4]")
