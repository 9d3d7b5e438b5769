"""Reading MXNet `.params` / `.nd` files (an "NDArray list") without mxnet.

    arrays = load_params("model-0000.params")     # {"arg:conv1_weight": ndarray, ...}
                                                  # or a list for an unnamed file

Layout (little-endian; shared/notes/mxnet_formats.md section 2):

    u64 magic 0x112, u64 reserved, u64 n_arrays, n_arrays x record,
    u64 n_names (0 or n_arrays), n_names x (u64 length, UTF-8 bytes)

A record starts with a u32: 0xF993FAC9 (V2: storage type, [storage shape], shape, device, dtype,
[aux types and shapes], data, [aux data]), 0xF993FACA (V3, numpy shape semantics: dense only,
ndim 0 = scalar, zero-size dims allowed), 0xF993FAC8 (V1: shape, device, dtype, data) or anything
else (pre-V1: that u32 is ndim, then u32 dims, device, dtype, data).

Dense arrays are numpy views of an mmap of the file (no copy); a bad or truncated file raises
IrconvError naming the file and the byte offset.
"""
from __future__ import annotations

import mmap
import os
import struct
from typing import Dict, List, Optional, Tuple, Union

import numpy as np

from irconv.errors import IrconvError
from irconv.limits import check_expansion, numel

LIST_MAGIC = 0x112
V1_MAGIC = 0xF993FAC8
V2_MAGIC = 0xF993FAC9
V3_MAGIC = 0xF993FACA

# dtype flag -> numpy dtype (mshadow type flags)
DTYPES = {0: np.dtype("<f4"), 1: np.dtype("<f8"), 2: np.dtype("<f2"), 3: np.dtype("u1"),
          4: np.dtype("<i4"), 5: np.dtype("i1"), 6: np.dtype("<i8"), 7: np.dtype("?"),
          8: np.dtype("<i2"), 9: np.dtype("<u2"), 10: np.dtype("<u4"), 11: np.dtype("<u8")}
DTYPE_NAMES = {0: "float32", 1: "float64", 2: "float16", 3: "uint8", 4: "int32", 5: "int8",
               6: "int64", 7: "bool", 8: "int16", 9: "uint16", 10: "uint32", 11: "uint64", 12: "bfloat16"}
STORAGE = {0: "default", 1: "row_sparse", 2: "csr"}
N_AUX = {1: 1, 2: 2}
MAX_NDIM = 32


class SparseArray:
    """A row_sparse or csr array as stored: `data` (values), `aux` (row_sparse: [row indices];
    csr: [indptr, column indices]) and the dense `shape`. to_dense() builds the dense array."""

    def __init__(self, stype: str, shape: Tuple[int, ...], data: np.ndarray, aux: List[np.ndarray],
                 where: str = "sparse array"):
        self.stype, self.shape, self.data, self.aux = stype, tuple(shape), data, aux
        self.dtype = data.dtype
        self.where = where        # "<file>: offset N (0xN): array i", for errors

    def _bad(self, what: str):
        raise IrconvError("%s: %s array of shape %s: %s" % (self.where, self.stype, list(self.shape), what))

    def to_dense(self) -> np.ndarray:
        """The dense array; the stored values and indices are checked against the shape first, and
        the dense size may not exceed irconv's expansion limit (a few stored rows can claim any shape)."""
        check_expansion(numel(self.shape) * self.data.dtype.itemsize, "%s: dense %s of shape %s"
                        % (self.where, self.stype, list(self.shape)))
        if self.stype == "row_sparse":
            rows = self.aux[0].astype(np.int64).reshape(-1)
            if not self.shape:
                self._bad("a row_sparse array needs at least one dimension")
            if self.data.size != rows.size * numel(self.shape[1:]):
                self._bad("%d stored values for %d rows of %s" % (self.data.size, rows.size, list(self.shape[1:])))
            if rows.size and (rows.min() < 0 or rows.max() >= self.shape[0]):
                self._bad("row indices outside [0, %d)" % self.shape[0])
            out = np.zeros(self.shape, dtype=self.data.dtype)
            if rows.size:
                out[rows] = self.data.reshape((rows.size,) + self.shape[1:])
            return out
        if len(self.shape) != 2:
            self._bad("a csr array must be 2-D")
        indptr, cols = self.aux[0].astype(np.int64).reshape(-1), self.aux[1].astype(np.int64).reshape(-1)
        nrows, ncols = self.shape
        if indptr.size != nrows + 1 or indptr[0] != 0 or np.any(np.diff(indptr) < 0):
            self._bad("indptr must hold %d non-decreasing offsets starting at 0" % (nrows + 1))
        if indptr[-1] != self.data.size or cols.size != self.data.size:
            self._bad("indptr ends at %d, %d column indices, %d values" % (indptr[-1], cols.size, self.data.size))
        if cols.size and (cols.min() < 0 or cols.max() >= ncols):
            self._bad("column indices outside [0, %d)" % ncols)
        out = np.zeros(self.shape, dtype=self.data.dtype)
        row_of = np.repeat(np.arange(nrows, dtype=np.int64), np.diff(indptr))
        out[row_of, cols] = self.data.reshape(-1)
        return out


