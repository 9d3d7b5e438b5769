"""A schema-less reader of protobuf text format (deploy.prototxt).

    msg = parse(text, path)           # Message
    conv = layer.msg("convolution_param")
    conv.int("num_output") ; conv.ints("kernel_size") ; conv.bool("bias_term", True)

Fields are kept as written, in order, with their line and column, so that layers and parameters
from Caffe forks (SSD's Normalize/PriorBox/DetectionOutput, Interp, ShuffleChannel, ...) parse
without any message definition; values are typed when a translator reads them (with the default
from caffe.proto when absent) and a value of the wrong kind is an error naming file:line:col.
"""
from __future__ import annotations

import re
from typing import Dict, List, Optional, Tuple

from irconv.errors import IrconvError

_TOKEN = re.compile(r"""
    (?P<ws>[ \t\r\f\v]+|\n)
  | (?P<comment>\#[^\n]*)
  | (?P<str>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<num>-?(?:0[xX][0-9a-fA-F]+|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)[fFuUlL]?)(?![A-Za-z_0-9.])
  | (?P<ident>-?[A-Za-z_][A-Za-z0-9_]*)
  | (?P<ext>\[[ \t]*[A-Za-z_][A-Za-z0-9_.]*(?:/[A-Za-z0-9_.]+)*[ \t]*\])
  | (?P<punct>[{}<>:,;\[\]-])
""", re.VERBOSE)

_INF = {"inf", "infinity", "inff", "infinityf"}
_NAN = {"nan", "nanf"}
_TRUE = {"true", "t", "True"}
_FALSE = {"false", "f", "False"}


class Scalar:
    """One scalar value as written: kind 'str' | 'num' | 'ident', its text, and where it is."""
    __slots__ = ("kind", "text", "line", "col")

    def __init__(self, kind: str, text, line: int, col: int):
        self.kind, self.text, self.line, self.col = kind, text, line, col

    def __repr__(self):
        return "Scalar(%s, %r)" % (self.kind, self.text)


class Message:
    """A parsed message: an ordered list of (name, value, line, col); value is a Scalar or a
    Message. Accessors follow proto2: for a singular field the last occurrence wins."""

    def __init__(self, path: str = "", line: int = 0, col: int = 0, where: str = ""):
        self.fields: List[Tuple[str, object]] = []
        self.path, self.line, self.col = path, line, col
        self.where = where   # e.g. "layer 'conv1'" for error messages

    # ---- raw access ----
    def has(self, name: str) -> bool:
        return any(f == name for f, _ in self.fields)

    def values(self, name: str) -> list:
        return [v for f, v in self.fields if f == name]

    def last(self, name: str):
        for f, v in reversed(self.fields):
            if f == name:
                return v
        return None

    def names(self) -> List[str]:
        return [f for f, _ in self.fields]

    # ---- typed access ----
    def _err(self, v, name: str, want: str) -> IrconvError:
        line, col = (v.line, v.col) if v is not None else (self.line, self.col)
        got = ("a message" if isinstance(v, Message) else "'%s'" % (v.text,)) if v is not None else "nothing"
        where = (" (%s)" % self.where) if self.where else ""
        return IrconvError("%s:%d:%d: field '%s'%s: expected %s, got %s" % (self.path, line, col, name, where, want, got))

    def _scalar(self, v, name: str, want: str) -> Scalar:
        if not isinstance(v, Scalar):
            raise self._err(v, name, want)
        return v

    def _to_int(self, v, name: str) -> int:
        s = self._scalar(v, name, "an integer")
        if s.kind == "num":
            try:
                x = _parse_int(s.text.rstrip("uUlL"))
            except (ValueError, OverflowError):
                raise self._err(v, name, "an integer") from None
            lo, hi = _INT_RANGE.get(name, _INT32_RANGE)
            if not lo <= x < hi:
                raise self._err(v, name, "an integer in [%d, %d)" % (lo, hi))
            return x
        raise self._err(v, name, "an integer")

    def _to_float(self, v, name: str) -> float:
        s = self._scalar(v, name, "a number")
        t = s.text
        if s.kind == "num":
            t = t.rstrip("fFuUlL") if not t.lower().startswith(("0x", "-0x")) else t
            try:
                return float(int(t, 0)) if t.lower().startswith(("0x", "-0x")) else float(t)
            except ValueError:
                pass
        elif s.kind == "ident":
            neg = t.startswith("-")
            body = t[1:] if neg else t
            if body.lower() in _INF:
                return float("-inf") if neg else float("inf")
            if body.lower() in _NAN:
                return float("nan")
        raise self._err(v, name, "a number")

    def _to_bool(self, v, name: str) -> bool:
        s = self._scalar(v, name, "true or false")
        if s.kind == "ident" and s.text in _TRUE:
            return True
        if s.kind == "ident" and s.text in _FALSE:
            return False
        if s.kind == "num" and s.text in ("0", "1"):
            return s.text == "1"
        raise self._err(v, name, "true or false")

    def _to_str(self, v, name: str) -> str:
        s = self._scalar(v, name, "a quoted string")
        if s.kind != "str":
            raise self._err(v, name, "a quoted string")
        return s.text

    def int(self, name: str, default: Optional[int] = None) -> Optional[int]:
        v = self.last(name)
        return default if v is None else self._to_int(v, name)

    def float(self, name: str, default: Optional[float] = None) -> Optional[float]:
        v = self.last(name)
        return default if v is None else self._to_float(v, name)

    def bool(self, name: str, default: Optional[bool] = None) -> Optional[bool]:
        v = self.last(name)
        return default if v is None else self._to_bool(v, name)

    def str(self, name: str, default: Optional[str] = None) -> Optional[str]:
        v = self.last(name)
        return default if v is None else self._to_str(v, name)

    def ints(self, name: str) -> List[int]:
        return [self._to_int(v, name) for v in self.values(name)]

    def floats(self, name: str) -> List[float]:
        return [self._to_float(v, name) for v in self.values(name)]

    def strs(self, name: str) -> List[str]:
        return [self._to_str(v, name) for v in self.values(name)]

    def enum(self, name: str, values: Dict[str, int], default: str) -> str:
        """An enum field by name (or number, as binary-to-text tools sometimes write)."""
        v = self.last(name)
        if v is None:
            return default
        s = self._scalar(v, name, "one of " + ", ".join(values))
        if s.kind == "ident" and s.text in values:
            return s.text
        if s.kind == "num":
            for k, num in values.items():
                try:
                    if int(s.text, 0) == num:
                        return k
                except ValueError:
                    break
        raise self._err(v, name, "one of " + ", ".join(values))

    def msg(self, name: str) -> "Message":
        """The sub-message (the last one), or an empty message (all defaults) when absent."""
        v = self.last(name)
        if v is None:
            m = Message(self.path, self.line, self.col, self.where)
            return m
        if not isinstance(v, Message):
            raise self._err(v, name, "a message { ... }")
        return v

    def msgs(self, name: str) -> List["Message"]:
        out = []
        for v in self.values(name):
            if not isinstance(v, Message):
                raise self._err(v, name, "a message { ... }")
            out.append(v)
        return out

    def __repr__(self):
        return "Message(%s)" % ", ".join(self.names())


