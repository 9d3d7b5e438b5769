"""Affine and linear components (y = x W^T + b), and per-column scales and shifts."""
from __future__ import annotations

import numpy as np

from irconv.errors import IrconvError

from ..registry import nnet1_component, nnet_component
from ._util import check_in, data, in_dim, matrix, tiled, vector


def _affine(ctx, comp, x, w, b):
    w = np.asarray(w)
    check_in(comp, x, w.shape[1])
    if b is not None and b.size and b.shape[0] != w.shape[0]:
        raise IrconvError("%s: the bias has %d values for %d outputs" % (comp.describe(), b.shape[0], w.shape[0]))
    return ctx.affine(x, w, b if b is not None and b.size else None, name="affine")


def _rows(tag):
    return lambda comp, in_dim: int(np.asarray(comp.require(tag)).shape[0])


# nnet1 <AffineTransform>: [<LearnRateCoef> f] [<BiasLearnRateCoef> f] [<MaxNorm> f] W b
@nnet1_component("AffineTransform", data=("matrix", "vector"))
def affine_transform(ctx, comp, x):
    w, b = data(comp, 0, "matrix"), data(comp, 1, "vector")
    if w.shape != (comp.output_dim, comp.input_dim):
        raise IrconvError("%s: the weights are %dx%d, the component is %d -> %d"
                          % (comp.describe(), w.shape[0], w.shape[1], comp.input_dim, comp.output_dim))
    return _affine(ctx, comp, x, w, b)


@nnet1_component("LinearTransform", data=("matrix",))
def linear_transform(ctx, comp, x):
    w = data(comp, 0, "matrix")
    return _affine(ctx, comp, x, w, None)


# nnet2 / nnet3: <LinearParams> [out x in] <BiasParams> [out]
@nnet_component("AffineComponent", "NaturalGradientAffineComponent", "FixedAffineComponent",
                "AffineComponentPreconditioned", "AffineComponentPreconditionedOnline",
                out_dim=_rows("LinearParams"))
def affine_component(ctx, comp, x):
    return _affine(ctx, comp, x, matrix(comp, "LinearParams"), vector(comp, "BiasParams", required=False))


# nnet3 LinearComponent: <Params> [out x in], no bias.
@nnet_component("LinearComponent", out_dim=_rows("Params"))
def linear_component(ctx, comp, x):
    return _affine(ctx, comp, x, matrix(comp, "Params"), None)


# nnet3 TdnnComponent: <TimeOffsets> o_1..o_k, <LinearParams> [out x in*k], optional <BiasParams>;
# y(t) = W concat_k x(t + o_k) + b. The builder turns its input descriptor into
# Append(Offset(in, o_1), ..., Offset(in, o_k)) (the `time_offsets` hook), so here it is affine.
@nnet_component("TdnnComponent", out_dim=_rows("LinearParams"))
def tdnn_component(ctx, comp, x):
    return _affine(ctx, comp, x, matrix(comp, "LinearParams"), vector(comp, "BiasParams", required=False))


def _tdnn_offsets(comp):
    offs = comp.get("TimeOffsets")
    if offs is None or not len(offs):
        raise IrconvError("%s has no <TimeOffsets>" % comp.describe())
    return [int(o) for o in offs]


tdnn_component.time_offsets = _tdnn_offsets


# nnet2 FixedLinearComponent: <CuMatrix> [out x in]
@nnet_component("FixedLinearComponent", out_dim=_rows("CuMatrix"), fields={"CuMatrix": "mv"})
def fixed_linear(ctx, comp, x):
    return _affine(ctx, comp, x, matrix(comp, "CuMatrix"), None)


# ---------------------------------------------------------------------------- scales / shifts
def _scale_shift(ctx, comp, x, scale=None, shift=None):
    d = in_dim(x)
    y = x
    if scale is not None:
        s = tiled(scale, d, comp, "the scale") if d > 0 else scale
        y = ctx.mul(y, ctx.row(s, "scale"), name="scale")
    if shift is not None:
        b = tiled(shift, d, comp, "the offset") if d > 0 else shift
        y = ctx.add(y, ctx.row(b, "shift"), name="shift")
    return y


@nnet1_component("AddShift", data=("vector",))
def add_shift(ctx, comp, x):
    return _scale_shift(ctx, comp, x, shift=data(comp, 0, "vector"))


@nnet1_component("Rescale", data=("vector",))
def rescale(ctx, comp, x):
    return _scale_shift(ctx, comp, x, scale=data(comp, 0, "vector"))


