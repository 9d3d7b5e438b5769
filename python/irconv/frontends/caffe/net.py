"""The net described by a deploy.prototxt: its declared inputs and its layers in order.

Both layouts are read: current (`layer { type: "Convolution" }`) and V1 (`layers { type:
CONVOLUTION }`, types upgraded to their current names as Caffe's UpgradeV1LayerType does).
Inputs come from the top-level `input:` with `input_shape {}` or 4 x `input_dim:` per input, or
from Input layers. Layers excluded from the TEST phase by include/exclude rules are dropped.
"""
from __future__ import annotations

from typing import List, Optional

from irconv.errors import IrconvError

from .text_format import Message, parse
from .weights import V1_NAMES, V1_TYPES


class Layer:
    """One layer: name, type (current spelling), bottoms, tops and its parameter messages."""

    def __init__(self, msg: Message, index: int, v1: bool, path: str):
        self.msg, self.index, self.v1, self.path = msg, index, v1, path
        self.line = msg.line
        self.name = msg.str("name", "") or ""
        t = msg.last("type")
        if t is None:
            self.type = ""
        elif v1 and getattr(t, "kind", None) in ("ident", "num"):
            if t.kind == "ident":
                if t.text not in V1_NAMES:
                    raise IrconvError("%s:%d:%d: V1 layer '%s' has unknown type %s" % (path, t.line, t.col, self.name, t.text))
                self.type = V1_TYPES[V1_NAMES[t.text]]
            else:
                self.type = V1_TYPES.get(int(t.text, 0), "V1 type %s" % t.text)
        else:
            self.type = msg.str("type", "")
        if not self.name:
            self.name = "%s_%d" % (self.type or "layer", index)
        msg.where = "layer '%s' (%s)" % (self.name, self.type)
        for sub in msg.fields:
            if isinstance(sub[1], Message):
                _set_where(sub[1], msg.where)
        self.bottoms: List[str] = msg.strs("bottom")
        self.tops: List[str] = msg.strs("top")
        if v1 and msg.has("layer"):
            raise IrconvError("%s:%d: layer '%s' is in the V0 format (layers { layer { ... } }); upgrade the "
                              "net with Caffe's upgrade_net_proto_text first" % (path, self.line, self.name))

    def param(self, name: str) -> Message:
        return self.msg.msg(name)

    def describe(self) -> str:
        return "layer '%s' (%s)" % (self.name, self.type)

    def where(self) -> str:
        return "%s:%d" % (self.path, self.line)


def _set_where(m: Message, where: str) -> None:
    stack = [m]
    while stack:
        x = stack.pop()
        x.where = where
        stack.extend(v for _, v in x.fields if isinstance(v, Message))


class InputDecl:
    """A net input: blob name, shape from the prototxt (None when not given), where declared."""

    def __init__(self, name: str, shape: Optional[List[int]], where: str, layer: Optional[Layer] = None):
        self.name, self.shape, self.where, self.layer = name, shape, where, layer


class NetDef:
    def __init__(self, msg: Message, path: str):
        self.msg, self.path = msg, path
        self.name = msg.str("name", "") or ""
        cur, old = msg.msgs("layer"), msg.msgs("layers")
        if cur and old:
            raise IrconvError("%s: the net mixes 'layer' (current) and 'layers' (V1) entries; Caffe accepts only one "
                              "kind" % path)
        self.v1 = bool(old)
        self.layers: List[Layer] = []
        for i, m in enumerate(old or cur):
            layer = Layer(m, i, self.v1, path)
            if _included(layer, path):
                self.layers.append(layer)
        self.inputs = self._net_inputs()

    def _net_inputs(self) -> List[InputDecl]:
        m = self.msg
        names = m.strs("input")
        shapes = m.msgs("input_shape")
        dims = m.ints("input_dim")
        out = []
        if shapes and dims:
            raise IrconvError("%s: the net gives both input_shape and input_dim; use one" % self.path)
        if shapes and len(shapes) != len(names):
            raise IrconvError("%s:%d: %d input(s) but %d input_shape(s)" % (self.path, shapes[0].line, len(names), len(shapes)))
        if dims and len(dims) != 4 * len(names):
            raise IrconvError("%s: %d input(s) need %d input_dim values (4 per input), got %d"
                              % (self.path, len(names), 4 * len(names), len(dims)))
        for i, n in enumerate(names):
            if shapes:
                shp = shapes[i].ints("dim")
            elif dims:
                shp = dims[4 * i:4 * i + 4]
            else:
                shp = None
            out.append(InputDecl(n, shp, "%s: input '%s'" % (self.path, n)))
        return out


def _included(layer: Layer, path: str) -> bool:
    """Caffe's Net::StateMeetsRule for the TEST phase (level 0, no stages)."""
    inc, exc = layer.msg.msgs("include"), layer.msg.msgs("exclude")
    if inc and exc:
        raise IrconvError("%s:%d: %s has both include and exclude rules" % (path, layer.line, layer.describe()))
    if inc:
        return any(_meets(r) for r in inc)
    if exc:
        return not any(_meets(r) for r in exc)
    return True


def _meets(rule: Message) -> bool:
    if rule.has("phase") and rule.enum("phase", {"TRAIN": 0, "TEST": 1}, "TEST") != "TEST":
        return False
    if rule.has("min_level") and 0 < rule.int("min_level"):
        return False
    if rule.has("max_level") and 0 > rule.int("max_level"):
        return False
    if rule.strs("stage"):
        return False
    return True


def load_net(path: str) -> NetDef:
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise IrconvError("cannot read Caffe net definition '%s': %s" % (path, e.strerror or e)) from None
    if b"\x00" in raw[:4096]:
        raise IrconvError("%s: this is not a text prototxt (it holds binary data); pass the deploy .prototxt with "
                          "--input_proto and the .caffemodel with --input_model" % path)
    text = raw.decode("utf-8", errors="replace")
    return NetDef(parse(text, path), path)
