"""Kaldi's serialization, binary and text (src/base/io-funcs, src/matrix): one reader for both.

    r = KaldiReader.open("final.nnet")      # binary when the file starts with "\\0B"
    r.expect_token("<Nnet>")
    dim = r.read_int()                      # size byte 0x04 + int32 LE (binary) / a number (text)
    w = r.read_matrix()                     # FM / DM / CM / CM2 / CM3 (binary) or [ ... ] (text)

Binary items (little-endian): a token is ASCII followed by one space; an int32 is the size byte
0x04 then 4 bytes; a float is 0x04 + float32 (or 0x08 + float64); a bool is 'T' or 'F'; an integer
vector is the element size byte, a raw int32 count and the elements; matrices and vectors start
with the tokens FM/DM/CM/CM2/CM3 and FV/DV. Float matrices are views of the file's mmap (no copy).
Every error names the file and the byte offset, and says what was expected and what was found.
"""
from __future__ import annotations

import mmap
import os
import struct
import warnings
from typing import Optional

import numpy as np

from irconv.errors import IrconvError

_WS = b" \t\n\r\v\f"
_WS_SET = frozenset(_WS)


def _show(b) -> str:
    """A short printable form of some bytes found in the file."""
    if isinstance(b, (bytes, bytearray, memoryview)):
        b = bytes(b)
        if len(b) > 24:
            b = b[:24] + b"..."
        s = b.decode("latin-1")
        if all(32 <= ord(c) < 127 for c in s):
            return "'%s'" % s
        return repr(b)
    return repr(b)


