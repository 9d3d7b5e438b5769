"""Caffe deploy.prototxt + .caffemodel -> irconv core graph (before passes).

Names: each Parameter is named after its input blob; the core node computing a layer's (first)
top is named after the layer; the final value of every blob carries the blob name as its tensor
name (for in-place chains `conv1 -> bn -> scale -> relu` that is the ReLU's output), so outputs
are named by their top blobs and the generic --input/--output cut finds both layer and blob names.
"""
from __future__ import annotations

import os
from collections import OrderedDict
from typing import Dict, List, Optional

from irconv.errors import IrconvError

from . import layers  # noqa: F401  (registers the translators)
from .context import Context, LayerError
from .net import InputDecl, Layer, NetDef, load_net
from .registry import lookup
from .weights import CaffeWeights

MAX_NAMES_LISTED = 5
INPUT_TYPES = ("Input",)
# Data layers whose tops are the net's inputs in a deploy net, when their shape is known.
DATA_TYPES = ("Input", "MemoryData")
# Layers that only exist for training / evaluation and have no effect on a deploy net's outputs.
_SKIP_TYPES = ("Silence",)


def resolve_paths(path: str, options: dict):
    """(prototxt path, caffemodel path or None) from --input_model and --input_proto."""
    proto = options.get("input_proto")
    stem, ext = os.path.splitext(path)
    if ext.lower() == ".prototxt" and not proto:
        weights = stem + ".caffemodel"
        return path, (weights if os.path.isfile(weights) else None)
    if not proto:
        proto = stem + ".prototxt"
        if not os.path.isfile(proto):
            raise IrconvError("Caffe model '%s' needs its net definition: pass --input_proto deploy.prototxt "
                              "(looked for %s)" % (path, proto))
    elif not os.path.isfile(proto):
        raise IrconvError("--input_proto '%s' does not exist" % proto)
    if not os.path.isfile(path):
        raise IrconvError("input model '%s' does not exist" % path)
    return proto, path


def convert(path: str, options: Optional[dict] = None):
    from irconv import _core  # noqa: PLC0415

    options = dict(options or {})
    path = os.fspath(path)
    proto_path, weights_path = resolve_paths(path, options)
    # the files read: the IR may not overwrite them
    options.setdefault("input_files", []).extend(f for f in (proto_path, weights_path) if f)
    net = load_net(proto_path)
    weights = CaffeWeights(weights_path) if weights_path else None
    name = net.name or os.path.splitext(os.path.basename(weights_path or proto_path))[0]
    g = _core.Graph(name)
    ctx = Context(g, proto_path, weights, weights_path)

    _check_supported(net, proto_path)
    decls = _input_decls(net)
    specs = list(options.get("inputs") or [])
    params = _make_inputs(ctx, decls, specs, proto_path)

    produced: "OrderedDict[str, None]" = OrderedDict()   # blob -> last produced (for net outputs)
    for layer in net.layers:
        if layer.type in INPUT_TYPES or (layer.type in DATA_TYPES and all(t in params for t in layer.tops)):
            for t in layer.tops:
                produced.pop(t, None)
                produced[t] = None
            continue
        for b in layer.bottoms:
            produced.pop(b, None)
        if layer.type in _SKIP_TYPES:
            continue
        _translate(ctx, layer, proto_path)
        for t in layer.tops:
            produced.pop(t, None)
            produced[t] = None

    outputs = [b for b in produced if b in ctx.blobs]
    # A declared input no layer reads is not an output of the net (unless nothing else is).
    real = [b for b in outputs if not (b in params and ctx.blobs[b].node.type == "Parameter")]
    outputs = real or outputs
    if not outputs:
        raise IrconvError("%s: the net has no outputs (every blob is consumed by a later layer)" % proto_path)
    _name_blobs(ctx, params)
    for b in outputs:
        out = ctx.blobs[b]
        if b not in out.names:
            out.add_names([b])
        g.result(out, name=b + "/sink_port_0")
    _unique_friendly_names(g)
    return g


def _check_supported(net: NetDef, path: str) -> None:
    missing: "OrderedDict[str, List[Layer]]" = OrderedDict()
    for layer in net.layers:
        if layer.type in DATA_TYPES or layer.type in _SKIP_TYPES:
            continue
        if lookup(layer.type) is None:
            missing.setdefault(layer.type, []).append(layer)
    if not missing:
        return
    lines = []
    for t, ls in missing.items():
        shown = ", ".join("'%s' (line %d)" % (x.name, x.line) for x in ls[:MAX_NAMES_LISTED])
        more = " and %d more" % (len(ls) - MAX_NAMES_LISTED) if len(ls) > MAX_NAMES_LISTED else ""
        lines.append("  %s: %d layer%s: %s%s" % (t or "<no type>", len(ls), "" if len(ls) == 1 else "s", shown, more))
    total = sum(len(v) for v in missing.values())
    raise IrconvError("%s: %d Caffe layer%s of %d unsupported type%s:\n%s"
                      % (path, total, "" if total == 1 else "s", len(missing), "" if len(missing) == 1 else "s",
                         "\n".join(lines)))


