"""The TensorFlow graph as the translators see it: nodes with resolved data inputs
(producer name, output port), control inputs, and decoded attributes. Function bodies are
normalized to the same form (their `node:out_arg:index` references become output ports).
"""
from typing import Dict, List, Optional, Tuple

from irconv.errors import IrconvError

from .tensors import et_of, shape_of, tensor_value

_MISSING = object()


class NameAttr:
    """A function reference attribute (NameAttrList): name + attrs."""

    def __init__(self, name, attrs):
        self.name = name
        self.attrs = attrs

    def __repr__(self):
        return "NameAttr(%r)" % self.name


def decode_attr(av, what):
    kind = av.WhichOneof("value")
    if kind == "s":
        return av.s.decode("utf-8", errors="replace")
    if kind == "i":
        return int(av.i)
    if kind == "f":
        return float(av.f)
    if kind == "b":
        return bool(av.b)
    if kind == "type":
        return int(av.type)
    if kind == "shape":
        return shape_of(av.shape)
    if kind == "tensor":
        return tensor_value(av.tensor, what)
    if kind == "func":
        return NameAttr(av.func.name, av.func.attr)
    if kind == "placeholder":
        return ("placeholder", av.placeholder)
    if kind == "list":
        lv = av.list
        if len(lv.s):
            return [s.decode("utf-8", errors="replace") for s in lv.s]
        if len(lv.i):
            return [int(x) for x in lv.i]
        if len(lv.f):
            return [float(x) for x in lv.f]
        if len(lv.b):
            return [bool(x) for x in lv.b]
        if len(lv.type):
            return [int(x) for x in lv.type]
        if len(lv.shape):
            return [shape_of(x) for x in lv.shape]
        if len(lv.tensor):
            return [tensor_value(x, what) for x in lv.tensor]
        if len(lv.func):
            return [NameAttr(x.name, x.attr) for x in lv.func]
        return []
    return None


def _same_kind(v, default):
    """An attribute value fits the translator's default: numbers for numbers, strings for
    strings, lists for lists (a None default: anything)."""
    if default is None:
        return True
    if isinstance(default, (bool, int, float)):
        return isinstance(v, (bool, int, float))
    if isinstance(default, str):
        return isinstance(v, str)
    if isinstance(default, (list, tuple)):
        return isinstance(v, list)
    return True


class TFNode:
    __slots__ = ("name", "op", "inputs", "control", "attrs", "device", "_cache", "func_attrs")

    def __init__(self, name, op, inputs, control, attrs, device=""):
        self.name = name
        self.op = op
        self.inputs: List[Tuple[str, int]] = inputs
        self.control: List[str] = control
        self.attrs = attrs            # name -> AttrValue proto (a protobuf map or a dict)
        self.device = device
        self._cache = {}
        self.func_attrs = None        # attrs of the enclosing function call (placeholder attrs)

    def has_attr(self, key):
        return key in self.attrs

    def attr(self, key, default=_MISSING):
        if key in self._cache:
            return self._cache[key]
        if key not in self.attrs:
            if default is _MISSING:
                raise IrconvError("%s: required attribute '%s' is missing" % (self.describe(), key))
            return default
        av = self.attrs[key]
        v = decode_attr(av, "%s attribute '%s'" % (self.describe(), key))
        if isinstance(v, tuple) and v and v[0] == "placeholder":
            if self.func_attrs is not None and v[1] in self.func_attrs:
                v = decode_attr(self.func_attrs[v[1]], "%s attribute '%s'" % (self.describe(), key))
            else:
                raise IrconvError("%s: attribute '%s' refers to function attribute '%s' that is not bound"
                                  % (self.describe(), key, v[1]))
        if v is None and av.WhichOneof("value") is None:      # an AttrValue holding nothing
            if default is _MISSING:
                raise IrconvError("%s: attribute '%s' has no value" % (self.describe(), key))
            return default
        if default is not _MISSING and not _same_kind(v, default):
            raise IrconvError("%s: attribute '%s' holds %s, expected %s"
                              % (self.describe(), key, type(v).__name__, type(default).__name__))
        self._cache[key] = v
        return v

    def et(self, key="T", default=_MISSING):
        """Element type of a DataType attribute."""
        v = self.attr(key, None if default is not _MISSING else _MISSING)   # the default is an et
        if v is None:
            return default
        if not isinstance(v, int) or isinstance(v, bool):
            raise IrconvError("%s: attribute '%s' holds %s, expected a type" % (self.describe(), key, type(v).__name__))
        return et_of(v, "%s attribute '%s'" % (self.describe(), key))

    def describe(self):
        return "%s node '%s'" % (self.op, self.name)

    def __repr__(self):
        return "<TFNode %s>" % self.describe()


