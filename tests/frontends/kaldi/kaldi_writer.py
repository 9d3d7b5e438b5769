"""A writer of Kaldi's binary and text formats for tests (io-funcs / kaldi-matrix / compressed-matrix
Write() as Kaldi does it), and a binary -> text transcoder driven by irconv's reader trace.

    w = KaldiWriter(binary=False)
    w.token("<Nnet>"); w.token("<Sigmoid>"); w.int(10); w.int(10); w.token("<!EndOfComponent>")
    open("m.nnet", "wb").write(w.bytes())

    text_copy("final.mdl", "final_text.mdl")   # the same model in Kaldi's text format
"""
import struct

import numpy as np


def _fmt(v):
    v = float(v)
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    return "%.9g" % v


class KaldiWriter:
    def __init__(self, binary=True):
        self.binary = binary
        self.buf = bytearray(b"\0B" if binary else b"")

    def bytes(self):
        return bytes(self.buf)

    def raw(self, b):
        self.buf += b
        return self

    def _text(self, s):
        self.buf += s.encode("latin-1")
        return self

    def token(self, t):
        return self.raw(t.encode("latin-1") + b" ") if self.binary else self._text(t + " ")

    def newline(self):
        return self if self.binary else self._text("\n")

    def int(self, v):
        return self.raw(b"\x04" + struct.pack("<i", int(v))) if self.binary else self._text("%d " % int(v))

    def float(self, v, double=False):
        if self.binary:
            return self.raw(b"\x08" + struct.pack("<d", v) if double else b"\x04" + struct.pack("<f", v))
        return self._text(_fmt(v) + " ")

    def bool(self, b):
        return self.raw(b"T" if b else b"F") if self.binary else self._text("T " if b else "F ")

    def int_vector(self, v):
        v = [int(x) for x in v]
        if self.binary:
            return self.raw(b"\x04" + struct.pack("<i", len(v)) + np.asarray(v, "<i4").tobytes())
        return self._text("[ " + "".join("%d " % x for x in v) + "]\n")

    def int_pair_vector(self, pairs):
        pairs = [(int(a), int(b)) for a, b in pairs]
        if self.binary:
            return self.raw(b"\x04" + struct.pack("<i", len(pairs)) + np.asarray(pairs, "<i4").reshape(-1).tobytes())
        return self._text("[ " + "".join("%d,%d " % p for p in pairs) + "]\n")

    def matrix(self, m, kind="FM"):
        m = np.asarray(m, dtype=np.float64)
        if m.ndim != 2:
            raise ValueError("matrix expected")
        if not self.binary:
            if m.size == 0:
                return self._text(" [ ]\n")
            rows = "".join("\n  " + "".join(_fmt(x) + " " for x in r) for r in m)
            return self._text(" [" + rows + "]\n")
        if kind in ("CM", "CM2", "CM3"):
            return self.raw(compress_matrix(m, kind))
        self.token(kind).int(m.shape[0]).int(m.shape[1])
        return self.raw(m.astype("<f4" if kind == "FM" else "<f8").tobytes())

    def vector(self, v, kind="FV"):
        v = np.asarray(v, dtype=np.float64).reshape(-1)
        if not self.binary:
            return self._text(" [ " + "".join(_fmt(x) + " " for x in v) + "]\n")
        self.token(kind).int(v.shape[0])
        return self.raw(v.astype("<f4" if kind == "FV" else "<f8").tobytes())

    def line(self, s):
        return self._text(s + "\n") if not self.binary else self.raw(s.encode("latin-1") + b"\n")


# ---------------------------------------------------------------------------- CompressedMatrix
def _f2u16(mn, rng, v):
    f = (np.float32(v) - np.float32(mn)) / np.float32(rng)
    f = min(max(float(f), 0.0), 1.0)
    return int(f * 65535 + 0.499)


def _u16f(mn, rng, u):
    return np.float32(mn) + np.float32(rng) * np.float32(1.52590218966964e-05) * np.float32(u)


