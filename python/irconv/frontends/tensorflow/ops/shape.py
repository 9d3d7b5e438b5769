"""Shapes, reshapes, concatenation/splitting, slicing, padding, gathers, tiling, ranges."""
import numpy as np

from irconv.errors import IrconvError

from ..registry import tf_op

INT_MAX = np.iinfo(np.int64).max


def _axis_value(node, i, what="axis"):
    v = node.const_input(i, what)
    return int(np.asarray(v).reshape(-1)[0])


@tf_op("Shape")
def shape(ctx, node):
    return ctx.shape_of(node.input(0), node.et("out_type", "i32"))


@tf_op("ShapeN")
def shape_n(ctx, node):
    et = node.et("out_type", "i32")
    return [ctx.shape_of(node.input(i), et) for i in range(node.num_inputs)]


@tf_op("Size")
def size(ctx, node):
    et = node.et("out_type", "i32")
    s = ctx.shape_of(node.input(0), et)
    return ctx.op1("ReduceProd", [s, ctx.i64([0])], {"keep_dims": False})


@tf_op("Rank")
def rank(ctx, node):
    x = node.input(0)
    r = ctx.rank(x)
    if r is not None:
        return ctx.const(np.asarray(r, dtype=np.int32))
    return ctx.squeeze(ctx.shape_of(ctx.shape_of(x, "i32"), "i32"), [0])


@tf_op("Reshape")
def reshape(ctx, node):
    return ctx.op1("Reshape", [node.input(0), node.input(1)], {"special_zero": False})


@tf_op("Squeeze")
def squeeze(ctx, node):
    x = node.input(0)
    axes = node.attr("squeeze_dims", None) or node.attr("axis", None) or []
    if not axes:
        return ctx.squeeze(x)
    return ctx.squeeze(x, list(axes))


@tf_op("ExpandDims")
def expand_dims(ctx, node):
    ax = node.input(1)
    v = ctx.value(ax)
    if v is not None:
        return ctx.unsqueeze(node.input(0), [int(v.reshape(-1)[0])])
    return ctx.op1("Unsqueeze", [node.input(0), ctx.reshape(ax, [1])])


@tf_op("Transpose")
def transpose(ctx, node):
    return ctx.op1("Transpose", [node.input(0), node.input(1)])


@tf_op("ConcatV2")
def concat_v2(ctx, node):
    n = node.num_inputs - 1
    axis = _axis_value(node, n)
    return ctx.op1("Concat", [node.input(i) for i in range(n)], {"axis": axis})


@tf_op("Concat")
def concat_v1(ctx, node):
    axis = _axis_value(node, 0)
    return ctx.op1("Concat", [node.input(i) for i in range(1, node.num_inputs)], {"axis": axis})


@tf_op("Pack")
def pack(ctx, node):
    xs = node.inputs()
    axis = int(node.attr("axis", 0))
    if axis < 0:
        r = ctx.rank(xs[0])
        if r is None:
            raise IrconvError("a negative axis needs a known input rank")
        axis += r + 1
    return ctx.concat([ctx.unsqueeze(x, [axis]) for x in xs], axis)


@tf_op("Unpack")
def unpack(ctx, node):
    x = node.input(0)
    num = int(node.attr("num"))
    axis = int(node.attr("axis", 0))
    if axis < 0:
        r = ctx.rank(x)
        if r is None:
            raise IrconvError("a negative axis needs a known input rank")
        axis += r
    if num == 1:
        return [ctx.squeeze(x, [axis])]
    sp = ctx.op("Split", [x, ctx.i64(axis)], {"num_splits": num})
    return [ctx.squeeze(sp.output(i), [axis]) for i in range(num)]


@tf_op("Split")
def split(ctx, node):
    axis = _axis_value(node, 0)
    num = int(node.attr("num_split"))
    x = node.input(1)
    if num == 1:
        return [x]
    sp = ctx.op("Split", [x, ctx.i64(axis)], {"num_splits": num})
    return [sp.output(i) for i in range(num)]