# caffe.proto's integer fields are int32/uint32, except BlobShape.dim (int64): the text parser of
# protobuf refuses values outside a field's range, so does this one
_INT32_RANGE = (-(1 << 31), 1 << 32)
_INT_RANGE = {"dim": (-(1 << 63), 1 << 63)}


def _parse_int(t: str) -> int:
    """Text-format integers: decimal, 0x hex, 0-prefixed octal; integral floats (1.0, 1e3) too."""
    neg = t.startswith("-")
    b = t[1:] if neg else t
    if b[:2].lower() == "0x":
        v = int(b, 16)
    elif len(b) > 1 and b[0] == "0" and b.isdigit():
        v = int(b, 8)
    elif b.isdigit():
        v = int(b)
    else:
        f = float(b)
        if f != int(f):
            raise ValueError(t)
        v = int(f)
    return -v if neg else v


_ESC = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v",
        "\\": "\\", "'": "'", '"': '"', "?": "?"}


def _unescape(body: str) -> str:
    if "\\" not in body:
        return body
    out = bytearray()
    i, n = 0, len(body)
    while i < n:
        c = body[i]
        if c != "\\":
            out += c.encode("utf-8")
            i += 1
            continue
        i += 1
        c = body[i] if i < n else ""
        if c in _ESC:
            out += _ESC[c].encode()
            i += 1
        elif c in "01234567":
            j = i
            while j < n and j < i + 3 and body[j] in "01234567":
                j += 1
            out.append(int(body[i:j], 8) & 0xFF)
            i = j
        elif c in "xX":
            j = i + 1
            while j < n and j < i + 3 and body[j] in "0123456789abcdefABCDEF":
                j += 1
            out.append(int(body[i + 1:j] or "0", 16) & 0xFF)
            i = j
        else:
            out += ("\\" + c).encode("utf-8")
            i += 1
    return out.decode("utf-8", errors="replace")


