"""If, Loop and Scan: ONNX sub-graphs become OpenVINO bodies (If-8, Loop-5, TensorIterator-1).

A sub-graph is translated into its own core Graph by a BodyContext. Names it takes from the
enclosing scope are resolved there: constants (and values known at conversion time) are copied
into the body, anything else becomes a body Parameter fed by an extra invariant input of the outer
op (nested bodies capture through every level). If with a condition known at conversion time is
inlined instead.

Sequences and optionals are conversion-time values here (see sequence.py): Seq (a list of
tensors), StackedSeq (a sequence whose items are the slices of one tensor along axis 0, e.g. what
a Loop builds with SequenceInsert) and Opt (an optional whose presence is known).
"""
from __future__ import annotations

from typing import List, Optional

import numpy as np

from irconv.errors import IrconvError

from ..context import Context
from ..registry import onnx_op

# Values known at conversion time are copied into bodies up to this many elements.
_MAX_COPIED_VALUE = 1 << 16
# Re-translations of a loop body while loop-carried shapes are relaxed.
_MAX_RELAX_ROUNDS = 3


# ---------------------------------------------------------------------------------------------
# Conversion-time sequences and optionals


class _NoNode:
    """Stands in for the producer of a non-tensor value (the converter renames producers)."""
    id = None
    name = ""


class _NonTensor:
    node = _NoNode()

    def add_names(self, names):  # an ONNX sequence/optional name has no IR tensor
        pass


class Seq(_NonTensor):
    """An ONNX sequence whose length and items are known at conversion time."""

    def __init__(self, items, et: Optional[str] = None):
        self.items = list(items)
        self.et = et if et is not None else (items[0].element_type if items else None)

    def __repr__(self):
        return "<Seq of %d>" % len(self.items)


class StackedSeq(_NonTensor):
    """An ONNX sequence whose items are the slices of `stacked` along axis 0 (its length may be
    known only at run time)."""

    def __init__(self, stacked):
        self.stacked = stacked

    @property
    def et(self):
        return self.stacked.element_type


class GrowingSeq(_NonTensor):
    """Inside a loop body: a loop-carried sequence that starts empty (the marker), or the marker
    with one tensor appended by SequenceInsert. Becomes a concatenated scan output."""

    def __init__(self, marker=None, appended=None):
        self.marker = marker if marker is not None else self
        self.appended = appended


class Opt(_NonTensor):
    """An ONNX optional whose presence is known at conversion time (value None = empty)."""

    def __init__(self, value, type_proto=None):
        self.value = value
        self.type_proto = type_proto


def is_tensor(v) -> bool:
    return v is not None and not isinstance(v, _NonTensor)


def kind_of(v) -> str:
    if isinstance(v, (Seq, StackedSeq, GrowingSeq)):
        return "sequence"
    if isinstance(v, Opt):
        return "optional"
    return "tensor"


def require_tensor(node, v, what: str):
    if not is_tensor(v):
        raise IrconvError("%s: %s is an ONNX %s where a tensor is expected" % (node.describe(), what, kind_of(v)))
    return v


# ---------------------------------------------------------------------------------------------
# Translating sub-graphs


def _relax(a, b):
    """Dims that differ become dynamic; different ranks give a dynamic rank (None)."""
    if a is None or b is None or len(a) != len(b):
        return None
    return [x if x == y else -1 for x, y in zip(a, b)]


