"""Conversion state shared by the ONNX translators: the core graph, ONNX tensor name -> Output,
opset versions, and small helpers that build core ops."""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence

import numpy as np
import onnx
from onnx import AttributeProto

from irconv.errors import IrconvError

from .loader import (ET_TO_NP, NP_TO_ET, ConstValue, ExternalData, RawConst, StringConst, bf16_bytes,
                     sparse_to_value, tensor_to_value)


# (schema type, file type) pairs accepted as they are: integers where floats are defined
_NUMERIC_WIDENING = {(AttributeProto.FLOAT, AttributeProto.INT), (AttributeProto.FLOATS, AttributeProto.INTS)}
_SCHEMA_TYPES: Dict[tuple, Optional[int]] = {}


def _attr_type_name(t: int) -> str:
    return AttributeProto.AttributeType.Name(t) if t in AttributeProto.AttributeType.values() else str(t)


def _schema_attr_type(op_type: str, domain: str, opsets: Dict[str, int], name: str) -> Optional[int]:
    """The AttributeProto type ONNX's schema gives attribute `name` of the op (None: unknown op or
    attribute, e.g. contrib domains onnx does not define)."""
    dom = "" if domain in ("", "ai.onnx") else domain
    key = (op_type, dom, opsets.get(dom, opsets.get("", 1)), name)
    if key not in _SCHEMA_TYPES:
        t = None
        try:
            schema = onnx.defs.get_schema(op_type, key[2], dom)
            a = schema.attributes.get(name)
            t = int(a.type) if a is not None else None
        except Exception:  # noqa: BLE001 - onnx.defs.SchemaError: an op onnx does not know
            t = None
        _SCHEMA_TYPES[key] = t
    return _SCHEMA_TYPES[key]


def _same_kind(v, default) -> bool:
    """An attribute value fits the translator's default: numbers for numbers, strings for
    strings, lists for lists (no default: anything)."""
    if default is None:
        return True
    if isinstance(default, (bool, int, float)):
        return isinstance(v, (bool, int, float))
    if isinstance(default, str):
        return isinstance(v, str)
    if isinstance(default, (list, tuple)):
        return isinstance(v, list)
    return True


class OnnxNode:
    """A thin view of a NodeProto for translators."""

    def __init__(self, proto: onnx.NodeProto, ctx: "Context"):
        self.proto = proto
        self.ctx = ctx
        self.op_type = proto.op_type
        self.domain = proto.domain
        self.inputs: List[str] = list(proto.input)
        self.outputs: List[str] = list(proto.output)
        first_out = next((o for o in self.outputs if o), "")
        self.name = proto.name or first_out or proto.op_type
        self._attrs = {a.name: a for a in proto.attribute}

    # ---- attributes ----
    def has_attr(self, name: str) -> bool:
        return name in self._attrs

    def attr(self, name: str, default=None):
        a = self._attrs.get(name)
        if a is None:
            return default
        want = _schema_attr_type(self.op_type, self.domain, self.ctx.opsets, name)
        if want is not None and a.type != want and a.type != AttributeProto.UNDEFINED and \
                (want, a.type) not in _NUMERIC_WIDENING:
            raise IrconvError("%s: attribute '%s' is %s, the operator defines it as %s" % (
                self.describe(), name, _attr_type_name(a.type), _attr_type_name(want)))
        v = self._attr(a, name)
        if not _same_kind(v, default):      # the default's type is what the translator expects
            raise IrconvError("%s: attribute '%s' is %s, expected %s" % (
                self.describe(), name, AttributeProto.AttributeType.Name(a.type) if a.type in
                AttributeProto.AttributeType.values() else a.type, type(default).__name__))
        return v

    def _text(self, b: bytes, name: str) -> str:
        try:
            return b.decode("utf-8")
        except UnicodeDecodeError as e:
            raise IrconvError("%s: attribute '%s' is not UTF-8 (byte %d)" % (self.describe(), name, e.start)) from None

    def _attr(self, a, name: str):
        t = a.type
        if t == AttributeProto.FLOAT:
            return float(a.f)
        if t == AttributeProto.INT:
            return int(a.i)
        if t == AttributeProto.STRING:
            return self._text(a.s, name)
        if t == AttributeProto.FLOATS:
            return [float(x) for x in a.floats]
        if t == AttributeProto.INTS:
            return [int(x) for x in a.ints]
        if t == AttributeProto.STRINGS:
            return [self._text(s, name) for s in a.strings]
        if t == AttributeProto.TENSOR:
            return self.ctx.tensor_value(a.t, "%s.%s" % (self.name, name))
        if t == AttributeProto.SPARSE_TENSOR:
            return sparse_to_value(a.sparse_tensor, self.ctx.ext)
        if t == AttributeProto.GRAPH:
            return a.g
        if t == AttributeProto.GRAPHS:
            return list(a.graphs)
        raise IrconvError("%s: attribute '%s' has an unsupported type %d" % (self.describe(), name, t))

    def attr_required(self, name: str):
        if name not in self._attrs:
            raise IrconvError("%s: required attribute '%s' is missing" % (self.describe(), name))
        return self.attr(name)

    # ---- inputs / outputs ----
    def has_input(self, i: int) -> bool:
        return i < len(self.inputs) and self.inputs[i] != ""

    def input(self, i: int):
        """The Output feeding input i, or None for an absent optional input."""
        return self.ctx.input(self, i)

    def input_required(self, i: int):
        o = self.input(i)
        if o is None:
            raise IrconvError("%s: input %d is required" % (self.describe(), i))
        return o

    def input_value(self, i: int) -> Optional[np.ndarray]:
        """Value of input i when it is a constant / known at conversion time, else None."""
        o = self.input(i)
        return None if o is None else self.ctx.value(o)

    @property
    def num_outputs(self) -> int:
        return len(self.outputs)

    def output_used(self, i: int) -> bool:
        return i < len(self.outputs) and self.outputs[i] != "" and self.outputs[i] in self.ctx.used_names

    def describe(self) -> str:
        dom = self.domain if self.domain not in ("", "ai.onnx") else ""
        return "%s%s node '%s'" % (dom + "." if dom else "", self.op_type, self.name)