class _Tokens:
    def __init__(self, text: str, path: str):
        self.path = path
        self.toks: List[Tuple[str, str, int, int]] = []
        line, line_start, pos, n = 1, 0, 0, len(text)
        m = _TOKEN.match
        while pos < n:
            mo = m(text, pos)
            if mo is None:
                raise IrconvError("%s:%d:%d: unexpected character %r" % (path, line, pos - line_start + 1, text[pos]))
            kind = mo.lastgroup
            tok = mo.group(kind)
            if kind == "ws":
                if tok == "\n":
                    line += 1
                    line_start = mo.end()
            elif kind != "comment":
                if kind == "str":
                    tok = _unescape(tok[1:-1])
                elif kind == "ext":
                    tok = tok[1:-1].strip()
                self.toks.append((kind, tok, line, pos - line_start + 1))
            pos = mo.end()
        self.i = 0
        self.end = (line, pos - line_start + 1)

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else ("eof", "", self.end[0], self.end[1])

    def next(self):
        t = self.peek()
        self.i += 1
        return t

    def error(self, tok, msg: str) -> IrconvError:
        shown = "end of file" if tok[0] == "eof" else ("'%s'" % tok[1] if tok[0] != "str" else "a string")
        return IrconvError("%s:%d:%d: %s, got %s" % (self.path, tok[2], tok[3], msg, shown))


def parse(text: str, path: str = "<prototxt>") -> Message:
    """Parses protobuf text format into a Message tree; raises IrconvError with file:line:col."""
    toks = _Tokens(text, path)
    root = Message(path, 1, 1)
    _parse_fields(toks, root, None)
    return root


def _parse_fields(toks: _Tokens, msg: Message, close: Optional[str]) -> None:
    depth_stack = [(msg, close)]
    # iterative to survive deeply nested input without hitting Python's recursion limit
    while depth_stack:
        cur, closing = depth_stack[-1]
        t = toks.peek()
        if t[0] == "eof":
            if closing is not None:
                raise toks.error(t, "expected '%s' to close the message opened at line %d" % (closing, cur.line))
            depth_stack.pop()
            continue
        if t[0] == "punct" and t[1] == closing:
            toks.next()
            depth_stack.pop()
            t2 = toks.peek()
            if t2[0] == "punct" and t2[1] in (",", ";") and depth_stack:
                toks.next()
            continue
        if t[0] not in ("ident", "ext") or (t[0] == "ident" and t[1].startswith("-")):
            raise toks.error(t, "expected a field name" + (" or '%s'" % closing if closing else ""))
        toks.next()
        name = t[1]
        sep = toks.peek()
        had_colon = False
        if sep[0] == "punct" and sep[1] == ":":
            toks.next()
            had_colon = True
        v = toks.peek()
        if v[0] == "punct" and v[1] in ("{", "<"):
            toks.next()
            sub = Message(toks.path, v[2], v[3], cur.where)
            cur.fields.append((name, sub))
            depth_stack.append((sub, "}" if v[1] == "{" else ">"))
            continue
        if not had_colon:
            raise toks.error(v, "expected ':' or '{' after field name '%s'" % name)
        if v[0] == "punct" and v[1] == "[":
            toks.next()
            first = True
            while True:
                e = toks.peek()
                if e[0] == "punct" and e[1] == "]":
                    toks.next()
                    break
                if not first:
                    if not (e[0] == "punct" and e[1] == ","):
                        raise toks.error(e, "expected ',' or ']' in the list of '%s'" % name)
                    toks.next()
                    e = toks.peek()
                first = False
                if e[0] == "punct" and e[1] in ("{", "<"):
                    toks.next()
                    sub = Message(toks.path, e[2], e[3], cur.where)
                    _parse_fields(toks, sub, "}" if e[1] == "{" else ">")
                    cur.fields.append((name, sub))
                else:
                    cur.fields.append((name, _scalar(toks, name)))
        else:
            cur.fields.append((name, _scalar(toks, name)))
        t2 = toks.peek()
        if t2[0] == "punct" and t2[1] in (",", ";"):
            toks.next()


def _scalar(toks: _Tokens, name: str) -> Scalar:
    t = toks.next()
    kind, text, line, col = t
    if kind == "punct" and text == "-":
        n = toks.next()
        if n[0] not in ("num", "ident") or n[1].startswith("-"):
            raise toks.error(n, "expected a number after '-' for field '%s'" % name)
        return Scalar(n[0], "-" + n[1], line, col)
    if kind == "str":
        parts = [text]
        while toks.peek()[0] == "str":   # adjacent literals concatenate
            parts.append(toks.next()[1])
        return Scalar("str", "".join(parts), line, col)
    if kind in ("num", "ident"):
        return Scalar(kind, text, line, col)
    raise toks.error(t, "expected a value for field '%s'" % name)