@tf_op("SplitV")
def split_v(ctx, node):
    x = node.input(0)
    sizes = node.input(1)
    axis = _axis_value(node, 2)
    num = int(node.attr("num_split"))
    if num == 1:
        return [x]
    sp = ctx.op("VariadicSplit", [x, ctx.i64(axis), ctx.convert(sizes, "i64")])
    return [sp.output(i) for i in range(num)]


@tf_op("Slice")
def slice_(ctx, node):
    x, begin, size = node.input(0), node.input(1), node.input(2)
    bv, sv = ctx.value(begin), ctx.value(size)
    if bv is not None and sv is not None:
        if bv.ndim != 1 or sv.shape != bv.shape:
            raise IrconvError("begin %s and size %s must be 1-D vectors of one length (one entry per axis)"
                              % (list(bv.shape), list(sv.shape)))
        b = [int(v) for v in bv]
        e = [INT_MAX if int(s) == -1 else int(v) + int(s) for v, s in zip(bv, sv)]
        stop = ctx.i64(e)
        start = ctx.i64(b)
    else:
        start = ctx.convert(begin, "i64")
        s64 = ctx.convert(size, "i64")
        stop = ctx.op1("Select", [ctx.binary("Equal", s64, ctx.i64(-1)), ctx.i64(INT_MAX),
                                  ctx.binary("Add", start, s64)], {"auto_broadcast": "numpy"})
    steps = ctx.op1("Broadcast", [ctx.i64(1), ctx.shape_of(start)], {"mode": "numpy"}, version="opset3")
    if ctx.value(start) is not None:
        steps = ctx.i64([1] * int(ctx.value(start).size))
    return ctx.op1("Slice", [x, start, stop, steps])


def _mask(v, n):
    return [(int(v) >> i) & 1 for i in range(n)]


@tf_op("StridedSlice")
def strided_slice(ctx, node):
    x, begin, end, strides = node.input(0), node.input(1), node.input(2), node.input(3)
    n = None
    for t in (begin, end, strides):
        s = ctx.shape(t)
        if s is not None and len(s) == 1 and s[0] >= 0:
            n = s[0]
    if n is None:
        raise IrconvError("begin/end/strides must have a static length")
    attrs = {"begin_mask": _mask(node.attr("begin_mask", 0), n), "end_mask": _mask(node.attr("end_mask", 0), n),
             "new_axis_mask": _mask(node.attr("new_axis_mask", 0), n),
             "shrink_axis_mask": _mask(node.attr("shrink_axis_mask", 0), n),
             "ellipsis_mask": _mask(node.attr("ellipsis_mask", 0), n)}
    return ctx.op1("StridedSlice", [x, ctx.convert(begin, "i64"), ctx.convert(end, "i64"),
                                    ctx.convert(strides, "i64")], attrs)


@tf_op("Tile")
def tile(ctx, node):
    return ctx.op1("Tile", [node.input(0), node.input(1)])


@tf_op("Fill")
def fill(ctx, node):
    dims, value = node.input(0), node.input(1)
    return ctx.filled(value, dims)


@tf_op("BroadcastTo")
def broadcast_to(ctx, node):
    return ctx.op1("Broadcast", [node.input(0), node.input(1)], {"mode": "numpy"}, version="opset3")


@tf_op("Range")
def range_(ctx, node):
    et = node.et("Tidx", None) or ctx.et(node.input(0))
    ins = [ctx.to_scalar(node.input(i)) for i in range(3)]
    return ctx.op1("Range", ins, {"output_type": et}, version="opset4")


def _paddings(ctx, p):
    pv = ctx.value(p)
    if pv is not None:
        pv = np.asarray(pv, dtype=np.int64).reshape(-1, 2)
        return ctx.i64(pv[:, 0]), ctx.i64(pv[:, 1])
    p64 = ctx.convert(p, "i64")
    begin = ctx.squeeze(ctx.gather(p64, [0], 1), [1])
    end = ctx.squeeze(ctx.gather(p64, [1], 1), [1])
    return begin, end


