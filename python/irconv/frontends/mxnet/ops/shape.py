"""Shape and data-movement ops: Reshape (codes 0, -1, -2, -3, -4, reverse), Flatten, transpose,
SwapAxis, expand_dims, squeeze, slices, Concat/stack/split, tile/repeat, broadcast_*, Crop, Pad,
flip, take/Embedding, one_hot, depth/space rearrangements, shape_array."""
from __future__ import annotations

from typing import List

import numpy as np

from ..context import DTYPE_ET
from ..registry import mxnet_op

INT64_MAX = np.iinfo(np.int64).max
INT64_MIN = np.iinfo(np.int64).min


# ---------------------------------------------------------------- Reshape

def reshape_plan(node, param: List[int], rank: int, reverse: bool):
    """MXNet's InferReshapeShape as a plan over the input's dims. Items:
    ("c", v) a constant, ("s", i) input dim i, ("m", i, j) dim i * dim j, ("d", i, k) dim i / k,
    ("inf",) the one dim inferred from the total size."""
    src = list(range(rank))
    p = list(param)
    if reverse:
        src.reverse()
        p.reverse()
    out = []
    si = 0
    inf = False
    i = 0

    def take():
        nonlocal si
        if si >= rank:
            node.fail("shape %s uses more dimensions than the input's %d" % (param, rank))
        d = src[si]
        si += 1
        return d
    while i < len(p):
        v = p[i]
        if v == 0:
            out.append(("s", take()))
        elif v == -1:
            if inf:
                node.fail("shape %s infers more than one dimension (-1)" % (param,))
            inf = True
            out.append(("inf",))
            si += 1
        elif v == -2:
            while si < rank:
                out.append(("s", take()))
        elif v == -3:
            a = take()
            b = take()
            out.append(("m", a, b))
        elif v == -4:
            if i + 2 >= len(p):
                node.fail("shape %s: -4 must be followed by two dimensions" % (param,))
            d0 = take()
            d1, d2 = p[i + 1], p[i + 2]
            i += 2
            if d1 == -1 and d2 == -1:
                node.fail("shape %s: -4 splits into two dimensions that cannot both be -1" % (param,))
            out.append(("d", d0, d2) if d1 == -1 else ("c", d1))
            out.append(("d", d0, d1) if d2 == -1 else ("c", d2))
        elif v > 0:
            out.append(("c", v))
            si += 1
        else:
            node.fail("shape %s has an unknown code %d" % (param, v))
        i += 1
    if reverse:
        out.reverse()
    return out


