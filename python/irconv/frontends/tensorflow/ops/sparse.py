"""Sparse tensors and feature columns: SparseToDense, SparseReshape, SparseFillEmptyRows,
SparseSegmentSum/Mean/SqrtN, Unique, Bucketize."""
import numpy as np

from irconv.errors import IrconvError

from ..context import Thunk
from ..registry import tf_op


@tf_op("SparseToDense")
def sparse_to_dense(ctx, node):
    idx, shape, values, default = [node.input(i) for i in range(4)]
    dense = ctx.op1("Broadcast", [ctx.to_scalar(default), shape], {"mode": "numpy"}, version="opset3")
    r = ctx.rank(idx)
    if r == 0:
        idx = ctx.reshape(idx, [1, 1])
    elif r == 1:
        idx = ctx.unsqueeze(idx, [1])
    n = ctx.gather(ctx.shape_of(idx), [0])
    if ctx.rank(values) == 0:
        values = ctx.op1("Broadcast", [values, n], {"mode": "numpy"}, version="opset3")
    return ctx.op1("ScatterNDUpdate", [dense, idx, values], version="opset4")


def _strides(ctx, shape, rank):
    """Row-major strides of a 1-D shape tensor of static length `rank`."""
    parts = []
    for i in range(rank):
        tail = ctx.op1("Slice", [shape, ctx.i64([i + 1]), ctx.i64([rank]), ctx.i64([1])])
        parts.append(ctx.op1("ReduceProd", [tail, ctx.i64([0])], {"keep_dims": True}))
    return ctx.concat(parts, 0)


@tf_op("SparseReshape")
def sparse_reshape(ctx, node):
    idx, in_shape, new_shape = [ctx.convert(node.input(i), "i64") for i in range(3)]
    s_in, s_new = ctx.shape(in_shape), ctx.shape(new_shape)
    if s_in is None or s_new is None or s_in[0] < 0 or s_new[0] < 0:
        raise IrconvError("the input and new shapes must have a static length")
    r_in, r_out = s_in[0], s_new[0]
    total = ctx.op1("ReduceProd", [in_shape, ctx.i64([0])], {"keep_dims": True})
    prod_new = ctx.op1("ReduceProd", [new_shape, ctx.i64([0])], {"keep_dims": True})
    missing = ctx.op1("Divide", [total, ctx.op1("Abs", [prod_new])], {"auto_broadcast": "numpy", "m_pythondiv": False})
    out_shape = ctx.op1("Select", [ctx.binary("Equal", new_shape, ctx.i64(-1)), missing, new_shape],
                        {"auto_broadcast": "numpy"})
    linear = ctx.op1("ReduceSum", [ctx.binary("Multiply", idx, _strides(ctx, in_shape, r_in)), ctx.i64([1])],
                     {"keep_dims": True})                                     # [N, 1]
    q = ctx.op1("Divide", [linear, ctx.unsqueeze(_strides(ctx, out_shape, r_out), [0])],
                {"auto_broadcast": "numpy", "m_pythondiv": True})
    out_idx = ctx.binary("FloorMod", q, ctx.unsqueeze(out_shape, [0]))
    return [out_idx, out_shape]


@tf_op("SparseFillEmptyRows")
def sparse_fill_empty_rows(ctx, node):
    idx, values, shape, default = [node.input(i) for i in range(4)]
    idx = ctx.convert(idx, "i64")
    shape = ctx.convert(shape, "i64")
    sf = ctx.op("SparseFillEmptyRows", [values, shape, idx, ctx.to_scalar(default)], version="opset16")
    out_idx, out_vals, empty = sf.output(0), sf.output(1), sf.output(2)
    # re-derive the boolean through a comparison: OpenVINO's CPU plugin passes the op's raw boolean
    # output on to elementwise kernels that reject it
    empty = ctx.binary("NotEqual", ctx.convert(empty, "u8"), ctx.const(np.uint8(0)))

    def reverse_map():
        # entry i of the (row-sorted) input moves down by the number of empty rows before its row
        e = ctx.convert(empty, "i64")
        before = ctx.op1("CumSum", [e, ctx.i64(0)], {"exclusive": True, "reverse": False})
        rows = ctx.squeeze(ctx.gather(idx, [0], 1), [1])
        n = ctx.op1("Range", [ctx.i64(0), ctx.to_scalar(ctx.gather(ctx.shape_of(idx), [0])), ctx.i64(1)],
                    {"output_type": "i64"}, version="opset4")
        return ctx.binary("Add", n, ctx.gather(before, rows))
    return [out_idx, out_vals, empty, Thunk(reverse_map)]


