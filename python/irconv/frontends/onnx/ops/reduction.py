"""Reduce* ops, ArgMax/ArgMin.

Axes come from the `axes` attribute before opset 18 (ReduceSum: before 13) and from the second
input after; every op's `axes` (attribute or input) is honoured, including ReduceL1/L2/LogSum/
LogSumExp/SumSquare at opsets 13-17 (attribute)."""
from __future__ import annotations

import numpy as np

from ..registry import onnx_op


def all_axes(ctx, x):
    r = ctx.rank(x)
    if r is not None:
        return ctx.i64(list(range(r)))
    rank = ctx.to_scalar(ctx.shape_of(ctx.shape_of(x)))
    return ctx.op1("Range", [ctx.const(np.array(0, np.int64)), rank, ctx.const(np.array(1, np.int64))],
                   {"output_type": "i64"}, version="opset4")


def reduce_axes(ctx, node, x, axes_input: bool):
    """Axes output for the reduction, or None when the op is a no-op (empty axes with
    noop_with_empty_axes=1)."""
    axes = None
    if axes_input:
        a = node.input(1)
        if a is not None:
            v = ctx.value(a)
            if v is not None:
                axes = ctx.i64(v.reshape(-1).astype(np.int64)) if v.size else None
            elif ctx.shape(a) != [0]:  # an axes input of static shape [0] is empty
                axes = a
    else:
        attr = node.attr("axes")
        if attr:
            axes = ctx.i64(attr)
    if axes is None:
        if node.attr("noop_with_empty_axes", 0):
            return None
        return all_axes(ctx, x)
    return axes


def _reduce(ctx, node, ov_type, x, axes, keep, version=""):
    if not keep and ctx.value(axes) is None:
        r, ash = ctx.rank(x), ctx.shape(axes)
        if r is not None and ash is not None and len(ash) == 1 and ash[0] >= 0:
            # axes known only at run time: without keep_dims the output rank would be dynamic
            # (refused by the CPU plugin); keep the dims, then drop them with a static-length Reshape
            y = ctx.op1(ov_type, [x, axes], {"keep_dims": True}, version=version)
            return drop_axes(ctx, y, axes, r, ash[0])
    return ctx.op1(ov_type, [x, axes], {"keep_dims": bool(keep)}, version=version)


def drop_axes(ctx, y, axes, r: int, k: int):
    """Reshapes y (rank r, size-1 dims at the k run-time `axes`) to rank r - k."""
    if k >= r:
        return ctx.reshape(y, np.zeros((0,), np.int64))
    axes = ctx.op1("Select", [ctx.binary("Less", axes, ctx.i64(0)), ctx.binary("Add", axes, ctx.i64(r)), axes],
                   {"auto_broadcast": "numpy"})
    mask = ctx.op1("ScatterElementsUpdate", [ctx.i64(np.zeros(r, np.int64)), axes,
                                             ctx.i64(np.ones(k, np.int64)), ctx.i64(0)], version="opset3")
    # positions not reduced, in order: the r - k smallest of mask * r + position
    keys = ctx.binary("Add", ctx.binary("Multiply", mask, ctx.i64(r)), ctx.i64(np.arange(r, dtype=np.int64)))
    topk = ctx.op("TopK", [keys, ctx.const(np.array(r - k, np.int64))],
                  {"axis": 0, "mode": "min", "sort": "value", "index_element_type": "i64"}, version="opset11")
    return ctx.reshape(y, ctx.gather(ctx.shape_of(y), topk.output(1)))


def _reduce_max_min_float(ctx, node, kind, x, axes, keep):
    """Max (min) of floats where a reduced set may be all -inf (+inf): OpenVINO's CPU kernels
    start from the lowest (highest) finite value and return -FLT_MAX (FLT_MAX) there; such sets
    are found by a second reduction and given the infinity (masked attention rows need it)."""
    y = _reduce(ctx, node, kind, x, axes, keep)
    inf = ctx.const(-np.inf if kind == "ReduceMax" else np.inf, x)
    is_inf = ctx.convert(ctx.binary("Equal", x, inf), ctx.et(x))
    all_inf = _reduce(ctx, node, "ReduceMin", is_inf, axes, keep)          # 1 when every value is inf
    return ctx.op1("Select", [ctx.binary("Greater", all_inf, ctx.const(0.5, x)), inf, y], {"auto_broadcast": "numpy"})