@tf_op("Pad", "PadV2", "MirrorPad")
def pad(ctx, node):
    x = node.input(0)
    b, e = _paddings(ctx, node.input(1))
    if node.op == "MirrorPad":
        mode = node.attr("mode", "REFLECT").lower()
        if mode not in ("reflect", "symmetric"):
            raise IrconvError("unknown MirrorPad mode '%s'" % mode)
        return ctx.op1("Pad", [x, b, e], {"pad_mode": mode})
    value = ctx.to_scalar(node.input(2)) if node.op == "PadV2" else ctx.const(0, x)
    return ctx.op1("Pad", [x, b, e, value], {"pad_mode": "constant"})


@tf_op("GatherV2")
def gather_v2(ctx, node):
    bd = int(node.attr("batch_dims", 0))
    axis = _axis_value(node, 2)
    return ctx.op1("Gather", [node.input(0), node.input(1), ctx.i64(axis)], {"batch_dims": bd}, version="opset8")


@tf_op("Gather")
def gather_v1(ctx, node):
    return ctx.gather(node.input(0), node.input(1), 0)


@tf_op("GatherNd")
def gather_nd(ctx, node):
    return ctx.op1("GatherND", [node.input(0), node.input(1)], {"batch_dims": 0}, version="opset8")


@tf_op("Where")
def where(ctx, node):
    if node.num_inputs == 3:
        return ctx.op1("Select", [node.input(0), node.input(1), node.input(2)], {"auto_broadcast": "numpy"})
    x = node.input(0)
    nz = ctx.op1("NonZero", [x], {"output_type": "i64"})
    return ctx.transpose(nz, [1, 0])


@tf_op("ReverseV2")
def reverse_v2(ctx, node):
    axes = node.input(1)
    return ctx.op1("Reverse", [node.input(0), ctx.convert(axes, "i64")], {"mode": "index"})


@tf_op("ReverseSequence")
def reverse_sequence(ctx, node):
    return ctx.op1("ReverseSequence", [node.input(0), node.input(1)],
                   {"batch_axis": int(node.attr("batch_dim", 0)), "seq_axis": int(node.attr("seq_dim"))})


@tf_op("OneHot")
def one_hot(ctx, node):
    idx, depth, on, off = [node.input(i) for i in range(4)]
    axis = int(node.attr("axis", -1))
    return ctx.op1("OneHot", [idx, ctx.to_scalar(depth), ctx.to_scalar(on), ctx.to_scalar(off)], {"axis": axis})


@tf_op("DepthToSpace", "SpaceToDepth")
def depth_space(ctx, node):
    x = node.input(0)
    bs = int(node.attr("block_size"))
    last = not node.attr("data_format", "NHWC").startswith("NC")
    xin = ctx.transpose(x, [0, 3, 1, 2]) if last else x
    y = ctx.op1(node.op, [xin], {"block_size": bs, "mode": "blocks_first"})
    return ctx.transpose(y, [0, 2, 3, 1]) if last else y


@tf_op("InvertPermutation")
def invert_permutation(ctx, node):
    x = node.input(0)
    v = ctx.value(x)
    if v is not None:
        return ctx.const(np.argsort(v).astype(v.dtype))
    n = ctx.shape_of(x, ctx.et(x))
    rng = ctx.op1("Range", [ctx.const(0, x), ctx.to_scalar(n), ctx.const(1, x)], {"output_type": ctx.et(x)},
                  version="opset4")
    zeros = ctx.op1("Broadcast", [ctx.const(0, x), n], {"mode": "numpy"}, version="opset3")
    return ctx.op1("ScatterElementsUpdate", [zeros, x, rng, ctx.i64(0)], {"reduction": "none"}, version="opset12")


@tf_op("Cumsum")
def cumsum(ctx, node):
    return ctx.op1("CumSum", [node.input(0), ctx.to_scalar(node.input(1))],
                   {"exclusive": bool(node.attr("exclusive", False)), "reverse": bool(node.attr("reverse", False))})
