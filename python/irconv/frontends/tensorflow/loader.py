"""Reading the five shapes a TensorFlow model comes in, without TensorFlow:
frozen GraphDef (.pb), text GraphDef (.pbtxt), SavedModel directory, MetaGraph (.meta) +
checkpoint, GraphDef + checkpoint (V1 or V2). The result is a TFModel: the main graph's nodes,
the function library, the ops' OpDefs when the file has them, the SavedModel signature, and a
VariableStore that gives variables their checkpoint values.
"""
import os
import re
from typing import Dict, Optional

from irconv.errors import IrconvError

from . import proto
from .checkpoint import open_checkpoint
from .graph import Function, nodes_from_graphdef, split_input

VARIABLE_OPS = ("Variable", "VariableV2", "VarHandleOp", "VarIsInitializedOp")


class TFModel:
    def __init__(self, path, graph_def, kind, meta_graph=None):
        self.path = path
        self.kind = kind
        self.graph_def = graph_def
        self.meta_graph = meta_graph
        self.nodes = nodes_from_graphdef(graph_def.node, path)
        self.fdefs = {f.signature.name: f for f in graph_def.library.function}
        self._functions: Dict[str, Function] = {}
        self.op_defs = {}
        if meta_graph is not None and meta_graph.HasField("meta_info_def"):
            self.op_defs = {o.name: o for o in meta_graph.meta_info_def.stripped_op_list.op}
        self.signature = None          # (inputs {key: (node, port)}, outputs {key: (node, port)})
        self.variables: Optional[VariableStore] = None

    def function(self, name, where=""):
        f = self._functions.get(name)
        if f is None:
            fd = self.fdefs.get(name)
            if fd is None:
                raise IrconvError("%s: %sfunction '%s' is not in the model's function library"
                                  % (self.path, where + ": " if where else "", name))
            f = Function(fd, self.op_defs, self.path)
            f.resolve()
            self._functions[name] = f
        return f


# ---------------------------------------------------------------- file parsing

def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise IrconvError("%s: cannot read: %s" % (path, e.strerror)) from None


def _looks_text(data):
    head = data[:256].lstrip()
    if not head:
        return False
    try:
        txt = head.decode("ascii")
    except UnicodeDecodeError:
        return False
    return bool(re.match(r"^(#[^\n]*\n\s*)*[A-Za-z_][A-Za-z0-9_]*\s*[:{<]", txt))


def _parse_binary(cls, data, path, what):
    try:
        return cls.FromString(data)
    except Exception as e:  # noqa: BLE001 - protobuf decode errors
        raise IrconvError("%s: not a valid binary %s (protobuf parsing failed: %s); if it is a text "
                          "file pass --input_model_is_text" % (path, what, str(e).strip() or type(e).__name__)) from None


def _parse_text(cls, data, path, what):
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise IrconvError("%s: not a text %s (byte %d is not UTF-8); for a binary file leave out "
                          "--input_model_is_text" % (path, what, e.start)) from None
    try:
        return proto.parse_text(cls, text, path)
    except Exception as e:  # noqa: BLE001 - text_format.ParseError and friends
        raise IrconvError("%s: not a valid text %s: %s" % (path, what, str(e).strip() or type(e).__name__)) from None


def parse_message(cls, path, what, text=None):
    data = _read(path)
    if not data.strip():
        raise IrconvError("%s: the file is empty" % path)
    if text is None:
        text = _looks_text(data)
    if text:
        return _parse_text(cls, data, path, what)
    return _parse_binary(cls, data, path, what)


def _check_graph(gd, path, what):
    if len(gd.node) == 0 and len(gd.library.function) == 0:
        raise IrconvError("%s: the %s has no nodes" % (path, what))


# ---------------------------------------------------------------- entry

