"""Parsing of the Model Optimizer's --input / --output / --input_shape values into specs.

    inputs = parse_inputs("data[1,3,224,224]{f32},0:conv2,seq_len->150", input_shape=None)
    outputs = parse_outputs("prob,lstm:1")

A spec names a place in the *framework's* graph as the user wrote it. Frontends resolve the names
(they know whether `a:0` is a TF tensor name or node `a` output port 0) and set `applied = True`
on the specs they handled while translating; api.py hands the rest to the generic cut on the core
graph (transforms/cut.py), which matches core tensor names and friendly names.
"""
import re
from dataclasses import dataclass
from typing import List, Optional

import numpy as np

from ..errors import IrconvError

# --input {type} spellings (the Model Optimizer's and numpy's) -> IR element type names.
_TYPES = {
    "f64": "f64", "float64": "f64", "double": "f64",
    "f32": "f32", "float32": "f32", "float": "f32", "fp32": "f32",
    "f16": "f16", "float16": "f16", "half": "f16", "fp16": "f16", "bf16": "bf16", "bfloat16": "bf16",
    "i64": "i64", "int64": "i64", "i32": "i32", "int32": "i32", "i16": "i16", "int16": "i16",
    "i8": "i8", "int8": "i8", "u64": "u64", "uint64": "u64", "u32": "u32", "uint32": "u32",
    "u16": "u16", "uint16": "u16", "u8": "u8", "uint8": "u8",
    "boolean": "boolean", "bool": "boolean", "string": "string", "str": "string",
}
_NP = {"f64": np.float64, "f32": np.float32, "f16": np.float16, "i64": np.int64, "i32": np.int32,
       "i16": np.int16, "i8": np.int8, "u64": np.uint64, "u32": np.uint32, "u16": np.uint16,
       "u8": np.uint8, "boolean": np.bool_}


@dataclass
class Dim:
    """One dimension of a user shape: `value` (-1 = dynamic) and optional interval bounds
    (`lo`..`hi`, hi = -1 for unbounded) from `1..10`, `..100`, `1..`."""
    value: int = -1
    lo: int = 0
    hi: int = -1

    @property
    def is_static(self):
        return self.value >= 0

    def __repr__(self):
        if self.value >= 0:
            return str(self.value)
        if self.lo == 0 and self.hi == -1:
            return "?"
        return "%s..%s" % (self.lo or "", "" if self.hi < 0 else self.hi)


@dataclass
class InputSpec:
    """One --input item (or one --input_shape entry when --input is absent).

    name: node/tensor name as written (None = "the model's i-th input", for --input_shape alone).
    out_port: from `node:port` (that output port becomes the input) or None.
    in_port: from `port:node` (cut above that input port of node) or None.
    shape: list of Dim, or None to keep the model's; [] means a scalar.
    dtype: IR element type name ('f32', 'i32', ...) or None.
    value: numpy array to freeze the input to (`->`), or None.
    index: position in the user's list (the IR's input order).
    """
    name: Optional[str]
    out_port: Optional[int] = None
    in_port: Optional[int] = None
    shape: Optional[List[Dim]] = None
    dtype: Optional[str] = None
    value: Optional[np.ndarray] = None
    index: int = 0
    applied: bool = False

    def static_shape(self):
        """The shape as ints (-1 for dynamic dims), or None."""
        return None if self.shape is None else [d.value for d in self.shape]

    def describe(self):
        s = self.name or "<input %d>" % self.index
        if self.in_port is not None:
            s = "%d:%s" % (self.in_port, s)
        if self.out_port is not None:
            s = "%s:%d" % (s, self.out_port)
        return s


@dataclass
class OutputSpec:
    """One --output item: `node`, `node:port` (out_port) or `port:node` (in_port: the tensor
    feeding that input port)."""
    name: str
    out_port: Optional[int] = None
    in_port: Optional[int] = None
    index: int = 0
    applied: bool = False

    def describe(self):
        s = self.name
        if self.in_port is not None:
            s = "%d:%s" % (self.in_port, s)
        if self.out_port is not None:
            s = "%s:%d" % (s, self.out_port)
        return s


