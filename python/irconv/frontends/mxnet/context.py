"""Conversion state shared by the MXNet translators: the core graph, (node, output) -> Output, and
small helpers that build core ops."""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from irconv.errors import IrconvError

from .symbol import MxNode, Symbol, parse_bool, parse_float, parse_int, parse_list

NP_TO_ET = {np.dtype(np.float32): "f32", np.dtype(np.float16): "f16", np.dtype(np.float64): "f64",
            np.dtype(np.int8): "i8", np.dtype(np.int16): "i16", np.dtype(np.int32): "i32",
            np.dtype(np.int64): "i64", np.dtype(np.uint8): "u8", np.dtype(np.uint16): "u16",
            np.dtype(np.uint32): "u32", np.dtype(np.uint64): "u64", np.dtype(np.bool_): "boolean"}
ET_TO_NP = {v: k for k, v in NP_TO_ET.items()}
# MXNet dtype names (attribute values) -> element types
DTYPE_ET = {"float32": "f32", "float16": "f16", "float64": "f64", "uint8": "u8", "int8": "i8",
            "int32": "i32", "int64": "i64", "bool": "boolean", "int16": "i16", "uint16": "u16",
            "uint32": "u32", "uint64": "u64"}


class Node:
    """A translator's view of one MXNet node: typed attribute access and its inputs."""

    def __init__(self, mx: MxNode, ctx: "Context"):
        self.mx = mx
        self.ctx = ctx
        self.op = mx.op
        self.name = mx.name
        self.attrs = mx.attrs

    def describe(self) -> str:
        return self.mx.describe()

    # ---- attributes ----
    def has(self, key: str) -> bool:
        v = self.attrs.get(key)
        return v is not None and v.strip() not in ("None", "")

    def _where(self, key):
        return "%s: attribute '%s'" % (self.describe(), key)

    def str(self, key: str, default=None):
        v = self.attrs.get(key)
        return default if v is None or v.strip() == "None" else v.strip()

    def int(self, key: str, default=None):
        return parse_int(self.attrs[key], self._where(key)) if self.has(key) else default

    def float(self, key: str, default=None):
        return parse_float(self.attrs[key], self._where(key)) if self.has(key) else default

    def bool(self, key: str, default=False):
        return parse_bool(self.attrs[key], self._where(key)) if self.has(key) else default

    def ints(self, key: str, default=None):
        """A tuple attribute as a list of ints (None entries kept), or default."""
        if not self.has(key):
            return default
        v = parse_list(self.attrs[key], self._where(key), parse_int)
        return default if v is None else v

    def floats(self, key: str, default=None):
        if not self.has(key):
            return default
        v = parse_list(self.attrs[key], self._where(key), parse_float)
        return default if v is None else v

    def required(self, key: str, kind: str = "str"):
        if not self.has(key):
            raise IrconvError("%s: required attribute '%s' is missing" % (self.describe(), key))
        return getattr(self, kind)(key)

    def fail(self, msg: str):
        raise IrconvError("%s: %s" % (self.describe(), msg))

    # ---- inputs ----
    @property
    def num_inputs(self) -> int:
        return len(self.mx.inputs)

    def input(self, i: int):
        if i >= len(self.mx.inputs):
            raise IrconvError("%s: input %d is missing (the node has %d)" % (self.describe(), i, len(self.mx.inputs)))
        return self.ctx.output_of(*self.mx.inputs[i])

    def input_node(self, i: int) -> Optional[MxNode]:
        return self.ctx.sym.nodes[self.mx.inputs[i][0]] if i < len(self.mx.inputs) else None

    def inputs(self) -> List[object]:
        return [self.input(i) for i in range(self.num_inputs)]


