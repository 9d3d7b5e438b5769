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
