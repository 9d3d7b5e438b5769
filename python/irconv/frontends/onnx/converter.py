"""ONNX ModelProto -> irconv core graph (before passes)."""
from __future__ import annotations

import os
from collections import OrderedDict
from typing import Dict, List, Optional

import onnx

from irconv.errors import IrconvError
from irconv.limits import check_rank

from . import functions
from . import ops  # noqa: F401  (registers the translators)
from .context import Context, OnnxNode
from .loader import ExternalData, et_of_onnx, load_model
from .registry import UseFunction, lookup, norm_domain

MAX_NAMES_LISTED = 5
MAX_FUNCTION_DEPTH = 16


def _opsets(model: onnx.ModelProto) -> Dict[str, int]:
    opsets: Dict[str, int] = {}
    for o in model.opset_import:
        opsets[norm_domain(o.domain)] = int(o.version)
    if "" not in opsets:
        # IR version < 3 models carry no opset_import: they are opset 1.
        opsets[""] = 1
    return opsets


def _value_info_shape(vi: onnx.ValueInfoProto, path: str):
    tt = vi.type
    which = tt.WhichOneof("value")
    if which != "tensor_type":
        raise IrconvError("%s: graph input '%s' is a %s; only tensor inputs are supported"
                          % (path, vi.name, which or "value of unknown type"))
    t = tt.tensor_type
    if t.elem_type == 0:
        raise IrconvError("%s: graph input '%s' has no element type" % (path, vi.name))
    et = et_of_onnx(t.elem_type, "%s: graph input '%s'" % (path, vi.name))
    if not t.HasField("shape"):
        return et, None
    check_rank(len(t.shape.dim), "%s: graph input '%s'" % (path, vi.name))
    dims = []
    for d in t.shape.dim:
        dims.append(int(d.dim_value) if d.HasField("dim_value") and d.dim_value >= 0 else -1)
    return et, dims


def _topo_sort(nodes: List[onnx.NodeProto], available: set) -> List[onnx.NodeProto]:
    """Nodes in an order where producers come first (keeps the file order when it is valid)."""
    avail = set(available)
    ok = True
    for n in nodes:
        if any(i and i not in avail for i in n.input):
            ok = False
            break
        avail.update(o for o in n.output if o)
    if ok:
        return list(nodes)
    producer = {}
    for idx, n in enumerate(nodes):
        for o in n.output:
            if o:
                producer[o] = idx
    order, state = [], [0] * len(nodes)  # 0 new, 1 visiting, 2 done
    for start in range(len(nodes)):
        if state[start]:
            continue
        stack = [(start, False)]
        while stack:
            idx, expanded = stack.pop()
            if expanded:
                state[idx] = 2
                order.append(nodes[idx])
                continue
            if state[idx] == 2:
                continue
            if state[idx] == 1:
                raise IrconvError("the ONNX graph has a cycle through node '%s' (%s)"
                                  % (nodes[idx].name, nodes[idx].op_type))
            state[idx] = 1
            stack.append((idx, True))
            for i in nodes[idx].input:
                p = producer.get(i)
                if p is not None and i not in available and state[p] != 2:
                    if state[p] == 1:
                        raise IrconvError("the ONNX graph has a cycle through node '%s' (%s)"
                                          % (nodes[p].name, nodes[p].op_type))
                    stack.append((p, False))
    return order


def _supported(op_type: str, domain: str, opsets: Dict[str, int], local: dict, depth: int = 0) -> bool:
    """A translator exists, or the op is a (local or ONNX) function whose body is supported."""
    dom = norm_domain(domain)
    ver = opsets.get(dom)
    if ver is not None and lookup(op_type, dom, ver) is not None:
        return True
    if depth > MAX_FUNCTION_DEPTH:
        return False
    f = local.get((dom, op_type))
    if f is None and ver is not None:
        kind = functions.schema_function_kind(op_type, dom, ver)
        if kind == "context":
            return True  # the body depends on input types: checked when expanded
        if kind == "plain":
            f = functions.plain_schema_function(op_type, dom, ver)
    if f is None:
        return False
    inner = functions.function_opsets(f, opsets)
    return all(_supported(b.op_type, b.domain, inner, local, depth + 1) for b in f.node)


