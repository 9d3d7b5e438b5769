"""Registry of ONNX op translators, keyed by (domain, op type) and opset range.

    @onnx_op("HardSigmoid", since=6)
    def hard_sigmoid(ctx, node): ...

A translator covers opsets [since, until] of its domain (until=None: open-ended); lookup picks
the one whose range holds the model's opset version for that domain.
"""
from __future__ import annotations

from typing import Callable, Dict, List, Optional, Tuple

_DOMAIN_ALIASES = {"ai.onnx": ""}


class UseFunction(Exception):
    """Raised by a translator that cannot handle a case the op's ONNX function body covers (e.g.
    a shape known only at run time): the converter then expands the function instead."""


def norm_domain(domain: str) -> str:
    return _DOMAIN_ALIASES.get(domain, domain)


class _Entry:
    __slots__ = ("since", "until", "fn")

    def __init__(self, since: int, until: Optional[int], fn: Callable):
        self.since, self.until, self.fn = since, until, fn


_REGISTRY: Dict[Tuple[str, str], List[_Entry]] = {}


def onnx_op(*names: str, since: int = 1, until: Optional[int] = None, domain: str = ""):
    """Registers the decorated translator for each op type in `names` over [since, until]."""
    def deco(fn: Callable) -> Callable:
        for name in names:
            entries = _REGISTRY.setdefault((norm_domain(domain), name), [])
            for e in entries:
                lo, hi = e.since, e.until if e.until is not None else 1 << 30
                u = until if until is not None else 1 << 30
                if since <= hi and lo <= u:
                    raise ValueError("onnx_op %s%s: opset range [%s, %s] overlaps [%s, %s]"
                                     % (domain + "." if domain else "", name, since, until, e.since, e.until))
            entries.append(_Entry(since, until, fn))
            entries.sort(key=lambda e: e.since)
        return fn
    return deco


def lookup(op_type: str, domain: str, version: int) -> Optional[Callable]:
    for e in _REGISTRY.get((norm_domain(domain), op_type), ()):
        if e.since <= version and (e.until is None or version <= e.until):
            return e.fn
    return None


def supported_ops() -> List[Tuple[str, str, int, Optional[int]]]:
    """(domain, op type, since, until) of every registered translator."""
    out = []
    for (domain, name), entries in sorted(_REGISTRY.items()):
        for e in entries:
            out.append((domain, name, e.since, e.until))
    return out
