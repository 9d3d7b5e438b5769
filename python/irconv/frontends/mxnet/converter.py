"""MXNet symbol JSON + .params -> irconv core graph (before passes).

Files, as the Model Optimizer found them:
  --input_model <prefix>-<epoch>.params        the symbol is <prefix>-symbol.json (or --input_symbol)
  --input_symbol x-symbol.json alone           weights from the newest <x>-NNNN.params beside it, if any
  --nd_prefix_name P [--pretrained_model_name M-NNNN.params] --input_symbol S
                                               weights from <P>_args.nd / <P>_auxs.nd (plain names)
                                               over the arg: weights of M
  --legacy_mxnet_model                         upgrade a pre-1.0 graph (aux-state inputs)

Inputs are the graph's variables that have no stored weights (labels of loss ops excluded), in
the symbol's argument order; --input_shape / --input give their shapes. --input/--output naming a
node (`node`, `node:port`, `<node>_output`) cut the graph here, before translation, so nothing
outside the cut needs to be convertible. Output tensors carry MXNet's names: `<node>_output`
(`<node>_output0`, `<node>_mean`, ... for multi-output ops).
"""
from __future__ import annotations

import glob
import os
import re
from collections import OrderedDict
from typing import Dict, List, Optional, Tuple

import numpy as np

from irconv.errors import IrconvError

from . import ops  # noqa: F401  (registers the translators)
from .context import DTYPE_ET, NP_TO_ET, Context, Node
from .params import DTYPES, load_params, split_arg_aux
from .registry import lookup
from .symbol import Symbol, load_symbol, parse_int, parse_list

MAX_NAMES_LISTED = 5
_EPOCH = re.compile(r"^(?P<prefix>.*)-(?P<epoch>\d+)\.params$")


# ---------------------------------------------------------------- files

def _symbol_for_params(params_path: str) -> str:
    m = _EPOCH.match(params_path)
    if not m:
        raise IrconvError("%s: cannot find the symbol file: the weights file is not named <prefix>-<epoch>.params; "
                          "give the graph with --input_symbol" % params_path)
    return m.group("prefix") + "-symbol.json"


def _params_for_symbol(symbol_path: str) -> Optional[str]:
    if not symbol_path.endswith("-symbol.json"):
        return None
    prefix = symbol_path[:-len("-symbol.json")]
    found = []
    for f in glob.glob(glob.escape(prefix) + "-*.params"):
        m = _EPOCH.match(f)
        if m and m.group("prefix") == prefix:
            found.append((int(m.group("epoch")), f))
    return max(found)[1] if found else None


def _load_weights(path: str, what: str, nd_kind: Optional[str] = None, files: Optional[list] = None):
    if not os.path.isfile(path):
        raise IrconvError("%s '%s' does not exist" % (what, path))
    if files is not None:
        files.append(path)        # the conversion's inputs: the IR may not overwrite them
    return split_arg_aux(load_params(path), path, nd_kind)


def locate(path: str, options: dict) -> Tuple[str, Dict[str, np.ndarray], Dict[str, np.ndarray]]:
    """Returns (symbol path, args, auxs)."""
    symbol = options.get("input_symbol")
    nd_prefix = options.get("nd_prefix_name")
    pretrained = options.get("pretrained_model_name")
    args: Dict[str, np.ndarray] = {}
    auxs: Dict[str, np.ndarray] = {}
    files = options.setdefault("input_files", [])
    is_json = path.endswith(".json")
    if nd_prefix:
        if not symbol and is_json:
            symbol = path
        if not symbol:
            raise IrconvError("--nd_prefix_name needs the graph: give --input_symbol")
        base = os.path.dirname(pretrained) if pretrained else os.path.dirname(path)
        if pretrained:
            pa, px = _load_weights(pretrained, "--pretrained_model_name file", files=files)
            args.update(pa)
            auxs.update(px)
        a, _ = _load_weights(os.path.join(base, "%s_args.nd" % nd_prefix), "--nd_prefix_name file", files=files)
        _, x = _load_weights(os.path.join(base, "%s_auxs.nd" % nd_prefix), "--nd_prefix_name file", "aux", files=files)
        args.update(a)
        auxs.update(x)
        return symbol, args, auxs
    if is_json:
        symbol = symbol or path
        params = _params_for_symbol(symbol)
    else:
        params = path
        if not symbol:
            symbol = _symbol_for_params(path)
    if not os.path.isfile(symbol):
        raise IrconvError("MXNet symbol file '%s' does not exist%s" % (
            symbol, "" if options.get("input_symbol") else " (give it with --input_symbol)"))
    if params:
        kind = "aux" if params.endswith(".nd") and "auxs" in os.path.basename(params) else None
        args, auxs = _load_weights(params, "MXNet weights file", kind, files=files)
    return symbol, args, auxs