def _segments(ctx, node, with_num):
    data = node.input(0)
    indices = ctx.convert(node.input(1), "i64")
    seg = ctx.convert(node.input(2), "i64")
    if with_num:
        num = ctx.to_scalar(ctx.convert(node.input(3), "i64"))
    else:
        last = ctx.op1("ReduceMax", [seg, ctx.i64([0])], {"keep_dims": False})
        num = ctx.binary("Add", last, ctx.i64(1))
    return data, indices, seg, num


def _segment_sum(ctx, data, indices, seg, num):
    r = ctx.rank(data)
    if r == 1:
        data2 = ctx.unsqueeze(data, [1])
        out = ctx.op1("EmbeddingSegmentsSum", [data2, indices, seg, num], version="opset3")
        return ctx.squeeze(out, [1])
    return ctx.op1("EmbeddingSegmentsSum", [data, indices, seg, num], version="opset3")


def _segment_counts(ctx, seg, num, like):
    zeros = ctx.op1("Broadcast", [ctx.const(0, like), ctx.unsqueeze(num, [0])], {"mode": "numpy"}, version="opset3")
    ones = ctx.op1("Broadcast", [ctx.const(1, like), ctx.shape_of(seg)], {"mode": "numpy"}, version="opset3")
    return ctx.op1("ScatterElementsUpdate", [zeros, seg, ones, ctx.i64(0)], {"reduction": "sum", "use_init_val": True},
                   version="opset12")


def _per_row(ctx, v, out):
    r = ctx.rank(out)
    if r is None:
        raise IrconvError("segment results need a known rank")
    return ctx.reshape(v, [-1] + [1] * (r - 1)) if r > 1 else v


@tf_op("SparseSegmentSum", "SparseSegmentSumWithNumSegments")
def sparse_segment_sum(ctx, node):
    data, indices, seg, num = _segments(ctx, node, node.op.endswith("WithNumSegments"))
    return _segment_sum(ctx, data, indices, seg, num)


@tf_op("SparseSegmentMean", "SparseSegmentMeanWithNumSegments", "SparseSegmentSqrtN",
       "SparseSegmentSqrtNWithNumSegments")
def sparse_segment_mean(ctx, node):
    data, indices, seg, num = _segments(ctx, node, node.op.endswith("WithNumSegments"))
    s = _segment_sum(ctx, data, indices, seg, num)
    cnt = _segment_counts(ctx, seg, num, data)
    cnt = ctx.binary("Maximum", cnt, ctx.const(1, data))     # empty segments stay 0
    if node.op.startswith("SparseSegmentSqrtN"):
        cnt = ctx.op1("Sqrt", [cnt])
    return ctx.binary("Divide", s, _per_row(ctx, cnt, s))


@tf_op("Unique")
def unique(ctx, node):
    x = node.input(0)
    et = node.et("out_idx", "i32")
    u = ctx.op("Unique", [x], {"sorted": False, "index_element_type": et, "count_element_type": et},
               version="opset10")
    return [u.output(0), u.output(2)]


@tf_op("UniqueWithCounts")
def unique_with_counts(ctx, node):
    x = node.input(0)
    et = node.et("out_idx", "i32")
    u = ctx.op("Unique", [x], {"sorted": False, "index_element_type": et, "count_element_type": et},
               version="opset10")
    return [u.output(0), u.output(2), u.output(3)]


@tf_op("Bucketize")
def bucketize(ctx, node):
    x = node.input(0)
    b = np.asarray(node.attr("boundaries", []), dtype=np.float32)
    if b.size == 0:
        return ctx.op1("Broadcast", [ctx.i32(0), ctx.shape_of(x)], {"mode": "numpy"}, version="opset3")
    buckets = ctx.const(b.astype(np.float64) if ctx.et(x) == "f64" else b)
    if ctx.et(x) not in ("f32", "f64", "f16"):
        x = ctx.convert(x, "f32" if ctx.et(x) in ("i8", "u8", "i16", "u16") else "f64")
        buckets = ctx.convert(buckets, ctx.et(x))
    return ctx.op1("Bucketize", [x, buckets], {"output_type": "i32", "with_right_bound": False}, version="opset3")