class BodyContext(Context):
    """Translation state of one ONNX sub-graph. `graph` is the body's own core Graph, or the
    parent's graph when the sub-graph is inlined (then outer names are used directly)."""

    def __init__(self, parent: Context, graph, used_names=()):
        super().__init__(graph, parent.ext, parent.opsets, used_names)
        self.parent = parent
        self.local_functions = parent.local_functions
        self.inline = graph is parent.g
        self.captured: list = []   # (body Parameter node, outer Output)
        self.ti_body = False       # the body of a TensorIterator (OpenVINO does not nest them)
        if self.inline:
            self.function_prefixes = parent.function_prefixes
            self.renamed = parent.renamed

    def _outer_lazy(self, name):
        c = self.parent
        while c is not None:
            if name in c.tensors:
                return None
            if name in c._lazy:
                return c._lazy[name]
            c = getattr(c, "parent", None)
        return None

    def has_tensor(self, name: str) -> bool:
        return super().has_tensor(name) or self.parent.has_tensor(name)

    def tensor(self, name: str):
        if name in self.tensors or name in self._lazy:
            return super().tensor(name)
        if self.inline:
            return self.parent.tensor(name)
        lazy = self._outer_lazy(name)
        if lazy is not None:  # an outer initializer: a constant of the body too
            self._lazy[name] = lazy
            return super().tensor(name)
        outer = self.parent.tensor(name)
        value = self._capture(name, outer)
        self.tensors[name] = value
        return value

    def _capture(self, name, outer):
        if isinstance(outer, Seq):
            return Seq([self._capture("%s.%d" % (name, i), x) for i, x in enumerate(outer.items)], outer.et)
        if isinstance(outer, StackedSeq):
            return StackedSeq(self._capture(name, outer.stacked))
        if isinstance(outer, Opt):
            return Opt(None if outer.value is None else self._capture(name, outer.value), outer.type_proto)
        if isinstance(outer, GrowingSeq):
            raise IrconvError("sequence '%s' of an enclosing loop cannot be used in a nested sub-graph" % name)
        v = outer.value()  # constants are shared (borrowed, one blob in the .bin); small known values copied
        if v is not None and (outer.is_const or v.size <= _MAX_COPIED_VALUE):
            return self.g.constant(np.ascontiguousarray(v), name=name).output(0)
        for p, o in self.captured:
            if o == outer:
                return p.output(0)
        p = self.g.parameter(name, outer.element_type, outer.shape)
        self.captured.append((p, outer))
        return p.output(0)


class Body:
    """A translated sub-graph: its graph, the values of its ONNX outputs, the Parameters of its
    formal inputs and the outer values it captured."""

    def __init__(self, graph, bctx, params, outputs):
        self.graph = graph
        self.ctx = bctx
        self.params = params      # formal input index -> body Parameter node (or None)
        self.outputs = outputs    # ONNX output values in the body (Output / Seq / ...)
        self.results: list = []   # body Result nodes, created by result()

    @property
    def captured(self):
        return self.ctx.captured

    def result(self, value, name=""):
        r = self.graph.result(value, name=name)
        self.results.append(r)
        return r


def _graph_used_names(gproto) -> set:
    used = set()
    for n in gproto.node:
        used.update(i for i in n.input if i)
    used.update(o.name for o in gproto.output)
    return used


def _check_body_supported(ctx, node, gproto):
    from ..converter import _check_supported  # noqa: PLC0415 - avoids an import cycle
    path = ctx.ext.model_path
    try:
        _check_supported(path, gproto, ctx.opsets, ctx.local_functions)
    except IrconvError as e:
        raise IrconvError("%s: in sub-graph '%s' of %s: %s"
                          % (path, gproto.name, node.describe(), str(e)[len(path) + 2:])) from None


def in_ti_body(ctx) -> bool:
    c = ctx
    while c is not None:
        if getattr(c, "ti_body", False):
            return True
        c = getattr(c, "parent", None)
    return False


