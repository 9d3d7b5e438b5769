"""Build context for Kaldi component translators: small helpers over the core graph, named after
the node being translated, and streaming state (ReadValue/Assign, or extra inputs/outputs
with --remove_memory)."""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence

import numpy as np

from irconv.errors import IrconvError


class BuildContext:
    def __init__(self, graph, stateful: bool, remove_memory: bool):
        self.g = graph
        self.stateful = stateful
        self.remove_memory = remove_memory
        self.scope = ""                    # name of the node being built (op names start with it)
        self.states: Dict[str, object] = {}
        self.state_dims: Dict[str, int] = {}
        self.assigned: set = set()
        self.memory_inputs: List[object] = []
        self.memory_outputs: List[tuple] = []
        self._consts: Dict[tuple, object] = {}

    # ---- naming ----
    def name(self, suffix: str) -> str:
        return "%s/%s" % (self.scope, suffix) if self.scope else suffix

    # ---- constants ----
    def const(self, value, name: str = "", dtype=np.float32):
        arr = np.asarray(value)
        if dtype is not None and arr.dtype != dtype:
            arr = arr.astype(dtype)
        if not arr.flags.c_contiguous:
            arr = np.ascontiguousarray(arr)
        return self.g.constant(arr, name=self.name(name or "Const")).output(0)

    def i64(self, values, name: str = ""):
        key = ("i64", tuple(np.asarray(values, dtype=np.int64).reshape(-1).tolist()), np.ndim(values))
        c = self._consts.get(key)
        if c is None:
            c = self.g.constant(np.asarray(values, dtype=np.int64), name=name or "Const").output(0)
            self._consts[key] = c
        return c

    def row(self, vec, name: str = ""):
        """A [1, D] f32 constant from a vector (broadcasts over frames)."""
        v = np.asarray(vec, dtype=np.float32).reshape(1, -1)
        return self.const(v, name)

    def scalar(self, v: float, name: str = ""):
        return self.const(np.asarray(v, dtype=np.float32), name)

    # ---- ops ----
    def op(self, type_: str, inputs: Sequence, attrs: Optional[dict] = None, name: str = "", version: str = ""):
        ins = []
        for x in inputs:
            if isinstance(x, np.ndarray):
                x = self.const(x)
            if x is None:
                raise IrconvError("internal: %s gets a None input" % type_)
            ins.append(x)
        return self.g.op(type_, ins, dict(attrs or {}), name=self.name(name or type_), version=version).output(0)

    def add(self, a, b, name: str = ""):
        return self.op("Add", [a, b], {"auto_broadcast": "numpy"}, name or "Add")

    def sub(self, a, b, name: str = ""):
        return self.op("Subtract", [a, b], {"auto_broadcast": "numpy"}, name or "Subtract")

    def mul(self, a, b, name: str = ""):
        return self.op("Multiply", [a, b], {"auto_broadcast": "numpy"}, name or "Multiply")

    def div(self, a, b, name: str = ""):
        return self.op("Divide", [a, b], {"auto_broadcast": "numpy", "m_pythondiv": True}, name or "Divide")

    def matmul(self, x, w, transpose_b: bool = True, name: str = ""):
        """x [N, in] times W^T (W [out, in] as Kaldi stores it): no transposed copy of W."""
        if isinstance(w, np.ndarray):
            w = self.const(w, (name or "MatMul") + "/weights")
        return self.op("MatMul", [x, w], {"transpose_a": False, "transpose_b": transpose_b}, name or "MatMul")

    def affine(self, x, w, b=None, name: str = ""):
        """x W^T + b."""
        y = self.matmul(x, w, name=name or "MatMul")
        if b is not None and np.asarray(b).size:
            y = self.add(y, self.row(b, (name or "Add") + "/bias"), name=(name + "/Add") if name else "Add")
        return y

    def cols(self, x, start: int, stop: int, name: str = ""):
        """Columns [start, stop) of a [N, D] tensor."""
        shape = x.shape
        if shape is not None and len(shape) == 2 and start == 0 and stop == shape[1]:
            return x
        return self.op("Slice", [x, self.i64([start]), self.i64([stop]), self.i64([1]), self.i64([1])],
                       name=name or "Slice", version="opset8")

    def concat(self, xs: Sequence, name: str = ""):
        xs = list(xs)
        if len(xs) == 1:
            return xs[0]
        return self.op("Concat", xs, {"axis": 1}, name or "Concat")

    def split_cols(self, x, sizes: Sequence[int], name: str = ""):
        """[N, sum(sizes)] -> list of [N, size] pieces."""
        if len(sizes) == 1:
            return [x]
        n = self.g.op("VariadicSplit", [x, self.i64(1), self.i64(list(sizes))], {},
                      name=self.name(name or "VariadicSplit"))
        return [n.output(i) for i in range(len(sizes))]

    def reshape(self, x, shape, name: str = ""):
        return self.op("Reshape", [x, self.i64(list(shape))], {"special_zero": True}, name or "Reshape")

    def softmax(self, x, name: str = ""):
        return self.op("SoftMax", [x], {"axis": -1}, name or "SoftMax", version="opset8")

    def reduce_sum(self, x, axis: int, keep_dims: bool = True, name: str = ""):
        return self.op("ReduceSum", [x, self.i64([axis])], {"keep_dims": keep_dims}, name or "ReduceSum")

    def clamp(self, x, lo: float, hi: float, name: str = ""):
        return self.op("Clamp", [x], {"min": float(lo), "max": float(hi)}, name or "Clamp")

    # ---- streaming state ----
    def state(self, key: str, dim: int):
        """The value of state `key` ([1, dim] f32) from the previous inference: a ReadValue of a
        zero-initialised variable, or (--remove_memory) an extra model input."""
        if not self.stateful:
            raise IrconvError("internal: state '%s' requested in a stateless model" % key)
        out = self.states.get(key)
        if out is not None:
            if self.state_dims[key] != dim:
                raise IrconvError("internal: state '%s' has dim %d, requested %d" % (key, self.state_dims[key], dim))
            return out
        if self.remove_memory:
            p = self.g.parameter(key + "_in", "f32", [1, dim])
            p.output(0).set_names([key + "_in"])
            out = p.output(0)
            self.memory_inputs.append(p)
        else:
            # ReadValue-6 without an initial value: the variable starts (and restarts on
            # reset_state) at zeros of variable_shape -- no zero blobs in the .bin
            out = self.g.op("ReadValue", [], {"variable_id": key, "variable_type": "f32",
                                              "variable_shape": [1, dim]},
                            name=key + "/ReadValue", version="opset6").output(0)
        self.states[key] = out
        self.state_dims[key] = dim
        return out

    def assign(self, key: str, value) -> None:
        """Stores `value` ([1, dim]) into state `key` for the next inference."""
        if key in self.assigned:
            raise IrconvError("internal: state '%s' assigned twice" % key)
        self.assigned.add(key)
        if self.remove_memory:
            self.memory_outputs.append((key + "_out", value))
        else:
            self.g.op("Assign", [value], {"variable_id": key}, name=key + "/Assign", version="opset6")
