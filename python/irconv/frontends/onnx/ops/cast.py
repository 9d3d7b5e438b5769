"""Cast, CastLike and BitCast.

Casts to the float 8 types follow ONNX's saturation rules (saturate=1: out-of-range values and
infinities clamp to the largest finite value) and FLOAT8E8M0 its round_mode (up / down /
nearest, on the power of two); OpenVINO's Convert alone overflows to NaN and rounds E8M0 to even.
BitCast reinterprets bits with exact integer / power-of-two arithmetic (OpenVINO has no bit
reinterpretation op)."""
from __future__ import annotations

import numpy as np

from irconv.errors import IrconvError

from ..loader import et_of_onnx
from ..registry import onnx_op

FLOAT_ETS = ("f16", "bf16", "f32", "f64")
F8_MAX = {"f8e4m3": 448.0, "f8e5m2": 57344.0}


def _select(ctx, c, a, b):
    return ctx.op1("Select", [c, a, b], {"auto_broadcast": "numpy"})


def _saturate(ctx, x, fmax: float):
    """clamp(x, -fmax, fmax) with NaN kept NaN."""
    c = ctx.op1("Clamp", [x], {"min": -fmax, "max": fmax})
    return _select(ctx, ctx.op1("IsNaN", [x], version="opset10"), x, c)


def count_le(ctx, a, bounds: np.ndarray):
    """How many of the ascending `bounds` are <= a, element-wise (i64): a binary search of
    ceil(log2(n + 1)) Gather / compare / Select steps (exact, any tensor size)."""
    n = int(bounds.size)
    table = ctx.const(np.concatenate([bounds[:1], bounds]).astype(bounds.dtype))   # table[j] = bounds[j-1]
    e = None
    step = 1
    while step * 2 <= n:
        step *= 2
    while step >= 1:
        cand = ctx.i64(step) if e is None else ctx.binary("Add", e, ctx.i64(step))
        ok = ctx.binary("GreaterEqual", a, ctx.gather(table, ctx.binary("Minimum", cand, ctx.i64(n))))
        if step > 1 or e is not None:
            ok = ctx.binary("LogicalAnd", ok, ctx.binary("LessEqual", cand, ctx.i64(n)))
        e = _select(ctx, ok, cand, ctx.i64(0) if e is None else e)
        step //= 2
    return e


def _to_e8m0(ctx, x, saturate: bool, round_mode: str):
    """ONNX's float -> FLOAT8E8M0 (a power of two 2^(e-127), e in 0..254; 255 = NaN) on the f32
    bits of |x|: down keeps the exponent, up adds one when there is a fraction, nearest adds one
    when the fraction is >= 1/2 (the guard bit); with saturate the top exponent never rounds up."""
    if round_mode not in ("up", "down", "nearest"):
        raise IrconvError("round_mode must be up, down or nearest, got '%s'" % round_mode)
    x = ctx.convert(x, "f32")
    a = ctx.op1("Abs", [x])
    # D = 2^floor(log2 a) for normal a: the bucket of a among 2^-126 .. 2^127
    bounds = np.ldexp(np.float32(1), np.arange(-126, 128)).astype(np.float32)
    e = count_le(ctx, a, bounds)                                    # 0 (subnormal/zero) .. 254
    pow2 = np.ldexp(np.float64(1), np.arange(-127, 128)).astype(np.float32)   # 2^(e-127), e = 0..254
    d = ctx.gather(ctx.const(pow2), e)
    normal = ctx.binary("Greater", e, ctx.i64(0))
    if round_mode == "down":
        up = None
    elif round_mode == "up":
        # normal: a fraction above D; subnormal: any non-zero value
        up = _select(ctx, normal, ctx.binary("Greater", a, d), ctx.binary("Greater", a, ctx.const(0.0, "f32")))
    else:
        # guard bit set: a >= 1.5 D (normal); subnormal: mantissa > 2^-127 exactly needs more
        # than the guard bit alone (round, sticky, lsb=0)
        up = _select(ctx, normal, ctx.binary("GreaterEqual", a, ctx.binary("Multiply", d, ctx.const(1.5, "f32"))),
                     ctx.binary("Greater", a, ctx.const(np.float32(2.0 ** -127), "f32")))
    y = d
    if up is not None:
        top = ctx.binary("Equal", e, ctx.i64(254))
        y2 = _select(ctx, top, ctx.const(np.nan if not saturate else np.float32(2.0 ** 127), "f32"),
                     ctx.binary("Multiply", d, ctx.const(2.0, "f32")))
        y = _select(ctx, up, y2, d)
    special = ctx.binary("LogicalOr", ctx.op1("IsNaN", [x], version="opset10"),
                         ctx.op1("IsInf", [x], version="opset10"))
    y = _select(ctx, special, ctx.const(np.float32(np.nan), "f32"), y)
    return ctx.op1("Convert", [y], {"destination_type": "f8e8m0"})