def translate_graph(ctx, node, gproto, formals, name: str, inline: bool = False, ti_body: bool = False) -> Body:
    """Translates ONNX sub-graph `gproto`. formals: one entry per graph input:
    ("param", et, shape) -> a body Parameter; ("sliced", et, shape, axis) -> a body Parameter of
    `shape` (1 on `axis`) squeezed on `axis`; ("value", v) -> bound to v (Output / Seq / ...).
    inline=True translates into ctx's own graph (formals must then be values)."""
    from irconv import _core  # noqa: PLC0415
    from ..converter import _topo_sort, _translate, _unique_friendly_names  # noqa: PLC0415

    _check_body_supported(ctx, node, gproto)
    if len(formals) != len(gproto.input):
        raise IrconvError("%s: sub-graph '%s' has %d inputs, %d expected"
                          % (node.describe(), gproto.name, len(gproto.input), len(formals)))
    graph = ctx.g if inline else _core.Graph(name)
    bctx = BodyContext(ctx, graph, _graph_used_names(gproto))
    bctx.ti_body = ti_body
    params = []
    for vi, f in zip(gproto.input, formals):
        kind = f[0]
        if kind == "value":
            params.append(None)
            bctx.tensors[vi.name] = f[1]
            continue
        if inline:
            raise IrconvError("internal: inlined sub-graph with a Parameter formal")
        et, shape = f[1], f[2]
        p = graph.parameter(vi.name, et, shape)
        params.append(p)
        out = p.output(0)
        if kind == "sliced":
            out = graph.op("Squeeze", [out, graph.constant(np.array([f[3]], np.int64)).output(0)],
                           name=vi.name + "/squeeze").output(0)
        bctx.tensors[vi.name] = out
    for t in gproto.initializer:
        bctx.add_lazy_constant(t.name, t)
    for st in gproto.sparse_initializer:
        bctx.add_lazy_constant(st.values.name, st)
    path = ctx.ext.model_path
    local_out = {o for n in gproto.node for o in n.output if o}
    available = set(bctx.tensors) | set(bctx._lazy)
    available |= {i for n in gproto.node for i in n.input if i and i not in local_out}
    saved = ctx.node
    try:
        for proto in _topo_sort(list(gproto.node), available):
            _translate(bctx, proto, path, 1)
    finally:
        ctx.node = saved
    outputs = []
    for o in gproto.output:
        if not bctx.has_tensor(o.name):
            raise IrconvError("%s: sub-graph '%s' output '%s' is not produced by any node, initializer or input"
                              % (node.describe(), gproto.name, o.name))
        outputs.append(bctx.tensor(o.name))
    if not inline:
        for o in gproto.output:
            v = bctx.tensor(o.name)
            if is_tensor(v) and not v.node.type == "Parameter":
                v.add_names([o.name])
    body = Body(graph, bctx, params, outputs)
    return body


def finish_body(body: Body):
    from ..converter import _unique_friendly_names  # noqa: PLC0415
    _unique_friendly_names(body.graph, body.ctx.renamed)


def _tensor_formal(v):
    return ("param", v.element_type, v.shape)


def _scalar(ctx, x, et):
    return ctx.to_scalar(ctx.convert(x, et))


def _add_outer(inputs: list, value) -> int:
    for i, x in enumerate(inputs):
        if x == value:
            return i
    inputs.append(value)
    return len(inputs) - 1


def _flatten(node, value, what: str) -> list:
    """The tensors a value stands for (a Seq: its items; an Opt: its value)."""
    if is_tensor(value):
        return [value]
    if isinstance(value, Seq):
        return list(value.items)
    if isinstance(value, StackedSeq):
        return [value.stacked]
    if isinstance(value, Opt):
        return [] if value.value is None else _flatten(node, value.value, what)
    raise IrconvError("%s: %s is an ONNX %s that cannot cross a sub-graph boundary"
                      % (node.describe(), what, kind_of(value)))


def _signature(value):
    if is_tensor(value):
        return ("t",)
    if isinstance(value, Seq):
        return ("seq", len(value.items))
    if isinstance(value, StackedSeq):
        return ("stacked",)
    if isinstance(value, Opt):
        return ("opt", None if value.value is None else _signature(value.value))
    return ("?",)


def _describe(sig) -> str:
    if sig[0] == "t":
        return "tensor"
    if sig[0] == "seq":
        return "sequence of %d items" % sig[1]
    if sig[0] == "stacked":
        return "sequence of run-time length"
    if sig[0] == "opt":
        return "empty optional" if sig[1] is None else "optional %s" % _describe(sig[1])
    return "value"


def _rebuild(template, outs: list):
    """Inverse of _flatten over the outer op's outputs (consumes `outs` from the front)."""
    if is_tensor(template):
        return outs.pop(0)
    if isinstance(template, Seq):
        return Seq([outs.pop(0) for _ in template.items], template.et)
    if isinstance(template, StackedSeq):
        return StackedSeq(outs.pop(0))
    if isinstance(template, Opt):
        return Opt(None if template.value is None else _rebuild(template.value, outs), template.type_proto)
    raise IrconvError("internal: cannot rebuild %r" % (template,))


