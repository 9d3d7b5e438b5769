"""Shape and data-movement ops: Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Concat, Split,
Slice, Gather, Expand, Tile, Pad, Shape, Size, ConstantOfShape, Range, Where, Compress (Cast and
CastLike: cast.py)."""
from __future__ import annotations

import numpy as np

from irconv.errors import IrconvError

from ..loader import ET_TO_NP, RawConst, StringConst
from ..registry import UseFunction, onnx_op

BIG = 2 ** 62


def as_i64(ctx, x):
    return None if x is None else ctx.convert(x, "i64")


# ---------------------------------------------------------------- Reshape / Flatten
@onnx_op("Reshape", until=4)
def reshape_1(ctx, node):
    return ctx.reshape(node.input_required(0), node.attr_required("shape"), special_zero=True)


@onnx_op("Reshape", since=5)
def reshape_5(ctx, node):
    x, shape = node.input_required(0), as_i64(ctx, node.input_required(1))
    return ctx.op1("Reshape", [x, shape], {"special_zero": not node.attr("allowzero", 0)})


def flatten_to_2d(ctx, x, axis: int):
    """[d0..d_{axis-1}, d_axis..] -> [prod(d[:axis]), prod(d[axis:])]"""
    s = ctx.shape(x)
    r = None if s is None else len(s)
    if axis < 0:
        axis = ctx.norm_axis(axis, r)
    if r is not None and not 0 <= axis <= r:
        raise IrconvError("flatten axis %d is out of range for rank %d" % (axis, r))
    if s is not None:
        head, tail = s[:axis], s[axis:]
        if all(d >= 0 for d in s):
            return ctx.reshape(x, [int(np.prod(head, dtype=np.int64)), int(np.prod(tail, dtype=np.int64))])
        if all(d >= 0 for d in head):
            return ctx.reshape(x, [int(np.prod(head, dtype=np.int64)), -1])
        if all(d >= 0 for d in tail):
            return ctx.reshape(x, [-1, int(np.prod(tail, dtype=np.int64))])
    if axis == 0:
        return ctx.reshape(x, [1, -1])
    if axis == 1:
        return ctx.reshape(x, [0, -1], special_zero=True)
    sh = ctx.shape_of(x)
    head = ctx.op1("Slice", [sh, ctx.i64([0]), ctx.i64([axis]), ctx.i64([1])], version="opset8")
    prod = ctx.op1("ReduceProd", [head, ctx.i64([0])], {"keep_dims": True})
    return ctx.reshape(x, ctx.concat([prod, ctx.i64([-1])], 0))


@onnx_op("Flatten")
def flatten(ctx, node):
    return flatten_to_2d(ctx, node.input_required(0), node.attr("axis", 1))


# ---------------------------------------------------------------- Squeeze / Unsqueeze
def _axes_attr_or_input(ctx, node, since_input: int):
    if ctx.opset >= since_input:
        a = node.input(1)
        if a is None:
            return None
        v = ctx.value(a)
        if v is not None:
            return ctx.i64(v.reshape(-1).astype(np.int64)) if v.size else None
        return as_i64(ctx, a)
    axes = node.attr("axes")
    return ctx.i64(axes) if axes else None


@onnx_op("Squeeze")
def squeeze(ctx, node):
    x = node.input_required(0)
    axes = _axes_attr_or_input(ctx, node, 13)
    if axes is None:
        s = ctx.shape(x)
        if s is not None:
            # squeeze the dims known to be 1; dynamic dims are taken as != 1 (a Squeeze without
            # axes over dynamic dims has a dynamic output rank, which OpenVINO's CPU plugin refuses)
            ones = [i for i, d in enumerate(s) if d == 1]
            return ctx.op1("Squeeze", [x, ctx.i64(ones)]) if ones else x
        return ctx.op1("Squeeze", [x])
    return ctx.op1("Squeeze", [x, axes])


@onnx_op("Unsqueeze")
def unsqueeze(ctx, node):
    x = node.input_required(0)
    axes = _axes_attr_or_input(ctx, node, 13)
    if axes is None:
        raise IrconvError("%s: axes are required" % node.describe())
    if ctx.value(axes) is None:
        y = _unsqueeze_runtime_axes(ctx, x, axes)
        if y is not None:
            return y
    return ctx.op1("Unsqueeze", [x, axes])


