"""Registry of TensorFlow op translators.

    @tf_op("Relu6")
    def relu6(ctx, node):
        return ctx.op1("Clamp", [node.input(0)], {"min": 0.0, "max": 6.0})

A translator returns one core Output (the node's port 0), a list (one entry per TF output port;
None for ports it does not produce), or frontend objects for resource-like values (variables,
TensorArrays, TensorLists) that other translators consume.
"""
from typing import Callable, Dict, List

_REGISTRY: Dict[str, Callable] = {}


def tf_op(*names: str):
    def deco(fn):
        for n in names:
            if n in _REGISTRY:
                raise ValueError("tf_op %s is registered twice" % n)
            _REGISTRY[n] = fn
        return fn
    return deco


def lookup(op: str):
    return _REGISTRY.get(op)


def supported_ops() -> List[str]:
    return sorted(_REGISTRY)