def _make(kind, axes_input_since):
    def translate(ctx, node):
        x = node.input_required(0)
        axes = reduce_axes(ctx, node, x, ctx.opset >= axes_input_since)
        keep = node.attr("keepdims", 1)
        if axes is None:
            if kind == "ReduceSumSquare":
                return ctx.binary("Multiply", x, x)
            if kind in ("ReduceL1", "ReduceL2"):
                return ctx.op1("Abs", [x])
            if kind == "ReduceLogSum":
                return ctx.op1("Log", [x])
            return x  # Sum/Mean/Max/Min/Prod/LogSumExp of nothing reduced: identity / log(exp(x))
        if kind in ("ReduceMax", "ReduceMin") and ctx.et(x) == "boolean":
            # max/min of booleans (the CPU plugin has no boolean ReduceMax nor ReduceLogicalOr)
            y = _reduce(ctx, node, kind, ctx.convert(x, "u8"), axes, keep)
            return ctx.convert(y, "boolean")
        if kind in ("ReduceMax", "ReduceMin") and ctx.et(x) in ("f16", "bf16", "f32", "f64") \
                and 0 in (ctx.shape(x) or ()):
            # x has no elements, so every output element reduces an empty set: ONNX gives -inf
            # (Max) / +inf (Min); OpenVINO's kernels start from the finite lowest / highest value
            y = _reduce(ctx, node, kind, x, axes, keep)
            inf = ctx.const(-np.inf if kind == "ReduceMax" else np.inf, y)
            return ctx.op1("Broadcast", [inf, ctx.shape_of(y)], {"mode": "numpy"}, version="opset3")
        if kind in ("ReduceMax", "ReduceMin") and ctx.et(x) in ("f16", "bf16", "f32", "f64"):
            return _reduce_max_min_float(ctx, node, kind, x, axes, keep)
        if kind in ("ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd"):
            return _reduce(ctx, node, kind, x, axes, keep)
        if kind in ("ReduceL1", "ReduceL2"):
            return _reduce(ctx, node, kind, x, axes, keep, "opset4")
        if kind == "ReduceSumSquare":
            return _reduce(ctx, node, "ReduceSum", ctx.binary("Multiply", x, x), axes, keep)
        if kind == "ReduceLogSum":
            return ctx.op1("Log", [_reduce(ctx, node, "ReduceSum", x, axes, keep)])
        if kind == "ReduceLogSumExp":
            # log(sum(exp(x - max))) + max, stable for large x
            m_keep = _reduce(ctx, node, "ReduceMax", x, axes, True)
            e = ctx.op1("Exp", [ctx.binary("Subtract", x, m_keep)])
            s = ctx.op1("Log", [_reduce(ctx, node, "ReduceSum", e, axes, keep)])
            m = m_keep if keep else _reduce(ctx, node, "ReduceMax", x, axes, False)
            return ctx.binary("Add", s, m)
        raise AssertionError(kind)
    return translate


for _kind in ("ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
              "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"):
    onnx_op(_kind)(_make(_kind, 18))
onnx_op("ReduceSum")(_make("ReduceSum", 13))


def _arg(mode):
    def translate(ctx, node):
        x = node.input_required(0)
        axis = node.attr("axis", 0)
        keep = node.attr("keepdims", 1)
        last = node.attr("select_last_index", 0)
        r = ctx.rank(x)
        axis = ctx.norm_axis(axis, r)
        data = x
        if last:
            data = ctx.op1("Slice", [x, ctx.i64([-1]), ctx.i64([-(2 ** 62)]), ctx.i64([-1]), ctx.i64([axis])],
                           version="opset8")
        k = ctx.const(np.array(1, np.int64))
        topk = ctx.op("TopK", [data, k], {"axis": axis, "mode": mode, "sort": "value",
                                          "index_element_type": "i64", "stable": True}, version="opset11")
        idx = topk.output(1)
        if last:
            dim = ctx.gather(ctx.shape_of(x), [axis])
            idx = ctx.binary("Subtract", ctx.binary("Subtract", dim, ctx.i64([1])), idx)
        if not keep:
            idx = ctx.squeeze(idx, [axis])
        return idx
    return translate


onnx_op("ArgMax")(_arg("max"))
onnx_op("ArgMin")(_arg("min"))