def _input_decls(net: NetDef) -> List[InputDecl]:
    decls = list(net.inputs)
    for layer in net.layers:
        if layer.type not in DATA_TYPES:
            continue
        shapes = _data_layer_shapes(layer)
        if shapes is None:
            if layer.type == "Input":
                shapes = [None] * len(layer.tops)
            else:
                continue
        if len(shapes) not in (1, len(layer.tops)):
            raise IrconvError("%s:%d: %s has %d tops but %d shapes" % (layer.path, layer.line, layer.describe(),
                                                                        len(layer.tops), len(shapes)))
        for i, t in enumerate(layer.tops):
            shp = shapes[i] if len(shapes) > 1 else shapes[0]
            decls.append(InputDecl(t, shp, "%s:%d: %s" % (layer.path, layer.line, layer.describe()), layer))
    return decls


def _data_layer_shapes(layer: Layer):
    if layer.type == "Input":
        shapes = layer.param("input_param").msgs("shape")
        return [s.ints("dim") for s in shapes] if shapes else None
    if layer.type == "MemoryData":
        p = layer.param("memory_data_param")
        if p.ints("dim"):
            return [p.ints("dim")] + ([[p.ints("dim")[0]]] if len(layer.tops) > 1 else [])
        shp = [p.int("batch_size", 0), p.int("channels", 0), p.int("height", 0), p.int("width", 0)]
        return [shp] + ([[shp[0]]] if len(layer.tops) > 1 else [])
    return None


def _spec_for(decl: InputDecl, index: int, specs) -> Optional[object]:
    for s in specs:
        if s.applied or s.value is not None or s.in_port is not None:
            continue
        if s.name is None:
            if s.index == index:
                return s
            continue
        if s.out_port not in (None, 0):
            continue
        if s.name == decl.name or (decl.layer is not None and len(decl.layer.tops) == 1 and s.name == decl.layer.name):
            return s
    return None


def _make_inputs(ctx: Context, decls: List[InputDecl], specs, path: str) -> Dict[str, object]:
    """Creates a Parameter per net input (shape from --input/--input_shape when given, else the
    prototxt's); marks the specs it applied."""
    params = {}
    named = [s for s in specs if s.name is not None]
    unnamed = [s for s in specs if s.name is None]
    if unnamed and len(unnamed) > len(decls):
        raise IrconvError("--input_shape gives %d shapes but the net has %d input(s) (%s)"
                          % (len(unnamed), len(decls), ", ".join(d.name for d in decls) or "none"))
    for i, d in enumerate(decls):
        if d.name in params:
            raise IrconvError("%s: input blob '%s' is declared twice" % (d.where, d.name))
        spec = _spec_for(d, i, unnamed if unnamed else named)
        shape = d.shape
        et = "f32"
        if spec is not None:
            if spec.shape is not None:
                shape = spec.static_shape()
            if spec.dtype:
                et = spec.dtype
        if shape is None:
            raise IrconvError("%s declares no shape for input '%s'; give one with --input_shape or --input %s[...]"
                              % (d.where, d.name, d.name))
        try:
            p = ctx.g.parameter(d.name, et, list(shape))
        except IrconvError as e:          # e.g. a negative dimension: name the declaration
            raise IrconvError("%s: %s" % (d.where, e)) from None
        p.output(0).add_names([d.name])
        out = p.output(0)
        if et != "f32":
            out = ctx.g.op("Convert", [out], {"destination_type": "f32"}, name=d.name + "/convert").output(0)
        params[d.name] = p
        ctx.blobs[d.name] = out
        if spec is not None:
            spec.applied = True
            spec.parameter = p
    return params


def _translate(ctx: Context, layer: Layer, path: str) -> None:
    fn = lookup(layer.type)
    ctx.layer = layer
    ctx.created = []
    try:
        result = fn(ctx, layer)
    except LayerError as e:
        raise IrconvError("%s:%d: %s: %s" % (path, layer.line, layer.describe(), e)) from None
    except IrconvError as e:
        msg = str(e)
        if msg.startswith(path + ":"):
            raise
        raise IrconvError("%s:%d: %s: %s" % (path, layer.line, layer.describe(), msg)) from e
    except Exception as e:  # noqa: BLE001 - a translator bug must still name the layer
        raise IrconvError("%s:%d: %s: internal error while converting: %s: %s"
                          % (path, layer.line, layer.describe(), type(e).__name__, e)) from e
    finally:
        ctx.layer = None
    if not isinstance(result, (list, tuple)):
        result = [result]
    if len(result) < len(layer.tops):
        raise IrconvError("%s:%d: %s has %d tops but produces %d output(s)"
                          % (path, layer.line, layer.describe(), len(layer.tops), len(result)))
    created = {n.id for n in ctx.created}
    renamed = set()
    for i, top in enumerate(layer.tops):
        out = result[i]
        ctx.blobs[top] = out
        prod = out.node
        if prod.id in created and prod.id not in renamed:
            prod.name = layer.name if not renamed else "%s/%s" % (layer.name, top)
            renamed.add(prod.id)
    ctx.created = []


def _name_blobs(ctx: Context, params) -> None:
    """Every blob's final value gets the blob name as tensor name (inputs keep theirs on the
    Parameter: an in-place layer on an input does not move the input's name)."""
    for blob, out in ctx.blobs.items():
        if blob in params:
            continue
        if blob in out.names:
            continue
        if out.node.type == "Parameter":
            continue
        out.add_names([blob])


def _unique_friendly_names(g) -> None:
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
        keep = next((n for n in group if n.type == "Parameter"), None) or group[-1]
        k = 1
        for n in group:
            if n.id == keep.id:
                continue
            while "%s_%d" % (name, k) in used:
                k += 1
            n.name = "%s_%d" % (name, k)
            used.add(n.name)
