"""ONNX frontend: ModelProto -> irconv core graph.

    from irconv.frontends.onnx import convert
    graph = convert("model.onnx", {})      # irconv._core.Graph, passes not yet run
"""
from .converter import convert
from .registry import onnx_op, supported_ops

__all__ = ["convert", "onnx_op", "supported_ops"]
