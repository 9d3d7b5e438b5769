"""TensorFlow model -> irconv core graph (before passes).

Steps: load the file(s) (loader.py); resolve --input/--output in the TF graph and cut it there
(cut inputs become Parameters of the tensor's real type, or constants for `name->value`); find
the nodes the outputs need (through inlined functions and loop bodies) and report every
unsupported op at once; translate those nodes depth-first from the outputs; name the results.
"""
import logging
import os
from collections import OrderedDict
from typing import Dict, List, Optional, Tuple

import numpy as np

from irconv.errors import IrconvError

from . import ops  # noqa: F401  (registers the translators)
from .context import Context, Node, Scope, Thunk
from .graph import output_arg_layout
from .loader import load
from .registry import lookup
from .tensors import ET_TO_NP, et_of

MAX_NAMES_LISTED = 5
log = logging.getLogger("irconv")
# the legacy converter's sub-graph replacement inputs: irconv converts such graphs as they are
_LEGACY_CONFIGS = (("transformations_config", "--transformations_config"),
                   ("tensorflow_object_detection_api_pipeline_config",
                    "--tensorflow_object_detection_api_pipeline_config"))
# ops with side effects / no data outputs that are never graph outputs by default
_NOT_OUTPUTS = {"NoOp", "Assign", "AssignAdd", "AssignSub", "AssignVariableOp", "SaveV2", "Save", "SaveSlices",
                "RestoreV2", "Restore", "RestoreSlice", "MergeV2Checkpoints", "VarIsInitializedOp",
                "IsVariableInitialized", "Const", "VariableV2", "Variable", "VarHandleOp", "ShardedFilename",
                "StringJoin", "Placeholder", "PlaceholderWithDefault", "Assert", "PrintV2", "Print"}
_CALL_OPS = ("PartitionedCall", "StatefulPartitionedCall")


# ---------------------------------------------------------------- output types (for cut inputs)

_BOOL_OPS = {"Equal", "NotEqual", "Less", "LessEqual", "Greater", "GreaterEqual", "LogicalAnd", "LogicalOr",
             "LogicalNot", "IsNan", "IsInf", "IsFinite", "LoopCond", "IsVariableInitialized", "InTopKV2"}


def output_dtype(model, node, port):
    """The TF DataType of output `port` of `node` (from its attrs / OpDef), or None."""
    op = node.op
    a = node.attr
    if op in _BOOL_OPS:
        return 10
    if op in ("Shape", "Size", "ShapeN"):
        return a("out_type", 3)
    if op == "Rank":
        return 3
    if op in ("ArgMax", "ArgMin"):
        return a("output_type", 9)
    if op in ("Unique", "UniqueV2", "UniqueWithCounts"):
        return a("T") if port == 0 else a("out_idx", 3)
    if op in ("TopKV2", "TopK"):
        return a("T") if port == 0 else 3
    if op == "Where":
        return 9
    if op == "Cast":
        return a("DstT")
    if op == "Bucketize":
        return 3
    if op in ("Merge", "RefMerge") and port == 1:
        return 3
    if op in ("Placeholder", "PlaceholderV2", "PlaceholderWithDefault", "Const", "Variable", "VariableV2",
              "VarHandleOp"):
        return 20 if op == "VarHandleOp" else a("dtype", None)
    od = model.op_defs.get(op)
    if od is not None:
        layout = output_arg_layout(node, model.op_defs)
        for arg in od.output_arg:
            p, n = layout[arg.name]
            if p <= port < p + n:
                if arg.type:
                    return arg.type
                if arg.type_attr:
                    return a(arg.type_attr, None)
                if arg.type_list_attr:
                    lst = a(arg.type_list_attr, [])
                    return lst[port - p] if port - p < len(lst) else None
    for k in ("T", "dtype", "out_type", "DstT", "output_type", "Tout", "type"):
        if node.has_attr(k):
            v = a(k)
            if isinstance(v, list):
                return v[port] if port < len(v) else None
            if isinstance(v, int):
                return v
    return None


def output_shape(node, port):
    shapes = node.attr("_output_shapes", None)
    if isinstance(shapes, list) and port < len(shapes):
        return shapes[port]
    return None