class KaldiReader:
    """Sequential reader over the bytes of one Kaldi file (or a slice of it)."""

    def __init__(self, data, path: str, binary: Optional[bool] = None, pos: int = 0):
        self.data = data
        self.view = memoryview(data)
        self.path = path
        self.size = len(data)
        if binary is None:
            binary = self.size >= pos + 2 and bytes(self.view[pos:pos + 2]) == b"\0B"
            if binary:
                pos += 2
        self.binary = binary
        self.pos = pos
        self.trace: Optional[list] = None  # when a list: (kind, value) of every item read

    @classmethod
    def open(cls, path: str) -> "KaldiReader":
        try:
            size = os.path.getsize(path)
            with open(path, "rb") as f:
                data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        except OSError as e:
            raise IrconvError("cannot read Kaldi model '%s': %s" % (path, e.strerror or e)) from None
        r = cls(data, path)
        if not r.binary:
            # text files are parsed from a str (Kaldi text is ASCII)
            r = TextReader(bytes(data), path)
        return r

    # ---- errors ----
    def where(self, pos: Optional[int] = None) -> str:
        return "%s: byte %d" % (self.path, self.pos if pos is None else pos)

    def error(self, msg: str, pos: Optional[int] = None) -> IrconvError:
        return IrconvError("%s: %s" % (self.where(pos), msg))

    def _need(self, n: int, what: str) -> None:
        if self.pos + n > self.size:
            raise self.error("unexpected end of file while reading %s (needs %d byte(s), %d left)"
                             % (what, n, self.size - self.pos))

    def _record(self, kind: str, value) -> None:
        if self.trace is not None:
            self.trace.append((kind, value))

    # ---- low level ----
    def eof(self) -> bool:
        self.skip_ws()
        return self.pos >= self.size

    def skip_ws(self) -> None:
        d, p, n = self.view, self.pos, self.size
        while p < n and d[p] in _WS_SET:
            p += 1
        self.pos = p

    def peek_char(self) -> str:
        """The next character after whitespace ('' at end of file), not consumed. (Kaldi's Peek
        does not skip whitespace in binary mode; tokens always do, so both agree before tokens.)"""
        self.skip_ws()
        return chr(self.view[self.pos]) if self.pos < self.size else ""

    def _token_bounds(self):
        self.skip_ws()
        start = p = self.pos
        d, n = self.view, self.size
        while p < n and d[p] not in _WS_SET:
            p += 1
        return start, p

    def peek_token(self) -> str:
        """The next whitespace-delimited token, not consumed ('' at end of file)."""
        start, end = self._token_bounds()
        return bytes(self.view[start:end]).decode("latin-1")

    def read_token(self, what: str = "a token") -> str:
        start, end = self._token_bounds()
        if start >= self.size:
            raise self.error("unexpected end of file while reading %s" % what)
        tok = bytes(self.view[start:end]).decode("latin-1")
        self.pos = end + 1 if end < self.size else end  # one whitespace character ends a token
        self._record("token", tok)
        return tok

    def expect_token(self, expected: str, context: str = "") -> None:
        start, end = self._token_bounds()
        if start >= self.size:
            raise self.error("unexpected end of file: expected token '%s'%s" % (expected, context), start)
        tok = bytes(self.view[start:end])
        if tok.decode("latin-1") != expected:
            raise self.error("expected token '%s'%s, found %s" % (expected, context, _show(tok)), start)
        self.pos = end + 1 if end < self.size else end
        self._record("token", expected)

    def expect_one_or_two(self, first: str, second: str) -> None:
        """Kaldi's ExpectOneOrTwoTokens: `first` may already have been consumed."""
        if self.peek_token() == first:
            self.read_token()
        self.expect_token(second)

    # ---- basic types ----
    def _size_byte(self, what: str) -> int:
        self._need(1, what)
        b = self.view[self.pos]
        self.pos += 1
        return b if b < 128 else b - 256

    def read_int(self, what: str = "an int32") -> int:
        start = self.pos
        sz = self._size_byte(what)
        if sz not in (4, -4):
            raise self.error("expected %s (size byte 4), found %s" % (what, _show(self.view[start:start + 5])), start)
        self._need(4, what)
        v = struct.unpack_from("<i" if sz == 4 else "<I", self.data, self.pos)[0]
        self.pos += 4
        self._record("int", v)
        return v

    def read_float(self, what: str = "a float") -> float:
        start = self.pos
        sz = self._size_byte(what)
        if sz == 4:
            self._need(4, what)
            v = struct.unpack_from("<f", self.data, self.pos)[0]
        elif sz == 8:
            self._need(8, what)
            v = struct.unpack_from("<d", self.data, self.pos)[0]
        else:
            raise self.error("expected %s (size byte 4 or 8), found %s" % (what, _show(self.view[start:start + 9])), start)
        self.pos += sz
        self._record("float", v)
        return float(v)

    def read_bool(self, what: str = "a bool") -> bool:
        self.skip_ws()
        self._need(1, what)
        c = chr(self.view[self.pos])
        if c not in "TF":
            raise self.error("expected %s ('T' or 'F'), found %s" % (what, _show(self.view[self.pos:self.pos + 8])))
        self.pos += 1
        self._record("bool", c == "T")
        return c == "T"

    def read_int_vector(self, what: str = "an integer vector") -> np.ndarray:
        start = self.pos
        sz = self._size_byte(what)
        if sz not in (4, -4):
            raise self.error("expected %s of int32 (element size byte 4), found %s"
                             % (what, _show(self.view[start:start + 5])), start)
        self._need(4, what)
        n = struct.unpack_from("<i", self.data, self.pos)[0]
        self.pos += 4
        if n < 0:
            raise self.error("%s has a negative length %d" % (what, n), start)
        self._need(4 * n, what)
        v = np.frombuffer(self.data, dtype="<i4", count=n, offset=self.pos).astype(np.int32)
        self.pos += 4 * n
        self._record("intvec", v)
        return v

    def read_int_pair_vector(self, what: str = "a vector of integer pairs") -> np.ndarray:
        """WriteIntegerPairVector: element size byte, raw int32 count, count pairs -> [n, 2]."""
        start = self.pos
        sz = self._size_byte(what)
        if sz not in (4, -4):
            raise self.error("expected %s of int32 (element size byte 4), found %s"
                             % (what, _show(self.view[start:start + 5])), start)
        self._need(4, what)
        n = struct.unpack_from("<i", self.data, self.pos)[0]
        self.pos += 4
        if n < 0:
            raise self.error("%s has a negative length %d" % (what, n), start)
        self._need(8 * n, what)
        v = np.frombuffer(self.data, dtype="<i4", count=2 * n, offset=self.pos).astype(np.int32).reshape(n, 2)
        self.pos += 8 * n
        self._record("pairvec", v)
        return v

    # ---- matrices / vectors ----
    def _dims(self, what: str, n: int):
        dims = []
        for _ in range(n):
            p = self.pos
            d = self.read_int(what + " dimension")
            if d < 0:
                raise self.error("%s has a negative dimension %d" % (what, d), p)
            dims.append(d)
        return dims

    def _float_block(self, dtype: str, count: int, what: str) -> np.ndarray:
        nbytes = count * (4 if dtype == "<f4" else 8)
        self._need(nbytes, what)
        a = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.pos)
        self.pos += nbytes
        if dtype != "<f4":
            a = a.astype(np.float32)
        return a

    def read_matrix(self, what: str = "a matrix") -> np.ndarray:
        """A float32 [rows, cols] array (a read-only view of the file for FM)."""
        trace, self.trace = self.trace, None  # the parts are one traced item
        try:
            m = self._read_matrix(what)
        finally:
            self.trace = trace
        self._record("matrix", m)
        return m

    def _read_matrix(self, what: str) -> np.ndarray:
        start = self.pos
        tok = self.read_token(what)
        if tok in ("FM", "DM"):
            rows, cols = self._dims(what, 2)
            m = self._float_block("<f4" if tok == "FM" else "<f8", rows * cols, what).reshape(rows, cols)
        elif tok in ("CM", "CM2", "CM3"):
            m = self._compressed(tok, what, start)
        else:
            raise self.error("expected %s (token FM, DM, CM, CM2 or CM3), found %s" % (what, _show(tok.encode("latin-1"))), start)
        return m

    def read_vector(self, what: str = "a vector") -> np.ndarray:
        trace, self.trace = self.trace, None
        try:
            start = self.pos
            tok = self.read_token(what)
            if tok not in ("FV", "DV"):
                raise self.error("expected %s (token FV or DV), found %s" % (what, _show(tok.encode("latin-1"))), start)
            (n,) = self._dims(what, 1)
            v = self._float_block("<f4" if tok == "FV" else "<f8", n, what)
        finally:
            self.trace = trace
        self._record("vector", v)
        return v

    def _compressed(self, tok: str, what: str, start: int) -> np.ndarray:
        """Kaldi's CompressedMatrix (matrix/compressed-matrix.cc): a header (float min, float
        range, int32 rows, int32 cols, no size bytes) then, for CM, per-column uint16 percentiles
        (p0, p25, p75, p100) and column-major uint8 codes; CM2: row-major uint16; CM3: uint8."""
        self._need(16, what + " header")
        min_v, rng, rows, cols = struct.unpack_from("<ffii", self.data, self.pos)
        self.pos += 16
        if rows < 0 or cols < 0:
            raise self.error("%s: compressed matrix has bad dimensions %d x %d" % (what, rows, cols), start)
        if cols == 0:
            # Kaldi writes an empty CM with a 20-byte header (format word included) but reads 16.
            if self.pos + 4 <= self.size and bytes(self.view[self.pos:self.pos + 4]) == b"\0\0\0\0":
                self.pos += 4
            return np.zeros((rows if rows else 0, 0), np.float32)
        inc16 = np.float32(rng) * np.float32(1.52590218966964e-05)
        if tok == "CM":
            self._need(cols * 8 + rows * cols, what)
            hdr = np.frombuffer(self.data, dtype="<u2", count=cols * 4, offset=self.pos).reshape(cols, 4)
            self.pos += cols * 8
            codes = np.frombuffer(self.data, dtype=np.uint8, count=rows * cols, offset=self.pos).reshape(cols, rows)
            self.pos += rows * cols
            p = np.float32(min_v) + inc16 * hdr.astype(np.float32)  # [cols, 4]
            p0, p25, p75, p100 = (p[:, i:i + 1] for i in range(4))
            c = codes.astype(np.float32)
            lo = p0 + (p25 - p0) * c * np.float32(1 / 64.0)
            mid = p25 + (p75 - p25) * (c - 64) * np.float32(1 / 128.0)
            hi = p75 + (p100 - p75) * (c - 192) * np.float32(1 / 63.0)
            m = np.where(codes <= 64, lo, np.where(codes <= 192, mid, hi)).T
        elif tok == "CM2":
            self._need(2 * rows * cols, what)
            d = np.frombuffer(self.data, dtype="<u2", count=rows * cols, offset=self.pos).reshape(rows, cols)
            self.pos += 2 * rows * cols
            m = np.float32(min_v) + d.astype(np.float32) * np.float32(rng * (1.0 / 65535.0))
        else:
            self._need(rows * cols, what)
            d = np.frombuffer(self.data, dtype=np.uint8, count=rows * cols, offset=self.pos).reshape(rows, cols)
            self.pos += rows * cols
            m = np.float32(min_v) + d.astype(np.float32) * np.float32(rng * (1.0 / 255.0))
        return np.ascontiguousarray(m, dtype=np.float32)

    # ---- text lines (the nnet3 config section is plain text in binary files too) ----
    def read_line(self) -> Optional[str]:
        """The rest of the current line (without the newline); None at end of file."""
        if self.pos >= self.size:
            return None
        end = self._find(b"\n", self.pos)
        line = bytes(self.view[self.pos:end if end >= 0 else self.size]).decode("latin-1")
        self.pos = end + 1 if end >= 0 else self.size
        self._record("line", line)
        return line

    def _find(self, needle: bytes, start: int) -> int:
        return self.data.find(needle, start)  # bytes or mmap

    def find_token(self, tokens, start: Optional[int] = None) -> int:
        """Byte offset of the first of `tokens` (whole token) at or after `start`, or -1."""
        best = -1
        for t in tokens:
            p = self.pos if start is None else start
            needle = t.encode("latin-1")
            while True:
                i = self._find(needle, p)
                if i < 0:
                    break
                # binary data may run right up to a token: only the whitespace after it counts
                after = i + len(needle)
                if after >= self.size or self.view[after] in _WS_SET:
                    if best < 0 or i < best:
                        best = i
                    break
                p = i + 1
        return best


