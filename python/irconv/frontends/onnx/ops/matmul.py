"""MatMul and Gemm."""
from __future__ import annotations

from ..registry import onnx_op


@onnx_op("MatMul")
def matmul(ctx, node):
    a, b = node.input_required(0), node.input_required(1)
    return ctx.op1("MatMul", [a, b], {"transpose_a": False, "transpose_b": False})


@onnx_op("Gemm")
def gemm(ctx, node):
    # Y = alpha * A' @ B' + beta * C
    a, b, c = node.input_required(0), node.input_required(1), node.input(2)
    alpha, beta = node.attr("alpha", 1.0), node.attr("beta", 1.0)
    y = ctx.op1("MatMul", [a, ctx.convert_like(b, a)],
                {"transpose_a": bool(node.attr("transA", 0)), "transpose_b": bool(node.attr("transB", 0))})
    if alpha != 1.0:
        y = ctx.binary("Multiply", y, ctx.const(alpha, y))
    if c is not None and beta != 0.0:
        c = ctx.convert_like(c, y)
        if beta != 1.0:
            c = ctx.binary("Multiply", c, ctx.const(beta, y))
        y = ctx.binary("Add", y, c)
    return y
