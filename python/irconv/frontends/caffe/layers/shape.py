"""Concat, Slice, Split, Flatten, Reshape, Crop, Permute, Tile, ShuffleChannel."""
from __future__ import annotations

import numpy as np

from ..registry import caffe_layer


@caffe_layer("Concat")
def concat(ctx, layer):
    ctx.expect_bottoms(1, -1)
    xs = ctx.inputs()
    p = layer.param("concat_param")
    axis = p.int("axis") if p.has("axis") else p.int("concat_dim", 1)
    rank = ctx.need_rank(xs[0])
    axis = ctx.norm_axis(axis, rank)
    if len(xs) == 1:
        return xs[0]
    return ctx.op1("Concat", xs, {"axis": axis})


@caffe_layer("Slice")
def slice_(ctx, layer):
    """Splits bottom along `axis` at slice_point (or into len(top) equal parts)."""
    ctx.expect_bottoms(1, 1)
    x = ctx.input(0)
    p = layer.param("slice_param")
    axis = p.int("axis") if p.has("axis") else p.int("slice_dim", 1)
    rank = ctx.need_rank(x)
    axis = ctx.norm_axis(axis, rank)
    n = len(layer.tops)
    if n == 0:
        raise ctx.error("has no tops")
    points = p.ints("slice_point")
    ax = ctx.const(np.asarray(axis, np.int64), dtype=None)
    if not points:
        if n == 1:
            return [x]
        sp = ctx.op("Split", [x, ax], {"num_splits": n})
        return [sp.output(i) for i in range(n)]
    if len(points) != n - 1:
        raise ctx.error("has %d tops but %d slice_point values (expected %d)" % (n, len(points), n - 1))
    if any(b <= a for a, b in zip(points, points[1:])) or points[0] <= 0:
        raise ctx.error("slice_point %s must be positive and increasing" % points)
    lengths = [points[0]] + [b - a for a, b in zip(points, points[1:])] + [-1]
    vs = ctx.op("VariadicSplit", [x, ax, ctx.i64(lengths)])
    return [vs.output(i) for i in range(n)]


@caffe_layer("Split")
def split(ctx, layer):
    ctx.expect_bottoms(1, 1)
    x = ctx.input(0)
    return [x] * len(layer.tops)


@caffe_layer("Flatten")
def flatten(ctx, layer):
    """Merges dims axis..end_axis into one."""
    ctx.expect_bottoms(1, 1)
    x = ctx.input(0)
    p = layer.param("flatten_param")
    rank = ctx.need_rank(x)
    a = ctx.norm_axis(p.int("axis", 1), rank)
    e = ctx.norm_axis(p.int("end_axis", -1), rank, "end_axis")
    if e < a:
        raise ctx.error("end_axis %d is before axis %d" % (e, a))
    s = ctx.shape(x)
    if e == rank - 1:
        return ctx.reshape(x, [0] * a + [-1], special_zero=True)
    tail = s[e + 1:]
    if all(d >= 0 for d in tail):
        return ctx.reshape(x, [0] * a + [-1] + tail, special_zero=True)
    target = ctx.concat([ctx.i64([0] * a + [-1]), ctx.dims(x, e + 1, rank)], 0)
    return ctx.reshape(x, target, special_zero=True)


@caffe_layer("Reshape")
def reshape(ctx, layer):
    """Replaces dims [axis, axis + num_axes) with reshape_param.shape, where 0 copies the
    corresponding input dim and -1 is inferred."""
    ctx.expect_bottoms(1, 1)
    x = ctx.input(0)
    p = layer.param("reshape_param")
    dims = p.msg("shape").ints("dim")
    rank = ctx.need_rank(x)
    axis = p.int("axis", 0)
    num_axes = p.int("num_axes", -1)
    start = axis + rank + 1 if axis < 0 else axis
    if not 0 <= start <= rank:
        raise ctx.error("axis %d is out of range for a %d-D blob" % (axis, rank))
    end = rank if num_axes == -1 else start + num_axes
    if num_axes < -1 or end > rank:
        raise ctx.error("num_axes %d from axis %d does not fit a %d-D blob" % (num_axes, axis, rank))
    if sum(1 for d in dims if d == -1) > 1:
        raise ctx.error("shape %s has more than one -1" % dims)
    if any(d < -1 for d in dims):
        raise ctx.error("shape %s has a negative dimension" % dims)
    # Positions before `start` and the 0s in `dims` keep their index in the output: special_zero
    # copies them. The dims after `end` move when len(dims) != num_axes.
    s = ctx.shape(x)
    for i, d in enumerate(dims):
        if d == 0 and start + i >= rank:
            raise ctx.error("shape %s copies (0) dim %d, which the %d-D input does not have" % (dims, start + i, rank))
    head = [0] * start + list(dims)
    tail = s[end:]
    if end == rank:
        target = head
    elif len(dims) == end - start:
        target = head + [0] * (rank - end)
    elif all(d >= 0 for d in tail):
        target = head + tail
    else:
        return ctx.reshape(x, ctx.concat([ctx.i64(head), ctx.dims(x, end, rank)], 0), special_zero=True)
    return ctx.reshape(x, target, special_zero=True)