def cast_to(ctx, node, x, et, saturate: bool = True, round_mode: str = "up"):
    if et == "string":
        raise IrconvError("%s: casting to string is not supported" % node.describe())
    src = ctx.et(x)
    if src == et:
        return x
    if et in F8_MAX and src in FLOAT_ETS and saturate:
        x = _saturate(ctx, x, F8_MAX[et])
    elif et == "f8e8m0" and src in FLOAT_ETS:
        return _to_e8m0(ctx, x, saturate, round_mode)
    elif et == "u2" and src != "boolean":
        # 2-bit targets keep the low bits (as ml_dtypes' and numpy's integer conversions do)
        x = ctx.op1("BitwiseAnd", [ctx.convert(x, "i32"), ctx.const(np.array(3, np.int32))],
                    {"auto_broadcast": "numpy"}, version="opset13")
    elif et == "f4e2m1" and src in FLOAT_ETS:
        # ONNX: |x| > 6 and +-inf saturate to +-6, NaN becomes 6 (float4 has no NaN / inf)
        x = _select(ctx, ctx.op1("IsNaN", [x], version="opset10"), ctx.const(6.0, x),
                    ctx.op1("Clamp", [x], {"min": -6.0, "max": 6.0}))
    return ctx.op1("Convert", [x], {"destination_type": et})


def _cast_attrs(node):
    return bool(node.attr("saturate", 1)), node.attr("round_mode", "up")


@onnx_op("Cast")
def cast(ctx, node):
    x = node.input_required(0)
    to = node.attr_required("to")
    if isinstance(to, str):  # opset 1-5 used type names
        import onnx
        to = getattr(onnx.TensorProto, to.upper())
    return cast_to(ctx, node, x, et_of_onnx(to, node.describe()), *_cast_attrs(node))


@onnx_op("CastLike", since=15)
def cast_like(ctx, node):
    x, like = node.input_required(0), node.input_required(1)
    return cast_to(ctx, node, x, ctx.et(like), *_cast_attrs(node))


# ---------------------------------------------------------------- BitCast
INT_BITS = {"i8": 8, "u8": 8, "i16": 16, "u16": 16, "i32": 32, "u32": 32, "i64": 64, "u64": 64}
# IEEE binary formats: (width, exponent bits, mantissa bits)
FLOAT_FMT = {"f16": (16, 5, 10), "bf16": (16, 8, 7), "f32": (32, 8, 23)}
SIGNED_OF = {16: "i16", 32: "i32"}


def _i32(ctx, v):
    return ctx.const(np.array(v, np.int32))


def _bitop(ctx, op, a, b):
    return ctx.op1(op, [a, b], {"auto_broadcast": "numpy"}, version="opset15" if "Shift" in op else "opset13")


