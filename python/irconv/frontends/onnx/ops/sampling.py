"""GridSample and the random ops: RandomUniform(Like), RandomNormal(Like), Bernoulli, Multinomial.

OpenVINO's RandomUniform draws from a Philox generator, onnxruntime from its own: with a seed the
IR is deterministic, but its values are not onnxruntime's (shapes, types and distributions are).
An ONNX seed s becomes global_seed = s, op_seed = 1 (OpenVINO treats both seeds zero as 'pick a
random seed', which is what ONNX means when there is no seed)."""
from __future__ import annotations

import numpy as np

from irconv.errors import IrconvError

from ..loader import ET_TO_NP, et_of_onnx
from ..registry import onnx_op

_GS_MODES = {"bilinear": "bilinear", "linear": "bilinear", "nearest": "nearest", "bicubic": "bicubic",
             "cubic": "bicubic"}


@onnx_op("GridSample", since=16)
def grid_sample(ctx, node):
    x, grid = node.input_required(0), node.input_required(1)
    r = ctx.rank(x)
    if r is not None and r != 4:
        raise IrconvError("%s: only 2-D sampling (4-D input [N, C, H, W]) is supported: OpenVINO's GridSample-9 has "
                          "no %d-D (volumetric) form; got input rank %d" % (node.describe(), r - 2, r))
    default = "bilinear" if ctx.opset < 20 else "linear"
    mode = node.attr("mode", default)
    if mode not in _GS_MODES:
        raise IrconvError("%s: mode '%s' is not supported (expected one of %s)"
                          % (node.describe(), mode, ", ".join(sorted(_GS_MODES))))
    pad = node.attr("padding_mode", "zeros")
    if pad not in ("zeros", "border", "reflection"):
        raise IrconvError("%s: padding_mode '%s' is not supported" % (node.describe(), pad))
    if ctx.et(grid) != ctx.et(x) and ctx.et(x) in ("f16", "f32", "f64", "bf16"):
        grid = ctx.convert_like(grid, x)
    return ctx.op1("GridSample", [x, grid], {"align_corners": bool(node.attr("align_corners", 0)),
                                             "mode": _GS_MODES[mode], "padding_mode": pad}, version="opset9")


# ---------------------------------------------------------------- random ops
def _seeds(node):
    seed = node.attr("seed")
    if seed is None:
        return 0, 0
    return int(abs(seed)) & 0x7FFFFFFFFFFFFFFF, 1


def _float_type(node, et):
    if et not in ("f16", "f32", "f64", "bf16"):
        raise IrconvError("%s: dtype %s is not a floating-point type" % (node.describe(), et))
    return et


def _uniform(ctx, node, shape, et, low, high, op_seed_offset=0):
    """RandomUniform of element type et in [low, high) with the node's seeds."""
    gs, os_ = _seeds(node)
    lo = ctx.const(np.array(low, np.float64), et)
    hi = ctx.const(np.array(high, np.float64), et)
    return ctx.op1("RandomUniform", [shape, lo, hi],
                   {"output_type": et, "global_seed": gs, "op_seed": os_ + op_seed_offset if os_ else 0,
                    "alignment": "tensorflow"}, version="opset8")


def _like_shape_type(ctx, node):
    x = node.input_required(0)
    dt = node.attr("dtype")
    et = et_of_onnx(dt, node.describe()) if dt is not None else ctx.et(x)
    s = ctx.static_shape(x)
    shape = ctx.i64(s) if s is not None else ctx.shape_of(x)
    return shape, _float_type(node, et)


def _attr_shape_type(ctx, node):
    shape = ctx.i64(node.attr_required("shape"))
    return shape, _float_type(node, et_of_onnx(node.attr("dtype", 1), node.describe()))


@onnx_op("RandomUniform")
def random_uniform(ctx, node):
    shape, et = _attr_shape_type(ctx, node)
    return _uniform(ctx, node, shape, et, node.attr("low", 0.0), node.attr("high", 1.0))


@onnx_op("RandomUniformLike")
def random_uniform_like(ctx, node):
    shape, et = _like_shape_type(ctx, node)
    return _uniform(ctx, node, shape, et, node.attr("low", 0.0), node.attr("high", 1.0))


def _normal(ctx, node, shape, et):
    """mean + scale * sqrt(-2 ln(1 - u1)) * cos(2 pi u2) (Box-Muller), u1, u2 uniform in [0, 1)
    drawn by one RandomUniform of shape [2, *shape]."""
    work = "f64" if et == "f64" else "f32"
    u = _uniform(ctx, node, ctx.concat([ctx.i64([2]), shape]), work, 0.0, 1.0)
    u1 = ctx.squeeze(ctx.gather(u, [0]), [0])
    u2 = ctx.squeeze(ctx.gather(u, [1]), [0])
    c = lambda v: ctx.const(np.array(v, ET_TO_NP[work]))  # noqa: E731
    rad = ctx.op1("Sqrt", [ctx.binary("Multiply", ctx.op1("Log", [ctx.binary("Subtract", c(1.0), u1)]), c(-2.0))])
    z = ctx.binary("Multiply", rad, ctx.op1("Cos", [ctx.binary("Multiply", u2, c(2 * np.pi))]))
    y = ctx.binary("Add", ctx.binary("Multiply", z, c(node.attr("scale", 1.0))), c(node.attr("mean", 0.0)))
    return ctx.convert(y, et)


@onnx_op("RandomNormal")
def random_normal(ctx, node):
    shape, et = _attr_shape_type(ctx, node)
    return _normal(ctx, node, shape, et)


@onnx_op("RandomNormalLike")
def random_normal_like(ctx, node):
    shape, et = _like_shape_type(ctx, node)
    return _normal(ctx, node, shape, et)


@onnx_op("Bernoulli", since=15)
def bernoulli(ctx, node):
    x = node.input_required(0)
    dt = node.attr("dtype")
    et = et_of_onnx(dt, node.describe()) if dt is not None else ctx.et(x)
    s = ctx.static_shape(x)
    shape = ctx.i64(s) if s is not None else ctx.shape_of(x)
    u = _uniform(ctx, node, shape, _float_type(node, ctx.et(x)), 0.0, 1.0)
    return ctx.convert(ctx.binary("Greater", x, u), et)


@onnx_op("Multinomial", since=7)
def multinomial(ctx, node):
    x = node.input_required(0)
    et = et_of_onnx(node.attr("dtype", 6), node.describe())
    if et not in ("i32", "i64"):
        raise IrconvError("%s: dtype must be int32 or int64, got %s" % (node.describe(), et))
    gs, os_ = _seeds(node)
    n = ctx.const(np.array(node.attr("sample_size", 1), np.int64))
    # ONNX's input holds unnormalized log-probabilities
    return ctx.op1("Multinomial", [x, n], {"convert_type": et, "with_replacement": True, "log_probs": True,
                                           "global_seed": gs, "op_seed": os_}, version="opset13")