def _unsqueeze_runtime_axes(ctx, x, axes):
    """Unsqueeze by axes known only at run time, as a Reshape whose target has a static length
    (an Unsqueeze with unknown axes has a dynamic output rank, which the CPU plugin refuses):
    out[j] = 1 where j is an axis, else the next input dim."""
    r, ash = ctx.rank(x), ctx.shape(axes)
    if r is None or ash is None or len(ash) > 1 or any(d < 0 for d in ash):
        return None
    k = ash[0] if ash else 1
    out_rank = r + k
    axes = ctx.reshape(axes, [k])
    axes = ctx.op1("Select", [ctx.binary("Less", axes, ctx.i64(0)), ctx.binary("Add", axes, ctx.i64(out_rank)),
                              axes], {"auto_broadcast": "numpy"})
    zeros = ctx.i64(np.zeros(out_rank, np.int64))
    mask = ctx.op1("ScatterElementsUpdate", [zeros, axes, ctx.i64(np.ones(k, np.int64)), ctx.i64(0)],
                   version="opset3")                                      # 1 at the new axes
    keep = ctx.binary("Subtract", ctx.i64(1), mask)
    src = ctx.binary("Maximum", ctx.binary("Subtract", ctx.op1("CumSum", [keep, ctx.i64(0)]), ctx.i64(1)),
                     ctx.i64(0))                                          # input dim feeding out[j]
    if r == 0:
        target = ctx.i64(np.ones(out_rank, np.int64))
    else:
        dims = ctx.gather(ctx.shape_of(x), src)
        target = ctx.op1("Select", [ctx.convert(mask, "boolean"), ctx.i64(1), dims], {"auto_broadcast": "numpy"})
    return ctx.reshape(x, target)


# ---------------------------------------------------------------- Transpose / Concat / Split
@onnx_op("Transpose")
def transpose(ctx, node):
    x = node.input_required(0)
    perm = node.attr("perm")
    if perm is None:
        r = ctx.rank(x)
        perm = list(range(r - 1, -1, -1)) if r is not None else []  # empty order = reverse
    return ctx.op1("Transpose", [x, ctx.i64(perm)])


@onnx_op("Concat")
def concat(ctx, node):
    ins = [node.input(i) for i in range(len(node.inputs)) if node.has_input(i)]
    axis = node.attr("axis", 1)
    if len(ins) == 1:
        return ins[0]
    return ctx.op1("Concat", ins, {"axis": axis})


def _split_lengths(ctx, node):
    """Explicit split lengths (numpy or Output) or None."""
    if ctx.opset >= 13 or (ctx.opset < 2 and node.has_input(1)):
        s = node.input(1)
        if s is None:
            return None
        v = ctx.value(s)
        if v is not None:
            return v.reshape(-1).astype(np.int64) if v.size else None
        return as_i64(ctx, s)
    split = node.attr("split")
    return np.asarray(split, np.int64) if split else None