@nnet_component("FixedScaleComponent")
def fixed_scale(ctx, comp, x):
    return _scale_shift(ctx, comp, x, scale=vector(comp, "Scales"))


@nnet_component("FixedBiasComponent")
def fixed_bias(ctx, comp, x):
    return _scale_shift(ctx, comp, x, shift=vector(comp, "Bias"))


@nnet_component("PerElementScaleComponent", "NaturalGradientPerElementScaleComponent")
def per_element_scale(ctx, comp, x):
    return _scale_shift(ctx, comp, x, scale=vector(comp, "Params"))


@nnet_component("PerElementOffsetComponent")
def per_element_offset(ctx, comp, x):
    return _scale_shift(ctx, comp, x, shift=vector(comp, "Offsets"))


@nnet_component("ScaleAndOffsetComponent")
def scale_and_offset(ctx, comp, x):
    return _scale_shift(ctx, comp, x, scale=vector(comp, "Scales"), shift=vector(comp, "Offsets"))


# nnet2 ScaleComponent: <Dim> <Scale> f
@nnet_component("ScaleComponent")
def scale_component(ctx, comp, x):
    return ctx.mul(x, ctx.scalar(float(comp.require("Scale"))), name="scale")


# RepeatedAffineComponent / NaturalGradientRepeatedAffineComponent (nnet3): <LinearParams> [o x i]
# <BiasParams> [o] <NumRepeats> r; the same affine map on each of r consecutive input blocks.
def _repeats(comp):
    return int(comp.require("NumRepeats"))


@nnet_component("RepeatedAffineComponent", "NaturalGradientRepeatedAffineComponent",
                fields={"NumRepeats": "i"},
                out_dim=lambda comp, in_dim: _repeats(comp) * int(np.asarray(comp.require("LinearParams")).shape[0]))
def repeated_affine(ctx, comp, x):
    w, b, r = matrix(comp, "LinearParams"), vector(comp, "BiasParams"), _repeats(comp)
    check_in(comp, x, r * w.shape[1])
    y = ctx.affine(ctx.reshape(x, [0, r, w.shape[1]], name="blocks"), w, b, name="affine")
    return ctx.reshape(y, [0, r * w.shape[0]], name="rows")


# BlockAffineComponent: <LinearParams> [out x in/B] <BiasParams> [out] <NumBlocks> B; block b maps
# input columns [b*in/B, (b+1)*in/B) with rows [b*out/B, (b+1)*out/B) of the parameters.
@nnet_component("BlockAffineComponent", fields={"NumBlocks": "i"}, out_dim=_rows("LinearParams"))
def block_affine(ctx, comp, x):
    w, b, nb = matrix(comp, "LinearParams"), vector(comp, "BiasParams"), int(comp.require("NumBlocks"))
    out, ib = w.shape
    if nb <= 0 or out % nb:
        raise IrconvError("%s: %d blocks do not divide the %d outputs" % (comp.describe(), nb, out))
    ob = out // nb
    check_in(comp, x, nb * ib)
    wb = np.ascontiguousarray(np.asarray(w, np.float32).reshape(nb, ob, ib).transpose(0, 2, 1))   # [B, ib, ob]
    xb = ctx.reshape(x, [0, nb, 1, ib], name="blocks")
    y = ctx.op("MatMul", [xb, ctx.const(wb, "weights")], {"transpose_a": False, "transpose_b": False}, name="blocks_mm")
    y = ctx.reshape(y, [0, out], name="rows")
    return ctx.add(y, ctx.row(b, "bias"), name="bias")


# ConstantFunctionComponent (nnet3): <InputDim> <Output> [d] ...: the output ignores the input.
@nnet_component("ConstantFunctionComponent", out_dim=lambda comp, in_dim: len(vector(comp, "Output")),
                fields={"Output": "mv", "IsUpdatable": "b"})
def constant_function(ctx, comp, x):
    return const_rows(ctx, x, vector(comp, "Output"))


def const_rows(ctx, x, row):
    """`row` repeated for each frame of x ([N, len(row)])."""
    c = ctx.row(row, "value")
    if ctx.stateful:
        return c
    n = ctx.op("Gather", [ctx.op("ShapeOf", [x], {"output_type": "i64"}, version="opset3"), ctx.i64([0]), ctx.i64(0)],
               {"batch_dims": 0}, name="frames", version="opset8")
    shape = ctx.op("Concat", [n, ctx.i64([len(row)])], {"axis": 0}, name="shape")
    return ctx.op("Broadcast", [c, shape], {"mode": "numpy"}, name="rows", version="opset3")
