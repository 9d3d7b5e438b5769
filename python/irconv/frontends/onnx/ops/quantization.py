"""QuantizeLinear / DequantizeLinear / DynamicQuantizeLinear, and integer MatMul/Conv forms.

QuantizeLinear becomes FakeQuantize + Convert (as OpenVINO's ONNX frontend does):
FakeQuantize(x, s*(lo-zp), s*(hi-zp), lo, hi, levels) = clamp(round(x/s) + zp, lo, hi).
DequantizeLinear becomes Convert -> Subtract(zero point) -> Multiply(scale)."""
from __future__ import annotations

import numpy as np

from irconv.errors import IrconvError

from ..loader import ET_TO_NP, et_of_onnx
from ..registry import onnx_op
from .conv import convolution

RANGES = {"u8": (0, 255), "i8": (-128, 127), "u16": (0, 65535), "i16": (-32768, 32767),
          "u4": (0, 15), "i4": (-8, 7), "u2": (0, 3)}


def _broadcastable(ctx, node, t, x, axis, block_size=0):
    """Per-axis (1-D) or blocked scale / zero point reshaped to broadcast against x."""
    if t is None:
        return None
    ts = ctx.shape(t)
    if ts is None or len(ts) == 0 or (len(ts) == 1 and ts[0] == 1):
        return t
    r = ctx.rank(x)
    if r is None:
        raise IrconvError("%s: per-axis quantization needs a known input rank" % node.describe())
    axis = ctx.norm_axis(axis, r)
    if block_size:
        v = ctx.value(t)
        xs = ctx.shape(x)
        if xs is None or xs[axis] < 0:
            raise IrconvError("%s: blocked quantization needs a static quantization axis" % node.describe())
        if v is not None:
            v = np.repeat(v, block_size, axis=axis)
            v = np.take(v, np.arange(xs[axis]), axis=axis)
            return ctx.const(np.ascontiguousarray(v))
        if any(d < 0 for d in ts):
            raise IrconvError("%s: blocked quantization needs scales of static shape" % node.describe())
        # [.., n, ..] -> [.., n, 1, ..] -> broadcast [.., n, B, ..] -> [.., n*B, ..] -> first D
        t = ctx.unsqueeze(t, [axis + 1])
        tgt = list(ts[:axis + 1]) + [block_size] + list(ts[axis + 1:])
        t = ctx.op1("Broadcast", [t, ctx.i64(tgt)], {"mode": "numpy"}, version="opset3")
        merged = list(ts)
        merged[axis] = ts[axis] * block_size
        t = ctx.reshape(t, merged)
        return ctx.op1("Slice", [t, ctx.i64([0]), ctx.i64([xs[axis]]), ctx.i64([1]), ctx.i64([axis])],
                       version="opset8")
    if len(ts) == 1:
        shape = [1] * r
        shape[axis] = -1
        v = ctx.value(t)
        return ctx.const(v.reshape([d if d != -1 else v.size for d in shape])) if v is not None \
            else ctx.reshape(t, shape)
    return t


def quantize(ctx, node, x, scale, zp, out_et, axis, block_size=0):
    if ctx.et(x) not in ("f32", "f16", "bf16", "f64"):
        x = ctx.convert(x, "f32")
    scale = _broadcastable(ctx, node, ctx.convert_like(scale, x), x, axis, block_size)
    zp = _broadcastable(ctx, node, zp, x, axis, block_size)
    if out_et in ("f8e4m3", "f8e5m2", "f4e2m1"):
        # float 8 / 4 targets: y = saturate(x / scale) rounded to the target type (zero point is 0);
        # float 4 has no NaN / inf: it always saturates
        from .cast import cast_to  # noqa: PLC0415
        y = ctx.binary("Divide", x, scale)
        return cast_to(ctx, node, y, out_et, saturate=bool(node.attr("saturate", 1)))
    if out_et not in RANGES:
        raise IrconvError("%s: quantizing to %s is not supported" % (node.describe(), out_et))
    lo, hi = RANGES[out_et]
    if out_et in ("u16", "i16"):
        # 65536 levels: FakeQuantize's (x - low) / (high - low) * 65535 loses the f32 precision a
        # tie-exact result needs; use the definition clamp(round_half_even(x / s) + zp, lo, hi)
        q = ctx.op1("Round", [ctx.binary("Divide", x, ctx.mark_precise(scale))], {"mode": "half_to_even"},
                    version="opset5")
        if zp is not None:
            q = ctx.binary("Add", q, ctx.mark_precise(ctx.convert_like(zp, x)))
        q = ctx.op1("Clamp", [q], {"min": float(lo), "max": float(hi)})
        return ctx.op1("Convert", [q], {"destination_type": out_et})
    sv = ctx.value(scale)
    zv = ctx.value(zp) if zp is not None else np.zeros((), np.int64)
    if sv is not None and zv is not None:
        s = sv.astype(np.float64)
        z = zv.astype(np.float64)
        in_low = ctx.const((s * (lo - z)).astype(ET_TO_NP[ctx.et(x)]))
        in_high = ctx.const((s * (hi - z)).astype(ET_TO_NP[ctx.et(x)]))
    else:
        ctx.mark_precise(scale)
        zf = ctx.convert_like(zp, x) if zp is not None else ctx.const(0, x)
        in_low = ctx.binary("Multiply", scale, ctx.binary("Subtract", ctx.mark_precise(ctx.const(lo, x)), zf))
        in_high = ctx.binary("Multiply", scale, ctx.binary("Subtract", ctx.mark_precise(ctx.const(hi, x)), zf))
    ranges = [ctx.mark_precise(t) for t in (in_low, in_high, ctx.const(lo, x), ctx.const(hi, x))]
    fq = ctx.op1("FakeQuantize", [x] + ranges, {"levels": hi - lo + 1, "auto_broadcast": "numpy"})
    return ctx.op1("Convert", [fq], {"destination_type": out_et})


