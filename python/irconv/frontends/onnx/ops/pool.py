"""Pooling: MaxPool, AveragePool, LpPool, Global*Pool.

ONNX Runtime's ceil_mode drops a last window that would start in the end padding (like PyTorch):
that is OpenVINO's rounding_type "ceil_torch" (MaxPool-14 / AvgPool-14)."""
from __future__ import annotations

import numpy as np

from irconv.errors import IrconvError

from ..registry import onnx_op
from .conv import auto_pad_of


def _pool_params(ctx, node, x):
    kernel = node.attr_required("kernel_shape")
    n = len(kernel)
    strides = node.attr("strides") or [1] * n
    dilations = node.attr("dilations") or [1] * n
    pads = node.attr("pads") or [0] * (2 * n)
    if len(pads) != 2 * n:
        raise IrconvError("%s: pads has %d values, expected %d" % (node.describe(), len(pads), 2 * n))
    return kernel, strides, dilations, pads[:n], pads[n:]


def _rounding(node):
    return "ceil_torch" if node.attr("ceil_mode", 0) else "floor"


@onnx_op("MaxPool")
def max_pool(ctx, node):
    x = node.input_required(0)
    kernel, strides, dilations, pb, pe = _pool_params(ctx, node, x)
    rounding = _rounding(node)
    attrs = {"strides": strides, "dilations": dilations, "pads_begin": pb, "pads_end": pe,
             "kernel": kernel, "rounding_type": rounding, "auto_pad": auto_pad_of(node),
             "index_element_type": "i64", "axis": 0}
    n = ctx.op("MaxPool", [x], attrs, version="opset14" if rounding == "ceil_torch" else "opset8")
    idx = n.output(1)
    if node.output_used(1) and node.attr("storage_order", 0) == 1:
        idx = _column_major(ctx, x, idx, len(kernel))
    return [n.output(0), idx]


def _column_major(ctx, x, idx, n):
    """Row-major flat indices (over N, C and the n spatial dims) -> the spatial part in
    column-major order: base + c0 + d0 * (c1 + d1 * (c2 + ...)), base = (n * C + c) * prod(d)."""
    dims = ctx.op1("Slice", [ctx.shape_of(x), ctx.i64([2]), ctx.i64([2 + n]), ctx.i64([1])], version="opset8")
    size = ctx.op1("ReduceProd", [dims, ctx.i64([0])], {"keep_dims": False})
    pos = ctx.op1("FloorMod", [idx, size], {"auto_broadcast": "numpy"})
    base = ctx.binary("Subtract", idx, pos)
    coords = []
    for i in reversed(range(n)):
        d = ctx.gather(dims, i)
        coords.append(ctx.op1("FloorMod", [pos, d], {"auto_broadcast": "numpy"}))
        pos = ctx.op1("Divide", [pos, d], {"auto_broadcast": "numpy", "m_pythondiv": True})
    coords.reverse()                                   # c0 .. c_{n-1}
    acc = coords[n - 1]
    for i in range(n - 2, -1, -1):
        acc = ctx.binary("Add", coords[i], ctx.binary("Multiply", ctx.gather(dims, i), acc))
    return ctx.binary("Add", base, acc)


def _out_size(in_size, k, s, d, pb, pe, ceil):
    eff = (k - 1) * d + 1
    num = in_size + pb + pe - eff
    out = (num + s - 1) // s + 1 if ceil else num // s + 1
    if ceil and (out - 1) * s >= in_size + pb:
        out -= 1
    return out


@onnx_op("AveragePool")
def average_pool(ctx, node):
    x = node.input_required(0)
    kernel, strides, dilations, pb, pe = _pool_params(ctx, node, x)
    rounding = _rounding(node)
    if any(d != 1 for d in dilations):
        # AvgPool-16 has dilations
        attrs = {"strides": strides, "pads_begin": pb, "pads_end": pe, "kernel": kernel,
                 "exclude-pad": not node.attr("count_include_pad", 0), "rounding_type": rounding,
                 "auto_pad": auto_pad_of(node), "dilations": dilations}
        return ctx.op1("AvgPool", [x], attrs, version="opset16")
    include_pad = bool(node.attr("count_include_pad", 0))
    auto_pad = auto_pad_of(node)
    xs = ctx.shape(x)
    n = len(kernel)
    if include_pad and rounding == "ceil_torch" and auto_pad == "explicit" and xs is not None \
            and all(d >= 0 for d in xs[2:]) and any(p > 0 for p in pb + pe):
        # ONNX Runtime divides a window that runs past the end padding by its part inside the
        # padded input: pad explicitly, then exclude what lies beyond.
        sp = xs[2:]
        extra = []
        for i in range(n):
            out = _out_size(sp[i], kernel[i], strides[i], 1, pb[i], pe[i], True)
            padded = sp[i] + pb[i] + pe[i]
            extra.append(max(0, (out - 1) * strides[i] + kernel[i] - padded))
        if any(extra):
            pads_begin = np.array([0, 0] + list(pb), np.int64)
            pads_end = np.array([0, 0] + list(pe), np.int64)
            xp = ctx.op1("Pad", [x, pads_begin, pads_end, ctx.const(0, x)], {"pad_mode": "constant"},
                         version="opset12")
            attrs = {"strides": strides, "pads_begin": [0] * n, "pads_end": extra, "kernel": kernel,
                     "exclude-pad": True, "rounding_type": "floor", "auto_pad": "explicit"}
            return ctx.op1("AvgPool", [xp], attrs, version="opset1")
    attrs = {"strides": strides, "pads_begin": pb, "pads_end": pe, "kernel": kernel,
             "exclude-pad": not include_pad, "rounding_type": rounding, "auto_pad": auto_pad}
    return ctx.op1("AvgPool", [x], attrs, version="opset14" if rounding == "ceil_torch" else "opset1")