# ---------------------------------------------------------------- the cut

class _Plan:
    def __init__(self):
        self.bound: Dict[Tuple[str, int], object] = {}
        self.edge_cuts: Dict[Tuple[str, int], Tuple[str, int]] = {}   # (consumer, in port) -> synthetic ref
        self.outputs: List[Tuple[Tuple[str, int], List[str], str]] = []
        self.params: List[object] = []          # Parameters in IR order (from --input)
        self.param_names: Dict[Tuple[str, int], List[str]] = {}


def _resolve(model, name, port, what):
    """A user name (+ optional output port) -> (node, port) in the TF graph."""
    if model.signature is not None and port is None:
        ins, outs = model.signature
        if name in ins:
            return ins[name]
        if name in outs:
            return outs[name]
    if name in model.nodes:
        return name, (port or 0)
    if port is None and ":" in name:
        n, _, p = name.rpartition(":")
        if p.isdigit() and n in model.nodes:
            return n, int(p)
    raise IrconvError("%s: %s: the graph has no node named '%s'" % (model.path, what, name))


def _spec_shape(spec):
    s = spec.static_shape()
    return None if s is None else list(s)


def _make_plan(ctx, model, options):
    g = ctx.g
    plan = _Plan()
    inputs = list(options.get("inputs") or [])
    outputs = list(options.get("outputs") or [])
    sig_in_names = {}
    if model.signature is not None:
        for k, ref in model.signature[0].items():
            sig_in_names[ref] = k
    unnamed = [s for s in inputs if s.name is None]
    named = [s for s in inputs if s.name is not None]
    for s in sorted(named, key=lambda x: x.index):
        what = "--input '%s'" % s.describe()
        if s.in_port is not None:
            node = model.nodes.get(s.name)
            if node is None:
                raise IrconvError("%s: %s: the graph has no node named '%s'" % (model.path, what, s.name))
            if s.in_port >= len(node.inputs):
                raise IrconvError("%s: %s: node '%s' has %d input(s)" % (model.path, what, s.name, len(node.inputs)))
            src = node.inputs[s.in_port]
            ref = ("%d:%s" % (s.in_port, s.name), 0)
            plan.edge_cuts[(s.name, s.in_port)] = ref
            tf_dt = output_dtype(model, model.nodes[src[0]], src[1]) if src[0] in model.nodes else None
            tf_shape = output_shape(model.nodes[src[0]], src[1]) if src[0] in model.nodes else None
            names = [s.describe()]
            pname = s.describe()
        else:
            ref = _resolve(model, s.name, s.out_port, what)
            node = model.nodes.get(ref[0])
            if node is None:
                raise IrconvError("%s: %s: the graph has no node named '%s'" % (model.path, what, ref[0]))
            if ref[1] >= 1 and node.op in ("Placeholder", "PlaceholderV2"):
                raise IrconvError("%s: %s: a Placeholder has one output" % (model.path, what))
            tf_dt = output_dtype(model, node, ref[1])
            tf_shape = node.attr("shape", None) if node.op.startswith("Placeholder") else output_shape(node, ref[1])
            key = sig_in_names.get(ref)
            if key is not None:
                pname = key
                names = [key, ref[0], "%s:%d" % ref]
            elif s.out_port is None:
                pname = s.name
                names = [s.name, "%s:%d" % ref] if ref[1] == 0 else [s.name]
            else:
                pname = s.describe()
                names = [s.describe()] + ([ref[0]] if ref[1] == 0 else [])
        et = s.dtype or (et_of(tf_dt, "%s: %s" % (model.path, what)) if tf_dt is not None else None)
        if s.value is not None:
            val = np.asarray(s.value)
            if et is None:
                et = {np.dtype(np.float64): "f32", np.dtype(np.int64): "i64"}.get(val.dtype)
            if et in ET_TO_NP:
                val = val.astype(ET_TO_NP[et])
            if s.shape is None and tf_shape is not None and all(d >= 0 for d in tf_shape) \
                    and list(val.shape) != list(tf_shape) and val.size == int(np.prod(tf_shape)):
                val = val.reshape(tf_shape)
            ctx.node = None
            out = ctx.const(np.ascontiguousarray(val), name=pname)
            out.add_names(list(names))
            plan.bound[ref] = out
            s.applied = True
            continue
        if et is None:
            raise IrconvError("%s: %s: cannot tell the type of this tensor; give it as %s{f32} (or another type)"
                              % (model.path, what, s.describe()))
        shape = _spec_shape(s)
        if shape is None:
            shape = tf_shape
        p = g.parameter(pname, et, shape)
        p.output(0).set_names(_dedup(names))
        value = p.output(0)
        tf_et = et_of(tf_dt, what) if tf_dt is not None else None
        if tf_et is not None and tf_et != et:
            # {type} changes the IR input's type; the graph still gets the tensor's own type
            ctx.node = None
            value = ctx.op1("Convert", [value], {"destination_type": tf_et}, name=pname + "/convert")
        plan.bound[ref] = value
        plan.params.append(p)
        s.applied = True
        s.parameter = p
    plan.unnamed_shapes = sorted(unnamed, key=lambda x: x.index)

    if outputs:
        for s in sorted(outputs, key=lambda x: x.index):
            what = "--output '%s'" % s.describe()
            if s.in_port is not None:
                node = model.nodes.get(s.name)
                if node is None:
                    raise IrconvError("%s: %s: the graph has no node named '%s'" % (model.path, what, s.name))
                if s.in_port >= len(node.inputs):
                    raise IrconvError("%s: %s: node '%s' has %d input(s)" % (model.path, what, s.name, len(node.inputs)))
                ref = node.inputs[s.in_port]
                names = [s.describe()]
            else:
                ref = _resolve(model, s.name, s.out_port, what)
                if model.signature is not None and s.name in model.signature[1]:
                    names = [s.name, "%s:%d" % ref]
                elif s.out_port is None:
                    names = [s.name, "%s:%d" % ref]
                else:
                    names = [s.describe()] + ([ref[0]] if ref[1] == 0 else [])
                node = model.nodes[ref[0]]
                layout_n = _num_outputs_hint(model, node)
                if layout_n is not None and ref[1] >= layout_n:
                    raise IrconvError("%s: %s: node '%s' has %d output(s)" % (model.path, what, ref[0], layout_n))
            plan.outputs.append((ref, _dedup(names), s.describe()))
            s.applied = True
    elif model.signature is not None:
        for k, ref in model.signature[1].items():
            if ref[0] not in model.nodes:
                raise IrconvError("%s: signature output '%s' names a missing node '%s'" % (model.path, k, ref[0]))
            plan.outputs.append((ref, _dedup([k, "%s:%d" % ref]), k))
    else:
        consumed = set()
        for n in model.nodes.values():
            for src, _ in n.inputs:
                consumed.add(src)
            consumed.update(n.control)
        used_loops = _loops_with_used_results(model, consumed)
        for n in model.nodes.values():
            if n.name in consumed or n.op in _NOT_OUTPUTS or n.op.startswith(("Save", "Restore")):
                continue
            if n.op in ("Exit", "RefExit") and _loop_of_exit(model, n) in used_loops:
                continue    # a leftover result (e.g. the counter) of a loop whose other results are used
            if n.op in ("Identity", "IdentityN") and n.inputs and n.inputs[0][0] in used_loops:
                continue    # the same for a functional While's results (read through Identity nodes)
            if n.op in _HANDLE_OPS:
                continue    # an unused TensorArray/TensorList (e.g. one per map_fn output reserved twice)
            plan.outputs.append(((n.name, 0), [n.name, n.name + ":0"], n.name))
        if not plan.outputs:
            raise IrconvError("%s: cannot find the graph's outputs; name them with --output" % model.path)
    return plan


