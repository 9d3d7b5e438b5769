"""The one model form every Kaldi flavour (nnet1, nnet2, nnet3) is read into: nnet3's view.

A Net is a graph of nodes over frames t. Each node has a value per frame:
  input      a model input (dim)
  component  a component applied to its input descriptor's value
  descriptor just the value of a descriptor (nnet1/nnet2 Splice, nnet3 dim-range nodes)
  output     a model output (its descriptor's value)
A descriptor says where a node's input comes from in time: Ref(node, offset) reads `node` at
frame t + offset; Append concatenates columns, Sum adds, Scale multiplies, Const is a constant
row, IfDefined gives zeros where the frame does not exist, Failover takes the first argument.
nnet1/nnet2 nets are chains; their Splice components become Append(Ref(prev, o) for o in offsets).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import numpy as np

from irconv.errors import IrconvError


# ---------------------------------------------------------------------------- components
@dataclass
class Component:
    """A component as read from the file: Kaldi type name (no brackets), its tagged fields
    (tag without brackets -> value) and, for nnet1, positional data and the declared dims."""
    type: str
    name: str = ""
    fields: Dict[str, object] = field(default_factory=dict)
    data: List[object] = field(default_factory=list)
    input_dim: Optional[int] = None
    output_dim: Optional[int] = None
    offset: int = 0
    children: List[object] = field(default_factory=list)  # nested nets / components
    flavour: str = "nnet3"

    def get(self, tag: str, default=None):
        return self.fields.get(tag, default)

    def require(self, tag: str):
        if tag not in self.fields:
            raise IrconvError("%s has no <%s>" % (self.describe(), tag))
        return self.fields[tag]

    def describe(self) -> str:
        return "%s component '%s'" % (self.type, self.name) if self.name else "%s component" % self.type


# ---------------------------------------------------------------------------- descriptors
class Desc:
    def refs(self):
        """(node name, offset, fixed) of every node this descriptor reads."""
        raise NotImplementedError

    def shifted(self, t: int) -> "Desc":
        raise NotImplementedError


@dataclass
class Ref(Desc):
    node: str
    offset: int = 0
    fixed: bool = False  # ReplaceIndex(x, t, v) / Round: a time-invariant read (the latest value)

    def refs(self):
        yield self.node, self.offset, self.fixed

    def shifted(self, t):
        return self if self.fixed else Ref(self.node, self.offset + t, False)

    def __str__(self):
        s = self.node if not self.offset else "Offset(%s, %d)" % (self.node, self.offset)
        return "ReplaceIndex(%s, t, 0)" % s if self.fixed else s


@dataclass
class Append(Desc):
    parts: List[Desc]

    def refs(self):
        for p in self.parts:
            yield from p.refs()

    def shifted(self, t):
        return Append([p.shifted(t) for p in self.parts])

    def __str__(self):
        return "Append(%s)" % ", ".join(str(p) for p in self.parts)


@dataclass
class Sum(Desc):
    parts: List[Desc]

    def refs(self):
        for p in self.parts:
            yield from p.refs()

    def shifted(self, t):
        return Sum([p.shifted(t) for p in self.parts])

    def __str__(self):
        return "Sum(%s)" % ", ".join(str(p) for p in self.parts)


@dataclass
class Scale(Desc):
    scale: float
    inner: Desc

    def refs(self):
        return self.inner.refs()

    def shifted(self, t):
        return Scale(self.scale, self.inner.shifted(t))

    def __str__(self):
        return "Scale(%g, %s)" % (self.scale, self.inner)


@dataclass
class ConstDesc(Desc):
    value: float
    dim: int

    def refs(self):
        return iter(())

    def shifted(self, t):
        return self

    def __str__(self):
        return "Const(%g, %d)" % (self.value, self.dim)


@dataclass
class ColRange(Desc):
    """Columns [offset, offset + dim) of the inner value (dim-range nodes, ParallelComponent)."""
    inner: Desc
    start: int
    dim: int

    def refs(self):
        return self.inner.refs()

    def shifted(self, t):
        return ColRange(self.inner.shifted(t), self.start, self.dim)

    def __str__(self):
        return "ColRange(%s, %d, %d)" % (self.inner, self.start, self.dim)


# IfDefined and Failover keep no wrapper: streaming state starts at zero (IfDefined of a frame
# before the first one is zero), and Failover takes its first argument whenever it is computable.


# ---------------------------------------------------------------------------- nodes / nets
@dataclass
class Node:
    name: str
    kind: str                      # input | component | descriptor | output
    desc: Optional[Desc] = None
    component: Optional[Component] = None
    dim: Optional[int] = None      # inputs (and known outputs)
    line: str = ""                 # the config line / place it came from, for errors


@dataclass
class Net:
    path: str
    flavour: str                   # nnet1 | nnet2 | nnet3
    nodes: Dict[str, Node] = field(default_factory=dict)
    priors: Optional[np.ndarray] = None
    left_context: Optional[int] = None
    right_context: Optional[int] = None
    input_aliases: Dict[str, str] = field(default_factory=dict)   # extra tensor names of inputs
    has_transition_model: bool = False

    def add(self, node: Node) -> Node:
        if node.name in self.nodes:
            raise IrconvError("%s: node '%s' is defined twice" % (self.path, node.name))
        self.nodes[node.name] = node
        return node

    @property
    def inputs(self) -> List[Node]:
        return [n for n in self.nodes.values() if n.kind == "input"]

    @property
    def outputs(self) -> List[Node]:
        return [n for n in self.nodes.values() if n.kind == "output"]

    def components(self):
        for n in self.nodes.values():
            if n.kind == "component":
                yield n.component


# ---------------------------------------------------------------------------- nnet3 config lines
_KEY = re.compile(r"(?:^|\s)([A-Za-z][A-Za-z0-9_-]*)=")


def parse_config_line(line: str) -> Tuple[str, Dict[str, str]]:
    """'component-node name=a component=b input=Append(x, y)' -> ('component-node', {...}).
    Values run to the next `key=` (descriptors contain spaces after commas)."""
    s = line.strip()
    parts = s.split(None, 1)
    kind = parts[0] if parts else ""
    rest = parts[1] if len(parts) > 1 else ""
    keys = list(_KEY.finditer(rest))
    out: Dict[str, str] = {}
    if rest.strip() and (not keys or rest[:keys[0].start()].strip()):
        raise IrconvError("cannot parse '%s' (expected key=value pairs)" % line.strip())
    for i, m in enumerate(keys):
        end = keys[i + 1].start() if i + 1 < len(keys) else len(rest)
        out[m.group(1)] = rest[m.end():end].strip()
    return kind, out


_TOK = re.compile(r"\s*([(),]|[^\s(),]+)")


def _tokenize(text: str) -> List[str]:
    toks, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _TOK.match(text, pos)
        if not m:
            break
        toks.append(m.group(1))
        pos = m.end()
    return toks


def parse_descriptor(text: str) -> Desc:
    """nnet3's descriptor syntax (nnet-descriptor.h): names, Offset, Append, Sum, Failover,
    IfDefined, ReplaceIndex, Round, Scale, Const."""
    toks = _tokenize(text)
    pos = [0]

    def err(msg):
        return IrconvError("descriptor '%s': %s" % (text, msg))

    def peek():
        return toks[pos[0]] if pos[0] < len(toks) else None

    def take(expected=None):
        t = peek()
        if t is None:
            raise err("ends early%s" % (" (expected '%s')" % expected if expected else ""))
        if expected is not None and t != expected:
            raise err("expected '%s', found '%s'" % (expected, t))
        pos[0] += 1
        return t

    def integer():
        t = take()
        try:
            return int(t)
        except ValueError:
            raise err("expected an integer, found '%s'" % t) from None

    def number():
        t = take()
        try:
            return float(t)
        except ValueError:
            raise err("expected a number, found '%s'" % t) from None

    def desc() -> Desc:
        t = take()
        if peek() != "(":
            if t in (")", ","):
                raise err("unexpected '%s'" % t)
            return Ref(t)
        take("(")
        if t == "Offset":
            d = desc()
            take(",")
            o = integer()
            if peek() == ",":
                take(",")
                integer()  # the x offset: irrelevant for frame-by-frame inference
            take(")")
            return d.shifted(o)
        if t in ("Append", "Sum", "Failover", "Switch"):
            args = [desc()]
            while peek() == ",":
                take(",")
                args.append(desc())
            take(")")
            if t == "Append":
                return args[0] if len(args) == 1 else Append(args)
            if t == "Sum":
                return args[0] if len(args) == 1 else Sum(args)
            if t == "Failover":
                return args[0]
            raise err("Switch(...) descriptors are not supported")
        if t == "IfDefined":
            d = desc()
            take(")")
            return d
        if t == "ReplaceIndex":
            d = desc()
            take(",")
            var = take()
            take(",")
            integer()
            take(")")
            if var == "t":
                return _fix_time(d)
            if var == "x":
                return d
            raise err("ReplaceIndex variable must be t or x, found '%s'" % var)
        if t == "Round":
            d = desc()
            take(",")
            integer()
            take(")")
            return _fix_time(d)
        if t == "Scale":
            s = number()
            take(",")
            d = desc()
            take(")")
            return Scale(s, d)
        if t == "Const":
            v = number()
            take(",")
            dim = integer()
            take(")")
            if not 0 < dim <= 1 << 24:
                raise err("Const dimension %d is out of range" % dim)
            return ConstDesc(v, dim)
        raise err("unknown descriptor function '%s'" % t)

    if not toks:
        raise err("is empty")
    d = desc()
    if pos[0] != len(toks):
        raise err("unexpected '%s' after the descriptor" % toks[pos[0]])
    return d


def _fix_time(d: Desc) -> Desc:
    if isinstance(d, Ref):
        return Ref(d.node, 0, True)
    if isinstance(d, Append):
        return Append([_fix_time(p) for p in d.parts])
    if isinstance(d, Sum):
        return Sum([_fix_time(p) for p in d.parts])
    if isinstance(d, Scale):
        return Scale(d.scale, _fix_time(d.inner))
    if isinstance(d, ColRange):
        return ColRange(_fix_time(d.inner), d.start, d.dim)
    return d
