"""ScatterND, ScatterElements (and the deprecated Scatter), GatherND, GatherElements."""
from __future__ import annotations

import numpy as np

from irconv.errors import IrconvError

from ..registry import onnx_op

ND_REDUCTION = {"none": "none", "add": "sum", "mul": "prod", "max": "max", "min": "min"}


@onnx_op("ScatterND", since=11)
def scatter_nd(ctx, node):
    data, idx, upd = node.input_required(0), node.input_required(1), node.input_required(2)
    red = node.attr("reduction", "none")
    if red not in ND_REDUCTION:
        raise IrconvError("%s: unknown reduction '%s'" % (node.describe(), red))
    return ctx.op1("ScatterNDUpdate", [data, idx, ctx.convert_like(upd, data)],
                   {"reduction": ND_REDUCTION[red]}, version="opset15")


def _scatter_elements(ctx, node):
    data, idx, upd = node.input_required(0), node.input_required(1), node.input_required(2)
    red = node.attr("reduction", "none")
    if red not in ND_REDUCTION:
        raise IrconvError("%s: unknown reduction '%s'" % (node.describe(), red))
    axis = ctx.const(np.array(node.attr("axis", 0), np.int64))
    return ctx.op1("ScatterElementsUpdate", [data, idx, ctx.convert_like(upd, data), axis],
                   {"reduction": ND_REDUCTION[red], "use_init_val": True}, version="opset12")


onnx_op("ScatterElements", since=11)(_scatter_elements)
onnx_op("Scatter", since=9, until=10)(_scatter_elements)


@onnx_op("GatherND", since=11)
def gather_nd(ctx, node):
    data, idx = node.input_required(0), node.input_required(1)
    return ctx.op1("GatherND", [data, idx], {"batch_dims": node.attr("batch_dims", 0)}, version="opset8")


@onnx_op("GatherElements", since=11)
def gather_elements(ctx, node):
    data, idx = node.input_required(0), node.input_required(1)
    axis = node.attr("axis", 0)
    ds, is_ = ctx.shape(data), ctx.shape(idx)
    if ds is not None and is_ is not None and len(ds) == len(is_):
        # ONNX lets indices be smaller than data on the other axes; OpenVINO wants them equal
        ax = ctx.norm_axis(axis, len(ds))
        cut = [i for i in range(len(ds)) if i != ax and 0 <= is_[i] < ds[i]]
        if cut:
            # StridedSlice: the CPU plugin mis-handles a Slice-8 feeding GatherElements
            r = len(ds)
            end = [is_[i] if i in cut else 0 for i in range(r)]
            data = ctx.op1("StridedSlice", [data, ctx.i64([0] * r), ctx.i64(end), ctx.i64([1] * r)],
                           {"begin_mask": [1] * r, "end_mask": [0 if i in cut else 1 for i in range(r)],
                            "new_axis_mask": [0] * r, "shrink_axis_mask": [0] * r, "ellipsis_mask": [0] * r})
    return ctx.op1("GatherElements", [data, idx], {"axis": axis}, version="opset6")


@onnx_op("TensorScatter", since=24)
def tensor_scatter(ctx, node):
    # present[b, ..., (w[b] + s) (% max), ...] = update[b, ..., s, ...]: ScatterElementsUpdate along the
    # sequence axis with indices w[b] + s broadcast to the update's shape
    cache, upd, w = node.input_required(0), node.input_required(1), node.input(2)
    r = ctx.rank(cache)
    if r is None:
        raise IrconvError("%s: needs a known input rank" % node.describe())
    axis = ctx.norm_axis(node.attr("axis", -2), r)
    ush = ctx.shape_of(upd)
    seq = ctx.to_scalar(ctx.gather(ush, [axis]))
    pos = ctx.op1("Range", [ctx.const(np.array(0, np.int64)), seq, ctx.const(np.array(1, np.int64))],
                  {"output_type": "i64"}, version="opset4")
    shape = [1] * r
    shape[axis] = -1
    idx = ctx.reshape(pos, shape)
    if w is not None:
        wshape = [1] * r
        wshape[0] = -1
        idx = ctx.binary("Add", idx, ctx.reshape(ctx.convert(w, "i64"), wshape))
    if node.attr("mode", "linear") == "circular":
        idx = ctx.binary("FloorMod", idx, ctx.gather(ctx.shape_of(cache), [axis]))
    idx = ctx.op1("Broadcast", [idx, ush], {"mode": "numpy"}, version="opset3")
    return ctx.op1("ScatterElementsUpdate", [cache, idx, ctx.convert_like(upd, cache),
                                            ctx.const(np.array(axis, np.int64))],
                   {"reduction": "none", "use_init_val": True}, version="opset12")