def split_input(s, where):
    """Main-graph input reference: 'a' -> ('a', 0), 'a:2' -> ('a', 2), '^a' -> control."""
    if s.startswith("^"):
        return s[1:], None
    name, sep, port = s.rpartition(":")
    if sep and port.isdigit():
        return name, int(port)
    if not s:
        raise IrconvError("%s: empty input name" % where)
    return s, 0


def nodes_from_graphdef(node_defs, path):
    """NodeDef list -> {name: TFNode} (file order kept)."""
    nodes: Dict[str, TFNode] = {}
    for nd in node_defs:
        inputs, control = [], []
        where = "%s: node '%s'" % (path, nd.name)
        for s in nd.input:
            name, port = split_input(s, where)
            if port is None:
                control.append(name)
            else:
                inputs.append((name, port))
        if not nd.name:
            raise IrconvError("%s: a %s node has no name" % (path, nd.op))
        if nd.name in nodes:
            raise IrconvError("%s: two nodes are named '%s'" % (path, nd.name))
        nodes[nd.name] = TFNode(nd.name, nd.op, inputs, control, nd.attr, nd.device)
    return nodes


# ---------------------------------------------------------------- op output layouts

# Output args of multi-output ops: [(arg name, count)] where count is an int or the name of the
# attribute holding the count (number_attr) or the type list (type_list_attr, "list:" prefix).
OUTPUT_ARGS = {
    "FusedBatchNorm": [("y", 1), ("batch_mean", 1), ("batch_variance", 1), ("reserve_space_1", 1),
                       ("reserve_space_2", 1)],
    "FusedBatchNormV2": [("y", 1), ("batch_mean", 1), ("batch_variance", 1), ("reserve_space_1", 1),
                         ("reserve_space_2", 1)],
    "FusedBatchNormV3": [("y", 1), ("batch_mean", 1), ("batch_variance", 1), ("reserve_space_1", 1),
                         ("reserve_space_2", 1), ("reserve_space_3", 1)],
    "Unique": [("y", 1), ("idx", 1)], "UniqueV2": [("y", 1), ("idx", 1)],
    "UniqueWithCounts": [("y", 1), ("idx", 1), ("count", 1)],
    "TopKV2": [("values", 1), ("indices", 1)], "TopK": [("values", 1), ("indices", 1)],
    "Split": [("output", "num_split")], "SplitV": [("output", "num_split")], "Unpack": [("output", "num")],
    "Switch": [("output_false", 1), ("output_true", 1)], "RefSwitch": [("output_false", 1), ("output_true", 1)],
    "Merge": [("output", 1), ("value_index", 1)], "RefMerge": [("output", 1), ("value_index", 1)],
    "CTCGreedyDecoder": [("decoded_indices", 1), ("decoded_values", 1), ("decoded_shape", 1),
                         ("log_probability", 1)],
    "CTCLoss": [("loss", 1), ("gradient", 1)], "CTCLossV2": [("loss", 1), ("gradient", 1)],
    "SparseFillEmptyRows": [("output_indices", 1), ("output_values", 1), ("empty_row_indicator", 1),
                            ("reverse_index_map", 1)],
    "SparseReshape": [("output_indices", 1), ("output_shape", 1)],
    "BlockLSTM": [("i", 1), ("cs", 1), ("f", 1), ("o", 1), ("ci", 1), ("co", 1), ("h", 1)],
    "BlockLSTMV2": [("i", 1), ("cs", 1), ("f", 1), ("o", 1), ("ci", 1), ("co", 1), ("h", 1)],
    "LSTMBlockCell": [("i", 1), ("cs", 1), ("f", 1), ("o", 1), ("ci", 1), ("co", 1), ("h", 1)],
    "NonMaxSuppressionV4": [("selected_indices", 1), ("valid_outputs", 1)],
    "NonMaxSuppressionV5": [("selected_indices", 1), ("selected_scores", 1), ("valid_outputs", 1)],
    "TensorArrayV3": [("handle", 1), ("flow", 1)],
    "TensorArrayGradV3": [("grad_handle", 1), ("flow_out", 1)],
    "While": [("output", "list:T")], "StatelessWhile": [("output", "list:T")],
    "If": [("output", "list:Tout")], "StatelessIf": [("output", "list:Tout")],
    "PartitionedCall": [("output", "list:Tout")], "StatefulPartitionedCall": [("output", "list:Tout")],
    "IdentityN": [("output", "list:T")],
    "QuantizeV2": [("output", 1), ("output_min", 1), ("output_max", 1)],
    "DynamicPartition": [("outputs", "num_partitions")],
}


