"""Mutators for the fuzzer: byte-level edits for any file, and structure-aware ones that keep a
file parseable enough to reach the readers' deeper checks.

    m = Mutable(data, kind)          # kind: pb | json | text | bin (see kind_of)
    new = m.mutate(rng, extra_strings)

- pb: the file is parsed (best effort) as a protobuf message tree; one field somewhere in the tree is
  deleted, duplicated, repeated, given another number or wire type, a new varint/fixed value, a
  mutated/emptied/spliced payload, or another field of the file is inserted before it. Enclosing
  length prefixes are re-encoded, so the result stays well-formed around the edit.
- json: one value of the document is replaced by an interesting one (huge/negative/zero numbers,
  numbers inside attribute strings like "(3, 3)", other strings of the document), deleted,
  duplicated or swapped.
- text: one token (number, word, quoted string, bracket) of a text format is replaced, deleted or
  duplicated; numbers become boundary values, strings become paths that lead out of the folder.
- bin: a 1/2/4/8-byte little-endian integer at some offset (preferably right after a Kaldi-style
  size byte 0x04) becomes a boundary value or is nudged.
Every mutator falls back to byte-level edits when the structure gives it nothing to work on.
"""
import json
import re
import struct

INTERESTING_INTS = (0, 1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 63, 64, 127, 128, 255, 256, 1023, 1024, 4096, 0x7fff,
                    0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff, 1 << 32, 10 ** 9, 10 ** 12,
                    (1 << 62), (1 << 63) - 1, 1 << 63, (1 << 64) - 1, (1 << 64) - 2)
INTERESTING_F32 = (0.0, -0.0, 1.0, -1.0, 0.5, 1e-45, 1e38, -1e38, float("inf"), float("-inf"), float("nan"))
TEXT_NUMBERS = (b"0", b"-1", b"1", b"2", b"3", b"-2147483648", b"2147483647", b"2147483648", b"4294967296",
                b"99999999999", b"-99999999999", b"1e308", b"-1e308", b"nan", b"inf", b"0.5", b"1e-45",
                b"9223372036854775807", b"18446744073709551616")
PATH_STRINGS = (b"../secret.bin", b"../../secret.bin", b"/etc/passwd", b"sub/../../secret.bin", b"", b".", b"..",
                b"/", b"model.onnx", b"\0", b"a" * 300)


def varint(v):
    v &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


# ---------------------------------------------------------------- byte level

def mutate_bytes(data, rng, text=False):
    b = bytearray(data)
    for _ in range(rng.choice((1, 1, 1, 2, 3, 8))):
        if not b:
            b = bytearray(rng.randbytes(rng.randint(1, 64)))
            continue
        k = rng.randrange(10 if text else 8)
        i = rng.randrange(len(b))
        if k == 0:                                   # bit flip
            b[i] ^= 1 << rng.randrange(8)
        elif k == 1:                                 # interesting byte
            b[i] = rng.choice((0x00, 0xff, 0x7f, 0x80, 0x01, 0x0a, 0x08, 0x12, 0x1a, 0x22))
        elif k == 2:                                 # truncate
            del b[rng.randrange(len(b)):]
        elif k == 3:                                 # insert random bytes
            b[i:i] = rng.randbytes(rng.randint(1, 16))
        elif k == 4:                                 # duplicate a chunk
            j = min(len(b), i + rng.randint(1, 256))
            b[i:i] = b[i:j]
        elif k == 5:                                 # delete a chunk
            del b[i:i + rng.randint(1, 64)]
        elif k == 6:                                 # varint-ish length bump
            b[i] = (b[i] | 0x80) if rng.random() < 0.5 else min(0x7f, b[i] + rng.randint(1, 100))
        elif k == 7:                                 # 32-bit size field set huge/negative
            v = rng.choice((0xffffffff, 0x7fffffff, 0x80000000, 0x10000000, 0))
            b[i:i + 4] = v.to_bytes(4, "little")
        elif k == 8:                                 # text: replace a byte with a number or bracket
            b[i:i + 1] = rng.choice((b"-1", b"99999999999", b"0", b"1e308", b"nan", b"\"", b"{", b"}", b"["))
        else:                                        # text: swap two lines
            lines = bytes(b).split(b"\n")
            if len(lines) > 2:
                x, y = rng.randrange(len(lines)), rng.randrange(len(lines))
                lines[x], lines[y] = lines[y], lines[x]
                b = bytearray(b"\n".join(lines))
    return bytes(b)