def _loop_of_exit(model, node):
    """The LoopCond node name of the TF1 while loop an Exit belongs to (None when not found)."""
    sw = model.nodes.get(node.inputs[0][0]) if node.inputs else None
    if sw is None or sw.op not in ("Switch", "RefSwitch") or len(sw.inputs) < 2:
        return None
    return sw.inputs[1][0]


_HANDLE_OPS = {"TensorArrayV3", "TensorArrayV2", "TensorArray", "TensorListReserve", "EmptyTensorList"}
_WHILE_OPS = ("While", "StatelessWhile")


def _loops_with_used_results(model, consumed):
    """TF1 loops (by LoopCond name) and functional While nodes (by name) some result of which the
    graph reads."""
    loops = set()
    for n in model.nodes.values():
        if n.op in ("Exit", "RefExit") and n.name in consumed:
            loops.add(_loop_of_exit(model, n))
        for src, _ in n.inputs:
            w = model.nodes.get(src)
            if w is not None and w.op in _WHILE_OPS and (n.op not in ("Identity", "IdentityN") or n.name in consumed):
                loops.add(src)
    loops.discard(None)
    return loops


def _num_outputs_hint(model, node):
    layout = output_arg_layout(node, model.op_defs)
    if layout is None:
        return None
    return sum(c for _, c in layout.values())