# ---------------------------------------------------------------- names

def output_names(sym: Symbol, idx: int, count_hint: int = 1) -> List[str]:
    """MXNet's list_outputs() names of a node's outputs (without the node name)."""
    n = sym.nodes[idx]
    e = lookup(n.op)
    names = None
    if e is not None and e.outputs is not None:
        names = e.outputs(n) if callable(e.outputs) else list(e.outputs)
    if names is None:
        names = ["output"] if count_hint <= 1 else ["output%d" % i for i in range(count_hint)]
    return names


def tensor_name(sym: Symbol, idx: int, out: int) -> str:
    n = sym.nodes[idx]
    if n.is_variable:
        return n.name
    names = output_names(sym, idx, out + 1)
    return "%s_%s" % (n.name, names[out] if out < len(names) else "output%d" % out)


class _Names:
    """Resolves a user's name for a place in the MXNet graph: `node`, `node:port`, `port:node`,
    or an output name (`conv1_output`, `split_output1`)."""

    def __init__(self, sym: Symbol):
        self.sym = sym
        self.by_tensor = {}
        for n in sym.nodes:
            if n.is_variable:
                continue
            for i, nm in enumerate(output_names(sym, n.index, 1)):
                self.by_tensor.setdefault("%s_%s" % (n.name, nm), (n.index, i))

    def output(self, name: str, port: Optional[int]):
        n = self.sym.by_name.get(name)
        if n is not None:
            return n.index, port or 0
        if port is None:
            t = self.by_tensor.get(name)
            if t is not None:
                return t
            m = re.match(r"^(.*)_output(\d+)$", name)
            if m and m.group(1) in self.sym.by_name:
                return self.sym.by_name[m.group(1)].index, int(m.group(2))
        return None


# ---------------------------------------------------------------- conversion

def _used_slots(node) -> Optional[Tuple[int, ...]]:
    e = lookup(node.op)
    return None if e is None else e.inputs


def _needed(sym: Symbol, heads: List[Tuple[int, int]], cut: Dict[Tuple[int, int], object]) -> List[bool]:
    need = [False] * len(sym.nodes)
    stack = [h[0] for h in heads if h not in cut]
    while stack:
        i = stack.pop()
        if need[i]:
            continue
        need[i] = True
        n = sym.nodes[i]
        slots = _used_slots(n)
        for k, (j, o) in enumerate(n.inputs):
            if slots is not None and k not in slots:
                continue
            if (j, o) in cut:
                continue
            if not need[j]:
                stack.append(j)
    return need


def _check_supported(sym: Symbol, need: List[bool], path: str) -> None:
    missing: "OrderedDict[str, List[str]]" = OrderedDict()
    for n in sym.nodes:
        if need[n.index] and not n.is_variable and lookup(n.op) is None:
            missing.setdefault(n.op, []).append(n.name)
    if not missing:
        return
    lines = []
    for op, names in missing.items():
        shown = ", ".join("'%s'" % x for x in names[:MAX_NAMES_LISTED])
        more = " and %d more" % (len(names) - MAX_NAMES_LISTED) if len(names) > MAX_NAMES_LISTED else ""
        lines.append("  %s: %d node%s: %s%s" % (op, len(names), "" if len(names) == 1 else "s", shown, more))
    total = sum(len(v) for v in missing.values())
    raise IrconvError("%s: %d MXNet node%s of %d unsupported operation type%s:\n%s"
                      % (path, total, "" if total == 1 else "s", len(missing), "" if len(missing) == 1 else "s",
                         "\n".join(lines)))


