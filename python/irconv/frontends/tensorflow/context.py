"""Conversion state shared by the TensorFlow translators: the core graph, the scope mapping TF
tensors (node, port) to core Outputs (or frontend objects), and small helpers that build core ops."""
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from irconv.errors import IrconvError

from .tensors import ET_TO_NP, NP_TO_ET, RawConst, StringConst


class Thunk:
    """A lazily translated value (e.g. an output of an inlined function): computed when read."""

    def __init__(self, fn):
        self.fn = fn


class Scope:
    """One graph being translated: the main graph or an inlined function body.

    nodes: {name: TFNode}; bound: {(name, port): value} for values fixed from outside (cut inputs,
    function arguments); prefix: prepended to core friendly names of the nodes created here."""

    def __init__(self, nodes, prefix="", bound=None, op_defs=None, name="", graph=None):
        self.nodes = nodes
        self.graph = graph              # the core graph the nodes of this scope are built in
        self.prefix = prefix
        self.values: Dict[Tuple[str, int], object] = dict(bound or {})
        self.done = set()
        self.op_defs = op_defs or {}
        self.name = name
        self.frames = {}                # TF1 while loops translated in this scope, by frame name


class Node:
    """A TF node as a translator sees it."""

    def __init__(self, tf, ctx):
        self.tf = tf
        self.ctx = ctx
        self.name = ctx.scope.prefix + tf.name
        self.op = tf.op

    @property
    def num_inputs(self):
        return len(self.tf.inputs)

    def input_obj(self, i):
        if i >= len(self.tf.inputs):
            raise IrconvError("%s: input %d is missing (the node has %d)" % (self.describe(), i, len(self.tf.inputs)))
        return self.ctx.value_of(self.tf.inputs[i])

    def input(self, i):
        v = self.input_obj(i)
        if not hasattr(v, "element_type"):
            if hasattr(v, "as_output"):
                return v.as_output(self.ctx)
            raise IrconvError("%s: input %d is a %s, not a tensor" % (self.describe(), i, type(v).__name__))
        return v

    def inputs(self):
        return [self.input(i) for i in range(self.num_inputs)]

    def input_value(self, i):
        """The input's value when known at conversion time (a constant), else None."""
        return self.ctx.value(self.input(i))

    def const_input(self, i, what="value"):
        v = self.input_value(i)
        if v is None:
            raise IrconvError("%s: input %d (%s) must be known at conversion time (a constant)"
                              % (self.describe(), i, what))
        return v

    def has_attr(self, k):
        return self.tf.has_attr(k)

    def attr(self, k, *default):
        return self.tf.attr(k, *default)

    def et(self, k="T", *default):
        return self.tf.et(k, *default)

    def describe(self):
        return "%s node '%s'" % (self.op, self.name)