def _dedup(names):
    out = []
    for n in names:
        if n not in out:
            out.append(n)
    return out


# ---------------------------------------------------------------- reachability and support check

def _needed(model, nodes, refs, bound, edge_cuts, prefix="", seen_funcs=None, out=None):
    """Walks from `refs` to the nodes they need. Returns OrderedDict {display name: op} of every
    node needed, including nodes inside called functions and control-flow bodies."""
    out = OrderedDict() if out is None else out
    seen_funcs = set() if seen_funcs is None else seen_funcs
    visited = set()
    stack = [r for r in refs]
    while stack:
        name, port = stack.pop()
        if (name, port) in bound:
            continue
        if name in visited:
            continue
        node = nodes.get(name)
        if node is None:
            raise IrconvError("%s: node '%s%s' is used but not defined in the graph" % (model.path, prefix, name))
        visited.add(name)
        out[prefix + name] = node.op
        for i, src in enumerate(node.inputs):
            if (name, i) in edge_cuts:
                continue
            stack.append(src)
        for fname in _called_functions(node):
            key = fname
            if key in seen_funcs:
                continue
            seen_funcs.add(key)
            try:
                f = model.function(fname, "%s" % node.describe())
            except IrconvError:
                raise
            _needed(model, f.nodes, f.ret_refs, {(a, 0): None for a in f.arg_names}, {},
                    prefix + name + "/", seen_funcs, out)
    return out


def _called_functions(node):
    names = []
    for key in ("f", "then_branch", "else_branch", "cond", "body"):
        if node.has_attr(key):
            v = node.attr(key, None)
            if hasattr(v, "name") and v.name:
                names.append(v.name)
    if node.op in ("Case", "StatelessCase"):
        for v in node.attr("branches", []):
            names.append(v.name)
    return names


def _check_supported(model, needed):
    missing: "OrderedDict[str, List[str]]" = OrderedDict()
    order = {n: i for i, n in enumerate(model.nodes)}
    for name, op in sorted(needed.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])):
        if lookup(op) is None:
            missing.setdefault(op, []).append(name)
    if not missing:
        return
    lines = []
    for op, names in missing.items():
        shown = ", ".join("'%s'" % x for x in names[:MAX_NAMES_LISTED])
        more = " and %d more" % (len(names) - MAX_NAMES_LISTED) if len(names) > MAX_NAMES_LISTED else ""
        lines.append("  %s: %d node%s: %s%s" % (op, len(names), "" if len(names) == 1 else "s", shown, more))
    total = sum(len(v) for v in missing.values())
    raise IrconvError("%s: %d TensorFlow node%s of %d unsupported operation type%s:\n%s"
                      % (model.path, total, "" if total == 1 else "s", len(missing),
                         "" if len(missing) == 1 else "s", "\n".join(lines)))


# ---------------------------------------------------------------- translation