# ---------------------------------------------------------------------------------------------
# If


@onnx_op("If")
def if_(ctx, node):
    """If: a condition known at conversion time inlines the taken branch (common in exported
    models: shape checks); otherwise OpenVINO's If-8 with both branches as bodies."""
    then_g = node.attr_required("then_branch")
    else_g = node.attr_required("else_branch")
    cond = node.input_required(0)
    cv = ctx.value(cond)
    if cv is not None:
        branch = then_g if bool(np.asarray(cv).reshape(-1)[0]) else else_g
        body = translate_graph(ctx, node, branch, [], node.name, inline=True)
        return body.outputs
    if len(then_g.output) != len(else_g.output):
        raise IrconvError("%s: then_branch has %d outputs, else_branch %d"
                          % (node.describe(), len(then_g.output), len(else_g.output)))
    bodies = [translate_graph(ctx, node, g, [], "%s/%s" % (node.name, tag))
              for g, tag in ((then_g, "then_branch"), (else_g, "else_branch"))]
    inputs = [_scalar(ctx, cond, "boolean")]
    input_map, output_map = [], []
    n_flat = None
    for b_idx, body in enumerate(bodies):
        for p, outer in body.captured:
            input_map.append({"outer": _add_outer(inputs, outer), "param": p, "body": b_idx})
        flat = []
        for i, v in enumerate(body.outputs):
            flat.extend(_flatten(node, v, "output %d" % i))
        if n_flat is None:
            n_flat = len(flat)
        for j, v in enumerate(flat):
            output_map.append({"outer": j, "result": body.result(v), "body": b_idx})
        finish_body(body)
    for i, (t, e) in enumerate(zip(*[b.outputs for b in bodies])):
        if _signature(t) != _signature(e):
            raise IrconvError("%s: output %d is (%s) in then_branch and (%s) in else_branch; with a run-time "
                              "condition both must have the same structure"
                              % (node.describe(), i, _describe(_signature(t)), _describe(_signature(e))))
    n = ctx.g.op_with_bodies("If", inputs, [b.graph for b in bodies], input_map, output_map, name=node.name)
    ctx.created.append(n)
    outs = [n.output(j) for j in range(n.num_outputs)]
    return [_rebuild(t, outs) for t in bodies[0].outputs]


# ---------------------------------------------------------------------------------------------
# Loop


def _carried_formal(node, i, v):
    if is_tensor(v):
        return _tensor_formal(v)
    if isinstance(v, Seq):
        return ("value", GrowingSeq())
    raise IrconvError("%s: loop-carried input %d is an ONNX %s; only tensors and sequences that start from "
                      "known items are supported" % (node.describe(), i, kind_of(v)))