def _check_supported(path: str, graph: onnx.GraphProto, opsets: Dict[str, int], local: dict) -> None:
    missing: "OrderedDict[tuple, List[str]]" = OrderedDict()
    cache: Dict[tuple, bool] = {}
    for n in graph.node:
        dom = norm_domain(n.domain)
        ver = opsets.get(dom)
        key = (n.op_type, dom)
        if key not in cache:
            cache[key] = _supported(n.op_type, dom, opsets, local)
        if not cache[key]:
            key = (n.op_type, n.domain or "ai.onnx", ver)
            missing.setdefault(key, []).append(n.name or (n.output[0] if n.output else "?"))
    if not missing:
        return
    lines = []
    for (op, dom, ver), names in missing.items():
        shown = ", ".join("'%s'" % x for x in names[:MAX_NAMES_LISTED])
        more = " and %d more" % (len(names) - MAX_NAMES_LISTED) if len(names) > MAX_NAMES_LISTED else ""
        verstr = "opset %d" % ver if ver is not None else "domain not imported by the model"
        lines.append("  %s (domain %s, %s): %d node%s: %s%s"
                     % (op, dom, verstr, len(names), "" if len(names) == 1 else "s", shown, more))
    total = sum(len(v) for v in missing.values())
    raise IrconvError("%s: %d ONNX node%s of %d unsupported operation type%s:\n%s"
                      % (path, total, "" if total == 1 else "s", len(missing),
                         "" if len(missing) == 1 else "s", "\n".join(lines)))


def _rename(core_node, name: str) -> None:
    try:
        core_node.name = name
    except AttributeError:
        pass


def convert(path, options: Optional[dict] = None):
    """Converts the ONNX model at `path` (or an in-memory onnx.ModelProto) to an irconv._core.Graph
    (passes not yet run). Options: base_dir = directory the external data locations of an
    in-memory ModelProto are relative to; unknown keys are ignored."""
    from irconv import _core  # the lead's package loads the extension

    if isinstance(path, onnx.ModelProto):
        model = path
        name = model.graph.name or "model"
        path = "<onnx.ModelProto '%s'>" % name
        if not model.HasField("graph"):
            raise IrconvError("%s: not a valid ONNX model (no graph in the ModelProto)" % path)
        ext = ExternalData(path, (options or {}).get("base_dir"), in_memory=True)
    else:
        path = os.fspath(path)
        model = load_model(path)
        ext = ExternalData(path)
        name = model.graph.name or os.path.splitext(os.path.basename(path))[0]
    graph = model.graph
    opsets = _opsets(model)
    local = functions.local_functions(model)
    _check_supported(path, graph, opsets, local)

    g = _core.Graph(name)

    used = set()
    for n in graph.node:
        used.update(i for i in n.input if i)
    used.update(o.name for o in graph.output)
    ctx = Context(g, ext, opsets, used)
    ctx.local_functions = local

    init_names = set()
    for t in graph.initializer:
        init_names.add(t.name)
        ctx.add_lazy_constant(t.name, t)
    for st in graph.sparse_initializer:
        init_names.add(st.values.name)
        ctx.add_lazy_constant(st.values.name, st)

    for vi in graph.input:
        if vi.name in init_names:
            continue  # an initializer listed as input (IR < 4): a constant, like OpenVINO does
        et, shape = _value_info_shape(vi, path)
        p = g.parameter(vi.name, et, shape)
        out = p.output(0)
        out.add_names([vi.name])
        ctx.tensors[vi.name] = out

    available = set(ctx.tensors) | init_names
    try:
        order = _topo_sort(list(graph.node), available)
    except IrconvError as e:                  # a cycle: name the file
        raise IrconvError("%s: %s" % (path, e)) from None
    for proto in order:
        _translate(ctx, proto, path)

    for vo in graph.output:
        if not ctx.has_tensor(vo.name):
            raise IrconvError("%s: graph output '%s' is not produced by any node, initializer or input"
                              % (path, vo.name))
        out = ctx.tensor(vo.name)
        if not hasattr(out, "element_type"):  # a conversion-time sequence/optional (ops/sequence.py)
            raise IrconvError("%s: graph output '%s' is an ONNX sequence or optional; IR outputs are tensors"
                              % (path, vo.name))
        out.add_names([vo.name])
        g.result(out, name=vo.name + "/sink_port_0")
    _unique_friendly_names(g, ctx.renamed)
    if options is not None:      # files read besides the model: an IR may not overwrite them
        options.setdefault("input_files", []).extend(ext._maps)
    return g


