"""DepthToSpace, SpaceToDepth."""
from __future__ import annotations

from irconv.errors import IrconvError

from ..registry import onnx_op


@onnx_op("DepthToSpace")
def depth_to_space(ctx, node):
    mode = node.attr("mode", "DCR")
    ov_mode = {"DCR": "blocks_first", "CRD": "depth_first"}.get(mode)
    if ov_mode is None:
        raise IrconvError("%s: unknown mode '%s'" % (node.describe(), mode))
    return ctx.op1("DepthToSpace", [node.input_required(0)],
                   {"mode": ov_mode, "block_size": node.attr_required("blocksize")})


@onnx_op("SpaceToDepth")
def space_to_depth(ctx, node):
    # ONNX SpaceToDepth orders the output channels block-first (the inverse of DCR); opset 28
    # adds mode="CRD" (depth first)
    mode = node.attr("mode", "DCR")
    ov_mode = {"DCR": "blocks_first", "CRD": "depth_first"}.get(mode)
    if ov_mode is None:
        raise IrconvError("%s: unknown mode '%s'" % (node.describe(), mode))
    return ctx.op1("SpaceToDepth", [node.input_required(0)],
                   {"mode": ov_mode, "block_size": node.attr_required("blocksize")})