@onnx_op("LpPool")
def lp_pool(ctx, node):
    # (sum over the window of |x|^p)^(1/p) = (avg_including_pad(|x|^p) * kernel_size)^(1/p)
    x = node.input_required(0)
    kernel, strides, dilations, pb, pe = _pool_params(ctx, node, x)
    p = node.attr("p", 2)
    xp = ctx.op1("Abs", [x])
    if p != 1:
        xp = ctx.binary("Power", xp, ctx.const(float(p), x))
    attrs = {"strides": strides, "pads_begin": pb, "pads_end": pe, "kernel": kernel,
             "exclude-pad": False, "rounding_type": _rounding(node), "auto_pad": auto_pad_of(node)}
    if any(d != 1 for d in dilations):
        attrs["dilations"] = dilations
        version = "opset16"
    else:
        version = "opset14" if node.attr("ceil_mode", 0) else "opset1"
    avg = ctx.op1("AvgPool", [xp], attrs, version=version)
    s = ctx.binary("Multiply", avg, ctx.const(float(np.prod(kernel)), x))
    if p == 1:
        return s
    return ctx.binary("Power", s, ctx.const(1.0 / p, x))


def spatial_axes(ctx, x, first: int = 2):
    r = ctx.rank(x)
    if r is not None:
        return ctx.i64(list(range(first, r)))
    rank = ctx.shape_of(ctx.shape_of(x))
    return ctx.op1("Range", [ctx.const(np.array(first, np.int64)), ctx.to_scalar(rank),
                             ctx.const(np.array(1, np.int64))], {"output_type": "i64"}, version="opset4")


@onnx_op("GlobalAveragePool")
def global_average_pool(ctx, node):
    x = node.input_required(0)
    return ctx.op1("ReduceMean", [x, spatial_axes(ctx, x)], {"keep_dims": True})


@onnx_op("GlobalMaxPool")
def global_max_pool(ctx, node):
    x = node.input_required(0)
    return ctx.op1("ReduceMax", [x, spatial_axes(ctx, x)], {"keep_dims": True})


@onnx_op("GlobalLpPool")
def global_lp_pool(ctx, node):
    x = node.input_required(0)
    p = node.attr("p", 2)
    axes = spatial_axes(ctx, x)
    if p == 1:
        return ctx.op1("ReduceL1", [x, axes], {"keep_dims": True}, version="opset4")
    if p == 2:
        return ctx.op1("ReduceL2", [x, axes], {"keep_dims": True}, version="opset4")
    s = ctx.op1("ReduceSum", [ctx.binary("Power", ctx.op1("Abs", [x]), ctx.const(float(p), x)), axes],
                {"keep_dims": True})
    return ctx.binary("Power", s, ctx.const(1.0 / p, x))


@onnx_op("MaxUnpool", since=9)
def max_unpool(ctx, node):
    # scatter X into zeros of the output shape at the flat (N*C*spatial) positions given by I
    x, idx, out_shape = node.input_required(0), node.input_required(1), node.input(2)
    kernel = node.attr_required("kernel_shape")
    n = len(kernel)
    strides = node.attr("strides") or [1] * n
    pads = node.attr("pads") or [0] * (2 * n)
    xs = ctx.shape(x)
    idx = ctx.convert(idx, "i64")
    # the indices are flat positions in the default output shape (the pooled input's shape):
    # scatter there; an explicit output_shape then extends it with zeros at the end of each dim
    # (as the ONNX reference does)
    if xs is not None and all(d >= 0 for d in xs):
        sp = [(xs[2 + i] - 1) * strides[i] + kernel[i] - pads[i] - pads[n + i] for i in range(n)]
        shape = ctx.i64(xs[:2] + sp)
    else:
        sh = ctx.shape_of(x)
        sp = ctx.op1("Slice", [sh, ctx.i64([2]), ctx.i64([2 + n]), ctx.i64([1])], version="opset8")
        sp = ctx.binary("Multiply", ctx.binary("Subtract", sp, ctx.i64([1])), ctx.i64(strides))
        sp = ctx.binary("Add", sp, ctx.i64([kernel[i] - pads[i] - pads[n + i] for i in range(n)]))
        nc = ctx.op1("Slice", [sh, ctx.i64([0]), ctx.i64([2]), ctx.i64([1])], version="opset8")
        shape = ctx.concat([nc, sp], 0)
    total = ctx.op1("ReduceProd", [shape, ctx.i64([0])], {"keep_dims": True})
    zeros = ctx.op1("Broadcast", [ctx.const(0, x), total], {"mode": "numpy"}, version="opset3")
    flat = ctx.op1("ScatterElementsUpdate",
                   [zeros, ctx.reshape(idx, [-1]), ctx.reshape(x, [-1]),
                    ctx.const(np.array(0, np.int64))], {"reduction": "none", "use_init_val": True},
                   version="opset12")
    y = ctx.reshape(flat, shape)
    if out_shape is None:
        return y
    out_shape = ctx.convert(out_shape, "i64")
    sv, ov_ = ctx.value(shape), ctx.value(out_shape)
    if sv is not None and ov_ is not None and np.array_equal(sv.reshape(-1), ov_.reshape(-1)):
        return y
    extra = ctx.binary("Subtract", out_shape, shape)
    zeros = ctx.binary("Multiply", extra, ctx.i64(0))
    return ctx.op1("Pad", [y, zeros, extra, ctx.const(0, x)], {"pad_mode": "constant"}, version="opset12")
