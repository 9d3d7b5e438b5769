"""DFT, STFT, MelWeightMatrix.

ONNX keeps complex tensors as real tensors with a trailing dimension of 2 (or 1 for real
signals), as OpenVINO does; ONNX axes count that trailing dimension. DFT maps to OpenVINO's
DFT / IDFT / RDFT / IRDFT; an axis known only at run time is handled by swapping it with the
second-to-last dimension (a run-time Transpose), because OpenVINO's CPU plugin needs constant
axes for RDFT/IRDFT."""
from __future__ import annotations

import numpy as np

from irconv.errors import IrconvError

from ..loader import ET_TO_NP, et_of_onnx
from ..registry import onnx_op


def _i64_scalar(ctx, x):
    return ctx.to_scalar(ctx.convert(x, "i64"))


def _const_int(ctx, x):
    v = ctx.value(x)
    return None if v is None else int(np.asarray(v).reshape(-1)[0])


def _to_complex(ctx, x, r):
    """[..., 1] real (rank r) -> [..., 2] with a zero imaginary part."""
    pb = np.zeros(r, np.int64)
    pe = np.zeros(r, np.int64)
    pe[-1] = 1
    return ctx.op1("Pad", [x, pb, pe, ctx.const(0, x)], {"pad_mode": "constant"}, version="opset12")


def _dim(ctx, x, axis):
    """Dimension `axis` of x: a Python int when static, else a scalar i64 Output."""
    s = ctx.shape(x)
    if s is not None and s[axis] >= 0:
        return s[axis]
    return ctx.to_scalar(ctx.gather(ctx.shape_of(x), [axis]))


