"""Reading MXNet `-symbol.json` graphs without mxnet (shared/notes/mxnet_formats.md section 3).

    sym = load_symbol("model-symbol.json")
    sym.nodes[i].op / .name / .attrs (str -> str) / .inputs [(node index, output index)]
    sym.heads  [(node index, output index)]

Old files (before 0.9: `param`/`attr` node keys, two-element input entries, BatchNorm without
its aux-state inputs) are upgraded the way MXNet's loader does: `param`, `attr` and `attrs` are
merged (user attributes become `__name__`), and missing aux-state inputs are appended as
variables named `<node>_<argument>`.
"""
from __future__ import annotations

import json
import math
import re
from typing import Dict, List, Optional, Tuple

from irconv.errors import IrconvError

# ops with auxiliary states (not in graphs written before 0.9): full argument list
_AUX_ARGS = {
    "BatchNorm": ("data", "gamma", "beta", "moving_mean", "moving_var"),
    "BatchNorm_v1": ("data", "gamma", "beta", "moving_mean", "moving_var"),
    "CuDNNBatchNorm": ("data", "gamma", "beta", "moving_mean", "moving_var"),
    "_contrib_SyncBatchNorm": ("data", "gamma", "beta", "moving_mean", "moving_var"),
}
_FIRST_AUX = 3


class MxNode:
    """One node of the symbol graph."""

    __slots__ = ("index", "op", "name", "attrs", "inputs", "subgraphs")

    def __init__(self, index: int, op: str, name: str, attrs: Dict[str, str], inputs: List[Tuple[int, int]],
                 subgraphs=None):
        self.index, self.op, self.name, self.attrs, self.inputs = index, op, name, attrs, inputs
        self.subgraphs = subgraphs

    @property
    def is_variable(self) -> bool:
        return self.op == "null"

    def describe(self) -> str:
        return "%s node '%s'" % ("variable" if self.op == "null" else self.op, self.name)

    def __repr__(self):
        return "<MxNode %d %s>" % (self.index, self.describe())


class Symbol:
    def __init__(self, nodes: List[MxNode], heads: List[Tuple[int, int]], arg_nodes: List[int], version: int,
                 path: str):
        self.nodes, self.heads, self.arg_nodes, self.version, self.path = nodes, heads, arg_nodes, version, path
        self.by_name = {n.name: n for n in nodes}

    @property
    def version_string(self) -> str:
        v = self.version
        return "%d.%d.%d" % (v // 10000, v // 100 % 100, v % 100)


def _entry(e, path: str, where: str, n_nodes: int, limit: int) -> Tuple[int, int]:
    if not isinstance(e, list) or len(e) not in (2, 3) or not all(isinstance(x, int) for x in e):
        raise IrconvError("%s: %s: expected [node_index, output_index(, version)], got %r" % (path, where, e))
    if not 0 <= e[0] < n_nodes:
        raise IrconvError("%s: %s: node index %d is out of range (the graph has %d nodes)" % (path, where, e[0], n_nodes))
    if e[0] >= limit:
        raise IrconvError("%s: %s: input node %d does not come before the node (nodes must be in "
                          "topological order)" % (path, where, e[0]))
    if e[1] < 0:
        raise IrconvError("%s: %s: negative output index %d" % (path, where, e[1]))
    return int(e[0]), int(e[1])


def _str_attrs(d, path: str, where: str) -> Dict[str, str]:
    if d is None:
        return {}
    if not isinstance(d, dict):
        raise IrconvError("%s: %s: attributes must be an object, got %s" % (path, where, type(d).__name__))
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in d.items()}