def load(path, options):
    """path: the --input_model / --saved_model_dir / --input_meta_graph value."""
    opts = options or {}
    path = os.fspath(path)
    sm_dir = opts.get("saved_model_dir")
    meta = opts.get("input_meta_graph")
    if sm_dir or os.path.isdir(path):
        model = _load_saved_model(sm_dir or path, opts.get("saved_model_tags"))
    elif meta or path.endswith(".meta"):
        model = _load_meta(meta or path, opts.get("input_checkpoint"), opts)
    else:
        if not os.path.exists(path):
            raise IrconvError("%s: file not found" % path)
        text = True if opts.get("input_model_is_text") else (True if path.endswith(".pbtxt") else None)
        gd = parse_message(proto.GraphDef, path, "GraphDef", text)
        _check_graph(gd, path, "GraphDef")
        model = TFModel(path, gd, "graph")
        if opts.get("input_checkpoint"):
            model.variables = VariableStore(open_checkpoint(opts["input_checkpoint"]), model)
    # the files read, so that the IR never overwrites one of them
    files = opts.setdefault("input_files", [])
    files.append(model.path)
    if model.variables is not None:
        files.extend(model.variables.ckpt.files)
    return model


def _load_meta(path, checkpoint, opts):
    if not os.path.isfile(path):
        raise IrconvError("%s: MetaGraph file not found" % path)
    mg = parse_message(proto.MetaGraphDef, path, "MetaGraphDef", True if opts.get("input_model_is_text") else None)
    if not mg.HasField("graph_def"):
        raise IrconvError("%s: the MetaGraphDef has no graph_def" % path)
    _check_graph(mg.graph_def, path, "MetaGraph's graph")
    model = TFModel(path, mg.graph_def, "meta", mg)
    ck = checkpoint
    if not ck:
        prefix = path[:-len(".meta")] if path.endswith(".meta") else path
        if os.path.isfile(prefix + ".index") or os.path.isfile(prefix):
            ck = prefix
        elif os.path.isfile(os.path.join(os.path.dirname(os.path.abspath(path)), "checkpoint")):
            ck = os.path.dirname(os.path.abspath(path))
    if ck:
        model.variables = VariableStore(open_checkpoint(ck), model)
    return model


def _load_saved_model(d, tags):
    if not os.path.isdir(d):
        raise IrconvError("%s: SavedModel directory not found" % d)
    pb = os.path.join(d, "saved_model.pb")
    if os.path.isfile(pb):
        sm = parse_message(proto.SavedModel, pb, "SavedModel", False)
    elif os.path.isfile(os.path.join(d, "saved_model.pbtxt")):
        pb = os.path.join(d, "saved_model.pbtxt")
        sm = parse_message(proto.SavedModel, pb, "SavedModel", True)
    else:
        raise IrconvError("%s: not a SavedModel directory (no saved_model.pb)" % d)
    if len(sm.meta_graphs) == 0:
        raise IrconvError("%s: the SavedModel has no MetaGraph" % pb)
    want = set(t.strip() for t in (tags or "serve").split(",") if t.strip())
    mg = None
    for m in sm.meta_graphs:
        if set(m.meta_info_def.tags) == want:
            mg = m
            break
    if mg is None:
        for m in sm.meta_graphs:
            if want <= set(m.meta_info_def.tags):
                mg = m
                break
    if mg is None:
        if tags is None and len(sm.meta_graphs) == 1:
            mg = sm.meta_graphs[0]
        else:
            raise IrconvError("%s: no MetaGraph with tags {%s}; the SavedModel has %s (use --saved_model_tags)"
                              % (pb, ",".join(sorted(want)),
                                 "; ".join("{%s}" % ",".join(m.meta_info_def.tags) for m in sm.meta_graphs)))
    model = TFModel(pb, mg.graph_def, "saved_model", mg)
    sigs = [k for k in mg.signature_def if not k.startswith("__")]
    key = "serving_default" if "serving_default" in mg.signature_def else (sorted(sigs)[0] if sigs else None)
    if key is not None:
        sd = mg.signature_def[key]
        ins = {k: split_input(v.name, pb) for k, v in sd.inputs.items() if v.name}
        outs = {k: split_input(v.name, pb) for k, v in sd.outputs.items() if v.name}
        model.signature = (dict(sorted(ins.items())), dict(sorted(outs.items())))
        model.signature_name = key
    var_prefix = os.path.join(d, "variables", "variables")
    if os.path.isfile(var_prefix + ".index"):
        # the bundle's files (the variables folder, the index, every data shard) must stay inside
        # the SavedModel folder, symlinks resolved
        model.variables = VariableStore(open_checkpoint(var_prefix, root=d), model)
    return model