class Context:
    def __init__(self, graph, ext: ExternalData, opsets: Dict[str, int], used_names=()):
        self.g = graph
        self.ext = ext
        self.opsets = opsets
        self.opset = opsets.get("", 1)
        self.tensors: Dict[str, object] = {}
        self._lazy: Dict[str, object] = {}     # initializer name -> TensorProto / value (not yet a Const)
        self.used_names = set(used_names)      # tensor names consumed by a node or graph output
        self.node: Optional[OnnxNode] = None   # node being translated
        self.created: List[object] = []        # core nodes created for the current ONNX node
        self.local_functions: dict = {}        # (domain, name) -> FunctionProto of the model
        self.function_prefixes: set = set()    # tensor-name prefixes of expanded function calls
        self.renamed: set = set()              # ids of core nodes renamed to an ONNX node name

    # ---- tensors ----
    def add_lazy_constant(self, name: str, proto_or_value) -> None:
        self._lazy[name] = proto_or_value

    def tensor_value(self, t: onnx.TensorProto, what: str = "") -> ConstValue:
        return tensor_to_value(t, self.ext, what)

    def has_tensor(self, name: str) -> bool:
        return name in self.tensors or name in self._lazy

    def tensor(self, name: str):
        out = self.tensors.get(name)
        if out is not None:
            return out
        src = self._lazy.pop(name, None)
        if src is None:
            raise IrconvError("tensor '%s' is not produced by any node, initializer or graph input" % name)
        if isinstance(src, onnx.TensorProto):
            value = self.tensor_value(src, name)
        elif isinstance(src, onnx.SparseTensorProto):
            value = sparse_to_value(src, self.ext)
        else:
            value = src
        out = self.make_const(value, name)
        out.add_names([name])
        self.tensors[name] = out
        return out

    def input(self, node: OnnxNode, i: int):
        if not node.has_input(i):
            return None
        name = node.inputs[i]
        try:
            return self.tensor(name)
        except IrconvError as e:
            raise IrconvError("%s: input %d: %s" % (node.describe(), i, e)) from None

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

    def make_const(self, value: ConstValue, name: str):
        if isinstance(value, RawConst):
            n = self.g.constant_bytes(value.buffer, value.et, list(value.shape), name)
        elif isinstance(value, StringConst):
            n = self.g.constant_strings(list(value.strings), list(value.shape), name)
        else:
            arr = np.asarray(value)
            if arr.dtype not in NP_TO_ET:
                raise IrconvError("constant '%s': numpy dtype %s is not supported" % (name, arr.dtype))
            if not arr.flags.c_contiguous:
                arr = np.ascontiguousarray(arr)
            n = self.g.constant(arr, name=name)
        self.created.append(n)
        return n.output(0)

    def const(self, value, dtype=None, name: str = ""):
        """A Const from a Python/numpy value. dtype: element type name, numpy dtype, or an
        Output whose element type to use; None keeps numpy's type of `value`."""
        if isinstance(value, (RawConst, StringConst)):
            return self.make_const(value, self._name(name, "Const"))
        if dtype is not None and not isinstance(dtype, (str, np.dtype, type)):
            dtype = self.et(dtype)
        if dtype == "bf16":
            arr = np.asarray(value, dtype=np.float32)
            return self.make_const(RawConst("bf16", list(arr.shape), bf16_bytes(arr)), self._name(name, "Const"))
        if isinstance(dtype, str):
            np_dtype = ET_TO_NP.get(dtype)
            if np_dtype is None:
                raise IrconvError("cannot make a constant of element type %s" % dtype)
            dtype = np_dtype
        arr = np.asarray(value, dtype=dtype)
        return self.make_const(arr, self._name(name, "Const"))

    @staticmethod
    def mark_precise(out):
        """Keeps a constant out of FP16 weight compression (rt_info "precise", as OpenVINO's
        disable_fp16_compression): quantization scales, zero points and ranges must stay exact."""
        if out is not None and out.is_const:
            n = out.node
            if not any(a[0] == "precise" for a in n.rt_info):
                n.add_rt_info("precise", "0")
        return out

    def i64(self, values, name: str = ""):
        return self.const(np.asarray(values, dtype=np.int64), name=name)

    def _as_output(self, x):
        if isinstance(x, np.ndarray):
            return self.const(x)
        return x

    def op(self, type_: str, inputs: Sequence, attrs: Optional[dict] = None, name: str = "",
           version: str = ""):
        """Creates a core op node (shape-inferred); numpy arrays in `inputs` become Consts."""
        ins = [self._as_output(x) for x in inputs]
        if any(x is None for x in ins):
            raise IrconvError("internal: %s gets a None input" % type_)
        n = self.g.op(type_, ins, dict(attrs or {}), name=self._name(name, type_), version=version)
        self.created.append(n)
        return n

    def op1(self, type_: str, inputs: Sequence, attrs: Optional[dict] = None, name: str = "",
            version: str = ""):
        """ctx.op(...).output(0)"""
        return self.op(type_, inputs, attrs, name, version).output(0)

    # ---- common sub-graphs ----
    def convert(self, x, et: str):
        if self.et(x) == et:
            return x
        v = self.value(x)
        if v is not None and et in ET_TO_NP and v.size <= 64:
            return self.const(v.astype(ET_TO_NP[et]))
        return self.op1("Convert", [x], {"destination_type": et})

    def convert_like(self, x, like):
        return self.convert(x, self.et(like))

    def shape_of(self, x, et: str = "i64"):
        return self.op1("ShapeOf", [x], {"output_type": et}, version="opset3")

    def reshape(self, x, shape, special_zero: bool = False):
        if not isinstance(shape, np.ndarray) and isinstance(shape, (list, tuple)):
            shape = np.asarray(shape, dtype=np.int64)
        return self.op1("Reshape", [x, shape], {"special_zero": special_zero})

    def unsqueeze(self, x, axes):
        if isinstance(axes, (list, tuple, int)):
            axes = np.asarray(axes if not isinstance(axes, int) else [axes], dtype=np.int64)
        return self.op1("Unsqueeze", [x, axes])

    def squeeze(self, x, axes=None):
        if axes is None:
            return self.op1("Squeeze", [x])
        if isinstance(axes, (list, tuple, int)):
            axes = np.asarray(axes if not isinstance(axes, int) else [axes], dtype=np.int64)
        return self.op1("Squeeze", [x, axes])

    def concat(self, xs, axis: int = 0):
        if len(xs) == 1:
            return self._as_output(xs[0])
        return self.op1("Concat", xs, {"axis": axis})

    def gather(self, x, indices, axis: int = 0):
        if isinstance(indices, (list, tuple, int)):
            indices = np.asarray(indices, dtype=np.int64)
        return self.op1("Gather", [x, indices, np.asarray(axis, dtype=np.int64)], {"batch_dims": 0},
                        version="opset8")

    def to_scalar(self, x):
        """A 1-element tensor as a rank-0 tensor."""
        v = self.value(x)
        if v is not None and v.size == 1:
            return self.const(v.reshape(()))
        if self.rank(x) == 0:
            return x
        return self.reshape(x, np.zeros((0,), dtype=np.int64))

    def binary(self, type_: str, a, b):
        return self.op1(type_, [a, b], {"auto_broadcast": "numpy"})

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