class _Reader:
    def __init__(self, buf, path: str):
        self.buf = buf
        self.path = path
        self.pos = 0
        self.size = len(buf)

    def fail(self, what: str, at: Optional[int] = None):
        raise IrconvError("%s: offset %d (0x%x): %s" % (self.path, self.pos if at is None else at,
                                                       self.pos if at is None else at, what))

    def need(self, n: int, what: str):
        if n < 0 or self.pos + n > self.size:
            self.fail("file ends in %s (needs %d byte(s), %d left)" % (what, n, max(0, self.size - self.pos)))

    def unpack(self, fmt: str, what: str):
        n = struct.calcsize(fmt)
        self.need(n, what)
        v = struct.unpack_from(fmt, self.buf, self.pos)
        self.pos += n
        return v if len(v) > 1 else v[0]

    def shape(self, what: str, dim_fmt: str = "<q", ndim: Optional[int] = None) -> Tuple[int, ...]:
        at = self.pos
        if ndim is None:
            ndim = self.unpack("<I", what + " rank")
        if ndim > MAX_NDIM:
            self.fail("%s has rank %d (a corrupt file?)" % (what, ndim), at)
        dims = self.unpack("<%d%s" % (ndim, dim_fmt[1]), what + " dims") if ndim else ()
        if not isinstance(dims, tuple):
            dims = (dims,)
        for d in dims:
            if d < 0:
                self.fail("%s has a negative dimension %d" % (what, d), at)
        return tuple(int(d) for d in dims)

    def dtype(self, what: str) -> np.dtype:
        at = self.pos
        flag = self.unpack("<i", what + " dtype")
        dt = DTYPES.get(flag)
        if dt is None:
            name = DTYPE_NAMES.get(flag)
            self.fail("%s: unsupported dtype flag %d%s" % (what, flag, " (%s)" % name if name else ""), at)
        return dt

    def data(self, dt: np.dtype, shape: Tuple[int, ...], what: str) -> np.ndarray:
        count = 1
        for d in shape:
            count *= d
        nbytes = count * dt.itemsize
        self.need(nbytes, what + " data (%s x %s)" % (list(shape), dt.name))
        if count == 0:
            try:
                return np.zeros(shape, dtype=dt)
            except ValueError:      # numpy refuses shapes whose non-zero dims overflow int64
                self.fail("%s has an empty shape %s too large to represent" % (what, list(shape)))
        arr = np.frombuffer(self.buf, dtype=dt, count=count, offset=self.pos).reshape(shape)
        self.pos += nbytes
        return arr


