"""Element-wise nonlinearities, softmaxes, and components that are the identity at inference."""
from __future__ import annotations

import numpy as np

from irconv.errors import IrconvError
from irconv.limits import check_expansion

from ..registry import nnet1_component, nnet_component
from ._util import data, in_dim


@nnet1_component("Sigmoid")
@nnet_component("SigmoidComponent")
def sigmoid(ctx, comp, x):
    return ctx.op("Sigmoid", [x])


@nnet1_component("Tanh")
@nnet_component("TanhComponent")
def tanh(ctx, comp, x):
    return ctx.op("Tanh", [x])


@nnet_component("RectifiedLinearComponent")
def relu(ctx, comp, x):
    return ctx.op("ReLU", [x])


# nnet2 SoftHingeComponent: log(1 + exp(x))
@nnet_component("SoftHingeComponent")
def soft_hinge(ctx, comp, x):
    return ctx.op("SoftPlus", [x], version="opset4")


@nnet1_component("Softmax", "HiddenSoftmax")
def softmax_nnet1(ctx, comp, x):
    return ctx.softmax(x)


# nnet2's SoftmaxComponent floors its output at 1e-20 (so that log() stays finite); nnet3's does not.
@nnet_component("SoftmaxComponent")
def softmax(ctx, comp, x):
    y = ctx.softmax(x)
    if comp.flavour == "nnet2":
        y = ctx.op("Maximum", [y, ctx.scalar(1e-20)], {"auto_broadcast": "numpy"}, name="floor")
    return y


@nnet_component("LogSoftmaxComponent")
def log_softmax(ctx, comp, x):
    return ctx.op("LogSoftmax", [x], {"axis": -1}, version="opset5")


# nnet1 <BlockSoftmax>: integer vector of block dims; a softmax per block of columns.
@nnet1_component("BlockSoftmax", data=("intvec",))
def block_softmax(ctx, comp, x):
    dims = [int(d) for d in data(comp, 0, "intvec")]
    if not dims or any(d <= 0 for d in dims) or (in_dim(x) > 0 and sum(dims) != in_dim(x)):
        raise IrconvError("%s: block dims %s do not add up to the input dim %d" % (comp.describe(), dims, in_dim(x)))
    parts = ctx.split_cols(x, dims, name="blocks")
    return ctx.concat([ctx.softmax(p, name="SoftMax%d" % i) for i, p in enumerate(parts)])


# nnet1 <ParametricRelu>: [<BiasLearnRateCoef> f <LearnRateCoef> f] [<ClipGradient> f] alpha beta;
# y = x >= 0 ? alpha * x : beta * x
@nnet1_component("ParametricRelu", fields={"AlphaLearnRateCoef": "f", "BetaLearnRateCoef": "f"},
                 data=("vector", "vector"))
def parametric_relu(ctx, comp, x):
    alpha, beta = data(comp, 0, "vector"), data(comp, 1, "vector")
    pos = ctx.op("Maximum", [x, ctx.scalar(0.0)], {"auto_broadcast": "numpy"}, name="pos")
    neg = ctx.op("Minimum", [x, ctx.scalar(0.0)], {"auto_broadcast": "numpy"}, name="neg")
    return ctx.add(ctx.mul(pos, ctx.row(alpha, "alpha")), ctx.mul(neg, ctx.row(beta, "beta")))


# ---------------------------------------------------------------------------- identity at inference
def _identity(ctx, comp, x):
    return x


nnet1_component("Dropout")(lambda ctx, comp, x: x)

nnet_component("DropoutComponent", "GeneralDropoutComponent", "NoOpComponent", "ClipGradientComponent",
               "SpecAugmentTimeMaskComponent", "AdditiveNoiseComponent")(_identity)


# nnet3 BackpropTruncationComponent: forward y = x * <Scale> (gradients are what it truncates).
@nnet_component("BackpropTruncationComponent")
def backprop_truncation(ctx, comp, x):
    s = float(comp.get("Scale", 1.0))
    return x if s == 1.0 else ctx.mul(x, ctx.scalar(s), name="scale")



# DropoutMaskComponent (nnet3, for LSTM dropout): at inference a constant mask, 1 - <DropoutProportion>
# (1 when the proportion is 0 or the mask is <Continuous>); the input is ignored.
@nnet_component("DropoutMaskComponent", out_dim=lambda comp, in_dim: int(comp.require("OutputDim")))
def dropout_mask(ctx, comp, x):
    from .affine import const_rows  # noqa: PLC0415
    p = float(comp.get("DropoutProportion", 0.5))
    value = 1.0 if (p == 0 or comp.get("Continuous")) else 1.0 - p
    dim = int(comp.require("OutputDim"))
    check_expansion(dim * 4, "%s: <OutputDim> %d" % (comp.describe(), dim))
    return const_rows(ctx, x, np.full(dim, value, np.float32))
