"""Col2Im (opset 18). Two spatial dimensions map to OpenVINO's Col2Im-15; any other count is
separable: the blocks are folded one spatial dimension at a time, each fold a Col2Im-15 with a
1 x K kernel over the other dimensions moved into its batch (image and block shapes may be known
only at run time)."""
from __future__ import annotations

import numpy as np

from irconv.errors import IrconvError

from ..registry import onnx_op


def _spatial_count(ctx, out):
    v = ctx.value(out)
    if v is not None:
        return int(v.size)
    s = ctx.shape(out)
    return s[0] if s is not None and len(s) == 1 and s[0] >= 0 else None


def _elem(ctx, vec, i):
    """Element i of a 1-D i64 tensor as a 1-D tensor of one element."""
    v = ctx.value(vec)
    if v is not None:
        return ctx.i64([int(v.reshape(-1)[i])])
    return ctx.gather(vec, [i])


def _mul(ctx, a, b):
    if a is None:
        return b
    return ctx.binary("Multiply", a, b)


def _fold_nd(ctx, x, image, block, d, strides, dil, pb, pe):
    """Col2Im over d spatial dimensions by d one-dimensional folds."""
    one = ctx.i64([1])
    c = lambda v: ctx.i64(list(v))  # noqa: E731
    # blocks per dimension: (I + pb + pe - dil * (K - 1) - 1) // s + 1
    span = ctx.binary("Multiply", c(dil), ctx.binary("Subtract", block, one))
    lens = ctx.binary("Add", ctx.binary("Divide", ctx.binary("Subtract", ctx.binary("Add", image, c(np.add(pb, pe))),
                                                             ctx.binary("Add", span, one)), c(strides)), one)
    n = ctx.gather(ctx.shape_of(x), [0])
    minus1 = ctx.i64([-1])  # the batch-like leading dimension (N * C * K_0 ... K_{j-1}) is inferred
    ks = [_elem(ctx, block, i) for i in range(d)]
    ls = [_elem(ctx, lens, i) for i in range(d)]
    im = [_elem(ctx, image, i) for i in range(d)]
    y = x
    rest = one  # product of the image dimensions already folded (kept last)
    for j in range(d - 1, -1, -1):
        b = one
        for i in range(j):
            b = _mul(ctx, b, ls[i])
        # [A, K_j, B, L_j, R] -> [A, B, R, K_j, L_j] -> [A*B*R, K_j, L_j]
        y = ctx.reshape(y, ctx.concat([minus1, ks[j], b, ls[j], rest]))
        y = ctx.op1("Transpose", [y, ctx.i64([0, 2, 4, 1, 3])])
        y = ctx.reshape(y, ctx.concat([minus1, ks[j], ls[j]]))
        y = ctx.op1("Col2Im", [y, ctx.concat([one, im[j]]), ctx.concat([one, ks[j]])],
                    {"strides": [1, strides[j]], "dilations": [1, dil[j]], "pads_begin": [0, pb[j]],
                     "pads_end": [0, pe[j]]}, version="opset15")  # [A*B*R, 1, 1, I_j]
        # [A, B, R, I_j] -> [A, B, I_j, R]
        y = ctx.reshape(y, ctx.concat([minus1, b, rest, im[j]]))
        y = ctx.op1("Transpose", [y, ctx.i64([0, 1, 3, 2])])
        rest = ctx.binary("Multiply", im[j], rest)
    return ctx.reshape(y, ctx.concat([n, minus1, image]))


@onnx_op("Col2Im", since=18)
def col2im(ctx, node):
    x = node.input_required(0)
    image, block = ctx.convert(node.input_required(1), "i64"), ctx.convert(node.input_required(2), "i64")
    d = _spatial_count(ctx, image)
    if d is None:
        d = _spatial_count(ctx, block)
    if d is None or d < 1:
        raise IrconvError("%s: the number of spatial dimensions (length of image_shape) must be static"
                          % node.describe())
    strides = node.attr("strides", [1] * d)
    dil = node.attr("dilations", [1] * d)
    pads = node.attr("pads", [0] * (2 * d))
    if len(strides) != d or len(dil) != d or len(pads) != 2 * d:
        raise IrconvError("%s: strides/dilations need %d values and pads %d" % (node.describe(), d, 2 * d))
    pb, pe = pads[:d], pads[d:]
    if d == 2:
        return ctx.op1("Col2Im", [x, image, block], {"strides": strides, "dilations": dil, "pads_begin": pb,
                                                     "pads_end": pe}, version="opset15")
    if ctx.rank(x) not in (None, 3):
        raise IrconvError("%s: the input must be [N, C * prod(block_shape), L], got %s" % (node.describe(), ctx.shape(x)))
    return _fold_nd(ctx, x, image, block, d, strides, dil, pb, pe)
