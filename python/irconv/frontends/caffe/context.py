"""Conversion state shared by the Caffe layer translators: the core graph, blob name -> current
Output (in-place layers rebind a blob), the weights, and small helpers that build core ops."""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence

import numpy as np

from irconv.errors import IrconvError
from irconv.limits import numel

from .net import Layer
from .weights import CaffeWeights


class LayerError(IrconvError):
    """An error inside a translator; the converter adds the file, line and layer."""


class Context:
    def __init__(self, graph, proto_path: str, weights: Optional[CaffeWeights], weights_path: Optional[str]):
        self.g = graph
        self.proto_path = proto_path
        self.weights = weights
        self.weights_path = weights_path
        self.blobs: Dict[str, object] = {}
        self.layer: Optional[Layer] = None
        self.created: List[object] = []

    # ---- errors ----
    def error(self, msg: str) -> LayerError:
        return LayerError(msg)

    # ---- bottoms ----
    def input(self, i: int = 0):
        layer = self.layer
        if i >= len(layer.bottoms):
            raise self.error("needs at least %d bottom(s), has %d" % (i + 1, len(layer.bottoms)))
        name = layer.bottoms[i]
        out = self.blobs.get(name)
        if out is None:
            raise self.error("bottom '%s' is not produced by any earlier layer nor declared as a net input" % name)
        return out

    def inputs(self) -> list:
        return [self.input(i) for i in range(len(self.layer.bottoms))]

    def expect_bottoms(self, lo: int, hi: Optional[int] = None) -> None:
        n = len(self.layer.bottoms)
        hi = lo if hi is None else hi
        if n < lo or (hi >= 0 and n > hi):
            want = str(lo) if lo == hi else ("%d or more" % lo if hi < 0 else "%d to %d" % (lo, hi))
            raise self.error("expects %s bottom(s), has %d" % (want, n))

    # ---- weights ----
    def blobs_of_layer(self) -> list:
        layer = self.layer
        if self.weights is None:
            raise self.error("needs learned weights but no .caffemodel was given (pass --input_model X.caffemodel)")
        b = self.weights.blobs(layer.name)
        if b is None:
            raise self.error("has no weights in %s (no layer named '%s' there)" % (self.weights_path, layer.name))
        return b

    def weight_array(self, i: int, shape: Optional[Sequence[int]] = None, what: str = "") -> np.ndarray:
        """Blob i of the current layer as a float32 array, reshaped to `shape` (element counts must
        match: Caffe's legacy 4-D num/channels/height/width blobs load into any shape of the same
        count)."""
        blobs = self.blobs_of_layer()
        if i >= len(blobs):
            raise self.error("needs %s (blob %d) but %s stores %d blob(s) for it"
                             % (what or "blob %d" % i, i, self.weights_path, len(blobs)))
        b = blobs[i]
        arr = b.array()
        if shape is not None:
            shape = [int(d) for d in shape]
            if numel(shape) != arr.size:      # exact: int64 products of absurd dims wrap around
                raise self.error("%s (blob %d) has shape %s (%d values), expected %s"
                                 % (what or "blob %d" % i, i, list(b.shape), arr.size, shape))
            arr = arr.reshape(shape)
        return arr

    def num_blobs(self) -> int:
        if self.weights is None or self.weights.blobs(self.layer.name) is None:
            return 0
        return len(self.weights.blobs(self.layer.name))

    def weight(self, i: int, shape: Optional[Sequence[int]] = None, what: str = "", suffix: str = ""):
        arr = self.weight_array(i, shape, what)
        return self.const(arr, name="%s/%s" % (self.layer.name, suffix or ("weights" if i == 0 else "biases" if i == 1 else "blob%d" % i)))

    # ---- values / shapes ----
    @staticmethod
    def value(out) -> Optional[np.ndarray]:
        return None if out is None else out.value()

    @staticmethod
    def shape(out) -> Optional[List[int]]:
        s = out.shape
        return None if s is None else list(s)

    @staticmethod
    def rank(out) -> Optional[int]:
        s = out.shape
        return None if s is None else len(s)

    def static_shape(self, out) -> Optional[List[int]]:
        s = self.shape(out)
        if s is None or any(d < 0 for d in s):
            return None
        return s

    def need_rank(self, out, what: str = "the input") -> int:
        r = self.rank(out)
        if r is None:
            raise self.error("needs the rank of %s; give the input shapes (--input_shape)" % what)
        return r

    def norm_axis(self, axis: int, rank: int, what: str = "axis") -> int:
        a = axis + rank if axis < 0 else axis
        if not 0 <= a < rank:
            raise self.error("%s %d is out of range for a %d-D blob" % (what, axis, rank))
        return a

    # ---- building ----
    def _name(self, name: str, suffix: str) -> str:
        if name:
            return name
        base = self.layer.name if self.layer is not None else ""
        return "%s/%s" % (base, suffix) if base else suffix

    def const(self, value, dtype=np.float32, name: str = ""):
        arr = np.asarray(value, dtype=dtype) if dtype is not None else np.asarray(value)
        if not arr.flags.c_contiguous:
            arr = np.ascontiguousarray(arr)
        n = self.g.constant(arr, name=self._name(name, "Const"))
        self.created.append(n)
        return n.output(0)

    def i64(self, values, name: str = ""):
        return self.const(np.asarray(values, dtype=np.int64), dtype=None, name=name)

    def _as_output(self, x):
        if isinstance(x, np.ndarray):
            return self.const(x, dtype=None)
        return x

    def op(self, type_: str, inputs: Sequence, attrs: Optional[dict] = None, name: str = "", version: str = ""):
        ins = [self._as_output(x) for x in inputs]
        n = self.g.op(type_, ins, dict(attrs or {}), name=self._name(name, type_), version=version)
        self.created.append(n)
        return n

    def op1(self, type_: str, inputs: Sequence, attrs: Optional[dict] = None, name: str = "", version: str = ""):
        return self.op(type_, inputs, attrs, name, version).output(0)

    def binary(self, type_: str, a, b):
        return self.op1(type_, [a, b], {"auto_broadcast": "numpy"})

    def scalar(self, v: float):
        return self.const(np.asarray([v], np.float32))

    def reshape(self, x, shape, special_zero: bool = True):
        if isinstance(shape, (list, tuple)):
            shape = np.asarray(shape, dtype=np.int64)
        return self.op1("Reshape", [x, shape], {"special_zero": special_zero})

    def unsqueeze(self, x, axes):
        axes = [axes] if isinstance(axes, int) else list(axes)
        return self.op1("Unsqueeze", [x, np.asarray(axes, np.int64)])

    def squeeze(self, x, axes):
        axes = [axes] if isinstance(axes, int) else list(axes)
        return self.op1("Squeeze", [x, np.asarray(axes, np.int64)])

    def shape_of(self, x):
        return self.op1("ShapeOf", [x], {"output_type": "i64"}, version="opset3")

    def dims(self, x, start: int, stop: int):
        """ShapeOf(x)[start:stop] as an i64 1-D tensor (a constant when those dims are static)."""
        s = self.shape(x)
        if s is not None and all(d >= 0 for d in s[start:stop]):
            return self.i64(s[start:stop])
        return self.op1("Slice", [self.shape_of(x), np.array([start], np.int64), np.array([stop], np.int64),
                                  np.array([1], np.int64)], version="opset8")

    def concat(self, xs, axis: int = 0):
        xs = [self._as_output(x) for x in xs]
        if len(xs) == 1:
            return xs[0]
        return self.op1("Concat", xs, {"axis": axis})

    def channel_const(self, arr: np.ndarray, rank: int, axis: int = 1, name: str = ""):
        """A per-axis vector shaped to broadcast against a rank-`rank` blob at `axis`."""
        shape = [1] * (rank - axis)
        shape[0] = arr.size
        return self.const(np.ascontiguousarray(arr, dtype=np.float32).reshape(shape), name=name)