def _dft_at(ctx, x, a, length, inverse, onesided, last=None):
    """ONNX DFT of x ([..., 1|2]; `last` = that last dimension when x's shape does not say) along
    the non-negative static axis a; length: 1-D i64 Output or None."""
    if last is None:
        last = ctx.shape(x)[-1]
    if last not in (1, 2):
        raise IrconvError("%s: the last input dimension must be 1 (real) or 2 (complex), got %s"
                          % (ctx.node.describe(), last))
    real = last == 1
    r = len(ctx.shape(x))
    axes = ctx.i64([a])
    extra = [length] if length is not None else []
    if not inverse and onesided and real:
        xr = ctx.squeeze(x, [-1])
        if length is not None:  # OpenVINO's CPU RDFT does not zero-pad: pad to the length first
            xr = _fit(ctx, xr, a, r - 1, ctx.to_scalar(length), pad_only=True)
        return ctx.op1("RDFT", [xr, axes] + extra, version="opset9")
    xc = _to_complex(ctx, x, r) if real else x
    if inverse and onesided:
        if length is not None:  # irfft(n) reads the first n // 2 + 1 bins (zero-padded)
            n = ctx.to_scalar(length)
            bins = ctx.binary("Add", ctx.binary("Divide", n, ctx.const(np.array(2, np.int64))),
                              ctx.const(np.array(1, np.int64)))
            xc = _fit(ctx, xc, a, r, bins)
        return ctx.unsqueeze(ctx.op1("IRDFT", [xc, axes] + extra, version="opset9"), [-1])
    y = ctx.op1("IDFT" if inverse else "DFT", [xc, axes] + extra, version="opset7")
    if not inverse and onesided:  # complex input: the first n // 2 + 1 bins of the full transform
        n = _const_int(ctx, length) if length is not None else _dim(ctx, x, a)
        if length is not None and n is None:
            n = ctx.to_scalar(length)
        if isinstance(n, int):
            stop = ctx.i64([n // 2 + 1])
        else:
            half = ctx.binary("Divide", n, ctx.const(np.array(2, np.int64)))
            stop = ctx.unsqueeze(ctx.binary("Add", half, ctx.const(np.array(1, np.int64))), [0])
        y = ctx.op1("Slice", [y, ctx.i64([0]), stop, ctx.i64([1]), ctx.i64([a])], version="opset8")
    return y


def _fit(ctx, x, a, r, n, pad_only=False):
    """x (rank r) zero-padded at the end of axis a to at least n (scalar i64 Output) elements, and
    (unless pad_only) cut to n."""
    d = _dim(ctx, x, a)
    nv = _const_int(ctx, n)
    if isinstance(d, int) and nv is not None:
        if nv > d:
            pe = np.zeros(r, np.int64)
            pe[a] = nv - d
            x = ctx.op1("Pad", [x, np.zeros(r, np.int64), pe, ctx.const(0, x)], {"pad_mode": "constant"},
                        version="opset12")
        elif nv < d and not pad_only:
            x = ctx.op1("Slice", [x, ctx.i64([0]), ctx.i64([nv]), ctx.i64([1]), ctx.i64([a])], version="opset8")
        return x
    if isinstance(d, int):
        d = ctx.const(np.array(d, np.int64))
    extra = ctx.binary("Maximum", ctx.binary("Subtract", n, d), ctx.const(np.array(0, np.int64)))
    onehot = np.zeros(r, np.int64)
    onehot[a] = 1
    pe = ctx.binary("Multiply", ctx.const(onehot), extra)
    x = ctx.op1("Pad", [x, np.zeros(r, np.int64), pe, ctx.const(0, x)], {"pad_mode": "constant"}, version="opset12")
    if not pad_only:
        x = ctx.op1("Slice", [x, ctx.i64([0]), ctx.unsqueeze(n, [0]), ctx.i64([1]), ctx.i64([a])], version="opset8")
    return x


def _swap_perm(ctx, a, r):
    """Permutation (run-time) swapping dimension `a` (scalar i64 Output) with dimension r - 2."""
    rng = ctx.const(np.arange(r, dtype=np.int64))
    t = ctx.const(np.array(r - 2, np.int64))
    inner = ctx.op1("Select", [ctx.binary("Equal", rng, t), a, rng], {"auto_broadcast": "numpy"})
    return ctx.op1("Select", [ctx.binary("Equal", rng, a), t, inner], {"auto_broadcast": "numpy"})


def _dft(ctx, node, axis_attr=None):
    x = node.input_required(0)
    r = ctx.rank(x)
    if r is None or r < 2:
        raise IrconvError("%s: the input needs a static rank >= 2" % node.describe())
    s = ctx.shape(x)
    if s[-1] < 0:
        raise IrconvError("%s: the last input dimension (1 = real, 2 = complex) must be static" % node.describe())
    inverse = bool(node.attr("inverse", 0))
    onesided = bool(node.attr("onesided", 0))
    length = node.input(1)
    if length is not None:
        length = ctx.unsqueeze(_i64_scalar(ctx, length), [0])
    if axis_attr is not None:
        a = axis_attr
    elif node.has_input(2):
        a = _const_int(ctx, node.input(2))
    else:
        a = -2
    if a is not None:
        a = ctx.norm_axis(a, r)
        if a > r - 2:
            raise IrconvError("%s: axis %d is the complex dimension" % (node.describe(), a))
        return _dft_at(ctx, x, a, length, inverse, onesided)
    # axis known at run time only: move it to r - 2, transform there, move it back
    av = _i64_scalar(ctx, node.input(2))
    neg = ctx.binary("Less", av, ctx.const(np.array(0, np.int64)))
    av = ctx.op1("Select", [neg, ctx.binary("Add", av, ctx.const(np.array(r, np.int64))), av],
                 {"auto_broadcast": "numpy"})
    perm = _swap_perm(ctx, av, r)
    y = _dft_at(ctx, ctx.op1("Transpose", [x, perm]), r - 2, length, inverse, onesided, last=s[-1])
    return ctx.op1("Transpose", [y, perm])


@onnx_op("DFT", since=17, until=19)
def dft17(ctx, node):
    return _dft(ctx, node, axis_attr=node.attr("axis", 1))


@onnx_op("DFT", since=20)
def dft20(ctx, node):
    return _dft(ctx, node)


# ---------------------------------------------------------------- STFT
@onnx_op("STFT", since=17)
def stft(ctx, node):
    sig = node.input_required(0)
    step = _i64_scalar(ctx, node.input_required(1))
    window = node.input(2)
    flen = node.input(3)
    onesided = bool(node.attr("onesided", 1))
    s = ctx.shape(sig)
    if s is None or len(s) != 3 or s[-1] not in (1, 2):
        raise IrconvError("%s: the signal must be [batch, length, 1 or 2] with a static last dimension, got %s"
                          % (node.describe(), s))
    if flen is not None:
        fsize = _i64_scalar(ctx, flen)
    elif window is not None:
        ws = ctx.shape(window)
        fsize = ctx.const(np.array(ws[0], np.int64)) if ws and ws[0] >= 0 else \
            ctx.to_scalar(ctx.shape_of(window))
    else:
        raise IrconvError("%s: either window or frame_length is required" % node.describe())
    if s[-1] == 1 and onesided:
        if window is None:
            window = ctx.op1("Broadcast", [ctx.const(1, sig), ctx.unsqueeze(fsize, [0])], {"mode": "numpy"},
                             version="opset3")
        return ctx.op1("STFT", [ctx.squeeze(sig, [-1]), window, fsize, step], {"transpose_frames": False},
                       version="opset15")
    # complex signal or two-sided spectrum: frames by Gather, window, DFT along the frame axis
    length = ctx.to_scalar(ctx.gather(ctx.shape_of(sig), [1]))
    frames = ctx.binary("Add", ctx.binary("Divide", ctx.binary("Subtract", length, fsize), step),
                        ctx.const(np.array(1, np.int64)))
    zero, one = ctx.const(np.array(0, np.int64)), ctx.const(np.array(1, np.int64))
    starts = ctx.binary("Multiply", ctx.op1("Range", [zero, frames, one], {"output_type": "i64"}, version="opset4"),
                        step)
    offs = ctx.op1("Range", [zero, fsize, one], {"output_type": "i64"}, version="opset4")
    idx = ctx.binary("Add", ctx.unsqueeze(starts, [1]), ctx.unsqueeze(offs, [0]))  # [frames, fsize]
    fr = ctx.gather(sig, idx, axis=1)  # [batch, frames, fsize, 1|2]
    if window is not None:
        fr = ctx.binary("Multiply", fr, ctx.unsqueeze(ctx.convert_like(window, sig), [1]))
    return _dft_at(ctx, fr, 2, None, False, onesided)


# ---------------------------------------------------------------- MelWeightMatrix
def _mel_numpy(num_mel_bins, dft_length, sample_rate, lower, upper):
    """ONNX's reference algorithm (float64, as onnx.reference computes it)."""
    bins = dft_length // 2 + 1
    k = np.arange(0, num_mel_bins + 2)
    low = 2595 * np.log1p(np.float64(lower) / 700) / np.log(10)
    high = 2595 * np.log1p(np.float64(upper) / 700) / np.log(10)
    step = (high - low) / k.shape[0]
    f = 700 * np.expm1((k * step + low) / 2595 * np.log(10))
    f = (((dft_length + 1) * f) // sample_rate).astype(np.int64)
    out = np.zeros((bins, num_mel_bins))
    for i in range(num_mel_bins):
        lo, c, hi = f[i], f[i + 1], f[i + 2]
        if c == lo:
            out[c, i] = 1
        else:
            for j in range(lo, c + 1):
                out[j, i] = (j - lo) / (c - lo)
        if hi > c:
            for j in range(c, hi):
                out[j, i] = (hi - j) / (hi - c)
    return out


@onnx_op("MelWeightMatrix", since=17)
def mel_weight_matrix(ctx, node):
    et = et_of_onnx(node.attr("output_datatype", 1), node.describe())
    vals = [node.input_value(i) for i in range(5)]
    if all(v is not None for v in vals) and et in ET_TO_NP:
        nb, dl, sr = (int(np.asarray(v).reshape(-1)[0]) for v in vals[:3])
        lo, hi = (float(np.asarray(v).reshape(-1)[0]) for v in vals[3:])
        return ctx.const(_mel_numpy(nb, dl, sr, lo, hi).astype(ET_TO_NP[et]))
    f32 = lambda x: ctx.convert(ctx.to_scalar(x), "f32")  # noqa: E731
    nb = _i64_scalar(ctx, node.input_required(0))
    dl = _i64_scalar(ctx, node.input_required(1))
    sr = f32(node.input_required(2))
    lo, hi = f32(node.input_required(3)), f32(node.input_required(4))
    c = lambda v: ctx.const(np.array(v, np.float32))  # noqa: E731
    zero, one, two = (ctx.const(np.array(v, np.int64)) for v in (0, 1, 2))

    def mel(hz):  # 2595 * log10(1 + hz / 700)
        return ctx.binary("Multiply", ctx.op1("Log", [ctx.binary("Add", ctx.binary("Divide", hz, c(700.0)), c(1.0))]),
                          c(2595.0 / np.log(10)))

    nk = ctx.binary("Add", nb, two)
    k = ctx.convert(ctx.op1("Range", [zero, nk, one], {"output_type": "i64"}, version="opset4"), "f32")
    lmel = mel(lo)
    step = ctx.binary("Divide", ctx.binary("Subtract", mel(hi), lmel), ctx.convert(nk, "f32"))
    m = ctx.binary("Add", ctx.binary("Multiply", k, step), lmel)
    hz = ctx.binary("Multiply", ctx.binary("Subtract", ctx.op1("Exp", [ctx.binary("Multiply", m, c(np.log(10) / 2595))]),
                                           c(1.0)), c(700.0))
    fb = ctx.op1("Floor", [ctx.binary("Divide", ctx.binary("Multiply", ctx.convert(ctx.binary("Add", dl, one), "f32"), hz),
                                      sr)])
    # triangles: l = fb[i], c = fb[i+1], h = fb[i+2] for mel bin i; rows j = spectrogram bins
    nbins = ctx.binary("Add", ctx.binary("Divide", dl, two), one)
    j = ctx.unsqueeze(ctx.convert(ctx.op1("Range", [zero, nbins, one], {"output_type": "i64"}, version="opset4"),
                                  "f32"), [1])

    def part(start):
        stop = ctx.binary("Add", nb, ctx.const(np.array(start, np.int64)))
        sl = ctx.op1("Slice", [fb, ctx.i64([start]), ctx.unsqueeze(stop, [0]), ctx.i64([1]), ctx.i64([0])],
                     version="opset8")
        return ctx.unsqueeze(sl, [0])

    lo_b, c_b, hi_b = part(0), part(1), part(2)
    up = ctx.binary("Divide", ctx.binary("Subtract", j, lo_b),
                    ctx.binary("Maximum", ctx.binary("Subtract", c_b, lo_b), c(1.0)))
    down = ctx.binary("Divide", ctx.binary("Subtract", hi_b, j),
                      ctx.binary("Maximum", ctx.binary("Subtract", hi_b, c_b), c(1.0)))
    in_up = ctx.binary("LogicalAnd", ctx.binary("GreaterEqual", j, lo_b), ctx.binary("Less", j, c_b))
    in_down = ctx.binary("LogicalAnd", ctx.binary("Greater", j, c_b), ctx.binary("Less", j, hi_b))
    sel = lambda cond, a, b: ctx.op1("Select", [cond, a, b], {"auto_broadcast": "numpy"})  # noqa: E731
    w = sel(ctx.binary("Equal", j, c_b), c(1.0), sel(in_up, up, sel(in_down, down, c(0.0))))
    return ctx.convert(w, et)