@onnx_op("Loop")
def loop(ctx, node):
    """Loop -> Loop-5. M (or -1 = unbounded) and cond (or true) feed trip_count and
    execution_condition; the body's iteration number is the current_iteration Parameter, cond_in
    is a merged input (initial cond, then cond_out), loop-carried values are merged inputs, scan
    outputs are concatenated along a new axis 0. A carried sequence that starts empty and grows by
    SequenceInsert at its end becomes a concatenated scan output (a StackedSeq)."""
    body_g = node.attr_required("body")
    m = node.input(0)
    cond = node.input(1)
    inits = [node.input(i) for i in range(2, len(node.inputs))]
    for i, v in enumerate(inits):
        if v is None:
            raise IrconvError("%s: loop-carried input %d is missing" % (node.describe(), i))
    n_carried = len(inits)
    n_scan = len(body_g.output) - 1 - n_carried
    if n_scan < 0 or len(body_g.input) != 2 + n_carried:
        raise IrconvError("%s: the body has %d inputs and %d outputs for %d loop-carried values (expected %d inputs "
                          "and at least %d outputs)" % (node.describe(), len(body_g.input), len(body_g.output),
                                                        n_carried, 2 + n_carried, 1 + n_carried))
    trip = _scalar(ctx, require_tensor(node, m, "M"), "i64") if m is not None else ctx.const(np.int64(-1))
    cond0 = _scalar(ctx, require_tensor(node, cond, "cond"), "boolean") if cond is not None \
        else ctx.const(np.bool_(True))

    formals = [("param", "i64", []), ("param", "boolean", [])]
    formals += [_carried_formal(node, i, v) for i, v in enumerate(inits)]
    for _round in range(_MAX_RELAX_ROUNDS + 1):
        body = translate_graph(ctx, node, body_g, formals, node.name + "/body")
        changed = False
        for i, f in enumerate(formals[2:]):
            if f[0] != "param":
                continue
            out = body.outputs[1 + i]
            require_tensor(node, out, "body output %d (loop-carried)" % (1 + i))
            r = _relax(f[2], out.shape) if _round < _MAX_RELAX_ROUNDS else None
            if r != f[2]:
                formals[2 + i] = ("param", f[1], r)
                changed = True
        if not changed:
            break

    inputs = [trip, cond0, cond0]
    input_map = [{"param": body.params[0], "purpose": "current_iteration"}]
    output_map = []
    r_cond = body.result(_scalar(body.ctx, require_tensor(node, body.outputs[0], "cond_out"), "boolean"),
                         name=node.name + "/cond_out")
    output_map.append({"result": r_cond, "purpose": "execution_condition"})
    input_map.append({"outer": 2, "param": body.params[1], "back_edge": r_cond})
    outer_outs = []  # per ONNX output: ("tensor", outer index) / ("grow", outer index, initial items)
    k = 0
    for i in range(n_carried):
        v = body.outputs[1 + i]
        if formals[2 + i][0] == "param":
            r = body.result(v)
            inputs.append(inits[i])
            input_map.append({"outer": len(inputs) - 1, "param": body.params[2 + i], "back_edge": r})
            output_map.append({"outer": k, "result": r})
            outer_outs.append(("tensor", k))
            k += 1
            continue
        marker = body.ctx.tensors[body_g.input[2 + i].name]
        if not (isinstance(v, GrowingSeq) and v.marker is marker and v.appended is not None):
            raise IrconvError("%s: loop-carried sequence %d must grow by one SequenceInsert at its end per iteration "
                              "(other sequence updates inside a Loop are not supported)" % (node.describe(), i))
        r = body.result(body.ctx.unsqueeze(v.appended, 0))
        output_map.append({"outer": k, "result": r, "axis": 0})
        outer_outs.append(("grow", k, inits[i]))
        k += 1
    for j in range(n_scan):
        v = require_tensor(node, body.outputs[1 + n_carried + j], "scan output %d" % j)
        r = body.result(body.ctx.unsqueeze(v, 0))
        output_map.append({"outer": k, "result": r, "axis": 0})
        outer_outs.append(("tensor", k))
        k += 1
    for p, outer in body.captured:
        inputs.append(outer)
        input_map.append({"outer": len(inputs) - 1, "param": p})
    finish_body(body)
    n = ctx.g.op_with_bodies("Loop", inputs, [body.graph], input_map, output_map, name=node.name)
    ctx.created.append(n)
    result = []
    for o in outer_outs:
        out = n.output(o[1])
        if o[0] == "tensor":
            result.append(out)
            continue
        items = o[2].items
        if items:
            out = ctx.concat([ctx.unsqueeze(x, 0) for x in items] + [out], 0)
        result.append(StackedSeq(out))
    return result


# ---------------------------------------------------------------------------------------------
# Scan


def _norm(node, axis: int, rank, what: str) -> int:
    if axis < 0:
        if rank is None:
            raise IrconvError("%s: negative %s %d needs a known rank" % (node.describe(), what, axis))
        axis += rank
    if rank is not None and not 0 <= axis < rank:
        raise IrconvError("%s: %s %d is out of range for rank %d" % (node.describe(), what, axis, rank))
    return axis


def _slice_keys(axis: int, reverse: bool) -> dict:
    if reverse:
        return {"axis": axis, "start": -1, "stride": -1, "part_size": 1, "end": 0}
    return {"axis": axis, "start": 0, "stride": 1, "part_size": 1, "end": -1}