def _float_bits(ctx, x, fmt):
    """Bits of an IEEE float tensor as a sign-extended i32 of the w-bit pattern: exponent = bucket
    of |x| among the powers of two, mantissa = (|x| / 2^e - 1) * 2^m (exact), assembled with
    shifts and ORs (integer adds may run in f32 on the CPU plugin). NaN gives the quiet NaN."""
    w, eb, mb = fmt
    bias = (1 << (eb - 1)) - 1
    emax = (1 << eb) - 1
    xf = ctx.convert(x, "f32")
    a = ctx.op1("Abs", [xf])
    bounds = np.ldexp(np.float64(1), np.arange(1 - bias, emax - bias)).astype(np.float32)  # e = 1 .. emax-1
    e = ctx.convert(count_le(ctx, a, bounds), "i32")
    # frac = |x| / 2^k, k = e - bias (1 - bias for subnormals), as two multiplications by normal
    # powers of two (a division may use a reciprocal, and 2^-127 would flush to zero)
    k = np.arange(0, emax) - bias
    k[0] = 1 - bias
    t1 = ctx.const(np.ldexp(np.float64(1), -(k - k // 2)).astype(np.float32))
    t2 = ctx.const(np.ldexp(np.float64(1), -(k // 2)).astype(np.float32))
    frac = ctx.binary("Multiply", ctx.binary("Multiply", a, ctx.gather(t1, e)), ctx.gather(t2, e))
    frac = _select(ctx, ctx.binary("Greater", e, _i32(ctx, 0)), ctx.binary("Subtract", frac, ctx.const(1.0, "f32")),
                   frac)
    m = ctx.convert(ctx.binary("Multiply", frac, ctx.const(float(1 << mb), "f32")), "i32")
    bits = _bitop(ctx, "BitwiseOr", _bitop(ctx, "BitwiseLeftShift", e, _i32(ctx, mb)), m)
    # patterns are combined with masks, not Select: the CPU plugin may run a Select fused with
    # float ops in f32, which rounds i32 values above 2^24
    bits = _put(ctx, bits, ctx.op1("IsInf", [xf], version="opset10"), emax << mb)
    # sign: x < 0, or x = -0 (1 / -0 = -inf); the top bit of the w-bit pattern, sign-extended
    neg = ctx.binary("LogicalOr", ctx.binary("Less", xf, ctx.const(0.0, "f32")),
                     ctx.binary("Less", ctx.binary("Divide", ctx.const(1.0, "f32"), xf), ctx.const(0.0, "f32")))
    bits = _bitop(ctx, "BitwiseOr", bits, _bitop(ctx, "BitwiseAnd", _mask(ctx, neg), _i32(ctx, -(1 << (w - 1)))))
    return _put(ctx, bits, ctx.op1("IsNaN", [xf], version="opset10"), (emax << mb) | (1 << (mb - 1)))


def _mask(ctx, cond):
    """bool -> i32 all ones (true) / zero (false)."""
    return ctx.op1("Negative", [ctx.convert(cond, "i32")])


def _put(ctx, bits, cond, value: int):
    """Where cond: the constant pattern value, else bits (with bitwise ops only)."""
    m = _mask(ctx, cond)
    keep = _bitop(ctx, "BitwiseAnd", bits, ctx.op1("BitwiseNot", [m], version="opset13"))
    return _bitop(ctx, "BitwiseOr", keep, _bitop(ctx, "BitwiseAnd", m, _i32(ctx, value)))


def _bits_float(ctx, s, fmt, et):
    """w-bit pattern as a sign-extended i32 -> IEEE float tensor of element type et."""
    w, eb, mb = fmt
    bias = (1 << (eb - 1)) - 1
    emax = (1 << eb) - 1
    neg = ctx.binary("Less", s, _i32(ctx, 0))
    mag = _bitop(ctx, "BitwiseAnd", s, _i32(ctx, (1 << (w - 1)) - 1))          # clear the sign bit
    e = _bitop(ctx, "BitwiseRightShift", mag, _i32(ctx, mb))
    m = _bitop(ctx, "BitwiseAnd", mag, _i32(ctx, (1 << mb) - 1))
    scale = np.ldexp(np.float64(1), np.minimum(np.arange(0, emax + 1) - bias, 127)).astype(np.float32)
    scale[0] = np.float32(np.ldexp(1.0, 1 - bias))
    d = ctx.gather(ctx.const(scale), e)
    mf = ctx.binary("Multiply", ctx.convert(m, "f32"), ctx.const(float(2.0 ** -mb), "f32"))
    lead = ctx.convert(ctx.binary("Greater", e, _i32(ctx, 0)), "f32")        # implicit leading 1
    v = ctx.binary("Multiply", ctx.binary("Add", lead, mf), d)
    special = _select(ctx, ctx.binary("Equal", m, _i32(ctx, 0)), ctx.const(np.float32(np.inf), "f32"),
                      ctx.const(np.float32(np.nan), "f32"))
    v = _select(ctx, ctx.binary("Equal", e, _i32(ctx, emax)), special, v)
    v = _select(ctx, neg, ctx.op1("Negative", [v]), v)
    return ctx.convert(v, et)


def _sign_extended(ctx, x, w):
    """A w-bit integer tensor's bit pattern as a sign-extended i32."""
    s = ctx.convert(x, "i32")
    if ctx.et(x).startswith("u") and w < 32:
        top = _bitop(ctx, "BitwiseAnd", s, _i32(ctx, 1 << (w - 1)))
        s = _select(ctx, ctx.binary("NotEqual", top, _i32(ctx, 0)),
                    _bitop(ctx, "BitwiseOr", s, _i32(ctx, -(1 << w))), s)
    return s


@onnx_op("BitCast", since=26)
def bit_cast(ctx, node):
    x = node.input_required(0)
    src, dst = ctx.et(x), et_of_onnx(node.attr_required("to"), node.describe())
    if src == dst:
        return x
    if "string" in (src, dst):
        raise IrconvError("%s: BitCast from or to string is not allowed" % node.describe())
    if "boolean" in (src, dst):
        other = dst if src == "boolean" else src
        if INT_BITS.get(other) != 8:
            raise IrconvError("%s: BitCast between bool and %s: the widths differ" % (node.describe(), other))
        return ctx.op1("Convert", [x], {"destination_type": dst})   # bool is the byte 0 / 1
    sw = INT_BITS.get(src) or (FLOAT_FMT[src][0] if src in FLOAT_FMT else None)
    dw = INT_BITS.get(dst) or (FLOAT_FMT[dst][0] if dst in FLOAT_FMT else None)
    if sw is None or dw is None:
        raise IrconvError("%s: BitCast from %s to %s is not supported" % (node.describe(), src, dst))
    if sw != dw:
        raise IrconvError("%s: BitCast from %s to %s: the widths differ" % (node.describe(), src, dst))
    if src in INT_BITS and dst in INT_BITS:
        # same width: Convert is the modulo-2^w reinterpretation
        return ctx.op1("Convert", [x], {"destination_type": dst})
    if src in FLOAT_FMT and dst in FLOAT_FMT:           # f16 <-> bf16
        return _bits_float(ctx, _float_bits(ctx, x, FLOAT_FMT[src]), FLOAT_FMT[dst], dst)
    if sw not in SIGNED_OF:
        raise IrconvError("%s: BitCast of %d-bit types (%s to %s) is not supported"
                          % (node.describe(), sw, src, dst))
    if src in FLOAT_FMT:
        bits = _float_bits(ctx, x, FLOAT_FMT[src])
        if dst.startswith("u") and sw < 32:
            bits = _bitop(ctx, "BitwiseAnd", bits, _i32(ctx, (1 << sw) - 1))
        return ctx.convert(bits, dst)
    return _bits_float(ctx, _sign_extended(ctx, x, sw), FLOAT_FMT[dst], dst)
