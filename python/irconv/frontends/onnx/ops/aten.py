"""ATen: PyTorch operators that torch.onnx.export writes as they are (operator_export_type
ONNX_ATEN / ONNX_ATEN_FALLBACK), in domain org.pytorch.aten (torch >= 1.13) or the default domain
(older exporters). The `operator` attribute names the ATen function; embedding_bag is supported.

embedding_bag(weight, indices, offsets, scale_grad_by_freq, mode, sparse, per_sample_weights,
include_last_offset, padding_idx) -> (output, offset2bag, bag_size, max_indices); only `output`
is computed (the others are training by-products). Two layouts exist:
- current torch: every argument is an input (the scalars as Constants, None as an empty name);
- older torch: weight, indices[, offsets[, per_sample_weights]] as inputs and the scalars as the
  attributes mode, include_last_offset, padding_idx (scale_grad_by_freq and sparse: training only).
Bags are [offsets[i], offsets[i+1]) of the 1D indices; without offsets the indices are 2D
[bags, bag size]. mode 0 sum (optionally weighted), 1 mean, 2 max; an empty bag gives zeros;
entries equal to padding_idx (>= 0) are left out (a bag of padding only gives zeros).
Sum and mean are OpenVINO's EmbeddingBagOffsets-15 / EmbeddingBagPacked-15; max gathers the
rows and takes SegmentMax-16 over bag ids from SearchSorted-15."""
from __future__ import annotations

import numpy as np

from irconv.errors import IrconvError

from ..registry import onnx_op

MODES = {0: "sum", 1: "mean", 2: "max"}


def _aten(ctx, node):
    op = node.attr("operator", "")
    if op != "embedding_bag":
        raise IrconvError("%s: ATen operator '%s' (overload '%s') is not supported; supported: embedding_bag"
                          % (node.describe(), op, node.attr("overload_name", "")))
    return _embedding_bag(ctx, node)


onnx_op("ATen", domain="org.pytorch.aten")(_aten)
onnx_op("ATen")(_aten)


def _scalar_input(node, i, what, default):
    """The value of a scalar argument passed as input i (a Constant); default when absent/None."""
    if not node.has_input(i):
        return default
    v = node.input_value(i)
    if v is None:
        raise IrconvError("%s: embedding_bag's %s (input %d) must be known at conversion time"
                          % (node.describe(), what, i))
    v = np.asarray(v)
    if v.size != 1:
        raise IrconvError("%s: embedding_bag's %s (input %d) must be a scalar, got shape %s"
                          % (node.describe(), what, i, list(v.shape)))
    return int(v.reshape(()))


def _embedding_bag(ctx, node):
    weight, indices = node.input_required(0), node.input_required(1)
    offsets = node.input(2)
    if node.has_attr("mode") or len(node.inputs) <= 4:
        # older exporters: the scalars as attributes, per_sample_weights as the fourth input
        mode = node.attr("mode", 0)
        last = node.attr("include_last_offset", 0)
        pad = node.attr("padding_idx", -1)
        psw = node.input(3)
    else:
        mode = _scalar_input(node, 4, "mode", 0)
        psw = node.input(6)
        last = _scalar_input(node, 7, "include_last_offset", 0)
        pad = _scalar_input(node, 8, "padding_idx", -1)
    if mode not in MODES:
        raise IrconvError("%s: embedding_bag mode %d is not 0 (sum), 1 (mean) or 2 (max)" % (node.describe(), mode))
    if psw is not None and mode != 0:
        raise IrconvError("%s: embedding_bag takes per_sample_weights only with mode sum" % node.describe())
    wr = ctx.rank(weight)
    if wr is not None and wr != 2:
        raise IrconvError("%s: embedding_bag's weight must be 2D, got rank %d" % (node.describe(), wr))
    if psw is not None:
        psw = ctx.convert_like(psw, weight)
    if pad is not None and pad < 0:
        pad = None  # torch's "no padding_idx"
    ir = ctx.rank(indices)
    if offsets is None:
        if ir != 2:
            raise IrconvError("%s: embedding_bag without offsets needs 2D indices [bags, bag size], got rank %s"
                              % (node.describe(), ir))
        if pad is None and mode != 2 and (psw is None or ctx.static_shape(psw) is not None):
            ins = [weight, indices] + ([psw] if psw is not None else [])
            return _outputs(node, ctx.op1("EmbeddingBagPacked", ins, {"reduction": MODES[mode]}, version="opset15"))
        indices, offsets, psw = _flatten(ctx, indices, psw)
    else:
        if ir is not None and ir != 1:
            raise IrconvError("%s: embedding_bag with offsets needs 1D indices, got rank %d" % (node.describe(), ir))
        offsets = ctx.convert_like(offsets, indices)
        if last:
            offsets = ctx.op1("Slice", [offsets, ctx.i64([0]), ctx.i64([-1]), ctx.i64([1]), ctx.i64([0])],
                              version="opset8")
    return _outputs(node, _bags(ctx, weight, indices, offsets, psw, mode, pad))