# ---------------------------------------------------------------- variables

def _parse_slice_spec(spec, what):
    """'256 32 0,86:0,32' -> (full shape, start, length); '' -> None."""
    spec = spec.strip()
    if not spec:
        return None
    toks = spec.split(" ")
    try:
        full = [int(x) for x in toks[:-1]]
        start, length = [], []
        for i, part in enumerate(toks[-1].split(":")):
            if part == "-":
                start.append(0)
                length.append(full[i])
            else:
                a, b = part.split(",")
                start.append(int(a))
                length.append(int(b))
    except (ValueError, IndexError):
        raise IrconvError("%s: malformed shape-and-slice spec '%s'" % (what, spec)) from None
    return full, start, length


class VariableStore:
    """Variable node -> its value in the checkpoint."""

    def __init__(self, ckpt, model):
        self.ckpt = ckpt
        self.model = model
        self._restore = None
        self._objects = None
        self._slices = None

    def _const_value(self, name):
        n = self.model.nodes.get(name)
        while n is not None and n.op == "Identity" and n.inputs:
            n = self.model.nodes.get(n.inputs[0][0])
        if n is None or n.op != "Const":
            return None
        return n.attr("value")

    def _restore_map(self):
        """{variable node: (checkpoint key, slice spec)} from the graph's restore ops (how TF restores)."""
        if self._restore is not None:
            return self._restore
        m = {}
        nodes = self.model.nodes
        for n in nodes.values():
            if n.op not in ("Assign", "AssignVariableOp") or len(n.inputs) < 2:
                continue
            var = n.inputs[0][0]
            src, port = n.inputs[1]
            s = nodes.get(src)
            while s is not None and s.op == "Identity" and s.inputs:
                src, port = s.inputs[0]
                s = nodes.get(src)
            if s is None:
                continue
            try:
                if s.op == "RestoreV2" and len(s.inputs) >= 3:
                    names = self._const_value(s.inputs[1][0])
                    specs = self._const_value(s.inputs[2][0])
                    if names is None or port >= len(names.strings):
                        continue
                    key = names.strings[port].decode("utf-8", errors="replace")
                    spec = specs.strings[port].decode("utf-8", errors="replace") if specs is not None else ""
                    m[var] = (key, spec)
                elif s.op in ("RestoreSlice", "Restore") and len(s.inputs) >= 2:
                    names = self._const_value(s.inputs[1][0])
                    if names is None:
                        continue
                    key = names.strings[0].decode("utf-8", errors="replace")
                    spec = ""
                    if s.op == "RestoreSlice" and len(s.inputs) >= 3:
                        sp = self._const_value(s.inputs[2][0])
                        spec = sp.strings[0].decode("utf-8", errors="replace") if sp is not None else ""
                    m[var] = (key, spec)
            except (AttributeError, IndexError):
                continue
        self._restore = m
        return m

    def _object_map(self):
        """SavedModel (TF2): {VarHandleOp name or variable name: checkpoint key}. A handle captured
        by a saved concrete function is the object-graph node of its bound input (how TF2 loads);
        object-graph variable names are a fallback."""
        if self._objects is not None:
            return self._objects
        m = {}
        mg = self.model.meta_graph
        if mg is not None and mg.HasField("object_graph_def") and "_CHECKPOINTABLE_OBJECT_GRAPH" in self.ckpt:
            og = mg.object_graph_def
            raw = self.ckpt.read("_CHECKPOINTABLE_OBJECT_GRAPH")
            try:
                tog = proto.TrackableObjectGraph.FromString(raw.strings[0])
            except Exception as e:  # noqa: BLE001
                raise IrconvError("%s: cannot parse the checkpoint's object graph: %s" % (self.ckpt.path, e)) from None

            def key_of(i):
                if 0 <= i < len(og.nodes) and og.nodes[i].WhichOneof("kind") == "variable" and i < len(tog.nodes):
                    for a in tog.nodes[i].attributes:
                        if a.name == "VARIABLE_VALUE" and a.checkpoint_key in self.ckpt:
                            return a.checkpoint_key
                return None

            for n in self.model.nodes.values():
                if n.op not in ("PartitionedCall", "StatefulPartitionedCall"):
                    continue
                f = n.attr("f", None)
                cf = og.concrete_functions.get(f.name) if f is not None else None
                if cf is None or not len(cf.bound_inputs):
                    continue
                caps = n.inputs[len(n.inputs) - len(cf.bound_inputs):]
                for (src, _), oid in zip(caps, cf.bound_inputs):
                    k = key_of(oid)
                    if k is not None:
                        m.setdefault(("handle", src), k)
            for i, node in enumerate(og.nodes):
                k = key_of(i)
                if k is not None:
                    m.setdefault(("name", node.variable.name), k)
        self._objects = m
        return m

    def _slice_info(self):
        """MetaGraph 'variables' collections: {variable node: (full name, offset, shape)}."""
        if self._slices is not None:
            return self._slices
        m = {}
        mg = self.model.meta_graph
        if mg is not None:
            for cname in ("variables", "trainable_variables", "model_variables", "local_variables"):
                if cname not in mg.collection_def:
                    continue
                for b in mg.collection_def[cname].bytes_list.value:
                    try:
                        vd = proto.VariableDef.FromString(b)
                    except Exception:  # noqa: BLE001
                        continue
                    if vd.HasField("save_slice_info_def"):
                        si = vd.save_slice_info_def
                        node = vd.variable_name.split(":")[0]
                        m[node] = (si.full_name, list(si.var_offset), list(si.var_shape))
        self._slices = m
        return m

    def value(self, node):
        """The checkpoint value of a Variable/VariableV2/VarHandleOp node."""
        ck = self.ckpt
        shared = node.attr("shared_name", "") or ""
        rm = self._restore_map()
        if node.name in rm:
            key, spec = rm[node.name]
            if key in ck:
                sl = _parse_slice_spec(spec, "%s: restore of '%s'" % (self.model.path, node.name))
                if sl is None:
                    return ck.read(key)
                return ck.read_slice(key, sl[1], sl[2])
        si = self._slice_info().get(node.name)
        if si is not None and si[0] in ck:
            return ck.read_slice(si[0], si[1], si[2])
        om = self._object_map()
        for k in (("handle", node.name), ("name", shared), ("name", node.name)):
            if k in om:
                return ck.read(om[k])
        for k in (node.name, shared):
            if k and k in ck:
                if ck.tensors[k].whole is None and ck.tensors[k].slices:
                    shape = node.attr("shape", None)
                    full = ck.shape(k)
                    if shape is not None and list(shape) != full:
                        continue
                return ck.read(k)
        m = re.match(r"^(.*)/part_(\d+)$", node.name)
        if m and m.group(1) in ck:
            base, i = m.group(1), int(m.group(2))
            parts = sorted(ck.slices(base), key=lambda s: s[0])
            if i < len(parts):
                start, length = parts[i]
                shape = node.attr("shape", None)
                if shape is None or list(shape) == list(length):
                    return ck.read_slice(base, list(start), list(length))
        raise IrconvError("%s: variable '%s' (%s) has no value in checkpoint %s%s"
                          % (self.model.path, node.name, node.op, ck.path,
                             "" if len(ck.keys()) > 20 else " (it holds: %s)" % ", ".join(sorted(ck.keys()))))