def _split_top(s, sep=","):
    """Splits on `sep` outside [], (), {}."""
    out, depth, cur = [], 0, []
    for ch in s:
        if ch in "[({":
            depth += 1
        elif ch in "])}":
            depth -= 1
        if ch == sep and depth == 0:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur))
    return [x.strip() for x in out if x.strip() != ""]


def _dim(tok, where):
    tok = tok.strip()
    if tok in ("?", "-1", ""):
        return Dim()
    if ".." in tok:
        a, b = tok.split("..", 1)
        try:
            lo = int(a) if a.strip() else 0
            hi = int(b) if b.strip() else -1
        except ValueError:
            raise IrconvError("%s: bad dimension '%s' (expected N, ?, -1, or a range like 1..10, ..100, 1..)"
                              % (where, tok)) from None
        if lo < 0 or (hi >= 0 and hi < lo):
            raise IrconvError("%s: bad dimension range '%s'" % (where, tok))
        return Dim(lo if lo == hi else -1, lo, hi)
    try:
        v = int(tok)
    except ValueError:
        raise IrconvError("%s: bad dimension '%s' (expected N, ?, -1, or a range like 1..10)" % (where, tok)) from None
    if v < -1:
        raise IrconvError("%s: bad dimension '%s'" % (where, tok))
    return Dim(v, max(v, 0), v)


def parse_shape(text, where="--input_shape"):
    """'[1,3,?,1..10]' or '(1,3)' -> [Dim]; '[]' -> [] (scalar)."""
    t = text.strip()
    if len(t) < 2 or t[0] not in "[(" or t[-1] not in "])":
        raise IrconvError("%s: shape '%s' must be in brackets, e.g. [1,3,224,224]" % (where, text))
    body = t[1:-1].strip()
    if not body:
        return []
    return [_dim(x, where) for x in re.split(r"[,\s]+", body) if x != ""]


def parse_input_shape(text):
    """'[1,3,224,224],[2,4]' -> [[Dim...], [Dim...]]; a single bare shape without brackets is
    not accepted (the Model Optimizer required brackets or parentheses)."""
    if text is None or not str(text).strip():
        return []
    items = _split_top(str(text))
    return [parse_shape(x) for x in items]


def _value(text, dtype, where):
    t = text.strip()
    if t.startswith("["):
        if not t.endswith("]"):
            raise IrconvError("%s: value '%s' is missing ']'" % (where, text))
        toks = [x for x in re.split(r"[,\s]+", t[1:-1].strip()) if x]
    else:
        toks = [t]
    vals = []
    for x in toks:
        xl = x.lower()
        if xl in ("true", "false"):
            vals.append(xl == "true")
            continue
        try:
            vals.append(int(x))
        except ValueError:
            try:
                vals.append(float(x))
            except ValueError:
                if dtype == "string":
                    vals.append(x)
                else:
                    raise IrconvError("%s: cannot read value '%s'" % (where, x)) from None
    if dtype and dtype in _NP:
        arr = np.array(vals, dtype=_NP[dtype])
    elif dtype == "string":
        arr = np.array([str(v) for v in vals], dtype=object)
    else:
        arr = np.array(vals)
        if arr.dtype == np.float64:
            arr = arr.astype(np.float32)
        elif arr.dtype == np.int64 and not dtype:
            arr = arr.astype(np.int64)
    if not t.startswith("["):
        arr = arr.reshape(())
    return arr


# name[shape]{type}, or name{type}[shape] as the Model Optimizer also read (its GNMT guide:
# "IteratorGetNext:1{i32}[1]")
_ITEM = re.compile(r"^(?P<name>[^\[\]{}]+?)\s*(?:(?P<shape>\[[^\]]*\]|\([^)]*\))?\s*(?:\{(?P<type>[^}]*)\})?"
                   r"|\{(?P<type2>[^}]*)\}\s*(?P<shape2>\[[^\]]*\]|\([^)]*\)))\s*$")


def _port_split(name):
    """'0:node' -> (node, in=0, out=None); 'node:1' -> (node, None, 1); 'a:b:0' -> ('a:b', None, 0)."""
    m = re.match(r"^(\d+):(.+)$", name)
    if m and not re.match(r"^\d+$", m.group(2)):
        return m.group(2), int(m.group(1)), None
    m = re.match(r"^(.+):(\d+)$", name)
    if m:
        return m.group(1), None, int(m.group(2))
    return name, None, None