def parse_symbol(obj, path: str = "<symbol>", legacy: bool = False) -> Symbol:
    """A parsed JSON object -> Symbol. `legacy` forces the pre-0.9 upgrade of aux inputs."""
    if not isinstance(obj, dict) or not isinstance(obj.get("nodes"), list):
        raise IrconvError("%s: not an MXNet symbol file (expected a JSON object with a 'nodes' list)" % path)
    top = obj.get("attrs") or {}
    version = 800
    mv = top.get("mxnet_version") if isinstance(top, dict) else None
    if isinstance(mv, list) and len(mv) == 2:
        try:
            version = int(mv[1])
        except (TypeError, ValueError):
            raise IrconvError("%s: bad mxnet_version %r" % (path, mv)) from None
    raw = obj["nodes"]
    n_nodes = len(raw)
    nodes: List[MxNode] = []
    for i, rn in enumerate(raw):
        where = "node %d" % i
        if not isinstance(rn, dict):
            raise IrconvError("%s: %s: expected an object" % (path, where))
        op = rn.get("op")
        name = rn.get("name")
        if not isinstance(op, str) or not isinstance(name, str):
            raise IrconvError("%s: %s: 'op' and 'name' must be strings" % (path, where))
        where = "node %d ('%s')" % (i, name)
        attrs = {}
        attrs.update(_str_attrs(rn.get("param"), path, where))
        for k, v in _str_attrs(rn.get("attr"), path, where).items():
            attrs[k if k.startswith("__") else "__%s__" % k] = v
        attrs.update(_str_attrs(rn.get("attrs"), path, where))
        ins = rn.get("inputs", [])
        if not isinstance(ins, list):
            raise IrconvError("%s: %s: 'inputs' must be a list" % (path, where))
        inputs = [_entry(e, path, where + " input %d" % k, n_nodes, i) for k, e in enumerate(ins)]
        if op == "null" and inputs:
            raise IrconvError("%s: %s: a variable has inputs" % (path, where))
        nodes.append(MxNode(i, op, name, attrs, inputs, rn.get("subgraphs")))
    names = {}
    for n in nodes:
        if n.name in names:
            raise IrconvError("%s: node %d and node %d are both named '%s'" % (path, names[n.name], n.index, n.name))
        names[n.name] = n.index
    heads_raw = obj.get("heads")
    if not isinstance(heads_raw, list) or not heads_raw:
        raise IrconvError("%s: 'heads' (the graph outputs) is missing or empty" % path)
    heads = [_entry(e, path, "heads[%d]" % k, n_nodes, n_nodes) for k, e in enumerate(heads_raw)]
    arg_nodes = obj.get("arg_nodes")
    if isinstance(arg_nodes, list) and all(isinstance(x, int) and 0 <= x < n_nodes for x in arg_nodes):
        arg_nodes = [int(x) for x in arg_nodes]
    else:
        arg_nodes = [n.index for n in nodes if n.is_variable]
    if legacy or version < 900:
        _add_aux_inputs(nodes, arg_nodes, names)
    return Symbol(nodes, heads, arg_nodes, version, path)


def _add_aux_inputs(nodes: List[MxNode], arg_nodes: List[int], names: Dict[str, int]) -> None:
    """Graphs before 0.9 did not list aux states as inputs: append `<node>_<arg>` variables."""
    for n in list(nodes):
        args = _AUX_ARGS.get(n.op)
        if not args or len(n.inputs) >= len(args) or len(n.inputs) < _FIRST_AUX:
            continue
        for a in args[len(n.inputs):]:
            vname = "%s_%s" % (n.name, a)
            idx = names.get(vname)
            if idx is None:
                idx = len(nodes)
                nodes.append(MxNode(idx, "null", vname, {}, []))
                names[vname] = idx
                arg_nodes.append(idx)
            n.inputs.append((idx, 0))


def load_symbol(path: str, legacy: bool = False) -> Symbol:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise IrconvError("cannot read '%s': %s" % (path, e.strerror or e)) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise IrconvError("%s: offset %d: not UTF-8 text (is this a symbol JSON file?)" % (path, e.start)) from None
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        raise IrconvError("%s: line %d column %d (offset %d): bad JSON: %s" % (path, e.lineno, e.colno, e.pos, e.msg)) from None
    return parse_symbol(obj, path, legacy)


# ---- attribute values (always strings in the file) ----

_NONE = ("None", "none", "")


def parse_bool(s: str, where: str) -> bool:
    t = s.strip()
    if t in ("True", "true", "1"):
        return True
    if t in ("False", "false", "0"):
        return False
    raise IrconvError("%s: expected True or False, got '%s'" % (where, s))


def parse_int(s: str, where: str) -> int:
    """An integer attribute value: an int64 (MXNet's parameters are at most 64-bit) written as an
    integer or an integral float ('3.0')."""
    t = s.strip()
    try:
        v = int(t)
    except ValueError:
        try:
            f = float(t)
        except ValueError:
            raise IrconvError("%s: expected an integer, got '%s'" % (where, s)) from None
        if not math.isfinite(f) or f != int(f):
            raise IrconvError("%s: expected an integer, got '%s'" % (where, s)) from None
        v = int(f)
    if not -(1 << 63) <= v < 1 << 63:
        raise IrconvError("%s: %s is outside the int64 range" % (where, s.strip()))
    return v


def parse_float(s: str, where: str) -> float:
    t = s.strip()
    try:
        return float(t)
    except ValueError:
        raise IrconvError("%s: expected a number, got '%s'" % (where, s)) from None


_TUPLE_SPLIT = re.compile(r"[,\s]+")


def parse_list(s: str, where: str, conv) -> Optional[list]:
    """'(3, 3)', '(3,3)', '[0.2, 0.27]', '3', '(None, 1)', '()' -> list (None entries kept).
    'None' -> None."""
    t = s.strip()
    if t in _NONE:
        return None
    if t[:1] in "([":
        close = ")" if t[0] == "(" else "]"
        if not t.endswith(close):
            raise IrconvError("%s: unbalanced tuple '%s'" % (where, s))
        t = t[1:-1]
    toks = [x for x in _TUPLE_SPLIT.split(t.strip()) if x]
    out = []
    for x in toks:
        if x in ("None", "none"):
            out.append(None)
        else:
            out.append(conv(x, where))
    return out