def dequantize(ctx, node, x, scale, zp, axis, block_size=0):
    scale_et = ctx.et(scale)
    ctx.mark_precise(scale)
    if x.is_const and ctx.et(x) in ("i8", "u8", "i4", "u4", "i16", "u16", "f8e4m3", "f8e5m2", "f4e2m1"):
        # low-precision constant weights: Convert marked as decompression (as OpenVINO does) so
        # that they stay compressed in the IR
        cv = ctx.op("Convert", [x], {"destination_type": scale_et})
        cv.add_rt_info("decompression", "0")
        y = cv.output(0)
    else:
        y = ctx.convert(x, scale_et)
    if zp is not None:
        zv = ctx.value(zp)
        if zv is None or np.any(zv != 0):
            zp = _broadcastable(ctx, node, zp, x, axis, block_size)
            y = ctx.binary("Subtract", y, ctx.mark_precise(ctx.convert(zp, scale_et)))
    scale = ctx.mark_precise(_broadcastable(ctx, node, scale, x, axis, block_size))
    return ctx.binary("Multiply", y, scale)


@onnx_op("QuantizeLinear", since=10)
def quantize_linear(ctx, node):
    x, scale, zp = node.input_required(0), node.input_required(1), node.input(2)
    if zp is not None:
        out_et = ctx.et(zp)
    else:
        dt = node.attr("output_dtype", 0)
        out_et = et_of_onnx(dt, node.describe()) if dt else "u8"
    axis = node.attr("axis", 1) if ctx.opset >= 13 else 1
    return quantize(ctx, node, x, scale, zp, out_et, axis, node.attr("block_size", 0))


@onnx_op("DequantizeLinear", since=10)
def dequantize_linear(ctx, node):
    x, scale, zp = node.input_required(0), node.input_required(1), node.input(2)
    axis = node.attr("axis", 1) if ctx.opset >= 13 else 1
    y = dequantize(ctx, node, x, scale, zp, axis, node.attr("block_size", 0))
    dt = node.attr("output_dtype", 0)
    if dt:
        y = ctx.convert(y, et_of_onnx(dt, node.describe()))
    return y


@onnx_op("DynamicQuantizeLinear", since=11)
def dynamic_quantize_linear(ctx, node):
    # scale = (max(0, max x) - min(0, min x)) / 255; zp = clamp(round(-min/scale)); y = clamp(round(x/scale) + zp)
    x = node.input_required(0)
    r = ctx.rank(x)
    if r is None:
        raise IrconvError("%s: needs a known input rank" % node.describe())
    axes = ctx.i64(list(range(r)))
    zero = ctx.const(0.0, x)
    mn = ctx.binary("Minimum", ctx.op1("ReduceMin", [x, axes], {"keep_dims": False}), zero)
    mx = ctx.binary("Maximum", ctx.op1("ReduceMax", [x, axes], {"keep_dims": False}), zero)
    scale = ctx.binary("Divide", ctx.binary("Subtract", mx, mn), ctx.const(255.0, x))
    rnd = {"mode": "half_to_even"}
    zp_f = ctx.op1("Clamp", [ctx.op1("Round", [ctx.binary("Divide", ctx.op1("Negative", [mn]), scale)], rnd,
                                     version="opset5")], {"min": 0.0, "max": 255.0})
    q = ctx.op1("Round", [ctx.binary("Divide", x, scale)], rnd, version="opset5")
    y = ctx.op1("Clamp", [ctx.binary("Add", q, zp_f)], {"min": 0.0, "max": 255.0})
    return [ctx.op1("Convert", [y], {"destination_type": "u8"}), scale,
            ctx.op1("Convert", [zp_f], {"destination_type": "u8"})]