def _variable_default(node) -> Tuple[str, Optional[List[int]]]:
    """Element type and shape of an input variable from its __dtype__/__shape__ (0 = unknown)."""
    et = "f32"
    dt = node.attrs.get("__dtype__")
    if dt is not None:
        try:
            flag = parse_int(dt, "")
            if flag in DTYPES:
                et = NP_TO_ET.get(DTYPES[flag].newbyteorder("="), "f32")
        except IrconvError:
            et = DTYPE_ET.get(dt.strip(), "f32")
    shape = None
    s = node.attrs.get("__shape__")
    if s is not None:
        try:
            dims = parse_list(s, "", parse_int)
        except IrconvError:
            dims = None
        if dims is not None and all(d is not None for d in dims):
            shape = [d if d > 0 else -1 for d in dims]
    return et, shape


def _spec_shape(spec):
    s = spec.static_shape()
    return None if s is None else [int(d) for d in s]


def convert(path: str, options: Optional[dict] = None):
    """Converts an MXNet model (see the module doc for the files) to an irconv._core.Graph."""
    from irconv import _core

    options = dict(options or {})
    path = os.fspath(path)
    if options.get("enable_ssd_gluoncv"):
        raise IrconvError("--enable_ssd_gluoncv (replacing GluonCV's SSD post-processing with DetectionOutput) is not "
                          "supported by irconv yet; MultiBoxPrior/MultiBoxDetection SSD heads convert without it")
    symbol_path, args, auxs = locate(path, options)
    options.setdefault("input_files", []).append(symbol_path)     # the IR may not overwrite it
    sym = load_symbol(symbol_path, legacy=bool(options.get("legacy_mxnet_model")))
    weights = dict(args)
    weights.update(auxs)
    names = _Names(sym)
    in_specs = list(options.get("inputs") or [])
    out_specs = list(options.get("outputs") or [])

    # --output: the heads
    heads = list(sym.heads)
    if out_specs:
        resolved = []
        for s in out_specs:
            if s.in_port is not None:
                n = sym.by_name.get(s.name)
                if n is None or s.in_port >= len(n.inputs):
                    resolved = None
                    break
                resolved.append(n.inputs[s.in_port])
            else:
                t = names.output(s.name, s.out_port)
                if t is None:
                    resolved = None
                    break
                resolved.append(t)
        if resolved is not None:
            heads = resolved
            for s in out_specs:
                s.applied = True

    g = _core.Graph(os.path.splitext(os.path.basename(symbol_path))[0].replace("-symbol", "") or "model")
    ctx = Context(g, sym, weights, symbol_path)

    # --input naming an inner node/tensor: a cut, becomes a Parameter of its own
    cut: Dict[Tuple[int, int], object] = {}
    cut_specs = []
    for s in in_specs:
        if s.name is None:
            continue
        n = sym.by_name.get(s.name)
        if n is not None and n.is_variable and s.in_port is None:
            continue                    # a variable: handled with the inputs below
        if s.in_port is not None:
            if n is None or s.in_port >= len(n.inputs):
                continue
            place = n.inputs[s.in_port]
        else:
            place = names.output(s.name, s.out_port)
            if place is None:
                continue
        cut[place] = s
        cut_specs.append((s, place))

    need = _needed(sym, heads, cut)
    _check_supported(sym, need, symbol_path)

    # variables: weights become Consts, the others are the model's inputs
    input_vars = []
    used_vars = set()
    for n in sym.nodes:
        if not need[n.index]:
            continue
        slots = _used_slots(n)
        for k, (j, o) in enumerate(n.inputs):
            if (slots is None or k in slots) and (j, o) not in cut and sym.nodes[j].is_variable:
                used_vars.add(j)
    for h in heads:
        if h not in cut and sym.nodes[h[0]].is_variable:
            used_vars.add(h[0])
    order = [i for i in sym.arg_nodes if i in used_vars] + sorted(used_vars - set(sym.arg_nodes))
    for i in order:
        v = sym.nodes[i]
        w = weights.get(v.name)
        if w is not None:
            arr = np.ascontiguousarray(w)
            if arr.dtype.byteorder not in ("=", "|"):
                arr = arr.astype(arr.dtype.newbyteorder("="))
            c = g.constant(arr, name=v.name)
            c.output(0).add_names([v.name])
            ctx.outputs[(i, 0)] = c.output(0)
        else:
            input_vars.append(v)

    by_name = {v.name: v for v in input_vars}
    positional = [s for s in in_specs if s.name is None]
    if len(positional) > len(input_vars):
        raise IrconvError("%s: --input_shape gives %d shapes but the model has %d input(s): %s"
                          % (symbol_path, len(positional), len(input_vars), ", ".join(v.name for v in input_vars) or "none"))
    chosen: Dict[int, object] = {}
    for s in in_specs:
        if s.name is None:
            chosen[input_vars[s.index].index if s.index < len(input_vars) else -1] = s
        elif s.name in by_name and s.in_port is None and s.value is None:
            chosen[by_name[s.name].index] = s
    for v in input_vars:
        et, shape = _variable_default(v)
        s = chosen.get(v.index)
        if s is not None:
            if s.shape is not None:
                shape = _spec_shape(s)
            if s.dtype:
                et = s.dtype
        p = g.parameter(v.name, et, shape)
        p.output(0).add_names([v.name])
        ctx.outputs[(v.index, 0)] = p.output(0)
        if s is not None:
            s.applied = True
            s.parameter = p
    for s, place in cut_specs:
        if s.value is not None:
            val = np.ascontiguousarray(s.value)
            c = g.constant(val.astype(np.float32) if val.dtype == np.float64 else val, name=s.name)
            out = c.output(0)
        else:
            shape = _spec_shape(s) if s.shape is not None else None
            p = g.parameter(s.name if s.in_port is None and s.out_port is None else s.describe(), s.dtype or "f32", shape)
            out = p.output(0)
            s.parameter = p
        out.add_names([s.describe()] if s.in_port is not None else [tensor_name(sym, *place)])
        ctx.outputs[place] = out
        s.applied = True

    renamed = set()
    for n in sym.nodes:
        if not need[n.index] or n.is_variable:
            continue
        _translate(ctx, n, renamed)

    for h in heads:
        try:
            out = ctx.output_of(*h)
        except IrconvError as e:              # a head naming an output its node does not have
            raise IrconvError("%s: output %s: %s" % (symbol_path, list(h), e)) from None
        tn = tensor_name(sym, *h)
        out.set_names([tn] + [x for x in out.names if x != tn])     # the head's MXNet name first
        g.result(out, name=tn + "/sink_port_0")
    _unique_friendly_names(g, renamed)
    return g