def _nudged_int(rng, cur, width):
    mask = (1 << (8 * width)) - 1
    r = rng.random()
    if r < 0.5:
        v = rng.choice(INTERESTING_INTS)
    elif r < 0.8:
        v = cur + rng.choice((-1, 1, -2, 2, -8, 8, 1000, -1000))
    else:
        v = cur * rng.choice((2, 10, 1000, -1))
    return v & mask


# ---------------------------------------------------------------- protobuf

class _Field:
    __slots__ = ("num", "wt", "start", "kend", "pstart", "end", "child")

    def __init__(self, num, wt, start, kend, pstart, end, child):
        self.num, self.wt, self.start, self.kend, self.pstart, self.end, self.child = \
            num, wt, start, kend, pstart, end, child


def _read_varint(data, pos, end):
    v = shift = 0
    while True:
        if pos >= end or shift > 63:
            raise ValueError("varint")
        b = data[pos]
        pos += 1
        v |= (b & 0x7F) << shift
        if b < 0x80:
            return v, pos
        shift += 7


def parse_pb(data, start, end, depth=0, budget=None):
    """[_Field] of the message in data[start:end]; ValueError when it is not one. Length-delimited
    payloads that parse as messages get a child list (best effort: strings may parse too)."""
    budget = budget if budget is not None else [200000]
    fields = []
    pos = start
    while pos < end:
        fstart = pos
        key, pos = _read_varint(data, pos, end)
        num, wt = key >> 3, key & 7
        if num == 0 or num > 536870911:
            raise ValueError("field number")
        kend = pos
        if wt == 0:
            _, pos = _read_varint(data, pos, end)
            pstart = kend
        elif wt == 1:
            pstart, pos = pos, pos + 8
        elif wt == 5:
            pstart, pos = pos, pos + 4
        elif wt == 2:
            n, pstart = _read_varint(data, pos, end)
            pos = pstart + n
        else:
            raise ValueError("wire type")
        if pos > end:
            raise ValueError("overrun")
        child = None
        if wt == 2 and depth < 12 and pos - pstart >= 2 and budget[0] > 0:
            try:
                child = parse_pb(data, pstart, pos, depth + 1, budget)
            except ValueError:
                child = None
        budget[0] -= 1
        fields.append(_Field(num, wt, fstart, kend, pstart, pos, child))
    return fields


def _pb_paths(fields, prefix=(), out=None):
    out = [] if out is None else out
    for i, f in enumerate(fields):
        out.append(prefix + (i,))
        if f.child:
            _pb_paths(f.child, prefix + (i,), out)
    return out