def parse_inputs(input=None, input_shape=None):  # noqa: A002 - the Model Optimizer's flag name
    """--input and --input_shape -> [InputSpec]. With both, the i-th shape applies to the i-th
    input (unless that input already has a shape in brackets). With only --input_shape, specs
    have name None and apply to the model's inputs in order."""
    shapes = parse_input_shape(input_shape)
    items = _split_top(str(input)) if input is not None and str(input).strip() else []
    specs = []
    for i, item in enumerate(items):
        where = "--input '%s'" % item
        value = None
        if "->" in item:
            item, vtext = item.split("->", 1)
        else:
            vtext = None
        m = _ITEM.match(item.strip())
        if not m:
            raise IrconvError("%s: expected name[shape]{type}->value" % where)
        name, in_port, out_port = _port_split(m.group("name").strip())
        shape_text = m.group("shape") or m.group("shape2")
        type_text = m.group("type") if m.group("type") is not None else m.group("type2")
        shape = parse_shape(shape_text, where) if shape_text else None
        dtype = None
        if type_text is not None:
            t = type_text.strip().lower()
            if t not in _TYPES:
                raise IrconvError("%s: unknown type '%s' (expected one of f64, f32, f16, i64, i32, u8, boolean, ...)"
                                  % (where, type_text))
            dtype = _TYPES[t]
        if vtext is not None:
            value = _value(vtext, dtype, where)
            if shape is not None:
                want = [d.value for d in shape]
                if -1 in want or int(np.prod(want)) != value.size:
                    raise IrconvError("%s: %d value(s) do not fill shape %s" % (where, value.size, want))
                value = value.reshape(want)
        specs.append(InputSpec(name, out_port, in_port, shape, dtype, value, i))
    if shapes:
        if specs:
            if len(shapes) != len(specs):
                raise IrconvError("--input_shape has %d shape(s) but --input names %d input(s)" % (len(shapes), len(specs)))
            for s, shp in zip(specs, shapes):
                if s.shape is not None:
                    raise IrconvError("input '%s' has a shape in both --input and --input_shape" % s.describe())
                s.shape = shp
        else:
            specs = [InputSpec(None, shape=shp, index=i) for i, shp in enumerate(shapes)]
    seen = set()
    for s in specs:
        key = (s.name, s.in_port, s.out_port)
        if s.name is not None and key in seen:
            raise IrconvError("--input names '%s' twice" % s.describe())
        seen.add(key)
    return specs


def parse_outputs(output=None):
    """--output 'a,b:1,0:c' -> [OutputSpec]."""
    if output is None or not str(output).strip():
        return []
    out = []
    for i, item in enumerate(_split_top(str(output))):
        name, in_port, out_port = _port_split(item)
        if not name or any(c in name for c in "[]{}"):
            raise IrconvError("--output '%s': expected node, node:port or port:node" % item)
        out.append(OutputSpec(name, out_port, in_port, i))
    return out


def as_specs(value, kind):
    """Accepts what the Python API may be given for inputs/outputs: None, a flag string, a list of
    names/specs, or (for inputs) a {name: shape} dict."""
    if value is None:
        return []
    if isinstance(value, str):
        return parse_inputs(value) if kind == "input" else parse_outputs(value)
    if kind == "input" and isinstance(value, dict):
        return [InputSpec(k, shape=None if v is None else [Dim(int(d), max(int(d), 0), int(d)) for d in v], index=i)
                for i, (k, v) in enumerate(value.items())]
    out = []
    for i, v in enumerate(value):
        if isinstance(v, (InputSpec, OutputSpec)):
            v.index = i
            out.append(v)
        elif isinstance(v, str):
            out.extend(parse_inputs(v) if kind == "input" else parse_outputs(v))
        else:
            raise IrconvError("cannot read %s spec %r" % (kind, v))
    for i, s in enumerate(out):
        s.index = i
    return out


def element_type_name(text):
    """A user type spelling -> IR element type name."""
    t = str(text).strip().lower()
    if t not in _TYPES:
        raise IrconvError("unknown element type '%s'" % text)
    return _TYPES[t]


__all__ = ["Dim", "InputSpec", "OutputSpec", "parse_inputs", "parse_outputs", "parse_input_shape",
           "parse_shape", "as_specs", "element_type_name"]