class Context:
    def __init__(self, graph, model):
        self.g = graph
        self.model = model
        self.path = model.path
        self.scope: Optional[Scope] = None
        self.node: Optional[Node] = None
        self.created: List[object] = []
        self.translate_ref = None   # set by the converter: (scope, (name, port)) -> value

    # ---- values ----
    def value_of(self, ref):
        return self.translate_ref(self.scope, ref)

    @staticmethod
    def value(out) -> Optional[np.ndarray]:
        if out is None or not hasattr(out, "value"):
            return None
        return out.value()

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

    def static_shape(self, out):
        s = self.shape(out)
        if s is None or any(d < 0 for d in s):
            return None
        return s

    # ---- building ----
    def _name(self, name, suffix):
        if name:
            return name
        base = self.node.name if self.node is not None else ""
        return "%s/%s" % (base, suffix) if base else suffix

    def make_const(self, value, name):
        if isinstance(value, RawConst):
            n = self.g.constant_bytes(value.buffer, value.et, list(value.shape), name)
        elif isinstance(value, StringConst):
            n = self.g.constant_strings([s.decode("utf-8", errors="replace") if isinstance(s, bytes) else s
                                         for s in value.strings], list(value.shape), name)
        else:
            arr = np.asarray(value)
            if arr.dtype not in NP_TO_ET:
                raise IrconvError("constant '%s': numpy dtype %s is not supported" % (name, arr.dtype))
            if not arr.flags.c_contiguous:
                arr = np.ascontiguousarray(arr)
            n = self.g.constant(arr, name=name)
        self.created.append(n)
        return n.output(0)

    def const(self, value, dtype=None, name=""):
        """A Const from a Python/numpy value. dtype: element type name, numpy dtype, or an Output
        whose element type to use."""
        if isinstance(value, (RawConst, StringConst)):
            return self.make_const(value, self._name(name, "Const"))
        if dtype is not None and not isinstance(dtype, (str, np.dtype, type)):
            dtype = self.et(dtype)
        if isinstance(dtype, str):
            np_dtype = ET_TO_NP.get(dtype)
            if np_dtype is None:
                raise IrconvError("cannot make a constant of element type %s" % dtype)
            dtype = np_dtype
        return self.make_const(np.asarray(value, dtype=dtype), self._name(name, "Const"))

    def i64(self, values, name=""):
        return self.const(np.asarray(values, dtype=np.int64), name=name)

    def i32(self, values, name=""):
        return self.const(np.asarray(values, dtype=np.int32), name=name)

    def _as_output(self, x):
        if isinstance(x, np.ndarray):
            return self.const(x)
        return x

    def op(self, type_, inputs: Sequence, attrs=None, name="", version=""):
        ins = [self._as_output(x) for x in inputs]
        if any(x is None for x in ins):
            raise IrconvError("internal: %s gets a None input" % type_)
        n = self.g.op(type_, ins, dict(attrs or {}), name=self._name(name, type_), version=version)
        self.created.append(n)
        return n

    def op1(self, type_, inputs: Sequence, attrs=None, name="", version=""):
        return self.op(type_, inputs, attrs, name, version).output(0)

    # ---- common sub-graphs ----
    def convert(self, x, et):
        if self.et(x) == et:
            return x
        v = self.value(x)
        if v is not None and et in ET_TO_NP and v.size <= 64:
            return self.const(v.astype(ET_TO_NP[et]))
        return self.op1("Convert", [x], {"destination_type": et})

    def convert_like(self, x, like):
        return self.convert(x, self.et(like))

    def shape_of(self, x, et="i64"):
        return self.op1("ShapeOf", [x], {"output_type": et}, version="opset3")

    def reshape(self, x, shape, special_zero=False):
        if isinstance(shape, (list, tuple)):
            shape = np.asarray(shape, dtype=np.int64)
        return self.op1("Reshape", [x, shape], {"special_zero": special_zero})

    def unsqueeze(self, x, axes):
        if isinstance(axes, (list, tuple, int)):
            axes = np.asarray([axes] if isinstance(axes, int) else axes, dtype=np.int64)
        return self.op1("Unsqueeze", [x, axes])

    def squeeze(self, x, axes=None):
        if axes is None:
            return self.op1("Squeeze", [x])
        if isinstance(axes, (list, tuple, int)):
            axes = np.asarray([axes] if isinstance(axes, int) else axes, dtype=np.int64)
        return self.op1("Squeeze", [x, axes])

    def concat(self, xs, axis=0):
        if len(xs) == 1:
            return self._as_output(xs[0])
        return self.op1("Concat", xs, {"axis": axis})

    def gather(self, x, indices, axis=0, batch_dims=0):
        if isinstance(indices, (list, tuple, int)):
            indices = np.asarray(indices, dtype=np.int64)
        return self.op1("Gather", [x, indices, np.asarray(axis, dtype=np.int64)], {"batch_dims": batch_dims},
                        version="opset8")

    def transpose(self, x, perm):
        return self.op1("Transpose", [x, np.asarray(perm, dtype=np.int64)])

    def binary(self, type_, a, b):
        return self.op1(type_, [a, b], {"auto_broadcast": "numpy"})

    def to_scalar(self, x):
        v = self.value(x)
        if v is not None and v.size == 1:
            return self.const(v.reshape(()))
        if self.rank(x) == 0:
            return x
        return self.reshape(x, np.zeros((0,), dtype=np.int64))

    def norm_axis(self, axis, rank, what="axis"):
        if axis < 0:
            if rank is None:
                raise IrconvError("%s: negative %s %d needs a known input rank"
                                  % (self.node.describe() if self.node else "", what, axis))
            axis += rank
        if rank is not None and not 0 <= axis < max(rank, 1):
            raise IrconvError("%s: %s %d is out of range for rank %d"
                              % (self.node.describe() if self.node else "", what, axis, rank))
        return axis

    def scalar_i64(self, x):
        """A 0-d or 1-element integer tensor as an i64 scalar."""
        return self.to_scalar(self.convert(x, "i64"))

    def filled(self, value, shape):
        """A tensor of `shape` (a 1-D integer tensor) filled with the scalar `value`: Tile of the
        value reshaped to [1]*rank when the rank is static. (OpenVINO's CPU plugin gives a
        Broadcast that feeds an elementwise op one element instead of none when the shape has a
        zero dimension; empty tensors are common in detection post-processing.)"""
        value = self.to_scalar(value)
        s = self.shape(shape)
        if s is None or len(s) != 1 or s[0] < 0:
            return self.op1("Broadcast", [value, shape], {"mode": "numpy"}, version="opset3")
        r = s[0]
        v = self.value(value)
        if v is not None:
            block = self.const(np.asarray(v).reshape([1] * r))
        else:
            block = self.reshape(value, [1] * r)
        return self.op1("Tile", [block, self.convert(shape, "i64")])

    def dim(self, x, axis, et="i64"):
        """Dimension `axis` of x as a 1-element tensor (a constant when static)."""
        s = self.shape(x)
        if s is not None and s[axis] >= 0:
            return self.const(np.asarray([s[axis]], dtype=ET_TO_NP[et]))
        return self.gather(self.shape_of(x, et), [axis])
