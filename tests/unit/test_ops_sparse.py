"""Index/segment ops (sparse.cpp): Unique, Bucketize, SearchSorted, EmbeddingBagOffsetsSum,
EmbeddingBagPackedSum, EmbeddingSegmentsSum, EmbeddingBagOffsets, EmbeddingBagPacked,
SparseFillEmptyRows, SegmentMax.

Inferred shapes/types must equal what OpenVINO infers for the saved IR; folded values (Unique,
Bucketize, SearchSorted) must equal OpenVINO's on the unfolded IR; a few values against numpy."""
import numpy as np
import pytest

from irconv import IrconvError, _core
from helpers import run_ir

from op_check import _inputs, a, fold_vs_ov, infer_vs_ov

DYN = None
I32 = np.int32


def err(type_, inputs, attrs, match, version=""):
    g = _core.Graph("t")
    ins, _ = _inputs(g, inputs)
    with pytest.raises(IrconvError, match=match):
        g.op(type_, ins, attrs, name="op", version=version)


def test_registered_versions():
    reg = set(_core.registered_ops())
    for t, v in [("Unique", "opset10"), ("Bucketize", "opset3"), ("SearchSorted", "opset15"),
                 ("EmbeddingBagOffsetsSum", "opset3"), ("EmbeddingBagPackedSum", "opset3"),
                 ("EmbeddingSegmentsSum", "opset3"), ("EmbeddingBagOffsets", "opset15"),
                 ("EmbeddingBagPacked", "opset15"), ("SparseFillEmptyRows", "opset16"), ("SegmentMax", "opset16")]:
        assert (t, v) in reg


# ----------------------------------------------------------------------------------------- Unique

@pytest.mark.parametrize("shape,axis", [([3, 4], None), ([3, 4], 1), ([3, 4], -2), ([3, -1], 1), ([-1, 4], 1),
                                        ([-1, 4], None), (DYN, None), (DYN, 1), ([0, 4], None), ([], None),
                                        ([1, 1], None), ([1, 5], 0)])
def test_unique_infer(shape, axis):
    ins = [("f32", shape)] + ([] if axis is None else [np.array(axis, np.int64)])
    infer_vs_ov("Unique", ins, {"sorted": True, "index_element_type": "i32", "count_element_type": "i64"})


UNIQUE_DATA = [np.array([[3, 1, 3], [2, 1, 3], [3, 1, 3]], np.float32),
               np.array([5, 2, 2, 7, 5, -1, 2], np.int64),
               np.array([[1, 0, 0], [1, 0, 0], [2, 3, 4]], np.int32)]


@pytest.mark.parametrize("data", UNIQUE_DATA)
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
@pytest.mark.parametrize("sorted_", [True, False])
def test_unique_fold(data, axis, sorted_):
    if axis is not None and abs(axis) >= data.ndim + (axis < 0):
        return
    ins = [data] + ([] if axis is None else [np.array(axis, np.int64)])
    got = fold_vs_ov("Unique", ins, {"sorted": sorted_, "index_element_type": "i64", "count_element_type": "i32"})
    if axis is None and sorted_:
        u, idx, inv, cnt = np.unique(data, return_index=True, return_inverse=True, return_counts=True)
        for g_, e in zip(got, [u, idx, inv.reshape(-1), cnt]):
            np.testing.assert_array_equal(g_, e)


def test_unique_errors():
    err("Unique", [("f32", [3, 4]), ("i64", [])], {}, "constant")
    err("Unique", [("f32", [3, 4]), np.array(2, np.int64)], {}, "out of range")
    err("Unique", [("f32", [3, 4])], {"index_element_type": "f32"}, "i32 or i64")


# ----------------------------------------------------------------------------------------- Bucketize / SearchSorted

@pytest.mark.parametrize("data,buckets,ot", [([2, 3], [4], "i32"), ([-1, 3], [-1], "i64"), (DYN, [4], "i64")])
def test_bucketize_infer(data, buckets, ot):
    infer_vs_ov("Bucketize", [("f32", data), ("f32", buckets)], {"output_type": ot, "with_right_bound": False})


