"""Normalization components: nnet3 BatchNormComponent (test mode), nnet2/nnet3
NormalizeComponent, nnet1 LengthNormComponent."""
from __future__ import annotations

import numpy as np

from irconv.errors import IrconvError

from ..registry import nnet1_component, nnet_component
from ._util import in_dim, tiled, vector

# Kaldi's kSquaredNormFloor = 2^-66 (NormalizeComponent, nnet2 and nnet3)
SQUARED_NORM_FLOOR = 2.0 ** -66


# BatchNormComponent: <Dim> <BlockDim> <Epsilon> <TargetRms> <TestMode> <Count> <StatsMean> <StatsVar>.
# Inference uses the stored statistics: column j uses index j % BlockDim;
# y = (x - mean) * TargetRms / sqrt(var + Epsilon)   (Kaldi's scale_ / offset_).
@nnet_component("BatchNormComponent")
def batch_norm(ctx, comp, x):
    dim = int(comp.get("Dim", in_dim(x)))
    block = int(comp.get("BlockDim", dim))
    eps = np.float32(comp.get("Epsilon", 0.001))
    rms = np.float32(comp.get("TargetRms", 1.0))
    mean = vector(comp, "StatsMean", dim=block)
    var = vector(comp, "StatsVar", dim=block)
    if dim <= 0 or block <= 0 or dim % block:
        raise IrconvError("%s: <BlockDim> %d does not divide <Dim> %d" % (comp.describe(), block, dim))
    scale = (np.power(var + eps, np.float32(-0.5)) * rms).astype(np.float32)
    offset = (-mean * scale).astype(np.float32)
    y = ctx.mul(x, ctx.row(tiled(scale, dim, comp, "<StatsVar>"), "scale"), name="scale")
    return ctx.add(y, ctx.row(tiled(offset, dim, comp, "<StatsMean>"), "offset"), name="offset")


def _normalize_out_dim(comp, in_dim_fn):
    d = int(comp.get("InputDim", comp.get("Dim", 0)) or in_dim_fn())
    if comp.get("AddLogStddev"):
        block = int(comp.get("BlockDim", d) or d)
        return d + d // block
    return d


# NormalizeComponent (nnet3: <InputDim|Dim> [<BlockDim>] [<TargetRms>] [<AddLogStddev>]; nnet2: <Dim>
# and stats): per row (per block of BlockDim columns), s = max(sum x^2 / (D rms^2), 2^-66)^-1/2,
# y = x s; AddLogStddev appends log(rms / s) per block (after that block's columns).
@nnet_component("NormalizeComponent", out_dim=_normalize_out_dim)
def normalize(ctx, comp, x):
    d = int(comp.get("InputDim", comp.get("Dim", 0)) or in_dim(x))
    block = int(comp.get("BlockDim", d) or d)
    rms = float(comp.get("TargetRms", 1.0))
    add_log = bool(comp.get("AddLogStddev", False))
    if d <= 0 or block <= 0 or d % block:
        raise IrconvError("%s: <BlockDim> %d does not divide the dim %d" % (comp.describe(), block, d))
    if not rms > 0 or not np.isfinite(rms):
        raise IrconvError("%s: <TargetRms> must be positive, got %r" % (comp.describe(), rms))
    nb = d // block
    xb = x if nb == 1 else ctx.reshape(x, [0, nb, block], name="blocks")
    axis = 1 if nb == 1 else 2
    ss = ctx.reduce_sum(ctx.mul(xb, xb, name="square"), axis, name="sum_squares")
    ms = ctx.mul(ss, ctx.scalar(1.0 / (block * rms * rms)), name="mean_square")
    ms = ctx.op("Maximum", [ms, ctx.scalar(SQUARED_NORM_FLOOR)], {"auto_broadcast": "numpy"}, name="floor")
    scale = ctx.op("Power", [ms, ctx.scalar(-0.5)], {"auto_broadcast": "numpy"}, name="rsqrt")
    y = ctx.mul(xb, scale, name="normalized")
    if add_log:
        # log(rms) - log(scale)
        logs = ctx.sub(ctx.scalar(np.log(rms)), ctx.op("Log", [scale]), name="log_stddev")
        y = ctx.op("Concat", [y, logs], {"axis": axis}, name="with_log_stddev")
    if nb > 1:
        y = ctx.reshape(y, [0, -1], name="rows")
    return y


# nnet1 <LengthNormComponent>: y = x / ||x||_2 per row.
@nnet1_component("LengthNormComponent")
def length_norm(ctx, comp, x):
    ss = ctx.reduce_sum(ctx.mul(x, x, name="square"), 1, name="sum_squares")
    return ctx.mul(x, ctx.op("Power", [ss, ctx.scalar(-0.5)], {"auto_broadcast": "numpy"}, name="rsqrt"))
