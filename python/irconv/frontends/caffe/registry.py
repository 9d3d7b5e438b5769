"""Registry of Caffe layer translators, keyed by the layer type string (current spelling).

    @caffe_layer("ReLU")
    def relu(ctx, layer): ...   # returns the Output for each top (a list, or one Output)
"""
from __future__ import annotations

from typing import Callable, Dict, List, Optional

_REGISTRY: Dict[str, Callable] = {}


def caffe_layer(*types: str):
    def deco(fn: Callable) -> Callable:
        for t in types:
            if t in _REGISTRY:
                raise ValueError("caffe_layer %s is registered twice" % t)
            _REGISTRY[t] = fn
        return fn
    return deco


def lookup(layer_type: str) -> Optional[Callable]:
    return _REGISTRY.get(layer_type)


def supported_layers() -> List[str]:
    return sorted(_REGISTRY)
