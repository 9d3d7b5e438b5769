"""Unique: ONNX's four outputs (values, first-occurrence indices, inverse indices, counts) are
OpenVINO Unique-10's, in the same order and meaning."""
from __future__ import annotations

import numpy as np

from ..registry import onnx_op


@onnx_op("Unique", since=11)
def unique(ctx, node):
    x = node.input_required(0)
    ins = [x]
    if node.has_attr("axis"):
        ins.append(ctx.const(np.array(node.attr("axis"), np.int64)))
    n = ctx.op("Unique", ins, {"sorted": bool(node.attr("sorted", 1)), "index_element_type": "i64",
                               "count_element_type": "i64"}, version="opset10")
    return [n.output(i) for i in range(4)]