def _unique_friendly_names(g, preferred: set) -> None:
    """Renaming producers to ONNX node names bypasses the core's name uniquing: make the live
    nodes' friendly names unique again (Parameters and ONNX-named nodes keep theirs)."""
    nodes = g.topo_order()
    taken = {}
    for n in nodes:
        taken.setdefault(n.name, []).append(n)
    if all(len(v) == 1 for v in taken.values()):
        return
    used = set(taken)
    for name, group in taken.items():
        if len(group) == 1:
            continue
        keep = next((n for n in group if n.type == "Parameter"), None) or \
            next((n for n in group if n.id in preferred), None) or group[0]
        k = 1
        for n in group:
            if n is keep or n.id == keep.id:
                continue
            while "%s_%d" % (name, k) in used:
                k += 1
            n.name = "%s_%d" % (name, k)
            used.add(n.name)


def _translate(ctx: Context, proto: onnx.NodeProto, path: str, depth: int = 0) -> None:
    node = OnnxNode(proto, ctx)
    dom = norm_domain(proto.domain)
    ver = ctx.opsets.get(dom)
    fn = lookup(proto.op_type, dom, ver) if ver is not None else None
    if fn is None:
        _translate_function(ctx, node, proto, path, depth)
        return
    ctx.node = node
    ctx.created = []
    try:
        result = fn(ctx, node)
    except UseFunction as e:
        ctx.node = None
        if not _has_function(ctx, proto):
            raise IrconvError("%s: %s (opset %s): %s" % (path, node.describe(), ver, e)) from None
        _translate_function(ctx, node, proto, path, depth)
        return
    except IrconvError as e:
        if str(e).startswith(path + ": "):
            raise  # already located (an error inside a nested sub-graph / function body)
        raise IrconvError("%s: %s (opset %s): %s" % (path, node.describe(), ver, _strip(e, node))) from e
    except Exception as e:  # noqa: BLE001 - a translator bug must still name the node
        raise IrconvError("%s: %s (opset %s): internal error while converting: %s: %s"
                          % (path, node.describe(), ver, type(e).__name__, e)) from e
    finally:
        ctx.node = None
    if not isinstance(result, (list, tuple)):
        result = [result]
    renamed = False
    for i, oname in enumerate(node.outputs):
        if not oname:
            continue
        out = result[i] if i < len(result) else None
        if out is None:
            if oname in ctx.used_names:
                raise IrconvError("%s: %s: output %d ('%s') is not supported by the converter but is used"
                                  % (path, node.describe(), i, oname))
            continue
        out.add_names([oname])
        ctx.tensors[oname] = out
        # friendly name of the op producing the first output = the ONNX node name
        if not renamed:
            renamed = True
            prod = out.node
            if _created_here(prod, ctx.created):
                _rename(prod, node.name)
                ctx.renamed.add(prod.id)
    ctx.created = []


def _created_here(core_node, created) -> bool:
    nid = core_node.id
    return any(n.id == nid for n in created)


def _strip(e: Exception, node: OnnxNode) -> str:
    msg = str(e)
    prefix = node.describe() + ": "
    return msg[len(prefix):] if msg.startswith(prefix) else msg


