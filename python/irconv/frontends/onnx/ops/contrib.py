"""com.microsoft contrib ops that ONNX Runtime's optimizers and exporters put into models
(transformer fusions, weight-only quantized MatMul), plus SimplifiedLayerNormalization which ONNX
Runtime registers in the default domain."""
from __future__ import annotations

import numpy as np

from irconv.errors import IrconvError

from ..loader import RawConst
from ..registry import onnx_op
from .conv import add_channel_bias, conv_attrs, grouped_weights, spatial_rank

MS = "com.microsoft"


def _gelu(ctx, x, mode="erf"):
    return ctx.op1("Gelu", [x], {"approximation_mode": mode}, version="opset7")


@onnx_op("Gelu", domain=MS)
def ms_gelu(ctx, node):
    return _gelu(ctx, node.input_required(0))


@onnx_op("BiasGelu", domain=MS)
def ms_bias_gelu(ctx, node):
    return _gelu(ctx, ctx.binary("Add", node.input_required(0), node.input_required(1)))


@onnx_op("FastGelu", domain=MS)
def ms_fast_gelu(ctx, node):
    x, b = node.input_required(0), node.input(1)
    if b is not None:
        x = ctx.binary("Add", x, b)
    return _gelu(ctx, x, "tanh")


@onnx_op("QuickGelu", domain=MS)
def ms_quick_gelu(ctx, node):
    # x * sigmoid(alpha * x)
    x = node.input_required(0)
    return ctx.op1("Swish", [x, ctx.const(node.attr("alpha", 1.702), x)], version="opset4")


def _last_axis_norm(ctx, x, gamma, beta, eps, rms):
    axes = ctx.i64([-1])
    if rms:
        ms = ctx.op1("ReduceMean", [ctx.binary("Multiply", x, x), axes], {"keep_dims": True})
        y = ctx.binary("Divide", x, ctx.op1("Sqrt", [ctx.binary("Add", ms, ctx.const(eps, ms))]))
    else:
        y = ctx.op1("MVN", [x, axes], {"normalize_variance": True, "eps": float(eps), "eps_mode": "inside_sqrt"},
                    version="opset6")
    y = ctx.binary("Multiply", y, ctx.convert_like(gamma, x))
    if beta is not None:
        y = ctx.binary("Add", y, ctx.convert_like(beta, x))
    return y


def _skip_norm(rms):
    def translate(ctx, node):
        # s = input + skip (+ bias); y = norm(s) * gamma (+ beta); the 4th output is s
        x, skip, gamma = node.input_required(0), node.input_required(1), node.input_required(2)
        if rms:
            beta, bias = None, node.input(3)
        else:
            beta, bias = node.input(3), node.input(4)
        s = ctx.binary("Add", x, skip)
        if bias is not None:
            s = ctx.binary("Add", s, bias)
        for i in (1, 2):
            if node.output_used(i):
                raise IrconvError("%s: the mean / inv_std_var outputs are not supported" % node.describe())
        y = _last_axis_norm(ctx, s, gamma, beta, node.attr("epsilon", 1e-5), rms)
        return [y, None, None, s]
    return translate


onnx_op("SkipLayerNormalization", domain=MS)(_skip_norm(False))
onnx_op("SkipSimplifiedLayerNormalization", domain=MS)(_skip_norm(True))


@onnx_op("SimplifiedLayerNormalization")
def simplified_layer_norm(ctx, node):
    # RMS norm over [axis..] (ONNX Runtime registers it in the default domain)
    x, gamma = node.input_required(0), node.input_required(1)
    axis = node.attr("axis", -1)
    r = ctx.rank(x)
    if axis != -1 and r is None:
        raise IrconvError("%s: needs a known input rank" % node.describe())
    axes = ctx.i64([-1] if axis == -1 else list(range(ctx.norm_axis(axis, r), r)))
    eps = node.attr("epsilon", 1e-5)
    ms = ctx.op1("ReduceMean", [ctx.binary("Multiply", x, x), axes], {"keep_dims": True})
    y = ctx.binary("Divide", x, ctx.op1("Sqrt", [ctx.binary("Add", ms, ctx.const(eps, ms))]))
    return [ctx.binary("Multiply", y, ctx.convert_like(gamma, x))] + [None] * (len(node.outputs) - 1)


@onnx_op("FusedMatMul", domain=MS)
def fused_matmul(ctx, node):
    # alpha * op(A) @ op(B); transBatch* move the batch dims, which is not supported here
    a, b = node.input_required(0), node.input_required(1)
    if node.attr("transBatchA", 0) or node.attr("transBatchB", 0):
        raise IrconvError("%s: transBatchA/transBatchB are not supported" % node.describe())
    y = ctx.op1("MatMul", [a, b], {"transpose_a": bool(node.attr("transA", 0)),
                                   "transpose_b": bool(node.attr("transB", 0))})
    alpha = node.attr("alpha", 1.0)
    if alpha != 1.0:
        y = ctx.binary("Multiply", y, ctx.const(alpha, y))
    return y


_FUSED_ACT = {"Relu": "ReLU", "Sigmoid": "Sigmoid", "Tanh": "Tanh"}