class Context:
    def __init__(self, graph, sym: Symbol, weights: Dict[str, np.ndarray], path: str):
        self.g = graph
        self.sym = sym
        self.weights = weights
        self.path = path
        self.outputs: Dict[Tuple[int, int], object] = {}   # (node index, output index) -> Output
        self.node: Optional[Node] = None
        self.created: List[object] = []
        self.unresolved: Dict[Tuple[int, int], str] = {}   # outputs a translator could not make, and why

    def output_of(self, idx: int, out: int):
        o = self.outputs.get((idx, out))
        if o is None:
            if (idx, out) in self.unresolved:
                raise IrconvError(self.unresolved[(idx, out)])
            n = self.sym.nodes[idx]
            if (idx, 0) in self.outputs or not n.is_variable:
                raise IrconvError("%s has no output %d (or it could not be converted)" % (n.describe(), out))
            raise IrconvError("variable '%s' has no value: it is neither an input of the model nor stored in "
                              "the .params file" % n.name)
        return o

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

    def rank_required(self, out, what="input") -> int:
        r = self.rank(out)
        if r is None:
            raise IrconvError("%s: the %s's rank must be known (give the input shape with --input_shape)"
                              % (self.node.describe() if self.node else "", what))
        return r

    @staticmethod
    def et(out) -> str:
        return out.element_type

    def static_shape(self, out) -> Optional[List[int]]:
        s = self.shape(out)
        if s is None or any(d < 0 for d in s):
            return None
        return s

    # ---- building ----
    def _name(self, name: str, suffix: str) -> str:
        if name:
            return name
        base = self.node.name if self.node is not None else ""
        return "%s/%s" % (base, suffix) if base else suffix

    def const(self, value, dtype=None, name: str = ""):
        """A Const from a Python/numpy value; dtype: element type name, numpy dtype, an Output
        whose element type to use, or None for numpy's type (float64 becomes f32)."""
        if dtype is not None and not isinstance(dtype, (str, np.dtype, type)):
            dtype = self.et(dtype)
        if isinstance(dtype, str):
            if dtype not in ET_TO_NP:
                raise IrconvError("cannot make a constant of element type %s" % dtype)
            dtype = ET_TO_NP[dtype]
        arr = np.asarray(value, dtype=dtype)
        if dtype is None and arr.dtype == np.float64:
            arr = arr.astype(np.float32)
        if arr.dtype not in NP_TO_ET:
            raise IrconvError("constant '%s': numpy dtype %s is not supported" % (name, arr.dtype))
        if not arr.flags.c_contiguous:
            arr = np.ascontiguousarray(arr)
        n = self.g.constant(arr, name=self._name(name, "Const"))
        self.created.append(n)
        return n.output(0)

    def i64(self, values, name: str = ""):
        return self.const(np.asarray(values, dtype=np.int64), name=name)

    def _as_output(self, x):
        if isinstance(x, np.ndarray):
            return self.const(x)
        return x

    def op(self, type_: str, inputs: Sequence, attrs: Optional[dict] = None, name: str = "", version: str = ""):
        ins = [self._as_output(x) for x in inputs]
        if any(x is None for x in ins):
            raise IrconvError("internal: %s gets a None input" % type_)
        n = self.g.op(type_, ins, dict(attrs or {}), name=self._name(name, type_), version=version)
        self.created.append(n)
        return n

    def op1(self, type_: str, inputs: Sequence, attrs: Optional[dict] = None, name: str = "", version: str = ""):
        return self.op(type_, inputs, attrs, name, version).output(0)

    # ---- common sub-graphs ----
    def convert(self, x, et: str):
        if self.et(x) == et:
            return x
        return self.op1("Convert", [x], {"destination_type": et})

    def shape_of(self, x, et: str = "i64"):
        return self.op1("ShapeOf", [x], {"output_type": et}, version="opset3")

    def reshape(self, x, shape, special_zero: bool = False):
        if isinstance(shape, (list, tuple)):
            shape = np.asarray(shape, dtype=np.int64)
        return self.op1("Reshape", [x, shape], {"special_zero": special_zero})

    def unsqueeze(self, x, axes):
        axes = np.asarray([axes] if isinstance(axes, int) else list(axes), dtype=np.int64)
        return self.op1("Unsqueeze", [x, axes])

    def squeeze(self, x, axes=None):
        if axes is None:
            return self.op1("Squeeze", [x])
        axes = np.asarray([axes] if isinstance(axes, int) else list(axes), dtype=np.int64)
        return self.op1("Squeeze", [x, axes])

    def concat(self, xs, axis: int = 0):
        xs = [self._as_output(x) for x in xs]
        if len(xs) == 1:
            return xs[0]
        return self.op1("Concat", xs, {"axis": axis})

    def gather(self, x, indices, axis: int = 0):
        if isinstance(indices, (list, tuple, int)):
            indices = np.asarray(indices, dtype=np.int64)
        return self.op1("Gather", [x, indices, np.asarray(axis, dtype=np.int64)], {"batch_dims": 0}, version="opset8")

    def binary(self, type_: str, a, b):
        return self.op1(type_, [a, b], {"auto_broadcast": "numpy"})

    def scalar(self, value, like):
        """A rank-0 constant of `like`'s element type."""
        et = self.et(like)
        if et not in ET_TO_NP:
            raise IrconvError("%s: cannot make a scalar of element type %s" % (self.node.describe() if self.node else "", et))
        return self.const(np.asarray(value).astype(ET_TO_NP[et]))

    def transpose(self, x, perm):
        return self.op1("Transpose", [x, np.asarray(perm, dtype=np.int64)])

    def norm_axis(self, axis: int, rank: Optional[int], what: str = "axis") -> int:
        if axis < 0:
            if rank is None:
                raise IrconvError("%s: negative %s %d needs a known input rank"
                                  % (self.node.describe() if self.node else "", what, axis))
            axis += rank
        if rank is not None and not 0 <= axis < rank:
            raise IrconvError("%s: %s %d is out of range for rank %d"
                              % (self.node.describe() if self.node else "", what, axis, rank))
        return axis

    def dims_of(self, x, dims: Sequence[int]):
        """The given dims of x's shape as a 1-D i64 tensor (a constant when they are static)."""
        s = self.shape(x)
        if s is not None and all(s[d] >= 0 for d in dims):
            return self.i64([s[d] for d in dims])
        return self.gather(self.shape_of(x), list(dims))

    def channel_shape(self, v, rank: int, axis: int = 1):
        """Reshapes a 1-D per-channel array/Output so it broadcasts along `axis` of a rank-`rank` tensor."""
        shape = [1] * rank
        shape[axis] = -1
        if isinstance(v, np.ndarray):
            return self.const(np.ascontiguousarray(v.reshape(shape)))
        if rank == 1:
            return v
        return self.reshape(v, shape)
