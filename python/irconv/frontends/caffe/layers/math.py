"""InnerProduct, Eltwise, Softmax, ArgMax, Reduction."""
from __future__ import annotations

import numpy as np

from ..registry import caffe_layer


@caffe_layer("InnerProduct")
def inner_product(ctx, layer):
    """y = flatten(x, axis) . W^T + b, with W = blobs[0] as [num_output, K] ([K, num_output] when
    transpose), the output keeping x's dims before `axis`."""
    ctx.expect_bottoms(1, 1)
    x = ctx.input(0)
    p = layer.param("inner_product_param")
    num_output = p.int("num_output")
    if not num_output:
        raise ctx.error("needs num_output")
    rank = ctx.need_rank(x)
    axis = ctx.norm_axis(p.int("axis", 1), rank)
    transpose = p.bool("transpose", False)
    s = ctx.shape(x)
    tail = s[axis:]
    if all(d >= 0 for d in tail):
        k = int(np.prod(tail, dtype=np.int64))
    else:
        size = ctx.weight_array(0).size
        if size % num_output:
            raise ctx.error("the weights have %d values, not a multiple of num_output %d" % (size, num_output))
        k = size // num_output
    if axis != rank - 1:
        x = ctx.reshape(x, [0] * axis + [k], special_zero=True)
    w = ctx.weight(0, [k, num_output] if transpose else [num_output, k], "the weights")
    y = ctx.op1("MatMul", [x, w], {"transpose_a": False, "transpose_b": not transpose})
    if p.bool("bias_term", True):
        b = ctx.weight(1, [num_output], "the bias")
        y = ctx.binary("Add", y, b)
    return y


_ELTWISE = {"PROD": 0, "SUM": 1, "MAX": 2}


@caffe_layer("Eltwise")
def eltwise(ctx, layer):
    """SUM: y = sum_i coeff_i * x_i (coeff default 1); PROD: y = prod x_i; MAX: y = max x_i."""
    ctx.expect_bottoms(2, -1)
    xs = ctx.inputs()
    p = layer.param("eltwise_param")
    op = p.enum("operation", _ELTWISE, "SUM")
    coeff = p.floats("coeff")
    if coeff and op != "SUM":
        raise ctx.error("coeff is only allowed with operation SUM")
    if coeff and len(coeff) != len(xs):
        raise ctx.error("has %d bottoms but %d coeff values" % (len(xs), len(coeff)))
    if op == "SUM" and coeff:
        xs = [x if c == 1.0 else ctx.binary("Multiply", x, ctx.scalar(c)) for x, c in zip(xs, coeff)]
    core = {"SUM": "Add", "PROD": "Multiply", "MAX": "Maximum"}[op]
    y = xs[0]
    for x in xs[1:]:
        y = ctx.binary(core, y, x)
    return y


@caffe_layer("Softmax")
def softmax(ctx, layer):
    ctx.expect_bottoms(1, 1)
    x = ctx.input(0)
    axis = layer.param("softmax_param").int("axis", 1)
    r = ctx.rank(x)
    if r is not None:
        axis = ctx.norm_axis(axis, r)
    return ctx.op1("SoftMax", [x], {"axis": axis}, version="opset8")


@caffe_layer("ArgMax")
def argmax(ctx, layer):
    """Without axis: per sample over the flattened other dims -> [N, 1, top_k] indices, or
    [N, 2, top_k] (indices, values) with out_max_val. With axis: the axis becomes top_k long and
    holds the indices, or the values with out_max_val. Indices are floats, as Caffe's blobs."""
    ctx.expect_bottoms(1, 1)
    x = ctx.input(0)
    p = layer.param("argmax_param")
    top_k = p.int("top_k", 1)
    out_max = p.bool("out_max_val", False)
    rank = ctx.need_rank(x)
    if top_k < 1:
        raise ctx.error("top_k must be at least 1")
    k = ctx.const(np.asarray(top_k, np.int64), dtype=None)
    attrs = {"mode": "max", "sort": "value", "index_element_type": "i64", "stable": True}
    if p.has("axis"):
        axis = ctx.norm_axis(p.int("axis"), rank)
        t = ctx.op("TopK", [x, k], dict(attrs, axis=axis), version="opset11")
        if out_max:
            return t.output(0)
        return ctx.op1("Convert", [t.output(1)], {"destination_type": "f32"})
    flat = ctx.reshape(x, [0, -1], special_zero=True) if rank != 2 else x
    t = ctx.op("TopK", [flat, k], dict(attrs, axis=1), version="opset11")
    idx = ctx.unsqueeze(ctx.op1("Convert", [t.output(1)], {"destination_type": "f32"}), 1)
    if not out_max:
        return idx
    return ctx.concat([idx, ctx.unsqueeze(t.output(0), 1)], 1)


_REDUCTION = {"SUM": 1, "ASUM": 2, "SUMSQ": 3, "MEAN": 4}


@caffe_layer("Reduction")
def reduction(ctx, layer):
    """coeff * SUM / ASUM (sum |x|) / SUMSQ (sum x^2) / MEAN over all dims from `axis` on; the
    output keeps the dims before axis (axis 0: a scalar)."""
    ctx.expect_bottoms(1, 1)
    x = ctx.input(0)
    p = layer.param("reduction_param")
    op = p.enum("operation", _REDUCTION, "SUM")
    rank = ctx.need_rank(x)
    axis = ctx.norm_axis(p.int("axis", 0), rank) if rank else 0
    coeff = p.float("coeff", 1.0)
    axes = np.asarray(list(range(axis, rank)), np.int64)
    if op == "ASUM":
        x = ctx.op1("Abs", [x])
    elif op == "SUMSQ":
        x = ctx.binary("Multiply", x, x)
    y = ctx.op1("ReduceMean" if op == "MEAN" else "ReduceSum", [x, axes], {"keep_dims": False})
    if coeff != 1.0:
        y = ctx.binary("Multiply", y, ctx.const(np.float32(coeff)))
    return y
