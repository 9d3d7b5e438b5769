"""MXNet frontend: `-symbol.json` + `.params` -> irconv core graph, without mxnet.

    from irconv.frontends.mxnet import convert
    graph = convert("model-0000.params", {"inputs": [...]})   # irconv._core.Graph, passes not yet run
"""
from .converter import convert
from .registry import mxnet_op, supported_ops

__all__ = ["convert", "mxnet_op", "supported_ops"]