def _translate_function(ctx: Context, node: OnnxNode, proto: onnx.NodeProto, path: str, depth: int) -> None:
    """Expands a function op (model-local or ONNX-defined) into its body and translates that."""
    dom = norm_domain(proto.domain)
    ver = ctx.opsets.get(dom)
    if depth > MAX_FUNCTION_DEPTH:
        raise IrconvError("%s: %s: functions nested deeper than %d levels"
                          % (path, node.describe(), MAX_FUNCTION_DEPTH))
    f = ctx.local_functions.get((dom, proto.op_type))
    schema = None
    try:
        if f is None:
            kind = functions.schema_function_kind(proto.op_type, dom, ver) if ver is not None else None
            if kind is None:
                raise IrconvError("%s: %s (opset %s) is not supported" % (path, node.describe(), ver))
            schema = functions._schema(proto.op_type, dom, ver)
            if kind == "plain":
                f = functions.plain_schema_function(proto.op_type, dom, ver)
            else:
                inputs = [ctx.input(node, i) for i in range(len(proto.input))]
                f = functions.context_schema_function(proto, dom, ver, inputs)
    except IrconvError:
        raise
    except Exception as e:  # noqa: BLE001 - onnx's function builders raise various types
        raise IrconvError("%s: %s (opset %s): cannot expand its ONNX function body: %s"
                          % (path, node.describe(), ver, e)) from e
    base = node.name + "/"
    prefix, k = base, 1
    while prefix in ctx.function_prefixes:
        prefix = "%s_%d/" % (node.name, k)
        k += 1
    ctx.function_prefixes.add(prefix)
    body = functions.expand(proto, f, prefix, schema)
    saved = (ctx.opsets, ctx.opset)
    ctx.opsets = functions.function_opsets(f, ctx.opsets)
    ctx.opset = ctx.opsets.get("", 1)
    for b in body:
        ctx.used_names.update(i for i in b.input if i)
    try:
        for b in body:
            _translate(ctx, b, path, depth + 1)
    finally:
        ctx.opsets, ctx.opset = saved


def _has_function(ctx: Context, proto: onnx.NodeProto) -> bool:
    dom = norm_domain(proto.domain)
    if (dom, proto.op_type) in ctx.local_functions:
        return True
    ver = ctx.opsets.get(dom)
    return ver is not None and functions.schema_function_kind(proto.op_type, dom, ver) is not None


def translate_subgraph(ctx: Context, node: OnnxNode, graph: onnx.GraphProto):
    """Translates the nodes of a sub-graph (e.g. the taken If branch) into the current graph;
    returns the Outputs of the sub-graph's outputs. Names local to the sub-graph get a prefix,
    outer-scope names resolve to the enclosing graph's tensors."""
    prefix, k = node.name + "/", 1
    while prefix in ctx.function_prefixes:
        prefix = "%s_%d/" % (node.name, k)
        k += 1
    ctx.function_prefixes.add(prefix)
    local = {t.name for t in graph.initializer} | {o for n in graph.node for o in n.output if o}
    local |= {st.values.name for st in graph.sparse_initializer}

    def rename(name: str) -> str:
        return prefix + name if name in local else name

    for t in graph.initializer:
        ctx.add_lazy_constant(prefix + t.name, t)
    for st in graph.sparse_initializer:
        ctx.add_lazy_constant(prefix + st.values.name, st)
    body = []
    for n in graph.node:
        b = onnx.NodeProto()
        b.CopyFrom(n)
        del b.input[:]
        del b.output[:]
        b.input.extend(rename(i) if i else "" for i in n.input)
        b.output.extend(rename(o) if o else "" for o in n.output)
        b.name = prefix + (n.name or n.op_type)
        body.append(b)
    for b in body:
        ctx.used_names.update(i for i in b.input if i)
    ctx.used_names.update(rename(o.name) for o in graph.output)
    saved_node = ctx.node
    path = ctx.ext.model_path
    available = set(ctx.tensors) | set(ctx._lazy)
    for b in _topo_sort(body, available | {i for b in body for i in b.input if i not in local and i}):
        _translate(ctx, b, path, 1)
    ctx.node = saved_node
    return [ctx.tensor(rename(o.name)) for o in graph.output]