def build_scan(ctx, node, body_g, states, scans, in_axes, in_dirs, out_axes, out_dirs, name):
    """Scan-9 semantics on `ctx`'s graph as a TensorIterator (a Loop over the scan axis when already
    inside a TensorIterator body): returns (final states, scan outputs)."""
    use_loop = in_ti_body(ctx)
    n_state, n_in = len(states), len(scans)
    n_out = len(body_g.output) - n_state
    if n_out < 0 or len(body_g.input) != n_state + n_in:
        raise IrconvError("%s: the body has %d inputs and %d outputs for %d states and %d scan inputs"
                          % (node.describe(), len(body_g.input), len(body_g.output), n_state, n_in))
    if n_in < 1:
        raise IrconvError("%s: Scan needs at least one scan input" % node.describe())
    axes = []
    formals = []
    for i, s in enumerate(states):
        require_tensor(node, s, "state %d" % i)
        formals.append(_tensor_formal(s))
    for j, x in enumerate(scans):
        require_tensor(node, x, "scan input %d" % j)
        a = _norm(node, in_axes[j], ctx.rank(x), "scan_input_axes")
        axes.append(a)
        shape = ctx.shape(x)
        if shape is not None:
            shape = list(shape)
            shape[a] = 1
        formals.append(("sliced", x.element_type, shape, a))
    for _round in range(_MAX_RELAX_ROUNDS + 1):
        body = translate_graph(ctx, node, body_g, formals, name, ti_body=not use_loop)
        changed = False
        for i in range(n_state):
            out = require_tensor(node, body.outputs[i], "body output %d (state)" % i)
            r = _relax(formals[i][2], out.shape) if _round < _MAX_RELAX_ROUNDS else None
            if r != formals[i][2]:
                formals[i] = ("param", formals[i][1], r)
                changed = True
        if not changed:
            break
    inputs, input_map, output_map = [], [], []
    if use_loop:  # trip count = length of the scan axis, condition always true
        x0 = scans[0]
        shape = ctx.static_shape(x0)
        trip = ctx.const(np.int64(shape[axes[0]])) if shape is not None else \
            ctx.gather(ctx.shape_of(x0), np.asarray(axes[0], np.int64), 0)
        inputs = [trip, ctx.const(np.bool_(True))]
        r_cond = body.result(body.graph.constant(np.array(True)).output(0))
        output_map.append({"result": r_cond, "purpose": "execution_condition"})
    for i in range(n_state):
        r = body.result(body.outputs[i])
        inputs.append(states[i])
        input_map.append({"outer": len(inputs) - 1, "param": body.params[i], "back_edge": r})
        output_map.append({"outer": i, "result": r})
    for j in range(n_in):
        inputs.append(scans[j])
        input_map.append(dict({"outer": len(inputs) - 1, "param": body.params[n_state + j]},
                              **_slice_keys(axes[j], bool(in_dirs[j]))))
    for k in range(n_out):
        v = require_tensor(node, body.outputs[n_state + k], "scan output %d" % k)
        r = v.shape
        a = _norm(node, out_axes[k], None if r is None else len(r) + 1, "scan_output_axes")
        res = body.result(body.ctx.unsqueeze(v, a))
        output_map.append(dict({"outer": n_state + k, "result": res}, **_slice_keys(a, bool(out_dirs[k]))))
    for p, outer in body.captured:
        inputs.append(outer)
        input_map.append({"outer": len(inputs) - 1, "param": p})
    finish_body(body)
    n = ctx.g.op_with_bodies("Loop" if use_loop else "TensorIterator", inputs, [body.graph], input_map, output_map,
                             name=name)
    ctx.created.append(n)
    outs = [n.output(i) for i in range(n.num_outputs)]
    return outs[:n_state], outs[n_state:]


def _attr_list(node, name, n, default=0):
    v = node.attr(name)
    if v is None:
        return [default] * n
    if len(v) != n:
        raise IrconvError("%s: %s has %d entries, %d expected" % (node.describe(), name, len(v), n))
    return list(v)