@caffe_layer("Crop")
def crop(ctx, layer):
    """Crops bottom[0] to bottom[1]'s dims from `axis` on, starting at `offset` (one value for
    every cropped axis or one per axis)."""
    ctx.expect_bottoms(2, 2)
    x, ref = ctx.input(0), ctx.input(1)
    p = layer.param("crop_param")
    rank = ctx.need_rank(x)
    axis = ctx.norm_axis(p.int("axis", 2), rank)
    n = rank - axis
    offs = p.ints("offset")
    if not offs:
        offs = [0] * n
    elif len(offs) == 1:
        offs = offs * n
    elif len(offs) != n:
        raise ctx.error("has %d offsets for %d cropped axes" % (len(offs), n))
    rs, xs = ctx.shape(ref), ctx.shape(x)
    if rs is not None and len(rs) != rank:
        raise ctx.error("bottom[1] is %d-D but bottom[0] is %d-D" % (len(rs), rank))
    if rs is not None and all(d >= 0 for d in rs[axis:]):
        stop = ctx.i64([o + d for o, d in zip(offs, rs[axis:])])
        if xs is not None:
            for i in range(n):
                if xs[axis + i] >= 0 and offs[i] + rs[axis + i] > xs[axis + i]:
                    raise ctx.error("offset %d + size %d exceeds dim %d (%d) of bottom[0]"
                                    % (offs[i], rs[axis + i], axis + i, xs[axis + i]))
    else:
        stop = ctx.binary("Add", ctx.dims(ref, axis, rank), ctx.i64(offs))
    return ctx.op1("Slice", [x, ctx.i64(offs), stop, ctx.i64([1] * n), ctx.i64(list(range(axis, rank)))],
                   version="opset8")


@caffe_layer("Permute")
def permute(ctx, layer):
    """SSD's Permute: a transpose by `order`; axes it does not name follow in their order."""
    ctx.expect_bottoms(1, 1)
    x = ctx.input(0)
    order = layer.param("permute_param").ints("order")
    rank = ctx.need_rank(x)
    if len(set(order)) != len(order) or any(not 0 <= o < rank for o in order):
        raise ctx.error("order %s is not a permutation of axes of a %d-D blob" % (order, rank))
    full = list(order) + [i for i in range(rank) if i not in order]
    if full == list(range(rank)):
        return x
    return ctx.op1("Transpose", [x, ctx.i64(full)])


@caffe_layer("Tile")
def tile(ctx, layer):
    ctx.expect_bottoms(1, 1)
    x = ctx.input(0)
    p = layer.param("tile_param")
    rank = ctx.need_rank(x)
    axis = ctx.norm_axis(p.int("axis", 1), rank)
    tiles = p.int("tiles")
    if tiles is None or tiles < 1:
        raise ctx.error("needs tiles >= 1")
    reps = [1] * rank
    reps[axis] = tiles
    return ctx.op1("Tile", [x, ctx.i64(reps)])


@caffe_layer("ShuffleChannel")
def shuffle_channel(ctx, layer):
    """Channels viewed as [group, C / group] are transposed to [C / group, group]."""
    ctx.expect_bottoms(1, 1)
    x = ctx.input(0)
    group = layer.param("shuffle_channel_param").int("group", 1)
    rank = ctx.need_rank(x)
    if rank < 2:
        raise ctx.error("needs an input of rank >= 2, got %d-D" % rank)
    s = ctx.shape(x)
    if s[1] >= 0 and s[1] % group:
        raise ctx.error("%d channels are not divisible by group %d" % (s[1], group))
    if group == 1:
        return x
    # [N, C, rest...] -> [N, g, C/g, prod(rest)] -> [N, C/g, g, prod(rest)] -> original shape
    r = ctx.reshape(x, [0, group, -1, int(np.prod(s[2:]))] if all(d >= 0 for d in s[2:]) else
                    ctx.concat([ctx.i64([0, group, -1]), ctx.op1("ReduceProd", [ctx.dims(x, 2, rank), ctx.i64([0])],
                                                                      {"keep_dims": True})], 0),
                    special_zero=True)
    t = ctx.op1("Transpose", [r, ctx.i64([0, 2, 1, 3])])
    if all(d >= 0 for d in s[1:]):
        return ctx.reshape(t, [0] + s[1:], special_zero=True)
    return ctx.reshape(t, ctx.shape_of(x), special_zero=False)