class _Pb:
    def __init__(self, data):
        self.data = data
        self.fields = parse_pb(data, 0, len(data))
        self.paths = _pb_paths(self.fields)
        self.len_fields = [p for p in self.paths if self._field(p).wt == 2]

    def _field(self, path):
        fs = self.fields
        f = None
        for i in path:
            f = fs[i]
            fs = f.child
        return f

    def _rebuild(self, fields, start, end, path, chunks):
        """Bytes of the message data[start:end] with the field at `path` replaced by `chunks`."""
        f = fields[path[0]]
        if len(path) > 1:
            payload = self._rebuild(f.child, f.pstart, f.end, path[1:], chunks)
            mid = self.data[f.start:f.kend] + varint(len(payload)) + payload
        else:
            mid = b"".join(chunks)
        return self.data[start:f.start] + mid + self.data[f.end:end]

    def mutate(self, rng, strings):
        if not self.paths:
            return None
        path = rng.choice(self.paths)
        f = self._field(path)
        whole = self.data[f.start:f.end]
        key = self.data[f.start:f.kend]
        payload = self.data[f.pstart:f.end]
        k = rng.randrange(10)
        if k == 0:
            chunks = []                                              # delete
        elif k == 1:
            chunks = [whole] * rng.choice((2, 2, 3, 16, 200))          # duplicate / repeat
        elif k == 2:                                                 # another field number or wire type
            num = max(1, f.num + rng.choice((-1, 1, 8, -8))) if rng.random() < 0.7 else rng.randint(1, 200)
            wt = f.wt if rng.random() < 0.8 else rng.choice((0, 1, 2, 5))
            chunks = [varint((num << 3) | wt), self.data[f.kend:f.end]]
        elif k == 3 and self.len_fields:                             # splice another field in before it
            other = self._field(rng.choice(self.len_fields) if rng.random() < 0.7 else rng.choice(self.paths))
            chunks = [self.data[other.start:other.end], whole]
        elif f.wt == 0:
            cur, _ = _read_varint(self.data, f.kend, f.end)
            chunks = [key, varint(_nudged_int(rng, cur, 8))]
        elif f.wt == 5:
            if rng.random() < 0.5:
                chunks = [key, struct.pack("<f", rng.choice(INTERESTING_F32))]
            else:
                chunks = [key, _nudged_int(rng, int.from_bytes(payload, "little"), 4).to_bytes(4, "little")]
        elif f.wt == 1:
            if rng.random() < 0.5:
                chunks = [key, struct.pack("<d", rng.choice(INTERESTING_F32))]
            else:
                chunks = [key, _nudged_int(rng, int.from_bytes(payload, "little"), 8).to_bytes(8, "little")]
        else:                                                        # a length-delimited payload
            r = rng.random()
            if r < 0.25:
                new = b""
            elif r < 0.45:
                new = payload[:rng.randrange(len(payload) + 1)]
            elif r < 0.6 and strings:
                new = rng.choice(strings)
            elif r < 0.7:
                new = rng.choice(PATH_STRINGS)
            elif r < 0.8 and len(payload) % 8 == 0 and payload:
                # packed numbers: one element becomes a boundary value
                i = rng.randrange(len(payload) // 4) * 4
                new = payload[:i] + rng.choice(INTERESTING_INTS).to_bytes(8, "little")[:4] + payload[i + 4:]
            else:
                new = mutate_bytes(payload[:4096], rng) + payload[4096:]
            chunks = [key, varint(len(new)), new]
        return self._rebuild(self.fields, 0, len(self.data), path, chunks)


# ---------------------------------------------------------------- JSON

_NUM_IN_STR = re.compile(r"-?\d+(\.\d+)?")
JSON_VALUES = (0, -1, 1, 2, 1 << 31, 1 << 63, 10 ** 12, 1e308, -1e308, None, True, False, "", "0", "-1", "()",
               "(0)", "(0, 0)", "(99999999, 99999999)", "(-1, -1)", "None", "nan", "inf", [], {}, [[0, 0, 0]],
               [0, 99999, 0], [-1, 0, 0], [[99999, 0, 0]])


def _json_slots(obj, out):
    if isinstance(obj, dict):
        for k in obj:
            out.append((obj, k))
            _json_slots(obj[k], out)
    elif isinstance(obj, list):
        for i in range(len(obj)):
            out.append((obj, i))
            _json_slots(obj[i], out)
    return out


def _json_strings(obj, out):
    if isinstance(obj, str):
        out.add(obj)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            out.add(k)
            _json_strings(v, out)
    elif isinstance(obj, list):
        for v in obj:
            _json_strings(v, out)
    return out


class _Json:
    def __init__(self, data):
        self.text = data.decode("utf-8")
        obj = json.loads(self.text)
        self.strings = sorted(_json_strings(obj, set()))
        self.n_slots = len(_json_slots(obj, []))

    def mutate(self, rng, strings):
        obj = json.loads(self.text)
        slots = _json_slots(obj, [])
        if not slots:
            return None
        for _ in range(rng.choice((1, 1, 2, 3))):
            slots = _json_slots(obj, [])
            if not slots:
                break
            c, k = rng.choice(slots)
            v = c[k]
            r = rng.random()
            if r < 0.15:
                del c[k]
            elif r < 0.25 and isinstance(c, list):
                j = rng.randrange(len(c))
                c[k], c[j] = c[j], c[k]
            elif r < 0.35 and isinstance(c, list):
                c.insert(k, json.loads(json.dumps(v)))
            elif isinstance(v, str) and _NUM_IN_STR.search(v) and r < 0.75:
                ms = list(_NUM_IN_STR.finditer(v))
                m = rng.choice(ms)
                num = rng.choice(TEXT_NUMBERS).decode()
                c[k] = v[:m.start()] + num + v[m.end():]
            elif isinstance(v, str) and r < 0.75 and self.strings:
                c[k] = rng.choice(self.strings)
            elif isinstance(v, int) and not isinstance(v, bool) and r < 0.75:
                c[k] = _nudged_int(rng, v, 8) - (1 << 63) if rng.random() < 0.3 else rng.choice((0, -1, v + 1, v - 1, v * 2, 10 ** 9))
            else:
                c[k] = json.loads(json.dumps(rng.choice(JSON_VALUES)))
        return json.dumps(obj).encode("utf-8")


# ---------------------------------------------------------------- text tokens

_TOKEN = re.compile(rb'"(?:[^"\\\n]|\\.)*"|-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[A-Za-z_<>/!][\w<>/!.\-]*|[{}\[\]:,;()]')


class _Text:
    def __init__(self, data):
        self.data = data
        self.tokens = [(m.start(), m.end()) for m in _TOKEN.finditer(data)]
        self.words = sorted({data[s:e] for s, e in self.tokens if data[s:s + 1].isalpha() or data[s:s + 1] in b"<_"})[:5000]
        self.quoted = sorted({data[s:e] for s, e in self.tokens if data[s:s + 1] == b'"'})[:5000]

    def mutate(self, rng, strings):
        if not self.tokens:
            return None
        data = self.data
        edits = []
        for _ in range(rng.choice((1, 1, 2, 3))):
            s, e = rng.choice(self.tokens)
            tok = data[s:e]
            r = rng.random()
            if r < 0.1:
                new = b""                                            # delete the token
            elif r < 0.2:
                new = tok + b" " + tok                               # duplicate it
            elif tok[:1] == b'"':
                pick = rng.random()
                if pick < 0.4:
                    new = b'"' + rng.choice(PATH_STRINGS + tuple(strings or ())).replace(b'"', b"") + b'"'
                elif self.quoted:
                    new = rng.choice(self.quoted)
                else:
                    new = b'""'
            elif tok[:1].isdigit() or tok[:1] in b"-.":
                new = rng.choice(TEXT_NUMBERS)
            elif self.words and tok[:1] not in b"{}[]:,;()":
                new = rng.choice(self.words)
            else:
                new = rng.choice((b"{", b"}", b"[", b"]", b":", b""))
            edits.append((s, e, new))
        edits.sort(reverse=True)
        out = bytearray(data)
        last = None
        for s, e, new in edits:
            if last is not None and e > last:
                continue                                             # overlapping: keep the later one
            out[s:e] = new
            last = s
        if rng.random() < 0.1:                                        # duplicate a run of lines
            lines = bytes(out).split(b"\n")
            i = rng.randrange(len(lines))
            j = min(len(lines), i + rng.randint(1, 20))
            lines[i:i] = lines[i:j]
            out = bytearray(b"\n".join(lines))
        return bytes(out)


# ---------------------------------------------------------------- binary integers

class _Bin:
    def __init__(self, data):
        self.data = data
        # Kaldi's binary ints: the size byte 4 then 4 bytes (keep the list short for big files)
        self.int_sites = [m.start() + 1 for m in re.finditer(rb"\x04", data[:1 << 20])][:20000]

    def mutate(self, rng, strings):
        data = self.data
        if not data:
            return None
        b = bytearray(data)
        for _ in range(rng.choice((1, 1, 2))):
            if self.int_sites and rng.random() < 0.5:
                i, width = rng.choice(self.int_sites), 4
            else:
                width = rng.choice((1, 2, 4, 4, 8, 8))
                i = rng.randrange(max(1, len(b) - width + 1))
            if i + width > len(b):
                continue
            cur = int.from_bytes(b[i:i + width], "little")
            b[i:i + width] = _nudged_int(rng, cur, width).to_bytes(width, "little")
        return bytes(b)


# ---------------------------------------------------------------- entry

def kind_of(name, data):
    """pb | json | text | bin for a seed file."""
    head = data[:4096]
    is_text = bool(head) and b"\0" not in head and all(c >= 9 for c in head[:512])
    if name.endswith(".json"):
        try:
            json.loads(data.decode("utf-8"))
            return "json"
        except (ValueError, UnicodeDecodeError):
            pass
    if is_text:
        return "text"
    if name.endswith((".onnx", ".pb", ".meta", ".caffemodel")):
        try:
            if parse_pb(data, 0, len(data)):
                return "pb"
        except ValueError:
            pass
    return "bin"


class Mutable:
    """One seed file's bytes and its parsed structure (built once, on first use)."""

    def __init__(self, data, kind):
        self.data = data
        self.kind = kind
        self._s = None

    def structure(self):
        if self._s is None:
            try:
                self._s = {"pb": _Pb, "json": _Json, "text": _Text, "bin": _Bin}[self.kind](self.data)
            except (ValueError, UnicodeDecodeError, RecursionError):
                self._s = False
        return self._s

    def mutate(self, rng, strings=()):
        """One mutated copy: structure-aware 60% of the time, byte-level otherwise."""
        if rng.random() < 0.6:
            s = self.structure()
            if s:
                out = s.mutate(rng, list(strings))
                if out is not None:
                    if rng.random() < 0.15:                      # now and then a byte-level edit on top
                        out = mutate_bytes(out, rng, self.kind in ("text", "json"))
                    return out
        return mutate_bytes(self.data, rng, self.kind in ("text", "json"))