def _record(r: _Reader, index: int):
    what = "array %d" % index
    start = r.pos
    head = r.unpack("<I", what + " header")
    if head in (V2_MAGIC, V3_MAGIC):
        np_shape = head == V3_MAGIC
        stype_at = r.pos
        stype = r.unpack("<i", what + " storage type")
        if stype not in STORAGE:
            r.fail("%s: unknown storage type %d (expected 0 dense, 1 row_sparse, 2 csr)" % (what, stype), stype_at)
        if np_shape and stype != 0:
            r.fail("%s: a numpy-shape (V3) record must be dense, storage type is %d" % (what, stype), stype_at)
        sshape = r.shape(what + " storage shape") if stype != 0 else None
        shape = r.shape(what + " shape")
        if not shape and not np_shape:
            return np.zeros((0,), dtype=np.float32)     # an empty "none" array
        r.unpack("<ii", what + " device")
        dt = r.dtype(what)
        if stype == 0:
            return r.data(dt, shape, what)
        aux_meta = []
        for k in range(N_AUX[stype]):
            adt = r.dtype("%s aux %d" % (what, k))
            ashape = r.shape("%s aux %d shape" % (what, k))
            aux_meta.append((adt, ashape))
        data = r.data(dt, sshape, what)
        aux = [r.data(adt, ashape, "%s aux %d" % (what, k)) for k, (adt, ashape) in enumerate(aux_meta)]
        return SparseArray(STORAGE[stype], shape, data, aux, "%s: offset %d (0x%x): %s" % (r.path, start, start, what))
    if head == V1_MAGIC:
        shape = r.shape(what + " shape")
    else:
        # pre-V1: the u32 is the rank, dims are u32
        if head > MAX_NDIM:
            r.fail("%s: expected an NDArray record (magic 0xF993FAC9, 0xF993FACA, 0xF993FAC8 or a rank "
                   "<= %d), found 0x%08X" % (what, MAX_NDIM, head), start)
        shape = r.shape(what + " shape", "<I", ndim=head)
    if not shape:
        return np.zeros((0,), dtype=np.float32)
    r.unpack("<ii", what + " device")
    dt = r.dtype(what)
    return r.data(dt, shape, what)


def _open(path: str):
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size == 0:
                return b""
            return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except OSError as e:
        raise IrconvError("cannot read '%s': %s" % (path, e.strerror or e)) from None


def parse_params(buf, path: str = "<buffer>") -> Union[Dict[str, object], List[object]]:
    """Parses an NDArray list from a bytes-like object (arrays are views of `buf`)."""
    r = _Reader(buf, path)
    if r.size < 24:
        r.fail("not an MXNet NDArray file: %d byte(s), the header alone is 24" % r.size, 0)
    magic, _reserved, n = r.unpack("<QQQ", "header")
    if magic != LIST_MAGIC:
        r.fail("not an MXNet NDArray file: magic 0x%X, expected 0x112" % magic, 0)
    # every record takes at least 4 bytes: a count beyond that is a corrupt header
    if n > (r.size - r.pos) // 4:
        r.fail("header says %d arrays, more than the file can hold" % n, 16)
    arrays = [_record(r, i) for i in range(n)]
    at = r.pos
    n_names = r.unpack("<Q", "name count")
    if n_names == 0:
        if r.pos != r.size:
            r.fail("%d unexpected byte(s) after the arrays" % (r.size - r.pos))
        return arrays
    if n_names != n:
        r.fail("%d names for %d arrays (expected 0 or %d)" % (n_names, n, n), at)
    names = []
    for i in range(n_names):
        ln = r.unpack("<Q", "name %d length" % i)
        r.need(ln, "name %d" % i)
        raw = bytes(buf[r.pos:r.pos + ln])
        try:
            names.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            r.fail("name %d is not UTF-8" % i)
        r.pos += ln
    if r.pos != r.size:
        r.fail("%d unexpected byte(s) after the names" % (r.size - r.pos))
    out: Dict[str, object] = {}
    for k, a in zip(names, arrays):
        out[k] = a
    return out


def load_params(path: str):
    """Reads a .params/.nd file: {name: array} (list when the file stores no names). Dense
    arrays are read-only numpy views of an mmap of the file; sparse ones are SparseArray."""
    return parse_params(_open(path), path)


def split_arg_aux(loaded, path: str, nd_kind: Optional[str] = None):
    """{name: array} of a deploy file -> (args, auxs) without the 'arg:'/'aux:' prefixes. Names
    without a prefix (ParameterDict.save, .nd files) count as args, or as auxs when nd_kind
    is 'aux'. An unnamed list cannot be matched to the graph."""
    if isinstance(loaded, list):
        if not loaded:
            return {}, {}
        raise IrconvError("%s: the file stores %d unnamed arrays; weights must be named after the "
                          "graph's variables ('arg:<name>' / 'aux:<name>')" % (path, len(loaded)))
    args, auxs = {}, {}
    for k, v in loaded.items():
        if isinstance(v, SparseArray):
            v = v.to_dense()
        if k.startswith("arg:"):
            args[k[4:]] = v
        elif k.startswith("aux:"):
            auxs[k[4:]] = v
        elif nd_kind == "aux":
            auxs[k] = v
        else:
            args[k] = v
    return args, auxs