class TextReader(KaldiReader):
    """Kaldi's text mode: whitespace-separated tokens and numbers; matrices as
    `[ r0c0 r0c1 ...\\n r1c0 ... ]`, vectors `[ v0 v1 ... ]`, integer vectors `[ 1 2 3 ]`."""

    def __init__(self, data: bytes, path: str, pos: int = 0):
        super().__init__(data, path, binary=False, pos=pos)

    def where(self, pos: Optional[int] = None) -> str:
        p = self.pos if pos is None else pos
        line = bytes(self.view[:p]).count(b"\n") + 1 if p < 4 << 20 else None
        return "%s: byte %d%s" % (self.path, p, " (line %d)" % line if line else "")

    def _number_token(self, what: str) -> str:
        start, end = self._token_bounds()
        if start >= self.size:
            raise self.error("unexpected end of file while reading %s" % what)
        tok = bytes(self.view[start:end]).decode("latin-1")
        self.pos = end
        return tok, start

    def read_int(self, what: str = "an int32") -> int:
        tok, start = self._number_token(what)
        try:
            v = int(tok)
        except ValueError:
            raise self.error("expected %s, found %s" % (what, _show(tok.encode("latin-1"))), start) from None
        if not -(1 << 31) <= v < 1 << 31:      # Kaldi reads int32 (a stream error beyond its range)
            raise self.error("expected %s, found %s (outside the int32 range)" % (what, tok), start)
        self._record("int", v)
        return v

    def read_float(self, what: str = "a float") -> float:
        tok, start = self._number_token(what)
        try:
            v = float(tok)
        except ValueError:
            raise self.error("expected %s, found %s" % (what, _show(tok.encode("latin-1"))), start) from None
        self._record("float", v)
        return v

    def _bracket(self, what: str):
        """The text between '[' and the matching ']' (consumed), and its start offset."""
        self.skip_ws()
        start = self.pos
        if start >= self.size:
            raise self.error("unexpected end of file while reading %s" % what)
        if self.view[start] != ord("["):
            raise self.error("expected %s starting with '[', found %s" % (what, _show(self.view[start:start + 12])), start)
        end = self._find(b"]", start + 1)
        if end < 0:
            raise self.error("unexpected end of file: %s has no closing ']'" % what, start)
        body = bytes(self.view[start + 1:end]).decode("latin-1")
        self.pos = end + 1
        return body, start

    def _floats(self, body: str, what: str, start: int) -> np.ndarray:
        """Whitespace-separated numbers, parsed in C (no per-number Python objects: text models of
        hundreds of MB stay fast and small)."""
        if not body.strip():
            return np.zeros(0, np.float32)
        vals = None
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            try:
                vals = np.fromstring(body, dtype=np.float64, sep=" ")
            except (ValueError, DeprecationWarning):
                pass
        if vals is not None:
            big = np.isfinite(vals) & (np.abs(vals) > np.finfo(np.float32).max)
            if not big.any():
                return vals.astype(np.float32)
            # Kaldi reads floats: a finite number beyond float's range is a read failure there too
            raise self.error("%s: %r is outside the float32 range" % (what, float(vals[np.argmax(big)])), start)
        bad = next((t for t in body.split() if not _is_float(t)), body.strip()[:24])
        raise self.error("%s: expected a number, found %s" % (what, _show(bad.encode("latin-1"))), start)

    def read_int_vector(self, what: str = "an integer vector") -> np.ndarray:
        body, start = self._bracket(what)
        try:
            v = np.array([int(t) for t in body.split()], dtype=np.int32)
        except (ValueError, OverflowError):      # not integers, or outside int32
            raise self.error("%s: expected int32 integers, found %s" % (what, _show(body[:24].encode("latin-1"))), start) from None
        self._record("intvec", v)
        return v

    def read_int_pair_vector(self, what: str = "a vector of integer pairs") -> np.ndarray:
        body, start = self._bracket(what)  # [ 1,2 3,4 ]
        try:
            v = np.array([[int(a) for a in t.split(",")] for t in body.split()], dtype=np.int32).reshape(-1, 2)
        except (ValueError, OverflowError):
            raise self.error("%s: expected pairs like 1,2, found %s" % (what, _show(body[:24].encode("latin-1"))), start) from None
        self._record("pairvec", v)
        return v

    def read_matrix(self, what: str = "a matrix") -> np.ndarray:
        body, start = self._bracket(what)
        lines = [ln for ln in body.split("\n") if ln.strip()]
        if not lines:
            m = np.zeros((0, 0), np.float32)
        else:
            vals = self._floats(body, what, start)
            first, last = len(lines[0].split()), len(lines[-1].split())
            if first == 0 or vals.size != first * len(lines) or last != first:
                lengths = sorted({len(ln.split()) for ln in lines})
                raise self.error("%s: rows have different lengths (%s)" % (what, lengths), start)
            m = vals.reshape(len(lines), first)
        self._record("matrix", m)
        return m

    def read_vector(self, what: str = "a vector") -> np.ndarray:
        body, start = self._bracket(what)
        v = self._floats(body, what, start)
        self._record("vector", v)
        return v


def _is_float(t: str) -> bool:
    try:
        float(t)
        return True
    except ValueError:
        return False