@onnx_op("Scan", since=9)
def scan9(ctx, node):
    """Scan-9+ -> TensorIterator: scan inputs are sliced inputs (reversed when their direction is
    1), states are merged inputs, scan outputs are concatenated along scan_output_axes."""
    body_g = node.attr_required("body")
    m = node.attr_required("num_scan_inputs")
    values = [node.input_required(i) for i in range(len(node.inputs))]
    n_state = len(values) - m
    if n_state < 0:
        raise IrconvError("%s: num_scan_inputs=%d but only %d inputs" % (node.describe(), m, len(values)))
    n_out = len(body_g.output) - n_state
    states, scans = values[:n_state], values[n_state:]
    st, sc = build_scan(ctx, node, body_g, states, scans, _attr_list(node, "scan_input_axes", m),
                        _attr_list(node, "scan_input_directions", m), _attr_list(node, "scan_output_axes", n_out),
                        _attr_list(node, "scan_output_directions", n_out), node.name)
    return st + sc


@onnx_op("Scan", since=8, until=8)
def scan8(ctx, node):
    """Scan-8: every input has a batch axis 0 and the scan axis 1; the body sees one batch item.
    A batch of 1 is squeezed away; otherwise a Loop over the batch (sliced inputs, concatenated
    outputs) holds the Scan-9 TensorIterator (OpenVINO does not nest TensorIterators)."""
    from irconv import _core  # noqa: PLC0415
    body_g = node.attr_required("body")
    m = node.attr_required("num_scan_inputs")
    seq_lens = node.input(0)
    values = [require_tensor(node, node.input_required(i), "input %d" % i) for i in range(1, len(node.inputs))]
    n_state = len(values) - m
    if n_state < 0:
        raise IrconvError("%s: num_scan_inputs=%d but only %d inputs" % (node.describe(), m, len(values)))
    n_out = len(body_g.output) - n_state
    if seq_lens is not None:
        lens = ctx.value(seq_lens)
        full = [ctx.shape(x)[1] if ctx.shape(x) is not None else -1 for x in values[n_state:]]
        if lens is None or any(f < 0 for f in full) or not np.all(np.asarray(lens) == full[0]):
            raise IrconvError("%s: sequence_lens shorter than the scan inputs (or known only at run time) "
                              "is not supported" % node.describe())
    dirs = _attr_list(node, "directions", m)

    def scan_items(c, items):
        st, sc = build_scan(c, node, body_g, items[:n_state], items[n_state:], [0] * m, dirs, [0] * n_out,
                            [0] * n_out, node.name + "/scan")
        return st + sc

    batches = {(ctx.shape(x) or [-1])[0] for x in values}
    if batches == {1}:
        outs = scan_items(ctx, [ctx.squeeze(x, 0) for x in values])
        return [ctx.unsqueeze(o, 0) for o in outs]
    outer = _core.Graph(node.name + "/batch")
    bctx = BodyContext(ctx, outer)
    it = outer.parameter(node.name + "/item", "i64", [])
    params = []
    for i, x in enumerate(values):
        shape = ctx.shape(x)
        if shape is not None:
            shape = [1] + list(shape[1:])
        params.append(outer.parameter("%s/in%d" % (node.name, i), x.element_type, shape))
    outs = scan_items(bctx, [bctx.squeeze(p.output(0), 0) for p in params])
    r_cond = outer.result(outer.constant(np.array(True)).output(0))
    input_map = [{"param": it, "purpose": "current_iteration"}]
    output_map = [{"result": r_cond, "purpose": "execution_condition"}]
    inputs = [ctx.gather(ctx.shape_of(values[0]), np.asarray(0, np.int64), 0), ctx.const(np.bool_(True))]
    for i, x in enumerate(values):
        inputs.append(x)
        input_map.append(dict({"outer": len(inputs) - 1, "param": params[i]}, **_slice_keys(0, False)))
    for k, v in enumerate(outs):
        r = outer.result(bctx.unsqueeze(v, 0))
        output_map.append(dict({"outer": k, "result": r}, **_slice_keys(0, False)))
    for p, o in bctx.captured:
        inputs.append(o)
        input_map.append({"outer": len(inputs) - 1, "param": p})
    from ..converter import _unique_friendly_names  # noqa: PLC0415
    _unique_friendly_names(outer, bctx.renamed)
    n = ctx.g.op_with_bodies("Loop", inputs, [outer], input_map, output_map, name=node.name)
    ctx.created.append(n)
    return [n.output(i) for i in range(n.num_outputs)]