@pytest.mark.parametrize("right", [True, False])
def test_bucketize_fold(right):
    x = np.array([[-1, 0, 0.5, 1], [2, 3, 3.5, 10]], np.float32)
    b = np.array([0, 1, 3], np.float32)
    got = fold_vs_ov("Bucketize", [x, b], {"output_type": "i64", "with_right_bound": right})
    np.testing.assert_array_equal(got, np.digitize(x, b, right=right))
    xi = np.array([5, 1, 3, 9, 0], np.int32)
    fold_vs_ov("Bucketize", [xi, np.array([1, 3, 5], np.int64)], {"output_type": "i32", "with_right_bound": right})


@pytest.mark.parametrize("seq,val", [([5], [2, 3]), ([2, 5], [2, 3]), ([-1, 5], [2, -1]), (DYN, [2, 3]), ([4], DYN)])
def test_search_sorted_infer(seq, val):
    infer_vs_ov("SearchSorted", [("f32", seq), ("f32", val)], {"right_mode": False, "output_type": "i32"})


@pytest.mark.parametrize("right", [True, False])
def test_search_sorted_fold(right):
    seq = np.array([[1, 3, 5, 7, 9], [2, 4, 6, 8, 10]], np.float32)
    val = np.array([[3, 6, 9], [3, 6, 9]], np.float32)
    got = fold_vs_ov("SearchSorted", [seq, val], {"right_mode": right}, data=(1,))
    side = "right" if right else "left"
    np.testing.assert_array_equal(got, [np.searchsorted(seq[i], val[i], side) for i in range(2)])
    fold_vs_ov("SearchSorted", [np.array([1, 2, 2, 4], np.int64), np.array([[0, 2], [3, 5]], np.int64)],
               {"right_mode": right, "output_type": "i32"}, data=(1,))


# ----------------------------------------------------------------------------------------- Embeddings

EMB_OFFSETS = [
    ([10, 4], ("i32", [5]), ("i32", [2]), None, None),
    ([10, 4], ("i64", [5]), ("i64", [-1]), np.array(0, np.int64), ("f32", [5])),
    (DYN, ("i32", [5]), ("i32", [3]), None, None),
    ([10, 2, 3], ("i32", [5]), ("i32", DYN), None, None),
]


@pytest.mark.parametrize("table,idx,off,default,w", EMB_OFFSETS)
def test_embedding_bag_offsets_infer(table, idx, off, default, w):
    ins = [("f32", table), idx, off] + ([] if default is None else [default]) + ([] if w is None else [w])
    infer_vs_ov("EmbeddingBagOffsetsSum", ins)
    infer_vs_ov("EmbeddingBagOffsets", ins, {"reduction": "sum"})
    if w is None:
        infer_vs_ov("EmbeddingBagOffsets", ins, {"reduction": "mean"})


@pytest.mark.parametrize("table,idx,w", [([10, 4], ("i32", [3, 2]), None), ([10, 4], ("i64", [-1, 2]), ("f32", [3, 2])),
                                         (DYN, ("i32", [3, 2]), None)])
def test_embedding_bag_packed_infer(table, idx, w):
    ins = [("f32", table), idx] + ([] if w is None else [w])
    infer_vs_ov("EmbeddingBagPackedSum", ins)
    infer_vs_ov("EmbeddingBagPacked", ins, {"reduction": "sum"})


@pytest.mark.parametrize("num", [np.array(3, np.int32), ("i32", [])])
def test_embedding_segments_sum_infer(num):
    infer_vs_ov("EmbeddingSegmentsSum", [("f32", [10, 4]), ("i32", [5]), ("i32", [5]), num])
    infer_vs_ov("EmbeddingSegmentsSum", [("f32", [10, 4]), ("i32", [5]), ("i32", [5]), num, np.array(0, I32),
                                         ("f32", [5])])


def test_embedding_errors():
    err("EmbeddingBagOffsetsSum", [("f32", [10, 4]), ("i32", [5]), ("i64", [2])], {}, "same element type")
    err("EmbeddingBagOffsetsSum", [("f32", [10, 4]), ("f32", [5]), ("f32", [2])], {}, "i32 or i64")
    err("EmbeddingBagPacked", [("f32", [10, 4]), ("i32", [5])], {}, "rank 2")
    err("EmbeddingBagPacked", [("f32", [10, 4]), ("i32", [3, 2])], {"reduction": "max"}, "sum or mean")