def _plan_static(node, plan, in_shape):
    dims = []
    for it in plan:
        if it[0] == "c":
            dims.append(it[1])
        elif it[0] == "s":
            dims.append(in_shape[it[1]])
        elif it[0] == "m":
            dims.append(in_shape[it[1]] * in_shape[it[2]])
        elif it[0] == "d":
            dims.append(in_shape[it[1]] // it[2])
        else:
            dims.append(-1)
    if -1 in dims:
        known = int(np.prod([d for d in dims if d != -1])) if len(dims) > 1 else 1
        total = int(np.prod(in_shape)) if in_shape else 1
        if known == 0 or total % known:
            node.fail("cannot reshape %s into %s" % (in_shape, dims))
        dims[dims.index(-1)] = total // known
    if int(np.prod(dims)) != int(np.prod(in_shape)):
        node.fail("cannot reshape %s into %s" % (in_shape, dims))
    return dims


def apply_plan(ctx, node, x, plan):
    s = ctx.static_shape(x)
    if s is not None:
        return ctx.reshape(x, _plan_static(node, plan, s))
    shape = ctx.shape(x)
    parts = []
    shp = None
    for it in plan:
        if it[0] == "c":
            parts.append(ctx.i64([it[1]]))
        elif it[0] == "inf":
            parts.append(ctx.i64([-1]))
        else:
            if shape is not None and it[0] == "s" and shape[it[1]] >= 0:
                parts.append(ctx.i64([shape[it[1]]]))
                continue
            shp = shp or ctx.shape_of(x)
            if it[0] == "s":
                parts.append(ctx.gather(shp, [it[1]]))
            elif it[0] == "m":
                parts.append(ctx.op1("ReduceProd", [ctx.gather(shp, [it[1], it[2]]), ctx.i64([0])], {"keep_dims": True}))
            else:
                parts.append(ctx.binary("Divide", ctx.gather(shp, [it[1]]), ctx.i64([it[2]])))
    return ctx.op1("Reshape", [x, ctx.concat(parts, 0)], {"special_zero": False})


@mxnet_op("Reshape", "reshape")
def reshape(ctx, node):
    x = node.input(0)
    r = ctx.rank_required(x)
    param = node.ints("shape")
    reverse = node.bool("reverse", False)
    if param is None:
        # deprecated target_shape (0 = inferred) / keep_highest
        target = node.ints("target_shape")
        if target is None:
            node.fail("attribute 'shape' is missing")
        param = [-1 if d == 0 else d for d in target]
        if node.bool("keep_highest", False):
            param = [0] + param[1:]
    if any(d is None for d in param):
        node.fail("shape %s has None entries" % (param,))
    return apply_plan(ctx, node, x, reshape_plan(node, param, r, reverse))


@mxnet_op("Flatten", "flatten")
def flatten(ctx, node):
    return ctx.reshape(node.input(0), [0, -1], special_zero=True)


@mxnet_op("transpose")
def transpose(ctx, node):
    x = node.input(0)
    axes = node.ints("axes") or []
    r = ctx.rank_required(x)
    if not axes:
        axes = list(range(r - 1, -1, -1))
    if len(axes) != r:
        node.fail("axes %s do not fit rank %d" % (axes, r))
    return ctx.transpose(x, [ctx.norm_axis(a, r) for a in axes])


@mxnet_op("SwapAxis", "swapaxes")
def swap_axis(ctx, node):
    x = node.input(0)
    r = ctx.rank_required(x)
    a = ctx.norm_axis(node.int("dim1", 0), r)
    b = ctx.norm_axis(node.int("dim2", 0), r)
    perm = list(range(r))
    perm[a], perm[b] = perm[b], perm[a]
    return ctx.transpose(x, perm)


@mxnet_op("expand_dims")
def expand_dims(ctx, node):
    x = node.input(0)
    r = ctx.rank_required(x)
    axis = node.required("axis", "int")
    if axis < 0:
        axis += r + 1
    return ctx.unsqueeze(x, [axis])


@mxnet_op("squeeze")
def squeeze(ctx, node):
    x = node.input(0)
    axes = node.ints("axis")
    if axes is None:
        s = ctx.shape(x)
        if s is None or any(d < 0 for d in s):
            return ctx.squeeze(x)
        axes = [i for i, d in enumerate(s) if d == 1]
        if not axes:
            return x
    r = ctx.rank_required(x)
    return ctx.squeeze(x, [ctx.norm_axis(a, r) for a in axes])


def _slice(ctx, x, starts, stops, steps, axes):
    return ctx.op1("Slice", [x, ctx.i64(starts), ctx.i64(stops), ctx.i64(steps), ctx.i64(axes)], version="opset8")


@mxnet_op("slice", "crop", "_npi_slice")
def slice_(ctx, node):
    x = node.input(0)
    begin = node.ints("begin", [])
    end = node.ints("end", [])
    step = node.ints("step", []) or []
    if len(end) != len(begin):
        node.fail("begin %s and end %s differ in length" % (begin, end))
    starts, stops, steps, axes = [], [], [], []
    for i, b in enumerate(begin):
        st = step[i] if i < len(step) and step[i] is not None else 1
        if st == 0:
            node.fail("step 0")
        e = end[i]
        starts.append((0 if st > 0 else INT64_MAX) if b is None else b)
        stops.append((INT64_MAX if st > 0 else INT64_MIN) if e is None else e)
        steps.append(st)
        axes.append(i)
    if not axes:
        return x
    return _slice(ctx, x, starts, stops, steps, axes)


@mxnet_op("slice_axis")
def slice_axis(ctx, node):
    x = node.input(0)
    r = ctx.rank_required(x)
    axis = ctx.norm_axis(node.required("axis", "int"), r)
    b = node.int("begin", 0)
    e = node.int("end")
    return _slice(ctx, x, [b], [INT64_MAX if e is None else e], [1], [axis])


@mxnet_op("slice_like")
def slice_like(ctx, node):
    x, like = node.input(0), node.input(1)
    r = ctx.rank_required(x)
    axes = node.ints("axes") or list(range(r))
    axes = [ctx.norm_axis(a, r) for a in axes]
    stops = ctx.dims_of(like, axes)
    return ctx.op1("Slice", [x, ctx.i64([0] * len(axes)), stops, ctx.i64([1] * len(axes)), ctx.i64(axes)],
                   version="opset8")


@mxnet_op("Concat", "concat", "_rnn_param_concat", "_npi_concatenate")
def concat(ctx, node):
    xs = node.inputs()
    r = ctx.rank_required(xs[0])
    axis = ctx.norm_axis(node.int("dim", node.int("axis", 1)), r)
    return ctx.concat(xs, axis)


@mxnet_op("stack", "_npi_stack")
def stack(ctx, node):
    xs = node.inputs()
    r = ctx.rank_required(xs[0])
    axis = node.int("axis", 0)
    if axis < 0:
        axis += r + 1
    return ctx.concat([ctx.unsqueeze(x, [axis]) for x in xs], axis)


def _split_outputs(mx):
    try:
        n = int(mx.attrs.get("num_outputs", "1"))
    except ValueError:
        n = 1
    return ["output%d" % i for i in range(n)] if n > 1 else ["output"]


@mxnet_op("SliceChannel", "split", outputs=_split_outputs)
def slice_channel(ctx, node):
    x = node.input(0)
    r = ctx.rank_required(x)
    n = node.required("num_outputs", "int")
    axis = ctx.norm_axis(node.int("axis", 1), r)
    parts = ctx.op("Split", [x, np.asarray(axis, dtype=np.int64)], {"num_splits": n})
    outs = [parts.output(i) for i in range(n)]
    if node.bool("squeeze_axis", False):
        outs = [ctx.squeeze(o, [axis]) for o in outs]
    return outs


@mxnet_op("tile")
def tile(ctx, node):
    return ctx.op1("Tile", [node.input(0), ctx.i64(node.required("reps", "ints"))])


@mxnet_op("repeat")
def repeat(ctx, node):
    x = node.input(0)
    reps = node.required("repeats", "int")
    axis = node.int("axis")
    if axis is None:
        x = ctx.reshape(x, [-1])
        axis = 0
    r = ctx.rank_required(x)
    axis = ctx.norm_axis(axis, r)
    u = ctx.unsqueeze(x, [axis + 1])
    t = [1] * (r + 1)
    t[axis + 1] = reps
    u = ctx.op1("Tile", [u, ctx.i64(t)])
    plan = [("s", i) for i in range(axis)] + [("m", axis, axis + 1)] + [("s", i) for i in range(axis + 2, r + 1)]
    return apply_plan(ctx, node, u, plan)


def _broadcast(ctx, x, target, mode="numpy"):
    return ctx.op1("Broadcast", [x, target], {"mode": mode}, version="opset3")


@mxnet_op("broadcast_to")
def broadcast_to(ctx, node):
    x = node.input(0)
    shape = node.required("shape", "ints")
    r = ctx.rank_required(x)
    if len(shape) != r:
        node.fail("shape %s has %d dims, the input has %d" % (shape, len(shape), r))
    if any(d == 0 for d in shape):
        plan = [("s", i) if d == 0 else ("c", d) for i, d in enumerate(shape)]
        s = ctx.static_shape(x)
        if s is not None:
            target = ctx.i64([s[i] if d == 0 else d for i, d in enumerate(shape)])
        else:
            shp = ctx.shape_of(x)
            target = ctx.concat([ctx.gather(shp, [it[1]]) if it[0] == "s" else ctx.i64([it[1]]) for it in plan])
    else:
        target = ctx.i64(shape)
    return _broadcast(ctx, x, target)


@mxnet_op("broadcast_axis", "broadcast_axes")
def broadcast_axis(ctx, node):
    x = node.input(0)
    r = ctx.rank_required(x)
    axes = [ctx.norm_axis(a, r) for a in node.ints("axis", [])]
    sizes = node.ints("size", [])
    if len(axes) != len(sizes):
        node.fail("axis %s and size %s differ in length" % (axes, sizes))
    t = [1] * r
    for a, s in zip(axes, sizes):
        t[a] = s
    return _broadcast(ctx, x, ctx.i64(t), "bidirectional")


@mxnet_op("broadcast_like")
def broadcast_like(ctx, node):
    x, like = node.input(0), node.input(1)
    la, ra = node.ints("lhs_axes"), node.ints("rhs_axes")
    if not la and not ra:
        return _broadcast(ctx, x, ctx.shape_of(like))
    r = ctx.rank_required(x)
    rl = ctx.rank_required(like)
    if len(la or []) != len(ra or []):
        node.fail("lhs_axes %s and rhs_axes %s differ in length" % (la, ra))
    la = [ctx.norm_axis(a, r) for a in la]
    ra = [ctx.norm_axis(a, rl) for a in ra]
    shp = ctx.shape_of(x)
    lshp = ctx.shape_of(like)
    parts = []
    for i in range(r):
        if i in la:
            parts.append(ctx.gather(lshp, [ra[la.index(i)]]))
        else:
            parts.append(ctx.gather(shp, [i]))
    return _broadcast(ctx, x, ctx.concat(parts))


@mxnet_op("Crop", inputs=None)
def crop(ctx, node):
    """Legacy Crop: crops H, W to h_w (or to the second input's H, W), at offset (y, x) or centred."""
    x = node.input(0)
    s = ctx.shape(x)
    num_args = node.int("num_args", node.num_inputs)
    offset = node.ints("offset", [0, 0]) or [0, 0]
    if num_args >= 2 and node.num_inputs >= 2:
        ls = ctx.shape(node.input(1))
        if ls is None or len(ls) < 4 or ls[2] < 0 or ls[3] < 0:
            node.fail("the reference input's height and width must be known")
        h, w = ls[2], ls[3]
    else:
        hw = node.ints("h_w", [0, 0])
        h, w = hw[0], hw[1]
    if s is None or len(s) != 4 or s[2] < 0 or s[3] < 0:
        node.fail("the input must be 4-D with a known height and width")
    if node.bool("center_crop", False):
        oy, ox = (s[2] - h) // 2, (s[3] - w) // 2
    else:
        oy, ox = offset[0], offset[1]
    if oy < 0 or ox < 0 or oy + h > s[2] or ox + w > s[3]:
        node.fail("crop %dx%d at (%d, %d) does not fit the input %dx%d" % (h, w, oy, ox, s[2], s[3]))
    return _slice(ctx, x, [oy, ox], [oy + h, ox + w], [1, 1], [2, 3])


@mxnet_op("Pad", "pad")
def pad(ctx, node):
    x = node.input(0)
    mode = node.required("mode")
    if mode not in ("constant", "edge", "reflect"):
        node.fail("mode '%s' is not supported (constant, edge, reflect)" % mode)
    pw = node.required("pad_width", "ints")
    r = ctx.rank_required(x)
    if len(pw) != 2 * r:
        node.fail("pad_width has %d values for a rank-%d input (expected %d)" % (len(pw), r, 2 * r))
    ins = [x, ctx.i64(pw[0::2]), ctx.i64(pw[1::2])]
    if mode == "constant":
        ins.append(ctx.scalar(node.float("constant_value", 0.0), x))
    return ctx.op1("Pad", ins, {"pad_mode": mode}, version="opset12")


@mxnet_op("reverse", "flip")
def reverse(ctx, node):
    x = node.input(0)
    r = ctx.rank_required(x)
    axes = [ctx.norm_axis(a, r) for a in node.required("axis", "ints")]
    return ctx.op1("Reverse", [x, ctx.i64(axes)], {"mode": "index"})


@mxnet_op("shape_array")
def shape_array(ctx, node):
    return ctx.shape_of(node.input(0))


@mxnet_op("size_array")
def size_array(ctx, node):
    return ctx.op1("ReduceProd", [ctx.shape_of(node.input(0)), ctx.i64([0])], {"keep_dims": True})


def _indices(ctx, idx):
    et = ctx.et(idx)
    if et in ("i32", "i64"):
        return idx
    return ctx.convert(idx, "i64")      # MXNet casts float indices to integers


@mxnet_op("take")
def take(ctx, node):
    x, idx = node.input(0), node.input(1)
    r = ctx.rank_required(x)
    axis = ctx.norm_axis(node.int("axis", 0), r)
    mode = node.str("mode", "clip")
    idx = _indices(ctx, idx)
    n = ctx.dims_of(x, [axis])
    n = ctx.op1("Squeeze", [n, ctx.i64([0])])
    if mode == "clip":
        idx = ctx.binary("Minimum", ctx.binary("Maximum", idx, ctx.const(0, ctx.et(idx))),
                         ctx.binary("Subtract", ctx.convert(n, ctx.et(idx)), ctx.const(1, ctx.et(idx))))
    elif mode == "wrap":
        idx = ctx.binary("FloorMod", idx, ctx.convert(n, ctx.et(idx)))
    return ctx.gather(x, idx, axis)


@mxnet_op("Embedding")
def embedding(ctx, node):
    return ctx.gather(node.input(1), _indices(ctx, node.input(0)), 0)


@mxnet_op("one_hot")
def one_hot(ctx, node):
    idx = _indices(ctx, node.input(0))
    et = DTYPE_ET.get(node.str("dtype", "float32"), "f32")
    depth = node.required("depth", "int")
    on = ctx.const(node.float("on_value", 1.0), et)
    off = ctx.const(node.float("off_value", 0.0), et)
    return ctx.op1("OneHot", [idx, ctx.const(np.int64(depth)), on, off], {"axis": -1})


@mxnet_op("depth_to_space")
def depth_to_space(ctx, node):
    return ctx.op1("DepthToSpace", [node.input(0)], {"mode": "blocks_first", "block_size": node.required("block_size", "int")})


@mxnet_op("space_to_depth")
def space_to_depth(ctx, node):
    return ctx.op1("SpaceToDepth", [node.input(0)], {"mode": "blocks_first", "block_size": node.required("block_size", "int")})
