"""Reductions: sum / mean / max / min / prod (axis None = all, keepdims, exclude), norm,
argmax / argmin (indices as float, like MXNet)."""
from __future__ import annotations

import numpy as np

from ..registry import mxnet_op


def _axes(ctx, node, x, key="axis"):
    r = ctx.rank_required(x)
    axes = node.ints(key)
    if axes is None or (not axes and not node.bool("exclude", False)):
        axes = list(range(r))
    else:
        axes = sorted({ctx.norm_axis(a, r) for a in axes})
        if node.bool("exclude", False):
            axes = [i for i in range(r) if i not in axes]
    return axes


def _reduce(op):
    def fn(ctx, node):
        x = node.input(0)
        axes = _axes(ctx, node, x)
        if not axes:
            return x
        return ctx.op1(op, [x, ctx.i64(axes)], {"keep_dims": node.bool("keepdims", False)})
    return fn


for _names, _op in ((("sum", "sum_axis", "_npi_sum"), "ReduceSum"), (("mean", "_npi_mean"), "ReduceMean"),
                    (("max", "max_axis", "_npi_max"), "ReduceMax"), (("min", "min_axis", "_npi_min"), "ReduceMin"),
                    (("prod", "_npi_prod"), "ReduceProd")):
    mxnet_op(*_names)(_reduce(_op))


def _nan_reduce(op, neutral):
    def fn(ctx, node):
        x = node.input(0)
        x = ctx.op1("Select", [ctx.op1("IsNaN", [x], version="opset10"), ctx.scalar(neutral, x), x],
                    {"auto_broadcast": "numpy"})
        axes = _axes(ctx, node, x)
        return ctx.op1(op, [x, ctx.i64(axes)], {"keep_dims": node.bool("keepdims", False)})
    return fn


mxnet_op("nansum")(_nan_reduce("ReduceSum", 0))
mxnet_op("nanprod")(_nan_reduce("ReduceProd", 1))


@mxnet_op("norm")
def norm(ctx, node):
    x = node.input(0)
    ord_ = node.int("ord", 2)
    if ord_ not in (1, 2):
        node.fail("ord %d is not supported (1 or 2)" % ord_)
    axes = _axes(ctx, node, x)
    return ctx.op1("ReduceL2" if ord_ == 2 else "ReduceL1", [x, ctx.i64(axes)],
                   {"keep_dims": node.bool("keepdims", False)}, version="opset4")


def _arg(mode):
    def fn(ctx, node):
        x = node.input(0)
        axis = node.int("axis")
        keep = node.bool("keepdims", False)
        if axis is None:
            x = ctx.reshape(x, [-1])
            axis = 0
            keep = False
        r = ctx.rank_required(x)
        axis = ctx.norm_axis(axis, r)
        t = ctx.op("TopK", [x, ctx.const(np.int64(1))], {"axis": axis, "mode": mode, "sort": "none",
                                                          "index_element_type": "i32"}, version="opset11")
        idx = ctx.convert(t.output(1), ctx.et(x))
        return idx if keep else ctx.squeeze(idx, [axis])
    return fn


mxnet_op("argmax")(_arg("max"))
mxnet_op("argmin")(_arg("min"))