def _outputs(node, out):
    # offset2bag, bag_size and max_indices are not computed (reported if a node uses them)
    return [out] + [None] * (len(node.outputs) - 1)


def _flatten(ctx, indices, psw):
    """2D [bags, size] indices -> 1D indices with offsets 0, size, 2*size, ..."""
    shape = ctx.shape_of(indices, ctx.et(indices))
    bags = ctx.gather(shape, 0)
    size = ctx.gather(shape, 1)
    flat = ctx.reshape(indices, [-1])
    offsets = ctx.op1("Range", [ctx.const(np.array(0), indices), ctx.binary("Multiply", bags, size), size],
                      {"output_type": ctx.et(indices)}, version="opset4")
    if psw is not None:
        psw = ctx.reshape(psw, [-1])
    return flat, offsets, psw


def _range(ctx, indices):
    """0 .. len(indices) - 1 in the indices' type."""
    n = ctx.gather(ctx.shape_of(indices, ctx.et(indices)), 0)
    return ctx.op1("Range", [ctx.const(np.array(0), indices), n, ctx.const(np.array(1), indices)],
                   {"output_type": ctx.et(indices)}, version="opset4")


def _weighted_sum(ctx, weight, indices, offsets, w):
    """Per bag, the sum of weight[indices[i]] * w[i]."""
    n = ctx.shape(indices)
    if n is not None and n[0] >= 0:
        return ctx.op1("EmbeddingBagOffsets", [weight, indices, offsets, ctx.const(np.array(-1), indices), w],
                       {"reduction": "sum"}, version="opset15")
    # OpenVINO's CPU plugin cannot compile per_sample_weights of a run-time length: the weighted
    # rows become the table of a plain sum over the bags of 0 .. n-1
    rows = ctx.binary("Multiply", ctx.gather(weight, indices, 0), ctx.unsqueeze(w, 1))
    return ctx.op1("EmbeddingBagOffsets", [rows, _range(ctx, indices), offsets], {"reduction": "sum"},
                   version="opset15")


def _bags(ctx, weight, indices, offsets, psw, mode, pad):
    if pad is None and mode != 2:
        if psw is not None:
            return _weighted_sum(ctx, weight, indices, offsets, psw)
        return ctx.op1("EmbeddingBagOffsets", [weight, indices, offsets], {"reduction": MODES[mode]},
                       version="opset15")
    count = keep = None
    if pad is not None:
        keep = ctx.binary("NotEqual", indices, ctx.const(np.array(pad), indices))
        keep_w = ctx.convert_like(keep, weight)
        # entries per bag that are not padding: the mask itself as a one-column table
        count = ctx.op1("EmbeddingBagOffsets", [ctx.unsqueeze(keep_w, 1), _range(ctx, indices), offsets],
                        {"reduction": "sum"}, version="opset15")                      # [bags, 1]
        if mode != 2:
            total = _weighted_sum(ctx, weight, indices, offsets,
                                  keep_w if psw is None else ctx.binary("Multiply", psw, keep_w))
            if mode == 0:
                return total
            return ctx.binary("Divide", total, ctx.binary("Maximum", count, ctx.const(np.array(1), weight)))
    rows = ctx.gather(weight, indices, 0)                                             # [n, dim]
    if keep is not None:  # padding rows never win the max
        rows = ctx.op1("Select", [ctx.unsqueeze(keep, 1), rows, ctx.const(np.array(-np.inf), weight)],
                       {"auto_broadcast": "numpy"})
    # bag of entry i: the number of offsets <= i, minus one (offsets are sorted)
    first_after = ctx.op1("SearchSorted", [offsets, _range(ctx, indices)],
                          {"right_mode": True, "output_type": ctx.et(indices)}, version="opset15")
    seg = ctx.binary("Subtract", first_after, ctx.const(np.array(1), indices))
    bags = ctx.gather(ctx.shape_of(offsets, ctx.et(indices)), 0)
    out = ctx.op1("SegmentMax", [rows, seg, bags], {"fill_mode": "ZERO"}, version="opset16")
    if count is not None:  # a bag of padding only gives zeros
        out = ctx.op1("Select", [ctx.binary("Greater", count, ctx.const(np.array(0), weight)), out,
                                 ctx.const(np.array(0), weight)], {"auto_broadcast": "numpy"})
    return out
