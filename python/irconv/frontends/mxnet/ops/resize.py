"""UpSampling (nearest / bilinear) and BilinearResize2D.

nearest: each input is repeated `scale` times (inputs after the first by scale * first / own size)
and the results are concatenated on channels (multi_input_mode concat, the default) or summed.
bilinear: MXNet runs a grouped Deconvolution with the stored weight input: kernel
2*scale - scale%2, stride scale, pad ceil((scale-1)/2), one group per channel, no bias."""
from __future__ import annotations

import math

import numpy as np

from ..registry import mxnet_op


def _nearest(ctx, x, factor):
    if factor == 1:
        return x
    return ctx.op1("Interpolate", [x, ctx.const(np.asarray([factor, factor], np.float32)), ctx.i64([2, 3])],
                   {"mode": "nearest", "shape_calculation_mode": "scales", "coordinate_transformation_mode": "asymmetric",
                    "nearest_mode": "floor", "antialias": False, "pads_begin": [0, 0, 0, 0], "pads_end": [0, 0, 0, 0],
                    "cube_coeff": -0.75}, version="opset11")


@mxnet_op("UpSampling")
def upsampling(ctx, node):
    scale = node.required("scale", "int")
    kind = node.required("sample_type")
    if kind == "nearest":
        xs = node.inputs()
        s0 = ctx.shape(xs[0])
        outs = [_nearest(ctx, xs[0], scale)]
        for x in xs[1:]:
            s = ctx.shape(x)
            if s0 is None or s is None or s0[2] < 0 or s[2] < 0:
                node.fail("inputs after the first need known heights")
            f = scale * s0[2] // s[2]
            outs.append(_nearest(ctx, x, f))
        if len(outs) == 1:
            return outs[0]
        if node.str("multi_input_mode", "concat") == "sum":
            y = outs[0]
            for o in outs[1:]:
                y = ctx.binary("Add", y, o)
            return y
        return ctx.concat(outs, 1)
    if kind != "bilinear":
        node.fail("sample_type '%s' is not supported (nearest, bilinear)" % kind)
    x, w = node.input(0), node.input(1)
    ws = ctx.shape(w)
    k = 2 * scale - scale % 2
    p = int(math.ceil((scale - 1) / 2.0))
    if ws is None or len(ws) != 4 or ws[2:] != [k, k]:
        node.fail("weight shape %s, expected (channels, 1, %d, %d)" % (ws, k, k))
    c = ws[0]
    wv = ctx.value(w)
    wg = ctx.const(wv.reshape([c, 1, 1, k, k]), name=node.name + "/weight_grouped") if wv is not None \
        else ctx.reshape(w, [c, 1, 1, k, k])
    return ctx.op1("GroupConvolutionBackpropData", [x, wg],
                   {"strides": [scale, scale], "dilations": [1, 1], "pads_begin": [p, p], "pads_end": [p, p],
                    "auto_pad": "explicit", "output_padding": [0, 0]})
