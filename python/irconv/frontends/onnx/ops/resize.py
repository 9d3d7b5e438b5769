"""Resize (opsets 10/11/13/18/19) and Upsample.

Most cases map onto Interpolate-11 exactly as OpenVINO's own ONNX frontend maps them. What
Interpolate cannot express is built from separable per-axis weight matrices computed here
(static shapes only): antialiasing (the OpenVINO CPU plugin ignores Interpolate's `antialias`),
cubic with exclude_outside=1, half_pixel_symmetric, tf_crop_and_resize (roi + extrapolation) and
keep_aspect_ratio_policy sizes whose rounding Interpolate cannot reproduce. The weights follow
ONNX Runtime's kernels (upsamplebase.h, upsample_antialias.h)."""
from __future__ import annotations

import math
from typing import List, Optional

import numpy as np

from irconv.errors import IrconvError

from ..registry import onnx_op

INTERP_CTM = {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn"}
FLOAT_ETS = ("f16", "bf16", "f32", "f64")


# ---------------------------------------------------------------- coordinate maths (numpy)
def original_coords(ctm: str, y: np.ndarray, scale: float, in_size: int, out_size: int,
                    roi_start: float = 0.0, roi_end: float = 1.0) -> np.ndarray:
    """Output index -> input coordinate (ONNX Resize coordinate_transformation_mode)."""
    y = np.asarray(y, np.float64)
    if ctm == "half_pixel":
        return (y + 0.5) / scale - 0.5
    if ctm == "asymmetric":
        return y / scale
    if ctm == "pytorch_half_pixel":
        return (y + 0.5) / scale - 0.5 if out_size > 1 else np.zeros_like(y)
    if ctm == "tf_half_pixel_for_nn":
        return (y + 0.5) / scale
    if ctm == "align_corners":
        return y * (in_size - 1) / (out_size - 1) if out_size > 1 else np.zeros_like(y)
    if ctm == "tf_crop_and_resize":
        if out_size > 1:
            return roi_start * (in_size - 1) + y * (roi_end - roi_start) * (in_size - 1) / (out_size - 1)
        return np.full_like(y, 0.5 * (roi_start + roi_end) * (in_size - 1))
    if ctm == "half_pixel_symmetric":
        adjustment = out_size / (scale * in_size)
        center = in_size / 2.0
        offset = center * (1 - adjustment)
        return offset + (y + 0.5) / scale - 0.5
    raise IrconvError("unknown coordinate_transformation_mode '%s'" % ctm)


def _cubic_kernel(x: np.ndarray, a: float) -> np.ndarray:
    x = np.abs(x)
    return np.where(x <= 1, ((a + 2) * x - (a + 3)) * x * x + 1,
                    np.where(x < 2, (((x - 5) * x + 8) * x - 4) * a, 0.0))


def nearest_index(x: np.ndarray, mode: str, downsample: bool) -> np.ndarray:
    f = np.floor(x)
    if mode == "round_prefer_floor":
        r = np.where(x - f == 0.5, f, np.round(x))
    elif mode == "round_prefer_ceil":
        r = np.where(x - f == 0.5, f + 1, np.round(x))
    elif mode == "floor":
        r = f
    elif mode == "ceil":
        r = np.ceil(x)
    elif mode == "simple":
        r = np.ceil(x) if downsample else np.trunc(x)
    else:
        raise IrconvError("unknown nearest_mode '%s'" % mode)
    return r.astype(np.int64)


def interp_weights(mode: str, in_size: int, out_size: int, scale: float, ctm: str, cubic_a: float,
                   exclude_outside: bool, roi=(0.0, 1.0)):
    """[out, in] weights of a linear/cubic resize along one axis (no antialias), and the mask of
    output positions that take the extrapolation value (tf_crop_and_resize)."""
    y = np.arange(out_size)
    x = original_coords(ctm, y, scale, in_size, out_size, *roi)
    extrap = (x < 0) | (x > in_size - 1) if ctm == "tf_crop_and_resize" else np.zeros(out_size, bool)
    w = np.zeros((out_size, in_size))
    rows = np.arange(out_size)
    if mode == "linear":
        xc = np.clip(x, 0, in_size - 1) if ctm != "tf_crop_and_resize" else x
        f = np.floor(xc)
        r = xc - f
        i0 = np.clip(f.astype(np.int64), 0, in_size - 1)
        i1 = np.clip(f.astype(np.int64) + 1, 0, in_size - 1)
        np.add.at(w, (rows, i0), 1 - r)
        np.add.at(w, (rows, i1), r)
    elif mode == "cubic":
        f = np.floor(x)
        r = x - f
        idx = f.astype(np.int64)[:, None] + np.arange(-1, 3)[None, :]
        coef = _cubic_kernel(np.stack([r + 1, r, 1 - r, 2 - r], axis=1), cubic_a)
        if exclude_outside:
            coef = np.where((idx < 0) | (idx >= in_size), 0.0, coef)
            s = coef.sum(axis=1, keepdims=True)
            coef = coef / np.where(s == 0, 1.0, s)
        np.add.at(w, (np.repeat(rows, 4), np.clip(idx, 0, in_size - 1).reshape(-1)), coef.reshape(-1))
    else:
        raise IrconvError("unknown mode '%s'" % mode)
    w[extrap] = 0.0
    return w, extrap


def antialias_weights(mode: str, in_size: int, out_size: int, rscale: float, ctm: str,
                      cubic_a: float, exclude_outside: bool, roi=(0.0, 1.0)):
    """[out, in] weights of ONNX Runtime's antialiased linear/cubic resize along one axis."""
    if mode == "linear":
        support_size = 2.0

        def filt(t):
            t = np.abs(t)
            return np.where(t < 1, 1 - t, 0.0)
    elif mode == "cubic":
        support_size = 4.0

        def filt(t):
            return _cubic_kernel(t, cubic_a) * (np.abs(t) < 2)
    else:
        raise IrconvError("antialias is only defined for linear and cubic modes")
    scale = 1.0 / rscale
    support = support_size * 0.5 * scale if scale >= 1.0 else support_size * 0.5
    window = int(math.ceil(support)) * 2 + 1
    inv_scale = 1.0 / scale if scale >= 1.0 else 1.0
    w = np.zeros((out_size, in_size))
    coords = original_coords(ctm, np.arange(out_size), rscale, in_size, out_size, *roi)
    for i in range(out_size):
        center = 0.5 + (float(i) if scale == 1.0 else float(coords[i]))
        xmin_real = int(math.floor(center - support + 0.5))
        xmax_real = int(math.floor(center + support + 0.5))
        xmax_real = xmin_real + min(max(xmax_real - xmin_real, 0), window)
        xmin_cut = min(max(xmin_real, 0), in_size)
        xmax_cut = min(max(xmax_real, 0), in_size)
        xmin, xmax = (xmin_cut, xmax_cut) if exclude_outside else (xmin_real, xmax_real)
        idx = np.arange(xmin, xmax)
        ws = filt((idx - center + 0.5) * inv_scale)
        total = ws.sum()
        if xmin_cut >= xmax_cut:
            continue
        inv = 1.0 / total if total != 0 else 1.0
        if not exclude_outside:
            np.add.at(w[i], np.clip(idx, 0, in_size - 1), ws * inv)
        else:
            w[i, xmin:xmax] = ws * inv
    return w


# ---------------------------------------------------------------- graph building
def _apply_axis_matrix(ctx, x, w: np.ndarray, axis: int, rank: int):
    wt = ctx.const(w.astype(np.float64), x)
    if axis == rank - 1:
        return ctx.op1("MatMul", [x, wt], {"transpose_a": False, "transpose_b": True})
    if axis == rank - 2:
        return ctx.op1("MatMul", [wt, x], {"transpose_a": False, "transpose_b": False})
    perm = [i for i in range(rank) if i != axis] + [axis]
    inv = list(np.argsort(perm))
    xt = ctx.op1("Transpose", [x, ctx.i64(perm)])
    y = ctx.op1("MatMul", [xt, wt], {"transpose_a": False, "transpose_b": True})
    return ctx.op1("Transpose", [y, ctx.i64(inv)])


def resize_static(ctx, node, x, axes: List[int], in_sizes: List[int], out_sizes: List[int],
                  scales: List[float], mode: str, ctm: str, nearest_mode: str, cubic_a: float,
                  exclude_outside: bool, antialias: bool, rois, extrapolation: float):
    """Separable resize with weights / indices computed at conversion time."""
    rank = ctx.rank(x)
    if mode != "nearest" and ctx.et(x) not in FLOAT_ETS:
        raise IrconvError("%s: %s resize of %s data needs Interpolate semantics it cannot express"
                          % (node.describe(), mode, ctx.et(x)))
    y = x
    masks = []
    for ax, n_in, n_out, sc, roi in zip(axes, in_sizes, out_sizes, scales, rois):
        if n_in == n_out and sc == 1.0 and ctm != "tf_crop_and_resize":
            continue
        if mode == "nearest":
            coords = original_coords(ctm, np.arange(n_out), sc, n_in, n_out, *roi)
            extrap = (coords < 0) | (coords > n_in - 1) if ctm == "tf_crop_and_resize" \
                else np.zeros(n_out, bool)
            idx = np.clip(nearest_index(coords, nearest_mode, sc < 1.0), 0, n_in - 1)
            y = ctx.gather(y, idx.astype(np.int64), ax)
        elif antialias:
            w = antialias_weights(mode, n_in, n_out, sc, ctm, cubic_a, exclude_outside, roi)
            extrap = np.zeros(n_out, bool)
            y = _apply_axis_matrix(ctx, y, w, ax, rank)
        else:
            w, extrap = interp_weights(mode, n_in, n_out, sc, ctm, cubic_a, exclude_outside, roi)
            y = _apply_axis_matrix(ctx, y, w, ax, rank)
        if extrap.any():
            shape = [1] * rank
            shape[ax] = n_out
            masks.append(extrap.reshape(shape))
    if masks:
        m = masks[0]
        for other in masks[1:]:
            m = m | other
        y = ctx.op1("Select", [ctx.const(m), ctx.const(extrapolation, x), y], {"auto_broadcast": "numpy"})
    return y


# ---------------------------------------------------------------- run-time weights (ONNX reference maths)
def _f32(ctx, v):
    return ctx.const(np.float32(v))


def _sel(ctx, c, a, b):
    return ctx.op1("Select", [c, a, b], {"auto_broadcast": "numpy"})


def _cubic_graph(ctx, t, a):
    """ONNX's cubic kernel of |t| (0 beyond 2), element-wise on an f32 tensor."""
    t = ctx.op1("Abs", [t])
    t2 = ctx.binary("Multiply", t, t)
    t3 = ctx.binary("Multiply", t2, t)
    near = ctx.binary("Add", ctx.binary("Subtract", ctx.binary("Multiply", t3, _f32(ctx, a + 2)),
                                        ctx.binary("Multiply", t2, _f32(ctx, a + 3))), _f32(ctx, 1.0))
    far = ctx.binary("Add", ctx.binary("Subtract", ctx.binary("Multiply", t3, _f32(ctx, a)),
                                       ctx.binary("Multiply", t2, _f32(ctx, 5 * a))),
                     ctx.binary("Subtract", ctx.binary("Multiply", t, _f32(ctx, 8 * a)), _f32(ctx, 4 * a)))
    out = _sel(ctx, ctx.binary("LessEqual", t, _f32(ctx, 1.0)), near,
               _sel(ctx, ctx.binary("Less", t, _f32(ctx, 2.0)), far, _f32(ctx, 0.0)))
    return out


def _axis_plan(ctx, mode, ctm, nearest_mode, cubic_a, exclude_outside, antialias, in_len, scale, out_int,
               roi):
    """One axis of ONNX's reference Resize with run-time scale / sizes / roi: returns (weights
    [out, in] f32 or None, gather indices [out] i64 or None (nearest), extrapolation mask [out]
    or None). in_len / out_int: i64 scalars; scale: f32 scalar; roi: (start, end) f32 scalars."""
    L = ctx.convert(in_len, "f32")
    out_f = ctx.binary("Multiply", scale, L)                        # fractional output length
    y = ctx.convert(ctx.op1("Range", [ctx.i64(0), out_int, ctx.i64(1)], {"output_type": "i64"},
                            version="opset4"), "f32")
    one, half = _f32(ctx, 1.0), _f32(ctx, 0.5)
    out_is_1 = ctx.binary("Equal", out_f, one)
    hp = ctx.binary("Subtract", ctx.binary("Divide", ctx.binary("Add", y, half), scale), half)
    extrap = None
    if ctm == "half_pixel":
        x = hp
    elif ctm == "asymmetric":
        x = ctx.binary("Divide", y, scale)
    elif ctm == "pytorch_half_pixel":
        x = _sel(ctx, out_is_1, _f32(ctx, -0.5), hp)
    elif ctm == "align_corners":
        x = _sel(ctx, out_is_1, _f32(ctx, 0.0),
                 ctx.binary("Divide", ctx.binary("Multiply", y, ctx.binary("Subtract", L, one)),
                            ctx.binary("Subtract", out_f, one)))
    elif ctm == "half_pixel_symmetric":
        adj = ctx.binary("Divide", ctx.convert(out_int, "f32"), out_f)
        offset = ctx.binary("Multiply", ctx.binary("Multiply", L, half), ctx.binary("Subtract", one, adj))
        x = ctx.binary("Add", offset, hp)
    elif ctm == "tf_crop_and_resize":
        r0, r1 = roi
        span = ctx.binary("Multiply", ctx.binary("Subtract", r1, r0), ctx.binary("Subtract", L, one))
        x = _sel(ctx, out_is_1, ctx.binary("Multiply", span, half),
                 ctx.binary("Divide", ctx.binary("Multiply", y, span), ctx.binary("Subtract", out_f, one)))
        x = ctx.binary("Add", x, ctx.binary("Multiply", r0, ctx.binary("Subtract", L, one)))
        extrap = ctx.binary("LogicalOr", ctx.binary("Less", x, _f32(ctx, 0.0)),
                            ctx.binary("Greater", x, ctx.binary("Subtract", L, one)))
    else:
        raise IrconvError("unknown coordinate_transformation_mode '%s'" % ctm)
    xf = ctx.op1("Floor", [x])
    is_int = ctx.binary("Equal", x, xf)
    ratio = _sel(ctx, is_int, one, ctx.binary("Subtract", x, xf))   # in (0, 1]: prefer the left pixel
    # taps: T of them (even), the first at floor(x) - T/2 (+1 unless x is an integer)
    if mode == "nearest":
        if nearest_mode == "round_prefer_floor":
            right = ctx.binary("Greater", ratio, half)
        elif nearest_mode == "round_prefer_ceil":
            right = ctx.binary("GreaterEqual", ratio, half)
        elif nearest_mode == "floor":
            right = ctx.binary("Equal", ratio, one)     # an integer x is the right tap of [x-1, x]
        elif nearest_mode == "ceil":
            right = ctx.const(np.array(True))
        else:
            raise IrconvError("nearest_mode '%s' is not defined for this coordinate mode" % nearest_mode)
        right = ctx.binary("LogicalOr", right, is_int)
        first = ctx.binary("Add", ctx.convert(xf, "i64"), _sel(ctx, is_int, ctx.i64(-1), ctx.i64(0)))
        idx = ctx.binary("Add", first, ctx.convert(right, "i64"))
        idx = ctx.binary("Minimum", ctx.binary("Maximum", idx, ctx.i64(0)), ctx.binary("Subtract", in_len, ctx.i64(1)))
        return None, idx, extrap
    r = ctx.unsqueeze(ratio, [1])                                     # [out, 1]
    if not antialias:
        taps = 2 if mode == "linear" else 4
        k = ctx.const(np.arange(taps, dtype=np.float32))
        if mode == "linear":
            # [1 - ratio, ratio] = 1 - |k - ratio|
            coef = ctx.binary("Subtract", one, ctx.op1("Abs", [ctx.binary("Subtract", k, r)]))
        else:
            # [K(ratio + 1), K(ratio), K(1 - ratio), K(2 - ratio)] = K(k - 1 - ratio)
            coef = _cubic_graph(ctx, ctx.binary("Subtract", ctx.binary("Subtract", k, one), r), cubic_a)
        t_count = ctx.i64(taps)
        k_i = ctx.i64(np.arange(taps, dtype=np.int64))
    else:
        sc = ctx.binary("Minimum", scale, one)
        support = 1.0 if mode == "linear" else 2.0
        start = ctx.binary("Add", ctx.op1("Floor", [ctx.binary("Divide", _f32(ctx, -support), sc)]), one)
        t_count = ctx.convert(ctx.binary("Subtract", _f32(ctx, 2.0), ctx.binary("Multiply", start, _f32(ctx, 2.0))),
                              "i64")
        k_i = ctx.op1("Range", [ctx.i64(0), t_count, ctx.i64(1)], {"output_type": "i64"}, version="opset4")
        pos = ctx.binary("Add", start, ctx.convert(k_i, "f32"))      # tap offsets start .. 1 - start
        args = ctx.binary("Multiply", ctx.binary("Subtract", pos, r), sc)
        if mode == "linear":
            coef = ctx.op1("Clamp", [ctx.binary("Subtract", one, ctx.op1("Abs", [args]))], {"min": 0.0, "max": 1.0})
        else:
            coef = _cubic_graph(ctx, args, cubic_a)
        coef = ctx.binary("Divide", coef, ctx.op1("ReduceSum", [coef, ctx.i64([1])], {"keep_dims": True}))
    half_t = ctx.op1("Divide", [t_count, ctx.i64(2)], {"auto_broadcast": "numpy", "m_pythondiv": True})
    first = ctx.binary("Subtract", ctx.binary("Add", ctx.convert(xf, "i64"),
                                               _sel(ctx, is_int, ctx.i64(0), ctx.i64(1))), half_t)
    idx = ctx.binary("Add", ctx.unsqueeze(first, [1]), k_i)           # [out, T]
    if exclude_outside:
        inside = ctx.binary("LogicalAnd", ctx.binary("GreaterEqual", idx, ctx.i64(0)), ctx.binary("Less", idx, in_len))
        coef = _sel(ctx, inside, coef, _f32(ctx, 0.0))
        total = ctx.op1("ReduceSum", [coef, ctx.i64([1])], {"keep_dims": True})
        coef = ctx.binary("Divide", coef, _sel(ctx, ctx.binary("Equal", total, _f32(ctx, 0.0)), one, total))
    idx = ctx.binary("Minimum", ctx.binary("Maximum", idx, ctx.i64(0)), ctx.binary("Subtract", in_len, ctx.i64(1)))
    hot = ctx.op1("OneHot", [idx, in_len, one, _f32(ctx, 0.0)], {"axis": -1})          # [out, T, in]
    w = ctx.op1("ReduceSum", [ctx.binary("Multiply", hot, ctx.unsqueeze(coef, [2])), ctx.i64([1])],
                {"keep_dims": False})                                                  # [out, in]
    return w, None, extrap


def _apply_axis_weights(ctx, x, w, axis: int, rank: int):
    """y[.., o, ..] = sum_i w[o, i] x[.., i, ..] along axis (w: f32 Output [out, in])."""
    if axis == rank - 1:
        return ctx.op1("MatMul", [x, w], {"transpose_a": False, "transpose_b": True})
    if axis == rank - 2:
        return ctx.op1("MatMul", [w, x], {"transpose_a": False, "transpose_b": False})
    perm = [i for i in range(rank) if i != axis] + [axis]
    inv = list(np.argsort(perm))
    y = ctx.op1("MatMul", [ctx.op1("Transpose", [x, ctx.i64(perm)]), w], {"transpose_a": False, "transpose_b": True})
    return ctx.op1("Transpose", [y, ctx.i64(inv)])


def resize_runtime(ctx, node, x, axes: List[int], scales, sizes, roi, mode, ctm, nearest_mode, cubic_a,
                   exclude_outside, antialias, keep_policy, extrapolation):
    """Resize as ONNX's reference defines it, with scales / sizes / roi (and input dims) known only
    at run time: per resized axis a weight matrix (or gather indices for nearest) built in the graph."""
    rank = ctx.rank(x)
    et = ctx.et(x)
    if mode != "nearest" and et not in FLOAT_ETS:
        raise IrconvError("%s: %s resize of %s data is not supported" % (node.describe(), mode, et))
    n = len(axes)
    shape = ctx.shape_of(x)
    in_lens = [ctx.gather(shape, a) for a in axes]
    if sizes is not None:
        sz = ctx.convert(sizes, "i64")
        sz_f = ctx.convert(sz, "f32")
        ratios = [ctx.binary("Divide", ctx.gather(sz_f, i), ctx.convert(in_lens[i], "f32")) for i in range(n)]
        if keep_policy in ("not_larger", "not_smaller"):
            allr = ctx.concat([ctx.unsqueeze(r_, [0]) for r_ in ratios], 0)
            common = ctx.op1("ReduceMin" if keep_policy == "not_larger" else "ReduceMax", [allr, ctx.i64([0])],
                             {"keep_dims": False})
            scales_l = [common] * n
            outs = [ctx.convert(ctx.op1("Floor", [ctx.binary("Add", ctx.binary(
                "Multiply", common, ctx.convert(in_lens[i], "f32")), _f32(ctx, 0.5))]), "i64") for i in range(n)]
        else:
            scales_l = ratios
            outs = [ctx.gather(sz, i) for i in range(n)]
    else:
        sc = ctx.convert(scales, "f32")
        scales_l = [ctx.gather(sc, i) for i in range(n)]
        outs = [ctx.convert(ctx.op1("Floor", [ctx.binary("Multiply", scales_l[i], ctx.convert(in_lens[i], "f32"))]),
                            "i64") for i in range(n)]
    rois = [None] * n
    if ctm == "tf_crop_and_resize":
        if roi is None:
            raise IrconvError("%s: tf_crop_and_resize needs the roi input" % node.describe())
        rv = ctx.convert(roi, "f32")
        nr = (ctx.shape(roi) or [0])[0] // 2
        if nr == rank:
            rois = [(ctx.gather(rv, a), ctx.gather(rv, rank + a)) for a in axes]
        elif nr == n:
            rois = [(ctx.gather(rv, i), ctx.gather(rv, n + i)) for i in range(n)]
        else:
            raise IrconvError("%s: roi must have 2 * %d values" % (node.describe(), n))
    y = x if mode == "nearest" else ctx.convert(x, "f32")
    masks = []
    for i, ax in enumerate(axes):
        w, idx, extrap = _axis_plan(ctx, mode, ctm, nearest_mode, cubic_a, exclude_outside, antialias,
                                    in_lens[i], scales_l[i], outs[i], rois[i])
        y = ctx.gather(y, idx, ax) if idx is not None else _apply_axis_weights(ctx, y, w, ax, rank)
        if extrap is not None:
            target = [1] * rank
            target[ax] = -1
            masks.append(ctx.reshape(extrap, target))
    if masks:
        m = masks[0]
        for other in masks[1:]:
            m = ctx.binary("LogicalOr", m, other)
        y = _sel(ctx, m, ctx.const(extrapolation, y), y)
    return ctx.convert(y, et)


def _interpolate(ctx, x, target, calc_mode, axes, mode, ctm, nearest_mode, cubic_a, antialias=False):
    attrs = {"mode": {"linear": "linear_onnx"}.get(mode, mode), "shape_calculation_mode": calc_mode,
             "coordinate_transformation_mode": ctm, "nearest_mode": nearest_mode,
             "antialias": antialias, "pads_begin": [0], "pads_end": [0], "cube_coeff": cubic_a}
    ins = [x, target] + ([ctx.i64(axes)] if axes is not None else [])
    return ctx.op1("Interpolate", ins, attrs, version="opset11")


def _resize(ctx, node, x, scales, sizes, roi, axes_attr: Optional[List[int]], mode: str, ctm: str,
            nearest_mode: str, cubic_a: float, exclude_outside: bool, antialias: bool,
            keep_policy: str, extrapolation: float):
    """scales / sizes: Output or None (exactly one given)."""
    if mode not in ("nearest", "linear", "cubic"):
        raise IrconvError("%s: unknown mode '%s'" % (node.describe(), mode))
    xs = ctx.shape(x)
    rank = len(xs) if xs is not None else None
    scales_v = ctx.value(scales) if scales is not None else None
    sizes_v = ctx.value(sizes) if sizes is not None else None

    if axes_attr is not None:
        if rank is None:
            raise IrconvError("%s: the axes attribute needs a known input rank" % node.describe())
        axes = [ctx.norm_axis(a, rank) for a in axes_attr]
    else:
        axes = list(range(rank)) if rank is not None else None

    # Static description: per resized axis in/out sizes and scales, when everything is known.
    static = None
    if axes is not None and all(xs[a] >= 0 for a in axes) and (scales_v is not None or sizes_v is not None):
        in_sizes = [xs[a] for a in axes]
        if sizes_v is not None:
            sz = [int(v) for v in sizes_v.reshape(-1)]
            if keep_policy in ("not_larger", "not_smaller"):
                if not all(in_sizes):
                    raise IrconvError("%s: keep_aspect_ratio_policy %s on an empty input %s"
                                      % (node.describe(), keep_policy, in_sizes))
                ratios = [s / n for s, n in zip(sz, in_sizes)]
                common = min(ratios) if keep_policy == "not_larger" else max(ratios)
                sc = [common] * len(axes)
                out = [int(math.floor(common * n + 0.5)) for n in in_sizes]
            else:
                sc = [float(np.float32(s) / np.float32(n)) if n else 1.0 for s, n in zip(sz, in_sizes)]
                out = sz
        else:
            sc = [float(v) for v in scales_v.reshape(-1).astype(np.float32)]
            if not all(math.isfinite(v) and v > 0 for v in sc):
                raise IrconvError("%s: scales must be positive and finite, got %s" % (node.describe(), sc))
            out = [int(np.floor(np.float32(s) * np.float32(n))) for s, n in zip(sc, in_sizes)]
        if len(sc) != len(axes):
            raise IrconvError("%s: %d scales/sizes for %d axes" % (node.describe(), len(sc), len(axes)))
        static = (in_sizes, out, sc)

    keep = sizes is not None and keep_policy in ("not_larger", "not_smaller")
    needs_static = (antialias and mode != "nearest") or ctm not in INTERP_CTM \
        or (mode == "cubic" and exclude_outside) or (keep and static is not None)
    if keep and not needs_static:
        # sizes known only at run time: scale = min/max(sizes / in), out = floor(scale * in + 0.5)
        if axes is None:
            raise IrconvError("%s: keep_aspect_ratio_policy needs a known input rank" % node.describe())
        in_dims = ctx.convert(ctx.gather(ctx.shape_of(x), axes), "f32")
        ratio = ctx.binary("Divide", ctx.convert(sizes, "f32"), in_dims)
        sc = ctx.op1("ReduceMin" if keep_policy == "not_larger" else "ReduceMax", [ratio, ctx.i64([0])],
                     {"keep_dims": True})
        out = ctx.op1("Floor", [ctx.binary("Add", ctx.binary("Multiply", sc, in_dims), ctx.const(0.5, in_dims))])
        return _interpolate(ctx, x, ctx.convert(out, "i64"), "sizes", axes if axes_attr is not None else None,
                            mode, ctm, nearest_mode, cubic_a)

    if needs_static and static is None and antialias and mode != "nearest" and ctm in (
            "half_pixel", "pytorch_half_pixel") and exclude_outside and (
            mode == "linear" or abs(cubic_a + 0.5) < 1e-9) and not (sizes is not None and keep_policy != "stretch"):
        # Dynamic shapes: Interpolate's Pillow modes compute the same as ONNX Runtime's antialias
        # with exclude_outside=1 (bicubic_pillow with a=-0.5 only).
        target = ctx.convert(sizes, "i64") if sizes is not None else ctx.convert(scales, "f32")
        p_axes = axes if axes_attr is not None else None
        if p_axes is None and rank is not None and rank >= 2:
            # Pillow modes take only the spatial axes: the last two
            p_axes = [rank - 2, rank - 1]
            target = ctx.gather(target, p_axes)
        return _interpolate(ctx, x, target, "sizes" if sizes is not None else "scales", p_axes,
                            "bilinear_pillow" if mode == "linear" else "bicubic_pillow", "half_pixel",
                            nearest_mode, cubic_a)
    align_frac = ctm == "align_corners" and mode != "nearest" and scales is not None and (
        static is None or any(float(np.float32(s_) * np.float32(n_)) != o_ for n_, o_, s_ in zip(*static)))
    if (needs_static and static is None) or align_frac:
        # scales / sizes / roi known only at run time (or align_corners with a fractional output
        # length, which Interpolate rounds): weights built in the graph from ONNX's definition
        if axes is None:
            raise IrconvError("%s: mode=%s coordinate_transformation_mode=%s needs a known input rank"
                              % (node.describe(), mode, ctm))
        return resize_runtime(ctx, node, x, axes, scales, sizes, roi, mode, ctm, nearest_mode, cubic_a,
                              exclude_outside, antialias, keep_policy, extrapolation)
    if needs_static:
        if static is None:
            raise IrconvError("%s: mode=%s coordinate_transformation_mode=%s antialias=%d exclude_outside=%d "
                              "keep_aspect_ratio_policy=%s needs static input dimensions and constant "
                              "scales/sizes" % (node.describe(), mode, ctm, antialias, exclude_outside,
                                                keep_policy))
        in_sizes, out, sc = static
        if sizes_v is not None and keep_policy in ("not_larger", "not_smaller") and not antialias \
                and ctm in INTERP_CTM and not (mode == "cubic" and exclude_outside) \
                and all(int(np.floor(np.float32(s) * np.float32(n))) == o for s, n, o in zip(sc, in_sizes, out)):
            return _interpolate(ctx, x, ctx.const(np.array(sc, np.float32)), "scales", axes, mode, ctm,
                                nearest_mode, cubic_a)
        rois = [(0.0, 1.0)] * len(axes)
        if ctm == "tf_crop_and_resize":
            rv = ctx.value(roi) if roi is not None else None
            if rv is None:
                raise IrconvError("%s: tf_crop_and_resize needs a constant roi" % node.describe())
            rv = rv.reshape(-1).astype(np.float64)
            n = rv.size // 2
            if n == rank:
                rois = [(rv[a], rv[n + a]) for a in axes]
            elif n == len(axes):
                rois = [(rv[i], rv[n + i]) for i in range(n)]
            else:
                raise IrconvError("%s: roi has %d values" % (node.describe(), rv.size))
        return resize_static(ctx, node, x, axes, in_sizes, out, sc, mode, ctm, nearest_mode, cubic_a,
                             exclude_outside, antialias, rois, extrapolation)

    if sizes is not None:
        return _interpolate(ctx, x, ctx.convert(sizes, "i64"), "sizes", axes if axes_attr is not None else None,
                            mode, ctm, nearest_mode, cubic_a)
    return _interpolate(ctx, x, ctx.convert(scales, "f32"), "scales", axes if axes_attr is not None else None,
                        mode, ctm, nearest_mode, cubic_a)


def _empty(ctx, out) -> bool:
    if out is None:
        return True
    v = ctx.value(out)
    if v is not None:
        return v.size == 0
    s = ctx.shape(out)
    return s is not None and 0 in s


@onnx_op("Resize", since=11)
def resize_11(ctx, node):
    x = node.input_required(0)
    roi, scales, sizes = node.input(1), node.input(2), node.input(3)
    if not _empty(ctx, sizes):
        scales = None
    else:
        sizes = None
        if _empty(ctx, scales):
            raise IrconvError("%s: neither scales nor sizes is given" % node.describe())
    mode = node.attr("mode", "nearest")
    ctm = node.attr("coordinate_transformation_mode", "half_pixel")
    return _resize(ctx, node, x, scales, sizes, roi, node.attr("axes"), mode, ctm,
                   node.attr("nearest_mode", "round_prefer_floor"), node.attr("cubic_coeff_a", -0.75),
                   bool(node.attr("exclude_outside", 0)), bool(node.attr("antialias", 0)),
                   node.attr("keep_aspect_ratio_policy", "stretch"), node.attr("extrapolation_value", 0.0))


def _legacy(ctx, node, x, scales):
    """Resize-10 / Upsample: asymmetric coordinates; nearest rounds like ONNX Runtime's 'simple'."""
    mode = node.attr("mode", "nearest")
    if mode == "bilinear":
        mode = "linear"
    if mode not in ("nearest", "linear"):
        raise IrconvError("%s: mode '%s' is not supported" % (node.describe(), mode))
    return _resize(ctx, node, x, scales, None, None, None, mode, "asymmetric", "simple", -0.75,
                   False, False, "stretch", 0.0)


@onnx_op("Resize", since=10, until=10)
def resize_10(ctx, node):
    return _legacy(ctx, node, node.input_required(0), node.input_required(1))


@onnx_op("Upsample", until=6)
def upsample_1(ctx, node):
    x = node.input_required(0)
    r = ctx.rank(x)
    if r != 4:
        raise IrconvError("%s: the input must be 4-D" % node.describe())
    sc = np.array([1.0, 1.0, node.attr_required("height_scale"), node.attr_required("width_scale")], np.float32)
    return _legacy(ctx, node, x, ctx.const(sc))


@onnx_op("Upsample", since=7, until=8)
def upsample_7(ctx, node):
    return _legacy(ctx, node, node.input_required(0), ctx.const(np.array(node.attr_required("scales"), np.float32)))


@onnx_op("Upsample", since=9, until=9)
def upsample_9(ctx, node):
    return _legacy(ctx, node, node.input_required(0), node.input_required(1))
