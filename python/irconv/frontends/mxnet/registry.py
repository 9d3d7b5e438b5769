"""Registry of MXNet op translators, keyed by the op name as the symbol JSON spells it.

    @mxnet_op("Convolution")
    def convolution(ctx, node): ...           # returns an Output, or a list (one per MXNet output)

`outputs` names the op's outputs the way MXNet's list_outputs() does (`<node>_<name>`); the default
is ("output",). `inputs` lists the input slots the op reads at inference (others, such as
SoftmaxOutput's label, are dropped with the variables only they use).
"""
from __future__ import annotations

from typing import Callable, Dict, List, Optional, Sequence


class _Entry:
    __slots__ = ("fn", "outputs", "inputs")

    def __init__(self, fn: Callable, outputs, inputs):
        self.fn, self.outputs, self.inputs = fn, outputs, inputs


_REGISTRY: Dict[str, _Entry] = {}


def mxnet_op(*names: str, outputs: Optional[Sequence[str]] = None, inputs: Optional[Sequence[int]] = None):
    """Registers the decorated translator for each MXNet op name in `names`.
    outputs: output names (a callable node -> names for ops with a variable count);
    inputs: input slots used at inference (None = all)."""
    def deco(fn: Callable) -> Callable:
        for name in names:
            if name in _REGISTRY:
                raise ValueError("mxnet_op %s is registered twice" % name)
            _REGISTRY[name] = _Entry(fn, outputs, None if inputs is None else tuple(inputs))
        return fn
    return deco


def lookup(op: str) -> Optional[_Entry]:
    return _REGISTRY.get(op)


def supported_ops() -> List[str]:
    return sorted(_REGISTRY)
