"""Components that combine or rearrange groups of columns: p-norm, maxout, sums, products,
column copies and permutations."""
from __future__ import annotations

import numpy as np

from irconv.errors import IrconvError
from irconv.limits import check_expansion

from ..registry import nnet1_component, nnet_component
from ._util import data, in_dim


def _groups(ctx, comp, x, out_dim):
    """[N, in] -> [N, out, in/out] (consecutive groups of in/out columns)."""
    d = int(comp.get("InputDim", in_dim(x)))
    if out_dim <= 0 or d % out_dim:
        raise IrconvError("%s: output dim %d does not divide the input dim %d" % (comp.describe(), out_dim, d))
    return ctx.reshape(x, [0, out_dim, d // out_dim], name="groups"), d // out_dim


# PnormComponent: <InputDim> <OutputDim> [<P> (nnet2; nnet3 uses 2)]; y_j = ||x[j*g:(j+1)*g]||_p
@nnet_component("PnormComponent")
def pnorm(ctx, comp, x):
    out = int(comp.require("OutputDim"))
    p = float(comp.get("P", 2.0))
    xg, g = _groups(ctx, comp, x, out)
    if p == 2.0:
        s = ctx.reduce_sum(ctx.mul(xg, xg, name="square"), 2, keep_dims=False)
        return ctx.op("Sqrt", [s])
    if p == 1.0:
        return ctx.reduce_sum(ctx.op("Abs", [xg]), 2, keep_dims=False)
    if p <= 0:
        raise IrconvError("%s: <P> must be positive, found %g" % (comp.describe(), p))
    s = ctx.reduce_sum(ctx.op("Power", [ctx.op("Abs", [xg]), ctx.scalar(p)], {"auto_broadcast": "numpy"}), 2,
                       keep_dims=False)
    return ctx.op("Power", [s, ctx.scalar(1.0 / p)], {"auto_broadcast": "numpy"})


# nnet2 MaxoutComponent: <InputDim> <OutputDim>; y_j = max over group j
@nnet_component("MaxoutComponent")
def maxout(ctx, comp, x):
    xg, _ = _groups(ctx, comp, x, int(comp.require("OutputDim")))
    return ctx.op("ReduceMax", [xg, ctx.i64([2])], {"keep_dims": False})


# nnet3 SumBlockComponent (and the older SumReduceComponent): the input is in/out consecutive
# blocks of `out` columns; y = Scale * (sum of the blocks).
@nnet_component("SumBlockComponent", "SumReduceComponent")
def sum_block(ctx, comp, x):
    out = int(comp.require("OutputDim"))
    d = int(comp.get("InputDim", in_dim(x)))
    if out <= 0 or d % out:
        raise IrconvError("%s: output dim %d does not divide the input dim %d" % (comp.describe(), out, d))
    y = ctx.reduce_sum(ctx.reshape(x, [0, d // out, out], name="blocks"), 1, keep_dims=False)
    s = float(comp.get("Scale", 1.0))
    return y if s == 1.0 else ctx.mul(y, ctx.scalar(s), name="scale")


# SumGroupComponent (nnet2/nnet3): <Sizes> [s_0 .. s_k]; y_j = sum of the j-th run of s_j columns
@nnet_component("SumGroupComponent", out_dim=lambda comp, in_dim: len(comp.require("Sizes")))
def sum_group(ctx, comp, x):
    sizes = [int(s) for s in comp.require("Sizes")]
    if not sizes or any(s <= 0 for s in sizes) or (in_dim(x) > 0 and sum(sizes) != in_dim(x)):
        raise IrconvError("%s: group sizes %s do not add up to the input dim %d" % (comp.describe(), sizes, in_dim(x)))
    if len(set(sizes)) == 1:
        xg = ctx.reshape(x, [0, len(sizes), sizes[0]], name="groups")
        return ctx.reduce_sum(xg, 2, keep_dims=False)
    check_expansion(len(sizes) * sum(sizes) * 4, "%s: a %d x %d selection matrix" % (comp.describe(), len(sizes), sum(sizes)))
    sel = np.zeros((len(sizes), sum(sizes)), np.float32)  # [out, in]: y = x sel^T
    pos = 0
    for j, s in enumerate(sizes):
        sel[j, pos:pos + s] = 1.0
        pos += s
    return ctx.matmul(x, sel, name="group_sum")


# ElementwiseProductComponent: <InputDim> <OutputDim>; y = product of the in/out consecutive blocks
@nnet_component("ElementwiseProductComponent")
def elementwise_product(ctx, comp, x):
    out = int(comp.require("OutputDim"))
    d = int(comp.get("InputDim", in_dim(x)))
    if out <= 0 or d % out:
        raise IrconvError("%s: output dim %d does not divide the input dim %d" % (comp.describe(), out, d))
    parts = ctx.split_cols(x, [out] * (d // out), name="blocks")
    y = parts[0]
    for i, p in enumerate(parts[1:]):
        y = ctx.mul(y, p, name="product%d" % (i + 1))
    return y


def _gather_cols(ctx, comp, x, idx):
    idx = np.asarray(idx, dtype=np.int64)
    d = in_dim(x)
    if idx.size and (idx.min() < 0 or (d > 0 and idx.max() >= d)):
        raise IrconvError("%s: column index out of range [0, %d)" % (comp.describe(), d))
    if d > 0 and idx.size == d and np.array_equal(idx, np.arange(d)):
        return x
    return ctx.op("Gather", [x, ctx.i64(idx), ctx.i64(1)], {"batch_dims": 0}, version="opset8")


# nnet1 <Copy>: 1-based column indices; y_j = x[idx_j - 1]
@nnet1_component("Copy", data=("intvec",))
def copy(ctx, comp, x):
    return _gather_cols(ctx, comp, x, np.asarray(data(comp, 0, "intvec"), dtype=np.int64) - 1)


# nnet3 PermuteComponent: <ColumnMap>; y_j = x[column_map_j]
@nnet_component("PermuteComponent", out_dim=lambda comp, in_dim: len(comp.require("ColumnMap")))
def permute(ctx, comp, x):
    return _gather_cols(ctx, comp, x, comp.require("ColumnMap"))


# nnet2 SpliceMaxComponent: <Dim> <Context> [c_1 .. c_k]: y(t) = max_k x(t + c_k) (element-wise).
# The builder appends the input at the context offsets (the `time_offsets` hook).
@nnet_component("SpliceMaxComponent", out_dim=lambda comp, in_dim: int(comp.require("Dim")))
def splice_max(ctx, comp, x):
    k, d = len(comp.require("Context")), int(comp.require("Dim"))
    return ctx.op("ReduceMax", [ctx.reshape(x, [0, k, d], name="frames"), ctx.i64([1])], {"keep_dims": False})


splice_max.time_offsets = lambda comp: [int(c) for c in comp.require("Context")]