def output_arg_layout(node, op_defs):
    """{output arg name: (first port, count)} of `node`, from the model's OpDefs when it has them,
    else the built-in table; None when unknown (single-arg ops: any arg name maps to port=index)."""
    args = None
    od = op_defs.get(node.op) if op_defs else None
    if od is not None and len(od.output_arg):
        args = []
        for a in od.output_arg:
            if a.number_attr:
                args.append((a.name, a.number_attr))
            elif a.type_list_attr:
                args.append((a.name, "list:" + a.type_list_attr))
            else:
                args.append((a.name, 1))
    elif node.op in OUTPUT_ARGS:
        args = OUTPUT_ARGS[node.op]
    if args is None:
        return None
    out, port = {}, 0
    for name, cnt in args:
        if isinstance(cnt, str):
            if cnt.startswith("list:"):
                v = node.attr(cnt[5:], [])
                cnt = len(v) if isinstance(v, list) else 1
            else:
                cnt = int(node.attr(cnt, 1))
        out[name] = (port, cnt)
        port += cnt
    return out


class Function:
    """A FunctionDef normalized: body nodes with (node, port) inputs; args; rets."""

    def __init__(self, fdef, op_defs, path):
        sig = fdef.signature
        self.name = sig.name
        self.fdef = fdef
        self.arg_names = [a.name for a in sig.input_arg]
        self.arg_types = [(a.type, a.type_attr) for a in sig.input_arg]
        self.out_names = [a.name for a in sig.output_arg]
        self.path = path
        self.nodes: Dict[str, TFNode] = {}
        for nd in fdef.node_def:
            self.nodes[nd.name] = TFNode(nd.name, nd.op, [], [], nd.attr, nd.device)
        self._raw_inputs = {nd.name: list(nd.input) for nd in fdef.node_def}
        self._resolved = False
        self.op_defs = op_defs
        self.rets = [fdef.ret[n] if n in fdef.ret else None for n in self.out_names]

    def resolve(self):
        """Resolves 'node:arg:i' references (needs attrs, so done after the function attrs are bound)."""
        if self._resolved:
            return
        for name, raw in self._raw_inputs.items():
            n = self.nodes[name]
            n.inputs, n.control = [], []
            for s in raw:
                ref = self.ref(s, "%s: function '%s' node '%s'" % (self.path, self.name, name))
                if ref[1] is None:
                    n.control.append(ref[0])
                else:
                    n.inputs.append(ref)
        self.ret_refs = []
        for o, r in zip(self.out_names, self.rets):
            if r is None:
                raise IrconvError("%s: function '%s' does not return its output '%s'" % (self.path, self.name, o))
            self.ret_refs.append(self.ref(r, "%s: function '%s' output '%s'" % (self.path, self.name, o)))
        self._resolved = True

    def ref(self, s, where):
        if s.startswith("^"):
            return s[1:], None
        parts = s.split(":")
        if len(parts) == 1:
            if s in self.arg_names:
                return s, 0
            if s in self.nodes:
                return s, 0
            raise IrconvError("%s: input '%s' is neither an argument nor a node of the function" % (where, s))
        if len(parts) == 2:     # 'node:port' (older producers)
            return parts[0], int(parts[1]) if parts[1].isdigit() else 0
        node_name, arg, idx = ":".join(parts[:-2]), parts[-2], parts[-1]
        node = self.nodes.get(node_name)
        if node is None:
            raise IrconvError("%s: input '%s' names no node of the function" % (where, s))
        try:
            idx = int(idx)
        except ValueError:
            raise IrconvError("%s: malformed input reference '%s'" % (where, s)) from None
        layout = output_arg_layout(node, self.op_defs)
        if layout is None:
            return node_name, idx
        if arg not in layout:
            if len(layout) == 1:
                return node_name, idx
            raise IrconvError("%s: %s has no output '%s'" % (where, node.describe(), arg))
        return node_name, layout[arg][0] + idx


def placeholder_info(node) -> Tuple[Optional[str], Optional[list]]:
    return node.et("dtype"), node.attr("shape", None)
