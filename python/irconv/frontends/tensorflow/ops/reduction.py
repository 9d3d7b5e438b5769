"""Reductions, arg-min/max, top-k."""
import numpy as np

from ..registry import tf_op

_REDUCE = {"Sum": "ReduceSum", "Mean": "ReduceMean", "Max": "ReduceMax", "Min": "ReduceMin",
           "Prod": "ReduceProd", "All": "ReduceLogicalAnd", "Any": "ReduceLogicalOr",
           "EuclideanNorm": "ReduceL2"}


@tf_op(*_REDUCE)
def reduce(ctx, node):
    x, axes = node.input(0), node.input(1)
    if ctx.rank(axes) == 0:
        axes = ctx.unsqueeze(axes, [0])
    keep = bool(node.attr("keep_dims", False))
    if node.op == "EuclideanNorm" and ctx.et(x) not in ("f32", "f16", "f64", "bf16"):
        # integer norms: sqrt of the sum of squares, truncated back to the integer type
        s = ctx.op1("ReduceSum", [ctx.binary("Multiply", x, x), axes], {"keep_dims": keep})
        return ctx.convert(ctx.op1("Sqrt", [ctx.convert(s, "f64")]), ctx.et(x))
    return ctx.op1(_REDUCE[node.op], [x, axes], {"keep_dims": keep})


@tf_op("ArgMax", "ArgMin")
def arg_max(ctx, node):
    x = node.input(0)
    axis = int(np.asarray(node.const_input(1, "dimension")).reshape(-1)[0])
    et = node.et("output_type", "i64")
    tk = ctx.op("TopK", [x, ctx.i64(1)], {"axis": axis, "mode": "max" if node.op == "ArgMax" else "min",
                                          "sort": "value", "index_element_type": et, "stable": True},
                version="opset11")
    return ctx.squeeze(tk.output(1), [axis])


@tf_op("TopKV2", "TopK")
def top_k(ctx, node):
    x = node.input(0)
    k = ctx.to_scalar(node.input(1)) if node.op == "TopKV2" else ctx.i64(int(node.attr("k")))
    tk = ctx.op("TopK", [x, k], {"axis": -1, "mode": "max", "sort": "value", "index_element_type": "i32",
                                 "stable": True}, version="opset11")
    return [tk.output(0), tk.output(1)]