class Translator:
    def __init__(self, ctx, model, edge_cuts):
        self.ctx = ctx
        self.model = model
        self.edge_cuts = edge_cuts
        self.used_names = set()
        self._consumers = {}
        ctx.translate_ref = self.get
        ctx.call_function = self.call_function
        ctx.translator = self

    def get(self, scope, ref):
        v = scope.values.get(ref)
        if v is None:
            self.ensure(scope, ref[0])
            v = scope.values.get(ref)
            if v is None:
                node = scope.nodes.get(ref[0])
                raise IrconvError("%s: %s has no output %d the converter can produce"
                                  % (self.model.path, node.describe() if node else "node '%s'" % ref[0], ref[1]))
        if isinstance(v, Thunk):
            saved = (self.ctx.scope, self.ctx.node, self.ctx.created, self.ctx.g)
            try:
                v = v.fn()
            finally:
                self.ctx.scope, self.ctx.node, self.ctx.created, self.ctx.g = saved
            scope.values[ref] = v
            self._name_output(scope, ref, v)
        return v

    def ensure(self, scope, name):
        """Translates `name` and everything it needs (iterative depth-first, producers first)."""
        if name in scope.done:
            return
        state = {}
        stack = [(name, False)]
        while stack:
            n, expanded = stack.pop()
            if n in scope.done:
                continue
            node = scope.nodes.get(n)
            if node is None:
                raise IrconvError("%s: node '%s%s' is used but not defined in the graph"
                                  % (self.model.path, scope.prefix, n))
            if expanded:
                self.translate_node(scope, node)
                scope.done.add(n)
                state[n] = 2
                continue
            state[n] = 1
            stack.append((n, True))
            for src, port in reversed(self.deps(scope, node)):
                if src in scope.done:
                    continue
                if state.get(src) == 1:
                    raise IrconvError("%s: the graph has a cycle through node '%s%s' (%s) that is not a TF1 "
                                      "while loop" % (self.model.path, scope.prefix, src, scope.nodes[src].op))
                stack.append((src, False))

    def deps(self, scope, node):
        """The (producer, port) refs `node` needs translated first."""
        if node.op in ("Exit", "RefExit"):
            return []      # the loop translator (control_flow.py) builds the whole loop
        out = []
        for src, port in node.inputs:
            if (src, port) in scope.values:
                continue
            if node.op in ("Merge", "RefMerge") and src in scope.nodes and \
                    scope.nodes[src].op in ("NextIteration", "RefNextIteration"):
                continue   # a loop's back edge: the loop translator handles it
            out.append((src, port))
        return out

    def translate_node(self, scope, tfnode):
        ctx = self.ctx
        fn = lookup(tfnode.op)
        saved = (ctx.scope, ctx.node, ctx.created, ctx.g)
        ctx.scope = scope
        if scope.graph is not None:
            ctx.g = scope.graph
        node = Node(tfnode, ctx)
        if fn is None:
            raise IrconvError("%s: %s is not supported" % (self.model.path, node.describe()))
        ctx.node = node
        ctx.created = []
        try:
            result = fn(ctx, node)
        except IrconvError as e:
            msg = str(e)
            if msg.startswith(self.model.path + ": "):
                raise
            pre = node.describe() + ": "
            raise IrconvError("%s: %s: %s" % (self.model.path, node.describe(),
                                              msg[len(pre):] if msg.startswith(pre) else msg)) from e
        except RecursionError:
            raise
        except Exception as e:  # noqa: BLE001 - a translator bug must still name the node
            raise IrconvError("%s: %s: internal error while converting: %s: %s"
                              % (self.model.path, node.describe(), type(e).__name__, e)) from e
        finally:
            created = ctx.created
            ctx.scope, ctx.node, ctx.created, ctx.g = saved
        if not isinstance(result, (list, tuple)):
            result = [result]
        renamed = False
        for port, out in enumerate(result):
            if out is None:
                continue
            ref = (tfnode.name, port)
            scope.values[ref] = out
            if isinstance(out, Thunk):
                continue
            self._name_output(scope, ref, out)
            if not renamed and hasattr(out, "element_type"):
                renamed = True
                prod = out.node
                if any(c.id == prod.id for c in created) and prod.type not in ("Parameter",):
                    try:
                        prod.name = scope.prefix + tfnode.name
                    except AttributeError:
                        pass

    def _name_output(self, scope, ref, out):
        if not hasattr(out, "add_names"):
            return
        base = scope.prefix + ref[0]
        names = ["%s:%d" % (base, ref[1])]
        if ref[1] == 0:
            names.insert(0, base)
        fresh = [n for n in names if n not in self.used_names]
        if fresh:
            self.used_names.update(fresh)
            out.add_names(fresh)

    def consumers(self, nodes):
        """{producer name: [(consumer name, input index)]} of a nodes dict (cached)."""
        key = id(nodes)
        c = self._consumers.get(key)
        if c is None:
            c = {}
            for n in nodes.values():
                for i, (src, _) in enumerate(n.inputs):
                    c.setdefault(src, []).append((n.name, i))
            self._consumers[key] = c
        return c

    def call_function(self, fname, args, prefix, where=""):
        """Inlines function `fname` with argument values `args`; returns a list of Thunks, one per
        function output (translated when read)."""
        f = self.model.function(fname, where)
        if len(args) != len(f.arg_names):
            raise IrconvError("%s: %s: function '%s' takes %d argument(s), the call gives %d"
                              % (self.model.path, where, fname, len(f.arg_names), len(args)))
        bound = {(a, 0): v for a, v in zip(f.arg_names, args)}
        scope = Scope(f.nodes, prefix, bound, self.model.op_defs, fname, self.ctx.g)
        outs = []
        for ref in f.ret_refs:
            outs.append(Thunk(lambda ref=ref, scope=scope: self.get(scope, ref)))
        return outs