def _translate(ctx: Context, mx, renamed: set) -> None:
    entry = lookup(mx.op)
    node = Node(mx, ctx)
    ctx.node = node
    ctx.created = []
    try:
        result = entry.fn(ctx, node)
    except IrconvError as e:
        msg = str(e)
        if not msg.startswith(node.describe()):
            msg = "%s: %s" % (node.describe(), msg)
        raise IrconvError("%s: %s" % (ctx.path, msg)) from e
    except Exception as e:  # noqa: BLE001 - a translator bug must still name the node
        raise IrconvError("%s: %s: internal error while converting: %s: %s"
                          % (ctx.path, node.describe(), type(e).__name__, e)) from e
    finally:
        ctx.node = None
    if not isinstance(result, (list, tuple)):
        result = [result]
    names = output_names(ctx.sym, mx.index, len(result))
    created = {c.id for c in ctx.created}
    for i, out in enumerate(result):
        if out is None:
            continue
        key = (mx.index, i)
        if key in ctx.outputs:          # a cut replaced this output
            continue
        ctx.outputs[key] = out
        out.add_names(["%s_%s" % (mx.name, names[i] if i < len(names) else "output%d" % i)])
        if i == 0 and out.node.id in created:
            out.node.name = mx.name
            renamed.add(out.node.id)
    ctx.created = []


def _unique_friendly_names(g, preferred: set) -> None:
    nodes = g.topo_order()
    taken: Dict[str, list] = {}
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
            if n.id == keep.id:
                continue
            while "%s_%d" % (name, k) in used:
                k += 1
            n.name = "%s_%d" % (name, k)
            used.add(n.name)