def compress_matrix(m, kind="CM"):
    """Kaldi's CompressedMatrix::CopyFromMat + Write (binary): the token, the 16-byte header
    (min, range, rows, cols) and the data, for the three formats."""
    m = np.asarray(m, dtype=np.float32)
    rows, cols = m.shape
    mn, mx = float(m.min()), float(m.max())
    if mx == mn:
        mx = mn + (1.0 + abs(mn))
    rng = np.float32(mx - mn)
    mn = np.float32(mn)
    out = bytearray(kind.encode() + b" " + struct.pack("<ffii", mn, rng, rows, cols))
    if kind == "CM2":
        q = np.clip((m - mn) / rng, 0, 1)
        out += (q * 65535 + 0.499).astype("<u2").tobytes()
        return bytes(out)
    if kind == "CM3":
        q = np.clip((m - mn) / rng, 0, 1)
        out += (q * 255 + 0.499).astype(np.uint8).tobytes()
        return bytes(out)
    hdrs, codes = [], []
    for c in range(cols):
        col = np.sort(m[:, c])
        q = rows // 4
        if rows >= 5:
            p0 = min(_f2u16(mn, rng, col[0]), 65532)
            p25 = min(max(_f2u16(mn, rng, col[q]), p0 + 1), 65533)
            p75 = min(max(_f2u16(mn, rng, col[3 * q]), p25 + 1), 65534)
            p100 = max(_f2u16(mn, rng, col[rows - 1]), p75 + 1)
        else:
            p0 = min(_f2u16(mn, rng, col[0]), 65532)
            p25 = min(max(_f2u16(mn, rng, col[1]), p0 + 1), 65533) if rows > 1 else p0 + 1
            p75 = min(max(_f2u16(mn, rng, col[2]), p25 + 1), 65534) if rows > 2 else p25 + 1
            p100 = max(_f2u16(mn, rng, col[3]), p75 + 1) if rows > 3 else p75 + 1
        hdrs.append((p0, p25, p75, p100))
        f0, f25, f75, f100 = (_u16f(mn, rng, p) for p in (p0, p25, p75, p100))
        cc = []
        for v in m[:, c]:
            if v < f25:
                a = int((v - f0) / (f25 - f0) * 64 + 0.5)
                a = min(max(a, 0), 64)
            elif v < f75:
                a = 64 + int((v - f25) / (f75 - f25) * 128 + 0.5)
                a = min(max(a, 64), 192)
            else:
                a = 192 + int((v - f75) / (f100 - f75) * 63 + 0.5)
                a = min(max(a, 192), 255)
            cc.append(a)
        codes.append(cc)
    out += np.asarray(hdrs, "<u2").tobytes()
    out += np.asarray(codes, np.uint8).tobytes()  # column-major: one column's codes after another
    return bytes(out)


# ---------------------------------------------------------------------------- binary -> text
def text_copy(src, dst):
    """Writes the Kaldi model `src` (binary) again in Kaldi's text format: every item irconv's
    reader reads is written back in text form (the HMM topology as Kaldi's text topology)."""
    from irconv.frontends.kaldi.io import KaldiReader
    from irconv.frontends.kaldi.loader import load

    trace = []
    orig_open = KaldiReader.open

    def traced_open(path):
        r = orig_open(path)
        r.trace = trace
        return r

    KaldiReader.open = staticmethod(traced_open)
    try:
        load(src)
    finally:
        KaldiReader.open = orig_open
    w = KaldiWriter(binary=False)
    i = 0
    while i < len(trace):
        kind, v = trace[i]
        if kind == "token" and v == "<Topology>":
            j = next(k for k in range(i, len(trace)) if trace[k] == ("token", "</Topology>"))
            _text_topology(w, [x for x in trace[i + 1:j]])
            w.token("</Topology>").newline()
            i = j + 1
            continue
        if kind == "token":
            w.token(v)
        elif kind == "int":
            w.int(v)
        elif kind == "float":
            w.float(v)
        elif kind == "bool":
            w.bool(v)
        elif kind == "intvec":
            w.int_vector(v)
        elif kind == "pairvec":
            w.int_pair_vector(v)
        elif kind == "matrix":
            w.matrix(v)
        elif kind == "vector":
            w.vector(v)
        elif kind == "line":
            w.line(v)
        i += 1
    with open(dst, "wb") as f:
        f.write(w.bytes())
    return dst


def _text_topology(w, items):
    """HmmTopology::Write in text mode, from the binary items (phones, phone2idx, [-1], entries)."""
    vals = [v for _, v in items]
    phones, phone2idx = list(vals[0]), list(vals[1])
    k = 2
    n = vals[k]
    k += 1
    is_hmm = True
    if n == -1:
        is_hmm = False
        n = vals[k]
        k += 1
    w.token("<Topology>").newline()
    for e in range(n):
        w.token("<TopologyEntry>").newline().token("<ForPhones>").newline()
        w._text("".join("%d " % p for p in range(len(phone2idx)) if phone2idx[p] == e) + "\n")
        w.token("</ForPhones>").newline()
        states = vals[k]
        k += 1
        for s in range(states):
            fwd = vals[k]
            k += 1
            loop = fwd
            if not is_hmm:
                loop = vals[k]
                k += 1
            w.token("<State>").int(s)
            if fwd != -1:
                if fwd == loop:
                    w.token("<PdfClass>").int(fwd)
                else:
                    w.token("<ForwardPdfClass>").int(fwd).token("<SelfLoopPdfClass>").int(loop)
            ntr = vals[k]
            k += 1
            for _ in range(ntr):
                w.token("<Transition>").int(vals[k]).float(vals[k + 1])
                k += 2
            w.token("</State>").newline()
        w.token("</TopologyEntry>").newline()
    del phones
