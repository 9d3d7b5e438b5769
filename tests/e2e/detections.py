"""Comparing detector outputs where the framework leaves the order of detections undefined.

A detector's outputs are sorted by score, but detections with equal scores (or scores equal
within float noise) may come in any order: TopK and NMS implementations break ties differently.
So the valid detections of each image are compared as a set of rows (score, class, box, mask...),
matched one to one within the tolerance, and the scores must be non-increasing; the padding after
the valid rows is compared as it is (zeros in the OD API layout)."""
import numpy as np


def match_rows(got, exp, rtol, atol, what):
    """got, exp: [N, D] arrays holding the same rows in an order that is not defined. Asserts a
    one-to-one matching of rows within rtol/atol (greedy, most distinct rows first)."""
    got = np.asarray(got, dtype=np.float64).reshape(len(got), -1)
    exp = np.asarray(exp, dtype=np.float64).reshape(len(exp), -1)
    assert got.shape == exp.shape, "%s: %d detections of width %s, expected %d of width %s" % (
        what, got.shape[0], got.shape[1:], exp.shape[0], exp.shape[1:])
    free = list(range(len(got)))
    for i, row in enumerate(exp):
        ok = [j for j in free if np.allclose(got[j], row, rtol=rtol, atol=atol)]
        if not ok:
            near = min(free, key=lambda j: np.abs(got[j] - row).max())
            raise AssertionError("%s: expected detection %d %s has no match; nearest got row %s (max diff %.3g)"
                                 % (what, i, np.array2string(row[:8], precision=5),
                                    np.array2string(got[near][:8], precision=5), np.abs(got[near] - row).max()))
        # the closest candidate, so a near-tie does not take another row's partner
        best = min(ok, key=lambda j: np.abs(got[j] - row).max())
        free.remove(best)


def assert_sorted_desc(scores, what, atol=1e-6):
    s = np.asarray(scores, dtype=np.float64)
    assert np.all(s[1:] <= s[:-1] + atol), "%s: scores are not sorted high to low: %s" % (what, s)


def compare_od_api(got, exp, rtol, atol, prefix=""):
    """TF Object Detection API outputs: {prefix+detection_boxes [B,K,4], detection_scores [B,K],
    detection_classes [B,K], num_detections [B]}. Per image: num_detections equal, the valid rows
    equal as sets and sorted by score, the padding rows equal as they are."""
    def key(k):
        return prefix + k
    nd_g = np.asarray(got[key("num_detections")])
    nd_e = np.asarray(exp[key("num_detections")])
    np.testing.assert_array_equal(nd_g, nd_e, err_msg="num_detections")
    for k in ("detection_boxes", "detection_scores", "detection_classes"):
        assert got[key(k)].shape == exp[key(k)].shape, "%s: shape %s, expected %s" % (
            k, got[key(k)].shape, exp[key(k)].shape)
    for b in range(nd_e.shape[0]):
        n = int(nd_e[b])

        def rows(d):
            return np.concatenate([d[key("detection_scores")][b][:, None], d[key("detection_classes")][b][:, None],
                                   d[key("detection_boxes")][b]], 1)
        g, e = rows(got), rows(exp)
        assert_sorted_desc(g[:n, 0], "image %d" % b)
        match_rows(g[:n], e[:n], rtol, atol, "image %d" % b)
        np.testing.assert_allclose(g[n:], e[n:], rtol=rtol, atol=atol, err_msg="image %d padding" % b)


def compare_instances(got, exp, keys, rtol, atol, score_key="scores"):
    """Per-instance outputs of one image (Mask R-CNN: boxes [N,4], labels [N], scores [N], masks
    [N,1,h,w]): the same number of instances, sorted by score, equal as a set of rows."""
    n = exp[score_key].shape[0]
    for k in keys:
        assert got[k].shape == exp[k].shape, "%s: shape %s, expected %s" % (k, got[k].shape, exp[k].shape)
    assert_sorted_desc(got[score_key], "instances")
    g = np.concatenate([np.asarray(got[k], dtype=np.float64).reshape(n, -1) for k in keys], 1)
    e = np.concatenate([np.asarray(exp[k], dtype=np.float64).reshape(n, -1) for k in keys], 1)
    match_rows(g, e, rtol, atol, "instances")
