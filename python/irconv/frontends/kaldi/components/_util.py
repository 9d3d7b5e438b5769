"""Field access helpers shared by the component translators."""
from __future__ import annotations

import numpy as np

from irconv.errors import IrconvError
from irconv.limits import check_expansion


def matrix(comp, tag: str, required: bool = True):
    """Field `tag` as a float32 [rows, cols] array (None when absent and not required)."""
    v = comp.get(tag)
    if v is None:
        if required:
            raise IrconvError("%s has no <%s> matrix" % (comp.describe(), tag))
        return None
    a = np.asarray(v)
    if a.ndim != 2:
        raise IrconvError("%s: <%s> must be a matrix, found a %s" % (comp.describe(), tag, "vector" if a.ndim == 1 else "value"))
    return a


def vector(comp, tag: str, required: bool = True, dim: int = None):
    v = comp.get(tag)
    if v is None:
        if required:
            raise IrconvError("%s has no <%s> vector" % (comp.describe(), tag))
        return None
    a = np.asarray(v, dtype=np.float32)
    if a.ndim == 2 and 1 in a.shape:
        a = a.reshape(-1)
    if a.ndim != 1:
        raise IrconvError("%s: <%s> must be a vector" % (comp.describe(), tag))
    if dim is not None and a.shape[0] != dim:
        raise IrconvError("%s: <%s> has %d values, expected %d" % (comp.describe(), tag, a.shape[0], dim))
    return a


def data(comp, i: int, kind: str):
    if i >= len(comp.data):
        raise IrconvError("%s: missing %s #%d" % (comp.describe(), kind, i + 1))
    a = np.asarray(comp.data[i])
    want = {"matrix": 2, "vector": 1}.get(kind)
    if want is not None and a.ndim != want:
        raise IrconvError("%s: item #%d must be a %s" % (comp.describe(), i + 1, kind))
    return a


def in_dim(x) -> int:
    s = x.shape
    return -1 if s is None or len(s) != 2 else int(s[1])


def check_in(comp, x, want: int, what: str = "input") -> None:
    d = in_dim(x)
    if d >= 0 and d != want:
        raise IrconvError("%s: the %s has %d columns, the component expects %d" % (comp.describe(), what, d, want))


def tiled(v, dim: int, comp, what: str):
    """A per-block vector repeated over `dim` columns (column j uses v[j % len(v)])."""
    v = np.asarray(v, dtype=np.float32).reshape(-1)
    if dim <= 0 or not len(v):
        raise IrconvError("%s: cannot repeat %s (%d values) over %d columns" % (comp.describe(), what, len(v), dim))
    if dim % len(v):
        raise IrconvError("%s: %s has %d values, which does not divide the dim %d" % (comp.describe(), what, len(v), dim))
    check_expansion(dim * 4, "%s: %s repeated over %d columns" % (comp.describe(), what, dim))
    return np.tile(v, dim // len(v))