@onnx_op("Split")
def split(ctx, node):
    x = node.input_required(0)
    axis = node.attr("axis", 0)
    n_out = len(node.outputs)
    lengths = _split_lengths(ctx, node)
    axis_c = ctx.const(np.array(axis, np.int64))
    if lengths is None and ctx.opset >= 18 and node.has_attr("num_outputs"):
        n_out = node.attr("num_outputs")
        s = ctx.shape(x)
        if s is not None:
            dim = s[ctx.norm_axis(axis, len(s))]
            if dim >= 0 and dim % n_out:
                chunk = -(-dim // n_out)
                lengths = np.array([chunk] * (n_out - 1) + [dim - chunk * (n_out - 1)], np.int64)
    if lengths is None:
        n = ctx.op("Split", [x, axis_c], {"num_splits": n_out})
        return [n.output(i) for i in range(n_out)]
    if isinstance(lengths, np.ndarray):
        lengths = ctx.i64(lengths)
    n = ctx.op("VariadicSplit", [x, axis_c, lengths])
    return [n.output(i) for i in range(len(node.outputs))]


# ---------------------------------------------------------------- Slice
@onnx_op("Slice", until=9)
def slice_1(ctx, node):
    x = node.input_required(0)
    starts, ends = node.attr_required("starts"), node.attr_required("ends")
    axes = node.attr("axes") or list(range(len(starts)))
    ins = [x, ctx.i64(starts), ctx.i64(ends), ctx.i64([1] * len(starts)), ctx.i64(axes)]
    return ctx.op1("Slice", ins, version="opset8")


@onnx_op("Slice", since=10)
def slice_10(ctx, node):
    x = node.input_required(0)
    starts, ends = as_i64(ctx, node.input_required(1)), as_i64(ctx, node.input_required(2))
    axes, steps = as_i64(ctx, node.input(3)), as_i64(ctx, node.input(4))
    if steps is None:
        sv = ctx.value(starts)
        if sv is not None:
            steps = ctx.i64(np.ones(sv.shape, np.int64))
        else:
            steps = ctx.op1("Broadcast", [ctx.i64(1), ctx.shape_of(starts)], {"mode": "numpy"},
                            version="opset3")
    ins = [x, starts, ends, steps] + ([axes] if axes is not None else [])
    return ctx.op1("Slice", ins, version="opset8")


# ---------------------------------------------------------------- Gather / Expand / Tile
@onnx_op("Gather")
def gather(ctx, node):
    x, idx = node.input_required(0), node.input_required(1)
    axis = node.attr("axis", 0)
    return ctx.op1("Gather", [x, idx, ctx.const(np.array(axis, np.int64))], {"batch_dims": 0},
                   version="opset8")


@onnx_op("Expand", since=8)
def expand(ctx, node):
    x, shape = node.input_required(0), as_i64(ctx, node.input_required(1))
    return ctx.op1("Broadcast", [x, shape], {"mode": "bidirectional"}, version="opset3")


@onnx_op("Tile", since=6)
def tile(ctx, node):
    x, reps = node.input_required(0), as_i64(ctx, node.input_required(1))
    r = ctx.rank(x)
    if ctx.value(reps) is not None or r is None or r == 0:
        return ctx.op1("Tile", [x, reps])
    # Repeats known only at run time: OpenVINO's CPU Tile reads them wrongly (garbage output),
    # so tile by broadcasting: x [d0..dn] -> [1,d0,1,d1,..] -> [r0,d0,r1,d1,..] -> [r0*d0,..]
    shp = ctx.shape_of(x)
    x2 = ctx.unsqueeze(x, list(range(0, 2 * r, 2)))
    pairs = ctx.concat([ctx.unsqueeze(reps, [1]), ctx.unsqueeze(shp, [1])], 1)    # [r, 2]
    big = ctx.op1("Broadcast", [x2, ctx.reshape(pairs, [2 * r])], {"mode": "numpy"}, version="opset3")
    return ctx.reshape(big, ctx.binary("Multiply", reps, shp))


# ---------------------------------------------------------------- Pad
def _wrap_gather(ctx, x, ax, b, e):
    """Axis ax of x wrapped: out[i] = x[(i - b) mod dim], i < dim + b + e (b, e: i64 scalars or
    ints, any sign: negative pads crop)."""
    dim = ctx.gather(ctx.shape_of(x), ax)
    b = ctx.i64(b) if isinstance(b, int) else b
    e = ctx.i64(e) if isinstance(e, int) else e
    n = ctx.binary("Add", ctx.binary("Add", dim, b), e)
    i = ctx.op1("Range", [ctx.i64(0), n, ctx.i64(1)], {"output_type": "i64"}, version="opset4")
    src = ctx.op1("FloorMod", [ctx.binary("Subtract", i, b), dim], {"auto_broadcast": "numpy"})
    return ctx.gather(x, src, ax)


def _wrap_pad_runtime(ctx, x, begin, end, r):
    for ax in range(r):
        x = _wrap_gather(ctx, x, ax, ctx.gather(begin, ax), ctx.gather(end, ax))
    return x


def _wrap_pad(ctx, x, begin, end):
    xs = ctx.shape(x)
    for ax, (b, e) in enumerate(zip(begin, end)):
        if b == 0 and e == 0:
            continue
        dim = xs[ax] if xs is not None else -1
        if b < 0 or e < 0 or dim < 0 or b > dim or e > dim:
            x = _wrap_gather(ctx, x, ax, int(b), int(e))
            continue
        parts = []
        if b:
            parts.append(ctx.op1("Slice", [x, ctx.i64([-b]), ctx.i64([BIG]), ctx.i64([1]), ctx.i64([ax])],
                                 version="opset8"))
        parts.append(x)
        if e:
            parts.append(ctx.op1("Slice", [x, ctx.i64([0]), ctx.i64([e]), ctx.i64([1]), ctx.i64([ax])],
                                 version="opset8"))
        if len(parts) > 1:
            x = ctx.op1("Concat", parts, {"axis": ax})
    return x


def _pad(ctx, node, x, pads, value, mode, axes):
    """pads: numpy [2*n] or Output; axes: numpy or None; value: Output or None."""
    ov_mode = {"constant": "constant", "reflect": "reflect", "edge": "edge", "wrap": "wrap"}.get(mode)
    if ov_mode is None:
        raise IrconvError("%s: unknown pad mode '%s'" % (node.describe(), mode))
    r = ctx.rank(x)
    if isinstance(pads, np.ndarray):
        n = pads.size // 2
        begin, end = pads[:n], pads[n:]
        if axes is not None:
            if r is None:
                raise IrconvError("%s: padding selected axes needs a known input rank" % node.describe())
            fb, fe = np.zeros(r, np.int64), np.zeros(r, np.int64)
            for i, a in enumerate(axes):
                a = ctx.norm_axis(int(a), r)
                fb[a], fe[a] = begin[i], end[i]
            begin, end = fb, fe
        if ov_mode == "wrap":
            return _wrap_pad(ctx, x, begin.tolist(), end.tolist())
        begin, end = ctx.i64(begin), ctx.i64(end)
    else:
        halves = ctx.op("Split", [pads, ctx.const(np.array(0, np.int64))], {"num_splits": 2})
        begin, end = halves.output(0), halves.output(1)
        if axes is not None:
            if r is None:
                raise IrconvError("%s: padding selected axes needs a known input rank" % node.describe())
            ax = ctx.i64([ctx.norm_axis(int(a), r) for a in axes])
            zeros = ctx.i64(np.zeros(r, np.int64))
            zero = ctx.const(np.array(0, np.int64))
            begin = ctx.op1("ScatterUpdate", [zeros, ax, begin, zero], version="opset3")
            end = ctx.op1("ScatterUpdate", [zeros, ax, end, zero], version="opset3")
        if ov_mode == "wrap":
            if r is None:
                raise IrconvError("%s: mode 'wrap' with run-time pads needs a known input rank" % node.describe())
            return _wrap_pad_runtime(ctx, x, begin, end, r)
    ins = [x, begin, end]
    if ov_mode == "constant":
        ins.append(ctx.convert_like(value, x) if value is not None else ctx.const(0, x))
    return ctx.op1("Pad", ins, {"pad_mode": ov_mode}, version="opset12")


@onnx_op("Pad", until=10)
def pad_1(ctx, node):
    x = node.input_required(0)
    pads = node.attr("pads") if ctx.opset >= 2 else node.attr("paddings")
    if pads is None:
        raise IrconvError("%s: pads attribute is required" % node.describe())
    value = ctx.const(node.attr("value", 0.0), x)
    return _pad(ctx, node, x, np.asarray(pads, np.int64), value, node.attr("mode", "constant"), None)


@onnx_op("Pad", since=11)
def pad_11(ctx, node):
    x = node.input_required(0)
    pads = as_i64(ctx, node.input_required(1))
    pv = ctx.value(pads)
    value = node.input(2)
    if value is not None:
        value = ctx.to_scalar(value)
    axes = None
    if node.has_input(3):
        av = node.input_value(3)
        if av is None:
            return _pad_runtime_axes(ctx, node, x, pads, as_i64(ctx, node.input(3)), value,
                                     node.attr("mode", "constant"))
        axes = av.reshape(-1).astype(np.int64)
    return _pad(ctx, node, x, pv.reshape(-1).astype(np.int64) if pv is not None else pads, value,
                node.attr("mode", "constant"), axes)


def _pad_runtime_axes(ctx, node, x, pads, axes, value, mode):
    r = ctx.rank(x)
    if r is None:
        raise IrconvError("%s: padding selected axes needs a known input rank" % node.describe())
    rank = ctx.i64(r)
    neg = ctx.binary("Less", axes, ctx.i64(0))
    axes = ctx.op1("Select", [neg, ctx.binary("Add", axes, rank), axes], {"auto_broadcast": "numpy"})
    halves = ctx.op("Split", [pads, ctx.const(np.array(0, np.int64))], {"num_splits": 2})
    zeros = ctx.i64(np.zeros(r, np.int64))
    zero = ctx.const(np.array(0, np.int64))
    begin = ctx.op1("ScatterUpdate", [zeros, axes, halves.output(0), zero], version="opset3")
    end = ctx.op1("ScatterUpdate", [zeros, axes, halves.output(1), zero], version="opset3")
    if mode == "wrap":
        return _wrap_pad_runtime(ctx, x, begin, end, r)
    ins = [x, begin, end]
    if mode == "constant":
        ins.append(ctx.convert_like(value, x) if value is not None else ctx.const(0, x))
    return ctx.op1("Pad", ins, {"pad_mode": mode}, version="opset12")


# ---------------------------------------------------------------- Shape / Size / ConstantOfShape / Range
@onnx_op("Shape")
def shape(ctx, node):
    x = node.input_required(0)
    sh = ctx.shape_of(x)
    start, end = node.attr("start", 0), node.attr("end", None)
    if ctx.opset < 15 or (start == 0 and end is None):
        return sh
    ins = [sh, ctx.i64([start]), ctx.i64([end if end is not None else BIG]), ctx.i64([1])]
    return ctx.op1("Slice", ins, version="opset8")


@onnx_op("Size")
def size(ctx, node):
    x = node.input_required(0)
    return ctx.op1("ReduceProd", [ctx.shape_of(x), ctx.i64([0])], {"keep_dims": False})


@onnx_op("ConstantOfShape", since=9)
def constant_of_shape(ctx, node):
    shape_in = as_i64(ctx, node.input_required(0))
    value = node.attr("value")
    if value is None:
        value = np.zeros((1,), np.float32)
    if isinstance(value, (RawConst, StringConst)):
        raise IrconvError("%s: value of this element type is not supported" % node.describe())
    scalar = ctx.const(np.asarray(value).reshape(()))
    return ctx.op1("Broadcast", [scalar, shape_in], {"mode": "numpy"}, version="opset3")


@onnx_op("Range", since=11)
def range_(ctx, node):
    start, limit, delta = (ctx.to_scalar(node.input_required(i)) for i in range(3))
    return ctx.op1("Range", [start, limit, delta], {"output_type": ctx.et(start)}, version="opset4")


# ---------------------------------------------------------------- Where / Cast
@onnx_op("Where", since=9)
def where(ctx, node):
    c, a, b = node.input_required(0), node.input_required(1), node.input_required(2)
    c = ctx.convert(c, "boolean")
    return ctx.op1("Select", [c, a, b], {"auto_broadcast": "numpy"})


@onnx_op("Compress", since=9)
def compress(ctx, node):
    x, cond = node.input_required(0), node.input_required(1)
    axis = node.attr("axis")
    if axis is None:
        x = ctx.reshape(x, [-1])
        axis = 0
    idx = ctx.op1("NonZero", [ctx.convert(cond, "boolean")], {"output_type": "i64"}, version="opset3")
    idx = ctx.reshape(idx, [-1])
    return ctx.op1("Gather", [x, idx, ctx.const(np.array(axis, np.int64))], {"batch_dims": 0},
                   version="opset8")


@onnx_op("ReverseSequence", since=10)
def reverse_sequence(ctx, node):
    x, lens = node.input_required(0), node.input_required(1)
    return ctx.op1("ReverseSequence", [x, lens], {"batch_axis": node.attr("batch_axis", 1),
                                                 "seq_axis": node.attr("time_axis", 0)})


__all__ = ["flatten_to_2d", "as_i64", "ET_TO_NP"]


@onnx_op("CenterCropPad", since=18)
def center_crop_pad(ctx, node):
    # per axis: crop a centred window (start rounded down) or pad equally (extra pixel at the end)
    x, target = node.input_required(0), node.input_required(1)
    tv = ctx.value(target)
    xs = ctx.shape(x)
    if tv is None or xs is None or any(d < 0 for d in xs):
        raise UseFunction("needs a constant shape and static input dimensions")
    r = len(xs)
    axes = [ctx.norm_axis(a, r) for a in (node.attr("axes") or list(range(r)))]
    tv = [int(v) for v in tv.reshape(-1)]
    starts, ends, cut_axes = [], [], []
    pb, pe = [0] * r, [0] * r
    for a, t in zip(axes, tv):
        d = xs[a] - t
        if d > 0:
            starts.append(d // 2)
            ends.append(d // 2 + t)
            cut_axes.append(a)
        elif d < 0:
            pb[a], pe[a] = (-d) // 2, -d - (-d) // 2
    if cut_axes:
        x = ctx.op1("Slice", [x, ctx.i64(starts), ctx.i64(ends), ctx.i64([1] * len(starts)), ctx.i64(cut_axes)],
                    version="opset8")
    if any(pb) or any(pe):
        x = ctx.op1("Pad", [x, ctx.i64(pb), ctx.i64(pe), ctx.const(0, x)], {"pad_mode": "constant"},
                    version="opset12")
    return x
