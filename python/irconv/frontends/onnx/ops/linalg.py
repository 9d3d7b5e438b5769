"""Det and CumProd: ONNX ops without an OpenVINO counterpart, decomposed exactly.

Det: Gaussian elimination with partial pivoting, unrolled over the (static) matrix size M:
det = (-1)^swaps * prod(pivots). CumProd: a Hillis-Steele scan (ceil(log2 L) multiplications of
the tensor by itself shifted by 1, 2, 4, ... along the axis), for a static axis length L; an
axis known only at run time selects among the scans along every axis."""
from __future__ import annotations

import numpy as np

from irconv.errors import IrconvError

from ..registry import onnx_op


def _sel(ctx, cond, a, b):
    return ctx.op1("Select", [cond, a, b], {"auto_broadcast": "numpy"})


# ---------------------------------------------------------------- Det
@onnx_op("Det", since=11)
def det(ctx, node):
    a = node.input_required(0)
    s = ctx.shape(a)
    if s is None or len(s) < 2 or s[-1] < 0 or s[-2] < 0:
        raise IrconvError("%s: needs a static matrix size (input [..., M, M] with static M), got %s"
                          % (node.describe(), s))
    if s[-1] != s[-2]:
        raise IrconvError("%s: the matrices must be square, got %s" % (node.describe(), s))
    if ctx.et(a) not in ("f16", "f32", "f64", "bf16"):
        raise IrconvError("%s: the input must be a floating-point tensor, got %s" % (node.describe(), ctx.et(a)))
    m, nb = s[-1], len(s) - 2
    if m == 0:
        raise IrconvError("%s: empty matrices are not supported" % node.describe())
    rng = ctx.const(np.arange(m, dtype=np.int64))
    one, zero = ctx.const(1, a), ctx.const(0, a)
    prod = None
    sign = None
    for k in range(m):
        if k < m - 1:
            # pivot: the row >= k with the largest |A[i, k]|
            col = ctx.gather(a, [k], axis=nb + 1)  # [..., M, 1]
            col = ctx.squeeze(col, [nb + 1])      # [..., M]
            score = _sel(ctx, ctx.const(np.arange(m) >= k), ctx.op1("Abs", [col]), ctx.const(-1, a))
            p = ctx.op("TopK", [score, ctx.const(np.array(1, np.int64))],
                       {"axis": -1, "mode": "max", "sort": "value", "index_element_type": "i64", "stable": True},
                       version="opset11").output(1)  # [..., 1]
            kk = ctx.const(np.array(k, np.int64))
            perm = _sel(ctx, ctx.binary("Equal", rng, kk), p, _sel(ctx, ctx.binary("Equal", rng, p), kk, rng))
            a = ctx.op1("Gather", [a, perm, np.asarray(nb, np.int64)], {"batch_dims": nb}, version="opset8")
            flip = _sel(ctx, ctx.binary("Equal", p, kk), one, ctx.const(-1, a))  # [..., 1]
            sign = flip if sign is None else ctx.binary("Multiply", sign, flip)
        row = ctx.gather(a, [k], axis=nb)            # [..., 1, M]
        piv = ctx.gather(row, [k], axis=nb + 1)      # [..., 1, 1]
        prod = piv if prod is None else ctx.binary("Multiply", prod, piv)
        if k < m - 1:
            safe = _sel(ctx, ctx.binary("Equal", piv, zero), one, piv)  # a zero pivot column is all zeros
            below = ctx.const((np.arange(m) > k).astype(np.float32).reshape(m, 1), a)
            f = ctx.binary("Multiply", ctx.binary("Divide", ctx.gather(a, [k], axis=nb + 1), safe), below)
            a = ctx.binary("Subtract", a, ctx.binary("Multiply", f, row))
    res = ctx.squeeze(prod, [nb, nb + 1])
    if sign is not None:
        res = ctx.binary("Multiply", res, ctx.squeeze(sign, [nb]))
    return res


# ---------------------------------------------------------------- CumProd
def _ones_like_slice(ctx, x, axis, length):
    """Ones shaped like x with dimension `axis` = length."""
    sl = ctx.op1("Slice", [x, ctx.i64([0]), ctx.i64([length]), ctx.i64([1]), ctx.i64([axis])], version="opset8")
    s = ctx.static_shape(sl)
    shape = ctx.i64(s) if s is not None else ctx.shape_of(sl)
    return ctx.op1("Broadcast", [ctx.const(1, x), shape], {"mode": "numpy"}, version="opset3")


def _shift(ctx, x, axis, n, by):
    """x shifted by `by` along axis (static length n), the first `by` positions filled with ones."""
    head = _ones_like_slice(ctx, x, axis, by)
    body = ctx.op1("Slice", [x, ctx.i64([0]), ctx.i64([n - by]), ctx.i64([1]), ctx.i64([axis])], version="opset8")
    return ctx.concat([head, body], axis)


def _cumprod_axis(ctx, node, x, axis, exclusive, reverse):
    n = ctx.shape(x)[axis]
    if n < 0:
        raise IrconvError("%s: needs a static length along the axis, got shape %s" % (node.describe(), ctx.shape(x)))
    if n == 0:
        return x
    if reverse:
        x = ctx.op1("Reverse", [x, ctx.i64([axis])], {"mode": "index"})
    if exclusive:
        x = _shift(ctx, x, axis, n, 1)
    step = 1
    while step < n:
        x = ctx.binary("Multiply", x, _shift(ctx, x, axis, n, step))
        step *= 2
    if reverse:
        x = ctx.op1("Reverse", [x, ctx.i64([axis])], {"mode": "index"})
    return x


@onnx_op("CumProd", since=26)
def cumprod(ctx, node):
    x = node.input_required(0)
    axis_in = node.input_required(1)
    exclusive = bool(node.attr("exclusive", 0))
    reverse = bool(node.attr("reverse", 0))
    r = ctx.rank(x)
    v = ctx.value(axis_in)
    if v is not None:
        if r is None:
            raise IrconvError("%s: needs an input of known rank" % node.describe())
        return _cumprod_axis(ctx, node, x, ctx.norm_axis(int(np.asarray(v).reshape(-1)[0]), r), exclusive, reverse)
    # axis known at run time: the scan along each axis, the one asked for selected
    s = ctx.static_shape(x)
    if s is None:
        raise IrconvError("%s: an axis given at run time needs a static input shape, got %s"
                          % (node.describe(), ctx.shape(x)))
    if r == 0:
        return x
    a = ctx.to_scalar(ctx.convert(axis_in, "i64"))
    a = _sel(ctx, ctx.binary("Less", a, ctx.const(np.array(0, np.int64))),
             ctx.binary("Add", a, ctx.const(np.array(r, np.int64))), a)
    out = _cumprod_axis(ctx, node, x, r - 1, exclusive, reverse)
    for k in range(r - 2, -1, -1):
        cand = _cumprod_axis(ctx, node, x, k, exclusive, reverse)
        out = _sel(ctx, ctx.binary("Equal", a, ctx.const(np.array(k, np.int64))), cand, out)
    return out