def test_embedding_values():
    rng = np.random.default_rng(5)
    table = rng.standard_normal((6, 3)).astype(np.float32)
    idx = np.array([0, 2, 3, 1, 5], np.int32)
    seg = np.array([0, 0, 2, 2, 3], np.int32)
    w = rng.standard_normal(5).astype(np.float32)
    g = _core.Graph("t")
    p = g.parameter("table", "f32", [6, 3])
    c = lambda v: g.constant(v).output(0)  # noqa: E731
    ess = g.op("EmbeddingSegmentsSum", [p.output(0), c(idx), c(seg), c(np.array(5, np.int32)), c(np.array(4, np.int32)),
                                        c(w)])
    off = g.op("EmbeddingBagOffsets", [p.output(0), c(idx), c(np.array([0, 2, 2], np.int32))], {"reduction": "mean"})
    g.result(ess.output(0), name="ess")
    g.result(off.output(0), name="off")
    res = run_ir(g, {"table": table})
    ref = np.zeros((5, 3), np.float32)
    for i, s in zip(idx, seg):
        ref[s] += table[i] * w[list(idx).index(i)]
    ref[1] = table[4]  # empty segments get the default index row
    ref[4] = table[4]
    np.testing.assert_allclose(res[0], ref, rtol=1e-5, atol=1e-6)
    bags = [table[[0, 2]].mean(0), np.zeros(3), table[[3, 1, 5]].mean(0)]
    np.testing.assert_allclose(res[1], np.stack(bags), rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------------------------- SparseFillEmptyRows

def test_sparse_fill_empty_rows():
    idx = np.array([[0, 0], [1, 1], [1, 2], [3, 0]], np.int64)
    infer_vs_ov("SparseFillEmptyRows", [("f32", [4]), a(5, 3), idx, ("f32", [])])
    infer_vs_ov("SparseFillEmptyRows", [("f32", [4]), ("i64", [2]), idx, ("f32", [])])
    infer_vs_ov("SparseFillEmptyRows", [("f32", [-1]), a(5, 3), ("i64", [-1, 2]), ("f32", [])])
    g = _core.Graph("t")
    v = g.parameter("v", "f32", [4])
    n = g.op("SparseFillEmptyRows", [v.output(0), g.constant(a(5, 3)).output(0), g.constant(idx).output(0),
                                     g.constant(np.array(-1, np.float32)).output(0)])
    for i in range(3):
        g.result(n.output(i), name="o%d" % i)
    res = run_ir(g, {"v": np.array([1, 2, 3, 4], np.float32)})
    np.testing.assert_array_equal(res[0], [[0, 0], [1, 1], [1, 2], [2, 0], [3, 0], [4, 0]])
    np.testing.assert_array_equal(res[1], [1, 2, 3, -1, 4, -1])
    np.testing.assert_array_equal(res[2], [False, False, True, False, True])
    err("SparseFillEmptyRows", [("f32", [4]), a(5, 3), a([0, 0], [7, 0], [1, 1], [2, 2]), ("f32", [])], {},
        "outside")


# ----------------------------------------------------------------------------------------- SegmentMax

@pytest.mark.parametrize("ids,num", [(a(0, 0, 2, 2, 4), None), (("i64", [5]), np.array(7, np.int64)),
                                     (("i32", [5]), None), (a(0, 0, 1, 1, 1), ("i64", []))])
def test_segment_max_infer(ids, num):
    infer_vs_ov("SegmentMax", [("f32", [5, 3]), ids] + ([] if num is None else [num]), {"fill_mode": "zero"})


def test_segment_max_values():
    g = _core.Graph("t")
    x = g.parameter("x", "f32", [5, 2])
    n = g.op("SegmentMax", [x.output(0), g.constant(a(0, 0, 2, 2, 3)).output(0)], {"fill_mode": "LOWEST"})
    assert n.attrs["fill_mode"] == "lowest"
    g.result(n.output(0), name="y")
    xv = np.array([[1, 5], [3, 2], [0, -1], [4, 4], [7, 8]], np.float32)
    y = run_ir(g, {"x": xv})[0]
    np.testing.assert_array_equal(y[[0, 2, 3]], [[3, 5], [4, 4], [7, 8]])
    assert (y[1] == np.finfo(np.float32).min).all()
    err("SegmentMax", [("f32", [5, 3]), a(0, 2, 1, 1, 1)], {"fill_mode": "zero"}, "sorted")
