"""Pooling (max / avg / sum / lp; global_pool; pooling_convention valid / full / same).

Defaults: pool_type max, global_pool False, pooling_convention valid (floor; `full` = ceil),
stride 1, pad 0, count_include_pad None = padding counts in averages. With `full`, a window that
runs past the end padding is averaged over its part inside the padded input (MXNet's pool.h)."""
from __future__ import annotations

import numpy as np

from ..registry import mxnet_op


def _global(ctx, node, x, pool_type):
    r = ctx.rank_required(x)
    axes = ctx.i64(list(range(2, r)))
    if pool_type == "max":
        return ctx.op1("ReduceMax", [x, axes], {"keep_dims": True})
    if pool_type == "avg":
        return ctx.op1("ReduceMean", [x, axes], {"keep_dims": True})
    if pool_type == "sum":
        return ctx.op1("ReduceSum", [x, axes], {"keep_dims": True})
    p = node.int("p_value", 2)
    a = ctx.op1("Abs", [x])
    s = ctx.op1("ReduceSum", [ctx.binary("Power", a, ctx.scalar(p, x)), axes], {"keep_dims": True})
    return ctx.binary("Power", s, ctx.scalar(1.0 / p, x))


def _out_size(n, k, s, p, ceil):
    num = n + 2 * p - k
    return (-(-num // s) if ceil else num // s) + 1


@mxnet_op("Pooling", "Pooling_v1", "_npx_pooling")
def pooling(ctx, node):
    layout = node.str("layout")
    if layout is not None and layout not in ("NCW", "NCHW", "NCDHW"):
        node.fail("layout %s is not supported (channels-first layouts only)" % layout)
    x = node.input(0)
    pool_type = node.str("pool_type", "max")
    if pool_type not in ("max", "avg", "sum", "lp"):
        node.fail("pool_type '%s' is not supported" % pool_type)
    if node.bool("global_pool", False):
        return _global(ctx, node, x, pool_type)
    kernel = node.required("kernel", "ints")
    k = len(kernel)

    def get(key, default):
        v = node.ints(key) or []
        if not v:
            return [default] * k
        if len(v) == 1 and k > 1:
            v = v * k
        if len(v) != k:
            node.fail("'%s' has %d values for a %d-D kernel" % (key, len(v), k))
        return v
    stride, pad = get("stride", 1), get("pad", 0)
    conv = node.str("pooling_convention", "valid")
    xs = ctx.shape(x)
    sp = None if xs is None else xs[2:]
    if conv == "same":
        # MXNet: max pooling only, output ceil(in / stride), windows from 0 clipped at the end
        if pool_type != "max":
            node.fail("pooling_convention 'same' is only defined for max pooling")
        if sp is None or any(d < 0 for d in sp):
            node.fail("pooling_convention 'same' needs the input's spatial size")
        pb = [0] * k
        pe = [max(0, (-(-sp[i] // stride[i]) - 1) * stride[i] + kernel[i] - sp[i]) for i in range(k)]
        rounding = "floor"
    elif conv in ("valid", "full"):
        pb, pe = list(pad), list(pad)
        rounding = "ceil" if conv == "full" else "floor"
    else:
        node.fail("pooling_convention '%s' is not supported" % conv)
    if pool_type == "max":
        attrs = {"strides": stride, "pads_begin": pb, "pads_end": pe, "kernel": kernel,
                 "rounding_type": rounding, "auto_pad": "explicit"}
        return ctx.op1("MaxPool", [x], attrs, version="opset1")
    extra = [0] * k
    final_rounding = "floor"
    if rounding == "ceil":
        if sp is None or any(d < 0 for d in sp):
            if pool_type != "avg" or node.bool("count_include_pad", True):
                node.fail("pooling_convention 'full' needs the input's spatial size (give --input_shape)")
            final_rounding = "ceil"     # padding excluded: OpenVINO's ceil windows average what they cover
        else:
            for i in range(k):
                out = _out_size(sp[i], kernel[i], stride[i], pad[i], True)
                extra[i] = max(0, (out - 1) * stride[i] + kernel[i] - (sp[i] + 2 * pad[i]))
    # Windows are never cut by rounding below: the overrun of a `full` window is explicit end padding.
    if pool_type in ("sum", "lp"):
        # the sum over a window (padding counts as 0) = its average over the whole kernel x kernel size
        if pool_type == "lp":
            p = node.int("p_value", 2)
            x = ctx.binary("Power", ctx.op1("Abs", [x]), ctx.scalar(p, x))
        attrs = {"strides": stride, "pads_begin": pb, "pads_end": [pe[i] + extra[i] for i in range(k)],
                 "kernel": kernel, "exclude-pad": False, "rounding_type": "floor", "auto_pad": "explicit"}
        y = ctx.binary("Multiply", ctx.op1("AvgPool", [x], attrs, version="opset1"),
                       ctx.scalar(float(np.prod(kernel)), x))
        if pool_type == "lp":
            y = ctx.binary("Power", y, ctx.scalar(1.0 / p, x))
        return y
    include_pad = node.bool("count_include_pad", True)
    if include_pad and any(extra) and any(v > 0 for v in pb + pe):
        # padding counts but the overrun beyond it does not: pad with zeros first, then exclude
        x = ctx.op1("Pad", [x, ctx.i64([0, 0] + pb), ctx.i64([0, 0] + pe), ctx.scalar(0, x)], {"pad_mode": "constant"})
        pb, pe = [0] * k, [0] * k
        include_pad = False
    elif include_pad and any(extra):
        include_pad = False             # no padding: only the overrun, which does not count
    attrs = {"strides": stride, "pads_begin": pb, "pads_end": [pe[i] + extra[i] for i in range(k)], "kernel": kernel,
             "exclude-pad": not include_pad, "rounding_type": final_rounding, "auto_pad": "explicit"}
    return ctx.op1("AvgPool", [x], attrs, version="opset1")