def convert(path: str, options: Optional[dict] = None):
    """Converts a TensorFlow model to an irconv._core.Graph (passes not yet run)."""
    from irconv import _core  # noqa: PLC0415 - the package loads the extension

    options = dict(options or {})
    for key, flag in _LEGACY_CONFIGS:
        if options.get(key):
            # never read (the file need not even exist): Preprocessor/Postprocessor loops, NMS and
            # the box predictors convert op by op
            log.info("%s %s: not needed by irconv (the graph is converted as it is, loops and NMS included); "
                     "ignored", flag, options[key])
    model = load(os.fspath(path), options)
    base = os.path.basename(os.path.normpath(os.fspath(options.get("saved_model_dir") or path)))
    g = _core.Graph(os.path.splitext(base)[0] or "model")
    ctx = Context(g, model)
    try:
        plan = _make_plan(ctx, model, options)
    except IrconvError as e:          # e.g. a bad attribute of an input node: name the file
        if str(e).startswith(model.path):
            raise
        raise IrconvError("%s: %s" % (model.path, e)) from None
    refs = [r for r, _, _ in plan.outputs]
    needed = _needed(model, model.nodes, refs, plan.bound, plan.edge_cuts)
    _check_supported(model, needed)

    tr = Translator(ctx, model, plan.edge_cuts)
    main = Scope(model.nodes, "", plan.bound, model.op_defs, "main", g)
    tr.main = main
    # edge cuts: the consumer's input reads the synthetic ref
    for (consumer, port), ref in plan.edge_cuts.items():
        node = model.nodes[consumer]
        node.inputs = list(node.inputs)
        node.inputs[port] = ref
    # --input_shape without --input: the i-th placeholder the outputs need
    ctx.unnamed_shapes = list(getattr(plan, "unnamed_shapes", []))
    ctx.placeholder_order = [n for n, op in needed.items() if op in ("Placeholder", "PlaceholderV2")
                             and (n, 0) not in plan.bound]
    ctx.sig_inputs = {ref: k for k, ref in model.signature[0].items()} if model.signature else {}
    ctx.params = []
    ctx.output_refs = set(refs)
    results = []
    for ref, names, what in plan.outputs:
        v = tr.get(main, ref)
        if not hasattr(v, "element_type"):
            if hasattr(v, "as_output"):
                v = v.as_output(ctx)
            else:
                raise IrconvError("%s: output '%s' is a %s, not a tensor" % (model.path, what, type(v).__name__))
        v.add_names([n for n in names])
        results.append((v, names))
    for v, names in results:
        g.result(v, name=names[0] + "/sink_port_0")
    params = plan.params + [p for p in ctx.params if p not in plan.params]
    live = [p for p in params]
    if live:
        g.set_parameters(live)
    return g