# ---------------------------------------------------------------- integer / QLinear forms
def _minus_zp_f32(ctx, t, zp, axis=None, node=None):
    y = ctx.convert(t, "f32")
    if zp is not None:
        zv = ctx.value(zp)
        if zv is None or np.any(zv != 0):
            if axis is not None:
                zp = _broadcastable(ctx, node, zp, t, axis)
            y = ctx.binary("Subtract", y, ctx.convert(zp, "f32"))
    return y


def _round_to_i32(ctx, y):
    return ctx.op1("Convert", [ctx.op1("Round", [y], {"mode": "half_to_even"}, version="opset5")],
                   {"destination_type": "i32"})


@onnx_op("MatMulInteger", since=10)
def matmul_integer(ctx, node):
    a, b = node.input_required(0), node.input_required(1)
    a_zp, b_zp = node.input(2), node.input(3)
    if b_zp is not None and ctx.rank(b_zp) == 1 and (ctx.shape(b_zp) or [1])[0] != 1:
        b_zp = ctx.unsqueeze(b_zp, [0])  # per-column zero point of B [K, N]
    if a_zp is not None and ctx.rank(a_zp) == 1 and (ctx.shape(a_zp) or [1])[0] != 1:
        a_zp = ctx.unsqueeze(a_zp, [1])  # per-row zero point of A [M, K]
    y = ctx.op1("MatMul", [_minus_zp_f32(ctx, a, a_zp), _minus_zp_f32(ctx, b, b_zp)],
                {"transpose_a": False, "transpose_b": False})
    return _round_to_i32(ctx, y)


@onnx_op("ConvInteger", since=10)
def conv_integer(ctx, node):
    x, w = node.input_required(0), node.input_required(1)
    x_zp, w_zp = node.input(2), node.input(3)
    xf = _minus_zp_f32(ctx, x, x_zp)
    wf = _minus_zp_f32(ctx, w, w_zp, 0, node)
    y, n = convolution(ctx, node, xf, wf)
    return _round_to_i32(ctx, y)


@onnx_op("QLinearMatMul", since=10)
def qlinear_matmul(ctx, node):
    a, a_s, a_zp, b, b_s, b_zp, y_s, y_zp = (node.input_required(i) for i in range(8))
    af = dequantize(ctx, node, a, ctx.convert(a_s, "f32"), a_zp, -2)  # per row of A
    bf = dequantize(ctx, node, b, ctx.convert(b_s, "f32"), b_zp, -1)  # per column of B
    y = ctx.op1("MatMul", [af, bf], {"transpose_a": False, "transpose_b": False})
    return quantize(ctx, node, y, ctx.convert(y_s, "f32"), y_zp, ctx.et(y_zp), -1)


@onnx_op("QLinearConv", since=10)
def qlinear_conv(ctx, node):
    x, x_s, x_zp, w, w_s, w_zp, y_s, y_zp = (node.input_required(i) for i in range(8))
    b = node.input(8)
    xf = dequantize(ctx, node, x, ctx.convert(x_s, "f32"), x_zp, 1)
    wf = dequantize(ctx, node, w, ctx.convert(w_s, "f32"), w_zp, 0)
    y, n = convolution(ctx, node, xf, wf)
    if b is not None:
        # int32 bias quantized with scale x_s * w_s
        bs = ctx.binary("Multiply", ctx.convert(x_s, "f32"), ctx.convert(w_s, "f32"))
        bf = ctx.binary("Multiply", ctx.convert(b, "f32"), bs)
        bv = ctx.value(bf)
        shape = [1, -1] + [1] * n
        bf = ctx.const(bv.reshape(shape)) if bv is not None else ctx.reshape(bf, shape)
        y = ctx.binary("Add", y, bf)
    return quantize(ctx, node, y, ctx.convert(y_s, "f32"), y_zp, ctx.et(y_zp), 1)