@onnx_op("FusedConv", domain=MS)
def fused_conv(ctx, node):
    # Conv (+ Z) + activation
    x, w, b, z = node.input_required(0), node.input_required(1), node.input(2), node.input(3)
    n = spatial_rank(ctx, node, x, w)
    attrs = conv_attrs(node, n)
    group = node.attr("group", 1)
    if group == 1:
        y = ctx.op1("Convolution", [x, ctx.convert_like(w, x)], attrs)
    else:
        y = ctx.op1("GroupConvolution", [x, grouped_weights(ctx, ctx.convert_like(w, x), group)], attrs)
    if b is not None:
        y = add_channel_bias(ctx, y, b, n)
    if z is not None:
        y = ctx.binary("Add", y, z)
    act = node.attr("activation", "")
    params = node.attr("activation_params") or []
    if not act:
        return y
    if act in _FUSED_ACT:
        return ctx.op1(_FUSED_ACT[act], [y])
    if act == "LeakyRelu":
        return ctx.op1("PReLU", [y, ctx.const([params[0] if params else 0.01], y)])
    if act == "Clip":
        f = np.finfo(np.float32)
        lo, hi = params[:2] if len(params) >= 2 else (float(f.min), float(f.max))
        return ctx.op1("Clamp", [y], {"min": float(lo), "max": float(hi)})
    if act == "HardSigmoid":
        a, bb = params[:2] if len(params) >= 2 else (0.2, 0.5)
        return ctx.op1("HardSigmoid", [y, ctx.const(a, y), ctx.const(bb, y)])
    raise IrconvError("%s: activation '%s' is not supported" % (node.describe(), act))


@onnx_op("MatMulNBits", domain=MS)
def matmul_nbits(ctx, node):
    """Y = A @ dequant(B)^T (+ bias); B holds N rows of ceil(K/block) blocks of `bits`-bit values
    (low bits first). The weights stay packed: Const(u4/u8) -> Convert -> Subtract(zero point) ->
    Multiply(scale) -> Reshape, the Converts marked as decompression."""
    a, b, scales = node.input_required(0), node.input_required(1), node.input_required(2)
    zp, g_idx, bias = node.input(3), node.input(4), node.input(5)
    k, n = node.attr_required("K"), node.attr_required("N")
    bits, block = node.attr("bits", 4), node.attr_required("block_size")
    if bits not in (4, 8):
        raise IrconvError("%s: bits=%d is not supported (4 or 8)" % (node.describe(), bits))
    if g_idx is not None:
        gv = ctx.value(g_idx)
        if gv is None or not np.array_equal(gv.reshape(-1), np.arange(k) // block):
            raise IrconvError("%s: act-order g_idx is not supported" % node.describe())
    bv = ctx.value(b)
    if bv is None:
        raise IrconvError("%s: the quantized weights B must be constant" % node.describe())
    n_blocks = (k + block - 1) // block
    et = ctx.et(a)
    packed = np.ascontiguousarray(bv, dtype=np.uint8)
    if bits == 4:
        q = ctx.const(RawConst("u4", [n, n_blocks, block], packed.reshape(-1)))
    else:
        q = ctx.const(packed.reshape(n, n_blocks, block))
    cq = ctx.op("Convert", [q], {"destination_type": et})
    cq.add_rt_info("decompression", "0")
    w = cq.output(0)
    if zp is None:
        w = ctx.binary("Subtract", w, ctx.const(float(2 ** (bits - 1)), w))
    else:
        zv = ctx.value(zp)
        if zv is not None and zv.dtype == np.uint8:
            if bits == 4:
                per_row = (n_blocks + 1) // 2
                z = zv.reshape(n, per_row)
                nib = np.stack([z & 0x0F, z >> 4], axis=-1).reshape(n, per_row * 2)[:, :n_blocks]
                zc = ctx.const(RawConst("u4", [n, n_blocks, 1], _pack_u4(nib.reshape(-1))))
            else:
                zc = ctx.const(zv.reshape(n, n_blocks, 1))
            cz = ctx.op("Convert", [zc], {"destination_type": et})
            cz.add_rt_info("decompression", "0")
            w = ctx.binary("Subtract", w, cz.output(0))
        elif zv is None and ctx.et(zp) == "u8":
            raise IrconvError("%s: packed zero points must be constant" % node.describe())
        else:
            w = ctx.binary("Subtract", w, ctx.reshape(ctx.convert_like(zp, w), [n, n_blocks, 1]))
    sv = ctx.value(scales)
    s = ctx.const(sv.reshape(n, n_blocks, 1)) if sv is not None else ctx.reshape(scales, [n, n_blocks, 1])
    w = ctx.binary("Multiply", w, ctx.convert_like(s, w))
    w = ctx.reshape(w, [n, n_blocks * block])
    if n_blocks * block != k:
        w = ctx.op1("Slice", [w, ctx.i64([0]), ctx.i64([k]), ctx.i64([1]), ctx.i64([1])], version="opset8")
    y = ctx.op1("MatMul", [a, w], {"transpose_a": False, "transpose_b": True})
    if bias is not None:
        y = ctx.binary("Add", y, ctx.convert_like(bias, y))
    return y


def _pack_u4(vals: np.ndarray) -> bytes:
    v = np.asarray(vals, np.uint8) & 0x0F
    if v.size % 2:
        v = np.concatenate([v, np.zeros(1, np.uint8)])
    return (v[0::2] | (v[1::2] << 4)).astype(np.uint8).tobytes()
