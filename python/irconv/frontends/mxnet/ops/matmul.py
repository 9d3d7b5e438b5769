"""dot and batch_dot.

dot contracts the last axis of a (first, when transpose_a) with the first axis of b (last, when
transpose_b): for N-D inputs that is a tensordot, done as 2-D MatMul on reshaped operands.
batch_dot multiplies matching leading (batch) axes: MatMul with its transposes."""
from __future__ import annotations

from ..registry import mxnet_op
from .shape import apply_plan


@mxnet_op("batch_dot")
def batch_dot(ctx, node):
    return ctx.op1("MatMul", [node.input(0), node.input(1)],
                   {"transpose_a": node.bool("transpose_a", False), "transpose_b": node.bool("transpose_b", False)})


@mxnet_op("dot")
def dot(ctx, node):
    a, b = node.input(0), node.input(1)
    ta, tb = node.bool("transpose_a", False), node.bool("transpose_b", False)
    ra, rb = ctx.rank_required(a, "first input"), ctx.rank_required(b, "second input")
    if ra <= 2 and rb <= 2 and ra == rb == 2:
        return ctx.op1("MatMul", [a, b], {"transpose_a": ta, "transpose_b": tb})
    # MXNet: transpose_a reverses all axes of a; transpose_b likewise for b
    if ta:
        a = ctx.transpose(a, list(range(ra - 1, -1, -1)))
    if tb:
        b = ctx.transpose(b, list(range(rb - 1, -1, -1)))
    if ra == 1 and rb == 1:
        return ctx.op1("ReduceSum", [ctx.binary("Multiply", a, b), ctx.i64([0])], {"keep_dims": True})
    # a: (A..., K) -> (prod A, K); b: (K, B...) -> (K, prod B); result (A..., B...)
    a2 = ctx.reshape(a, [-1, ctx.shape(a)[-1]]) if ctx.shape(a)[-1] >= 0 else apply_plan(ctx, node, a, _merge_plan(ra, lead=True))
    b2 = ctx.reshape(b, [ctx.shape(b)[0], -1]) if ctx.shape(b)[0] >= 0 else apply_plan(ctx, node, b, _merge_plan(rb, lead=False))
    y = ctx.op1("MatMul", [a2, b2], {"transpose_a": False, "transpose_b": False})
    sa, sb = ctx.shape(a), ctx.shape(b)
    out = sa[:-1] + sb[1:]
    if all(d >= 0 for d in out):
        return ctx.reshape(y, out)
    shp_a = ctx.shape_of(a)
    shp_b = ctx.shape_of(b)
    parts = [ctx.gather(shp_a, list(range(ra - 1)))] if ra > 1 else []
    if rb > 1:
        parts.append(ctx.gather(shp_b, list(range(1, rb))))
    return ctx.op1("Reshape", [y, ctx.concat(parts)], {"special_zero": False})


def _merge_plan(r, lead):
    if lead:
        return [("inf",), ("s", r - 1)]
    return [("s", 0), ("inf",)]
