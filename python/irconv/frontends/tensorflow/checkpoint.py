"""TensorFlow checkpoints without TensorFlow: V2 tensor bundles (<prefix>.index +
<prefix>.data-NNNNN-of-NNNNN) and V1 tensor-slice files (SSTables of SavedTensorSlices), one file,
a folder of shards, or a prefix/pattern. Tensor bytes are read through mmaps (numpy views).

    ckpt = open_checkpoint("model.ckpt")          # or a folder, a .index file, a V1 file
    w = ckpt.read("fc1/weights")                  # full tensor (slices assembled when needed)
    part = ckpt.read_slice("fc1/weights", [0, 0], [86, 32])
"""
import glob
import mmap
import os
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional

import numpy as np

from irconv.errors import IrconvError
from irconv.limits import numel as _numel

from . import proto
from .sstable import Table, is_table
from .tensors import ET_TO_NP, RawConst, StringConst, et_of, from_buffer, shape_of
from .wire import decode_varints, fields, read_varint


@dataclass
class _Slice:
    start: List[int]
    length: List[int]            # -1 = the whole dimension
    load: Callable[[], object]   # -> array of the slice's shape
    nbytes: int = 0              # bytes the file stores for it (bounds its element count)

    def extent(self, full):
        return [(s, (f - s) if n < 0 else n) for s, n, f in zip(self.start, self.length, full)]


@dataclass
class _Tensor:
    name: str
    dtype: int
    shape: List[int]
    slices: List[_Slice] = field(default_factory=list)
    whole: Optional[Callable[[], object]] = None   # a tensor stored in one piece
    source: str = ""


class Checkpoint:
    def __init__(self, path, files):
        self.path = path
        self.files = files
        self.tensors: Dict[str, _Tensor] = {}

    def __contains__(self, name):
        return name in self.tensors

    def keys(self):
        return list(self.tensors)

    def dtype(self, name):
        return self.tensors[name].dtype

    def shape(self, name):
        return list(self.tensors[name].shape)

    def _get(self, name):
        t = self.tensors.get(name)
        if t is None:
            raise IrconvError("checkpoint %s has no variable '%s'" % (self.path, name))
        return t

    def read(self, name):
        """The whole tensor: numpy array (or RawConst / StringConst)."""
        t = self._get(name)
        if t.whole is not None:
            return t.whole()
        return self.read_slice(name, [0] * len(t.shape), list(t.shape))

    def slices(self, name):
        """[(start, length)] of the stored slices of a sliced (partitioned) tensor."""
        t = self._get(name)
        return [tuple(zip(*s.extent(t.shape))) for s in t.slices]

    def read_slice(self, name, start, length):
        t = self._get(name)
        start, length = list(start), list(length)
        if len(start) != len(t.shape):
            raise IrconvError("checkpoint %s: slice %s of '%s' has rank %d, the tensor has shape %s"
                              % (self.path, list(zip(start, length)), name, len(start), t.shape))
        if any(s < 0 or n < 0 or s + n > d for s, n, d in zip(start, length, t.shape)):
            raise IrconvError("checkpoint %s: slice %s of '%s' lies outside the tensor's shape %s"
                              % (self.path, list(zip(start, length)), name, t.shape))
        if t.whole is not None:
            arr = t.whole()
            if start == [0] * len(start) and length == list(t.shape):
                return arr
            if not isinstance(arr, np.ndarray):
                raise IrconvError("checkpoint %s: cannot slice '%s' of this type" % (self.path, name))
            return arr[tuple(slice(s, s + n) for s, n in zip(start, length))]
        want = [(s, n) for s, n in zip(start, length)]
        for s in t.slices:
            if s.extent(t.shape) == want:
                return s.load()
        et = et_of(t.dtype, name)
        if et not in ET_TO_NP:
            raise IrconvError("checkpoint %s: cannot assemble slices of '%s' (type %s)" % (self.path, name, et))
        stored = sum(s.nbytes for s in t.slices)     # every stored element takes at least a byte
        if _numel(length) > stored:
            raise IrconvError("checkpoint %s: the stored slices of '%s' hold %d bytes, too few for "
                              "shape %s" % (t.source or self.path, name, stored, length))
        out = np.zeros(length, ET_TO_NP[et])
        covered = 0
        for s in t.slices:
            ext = s.extent(t.shape)
            lo = [max(a, b) for (a, _), b in zip(ext, start)]
            hi = [min(a + n, b + m) for (a, n), b, m in zip(ext, start, length)]
            if any(h <= l for l, h in zip(lo, hi)) and length:
                continue
            data = np.asarray(s.load())
            src = tuple(slice(l - a, h - a) for l, h, (a, _) in zip(lo, hi, ext))
            dst = tuple(slice(l - b, h - b) for l, h, b in zip(lo, hi, start))
            out[dst] = data[src]
            covered += _numel([h - l for l, h in zip(lo, hi)])
        if covered < out.size:
            raise IrconvError("checkpoint %s: the stored slices of '%s' do not cover %s"
                              % (self.path, name, want))
        return out

    def merge(self, other):
        for name, t in other.tensors.items():
            mine = self.tensors.get(name)
            if mine is None:
                self.tensors[name] = t
            elif mine.whole is None and t.whole is None and mine.shape == t.shape:
                mine.slices.extend(t.slices)
            # else: the first file wins (same variable saved twice)
        self.files.extend(other.files)


# ---------------------------------------------------------------- opening

def _check_inside(path, root, what):
    """A path read from a file of folder `root` must stay inside it, symlinks resolved."""
    base = os.path.realpath(root)
    full = os.path.realpath(path)
    if os.path.commonpath([base, full]) != base:
        raise IrconvError("%s '%s' leads outside the folder %s (to %s): irconv reads no file outside the "
                          "folder of the file that names it; pass the checkpoint itself with --input_checkpoint"
                          % (what, path, base, full))


def open_checkpoint(path, root=None):
    """A checkpoint prefix (V2), a .index/.data file, a V1 file, a folder of V1 shards or V2
    bundles (or holding a 'checkpoint' state file), or a glob pattern. root: the folder every file
    read must stay inside (when the path came from a `checkpoint` state file)."""
    p = os.fspath(path)
    if os.path.isdir(p):
        return _open_dir(p)
    if os.path.isfile(p + ".index"):
        return _read_v2(p, root)
    if p.endswith(".index") and os.path.isfile(p):
        return _read_v2(p[:-len(".index")], root)
    base, ext = os.path.splitext(p)
    if ext.startswith(".data-") and os.path.isfile(base + ".index"):
        return _read_v2(base, root)
    if os.path.isfile(p):
        if root is not None:
            _check_inside(p, root, "checkpoint file")
        if is_table(p):
            return _read_v1([p], p)
        raise IrconvError("checkpoint %s: not a V1 checkpoint file or a V2 bundle (no %s.index)" % (p, p))
    files = sorted(f for f in glob.glob(p) if os.path.isfile(f)) or \
        sorted(f for f in glob.glob(glob.escape(p) + "*") if os.path.isfile(f))
    if files:
        index = [f for f in files if f.endswith(".index")]
        if index:
            return _merge([_read_v2(f[:-len(".index")]) for f in index], p)
        tables = [f for f in files if is_table(f)]
        if tables:
            return _read_v1(tables, p)
    raise IrconvError("checkpoint %s: not found (expected a V2 prefix with .index/.data files, a V1 "
                      "checkpoint file, or a folder of them)" % p)


def _open_dir(d):
    state = os.path.join(d, "checkpoint")
    if os.path.isfile(state):
        try:
            with open(state, "r", encoding="utf-8", errors="replace") as f:
                st = proto.parse_text(proto.CheckpointState, f.read(), state)
        except Exception as e:  # noqa: BLE001 - protobuf text errors
            raise IrconvError("%s: cannot read the checkpoint state file: %s" % (state, e)) from None
        if st.model_checkpoint_path:
            prefix = st.model_checkpoint_path
            if not os.path.isabs(prefix):
                prefix = os.path.join(d, prefix)
            if os.path.isfile(prefix + ".index") or os.path.isfile(prefix):
                # a stale path (a folder moved after training) falls back to the folder's files;
                # one that exists must not lead out of the folder
                _check_inside(prefix, d, "%s: model_checkpoint_path" % state)
                return open_checkpoint(prefix, root=d)
    files = sorted(os.path.join(d, f) for f in os.listdir(d) if os.path.isfile(os.path.join(d, f)))
    index = [f for f in files if f.endswith(".index")]
    if index:
        return _merge([_read_v2(f[:-len(".index")]) for f in index], d)
    tables = [f for f in files if is_table(f)]
    if tables:
        return _read_v1(tables, d)
    raise IrconvError("checkpoint folder %s holds no V2 bundle (.index) and no V1 checkpoint file" % d)


def _merge(cks, path):
    out = Checkpoint(path, [])
    for c in cks:
        out.merge(c)
    return out


# ---------------------------------------------------------------- V2 tensor bundles

def _ordered_num(v):
    """OrderedCode::WriteNumIncreasing."""
    b = v.to_bytes(8, "big").lstrip(b"\0")
    return bytes([len(b)]) + b


def _ordered_signed(v):
    """OrderedCode::WriteSignedNumIncreasing."""
    x = ~v if v < 0 else v
    if x < 64:
        return bytes([(0x80 ^ v) & 0xFF])
    n = x.bit_length() // 7 + 1          # bytes needed (7 payload bits per byte, incl. sign)
    raw = (v & ((1 << (8 * n)) - 1)).to_bytes(n, "big")
    header = ((1 << n) - 1) << (8 * n - n)   # n leading one bits
    return (int.from_bytes(raw, "big") ^ header).to_bytes(n, "big")


def slice_key(name, start, length):
    """EncodeTensorNameSlice(name, slice): the key of one slice of a sliced tensor."""
    esc = name.encode("utf-8").replace(b"\xff", b"\xff\x00").replace(b"\x00", b"\x00\xff")
    out = _ordered_num(0) + esc + b"\x00\x01" + _ordered_num(len(start))
    for s, n in zip(start, length):
        out += _ordered_signed(s) + _ordered_signed(n)
    return out


class _Mapped:
    """mmaps of the data files, opened on first use."""

    def __init__(self, root=None):
        self.maps = {}
        self.root = root

    def get(self, path, what):
        mm = self.maps.get(path)
        if mm is None:
            if not os.path.isfile(path):
                raise IrconvError("checkpoint data file %s not found (needed for '%s')" % (path, what))
            if self.root is not None:
                _check_inside(path, self.root, "checkpoint data file")
            size = os.path.getsize(path)
            with open(path, "rb") as f:
                mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
            self.maps[path] = mm
        return mm


def _extent_lists(sp):
    start, length = [], []
    for e in sp.extent:
        start.append(int(e.start))
        length.append(int(e.length) if e.HasField("length") else -1)
    return start, length


def _read_v2(prefix, root=None):
    index = prefix + ".index"
    if root is not None:
        _check_inside(index, root, "checkpoint index")
    table = Table(index)
    header = None
    raw = {}
    for key, value, _ in table.items():
        if key == b"":
            header = _parse(proto.BundleHeaderProto, value, index, "the bundle header")
            continue
        raw[key] = value
    if header is None:
        raise IrconvError("%s: no bundle header (not a V2 checkpoint index)" % index)
    if header.endianness != 0:
        raise IrconvError("%s: big-endian checkpoints are not supported" % index)
    nshards = max(int(header.num_shards), 1)
    maps = _Mapped(root)
    ck = Checkpoint(prefix, [index] + sorted(glob.glob(glob.escape(prefix) + ".data-[0-9]*-of-[0-9]*")))

    def loader(entry, name):
        shard = "%s.data-%05d-of-%05d" % (prefix, entry.shard_id, nshards)
        shape = shape_of(entry.shape) or []

        def load():
            mm = maps.get(shard, name)
            off, size = int(entry.offset), int(entry.size)
            if off < 0 or off + size > len(mm):
                raise IrconvError("checkpoint data file %s is truncated: '%s' needs bytes [%d, %d), the file has %d"
                                  % (shard, name, off, off + size, len(mm)))
            view = memoryview(mm)[off:off + size]
            if entry.dtype == 7:
                return _bundle_strings(view, shape, "%s: '%s'" % (shard, name))
            return from_buffer(view, et_of(entry.dtype, name), shape, "%s: '%s'" % (shard, name))
        return load

    for key, value in raw.items():
        if key[:1] == b"\x00":
            continue   # a slice entry, reached through its tensor's entry
        name = key.decode("utf-8", errors="replace")
        entry = _parse(proto.BundleEntryProto, value, index, "entry '%s'" % name)
        shape = shape_of(entry.shape) or []
        t = _Tensor(name, int(entry.dtype), shape, source=index)
        if len(entry.slices) == 0:
            t.whole = loader(entry, name)
        else:
            for sp in entry.slices:
                start, length = _extent_lists(sp)
                k = slice_key(name, start, length)
                sv = raw.get(k)
                if sv is None:
                    raise IrconvError("%s: slice %s of '%s' is listed but not stored"
                                      % (index, list(zip(start, length)), name))
                se = _parse(proto.BundleEntryProto, sv, index, "a slice of '%s'" % name)
                ext_shape = [(f - s) if n < 0 else n for s, n, f in zip(start, length, shape)]
                se_shape = proto.TensorShapeProto()
                for d in ext_shape:
                    se_shape.dim.add(size=d)
                se.shape.CopyFrom(se_shape)
                t.slices.append(_Slice(start, length, loader(se, name), max(0, int(se.size))))
        ck.tensors[name] = t
    return ck


def _bundle_strings(view, shape, what):
    numel = _numel(shape)
    pos, lens = 0, []
    for _ in range(numel):
        n, pos = read_varint(view, pos, len(view), what)
        lens.append(n)
    pos += 4  # crc32c of the lengths
    out = []
    for n in lens:
        if pos + n > len(view):
            raise IrconvError("%s: truncated string data" % what)
        out.append(bytes(view[pos:pos + n]))
        pos += n
    return StringConst(out, list(shape))


def _parse(cls, value, path, what):
    try:
        return cls.FromString(bytes(value))
    except Exception as e:  # noqa: BLE001 - protobuf decode errors
        raise IrconvError("%s: cannot parse %s: %s" % (path, what, e)) from None


# ---------------------------------------------------------------- V1 tensor-slice files

_PACKED = {5: ("f32", "<f4"), 6: ("f64", "<f8")}


def _v1_tensor(buf, start, end, dtype, shape, what):
    """A SavedSlice's TensorProto (wire range) -> array of `shape`, zero-copy for tensor_content
    and packed float/double fields."""
    et = et_of(dtype, what)
    numel = _numel(shape)
    content = None
    packed = {}
    strings = []
    for num, wt, v in fields(buf, start, end, what):
        if num == 4 and wt == 2:
            content = v
        elif num == 8 and wt == 2:
            strings.append(bytes(buf[v[0]:v[1]]))
        elif num in (5, 6, 7, 10, 11, 13, 16, 17):
            packed.setdefault(num, []).append((wt, v))
    if dtype == 7:
        if len(strings) != numel:
            raise IrconvError("%s: %d strings for %d elements" % (what, len(strings), numel))
        return StringConst(strings, list(shape))
    if content is not None:
        return from_buffer(buf[content[0]:content[1]], et, shape, what)
    field_of = {"f32": 5, "f64": 6, "i32": 7, "i16": 7, "i8": 7, "u8": 7, "u16": 7, "i64": 10, "boolean": 11,
                "f16": 13, "bf16": 13, "u32": 16, "u64": 17}
    num = field_of.get(et)
    if num is None:
        raise IrconvError("%s: cannot read values of type %s" % (what, et))
    runs = packed.get(num, [])
    if num in _PACKED:
        np_t = _PACKED[num][1]
        size = np.dtype(np_t).itemsize
        if len(runs) == 1 and runs[0][0] == 2:
            s, e = runs[0][1]
            if (e - s) != numel * size:
                raise IrconvError("%s: %d values for %d elements" % (what, (e - s) // size, numel))
            return np.frombuffer(buf[s:e], dtype=np_t).reshape(shape)
        parts = [np.frombuffer(buf[v[0]:v[1]], dtype=np_t) for _, v in runs]
        vals = np.concatenate(parts) if parts else np.zeros(0, np_t)
    else:
        parts = []
        for wt, v in runs:
            if wt == 2:
                parts.append(decode_varints(buf[v[0]:v[1]]))
            else:
                parts.append(np.asarray([v], dtype=np.uint64))
        vals = np.concatenate(parts) if parts else np.zeros(0, np.uint64)
    if vals.size != numel:
        raise IrconvError("%s: %d values for %d elements" % (what, vals.size, numel))
    if et == "bf16":
        return RawConst("bf16", list(shape), vals.astype(np.uint16).astype("<u2").tobytes())
    if et == "f16":
        return vals.astype(np.uint16).view(np.float16).reshape(shape)
    if et in ("f32", "f64"):
        return vals.astype(ET_TO_NP[et]).reshape(shape)
    if et == "boolean":
        return (vals != 0).reshape(shape)
    return vals.astype(np.int64).astype(ET_TO_NP[et]).reshape(shape) if et != "u64" else vals.reshape(shape)


def _read_v1(paths, name):
    ck = Checkpoint(name, [])
    for path in paths:
        ck.merge(_read_v1_file(path))
    ck.path = name
    return ck


def _read_v1_file(path):
    table = Table(path)
    ck = Checkpoint(path, [path])
    meta = None
    records = []
    for key, value, _ in table.items():
        if key == b"":
            meta = _parse(proto.SavedTensorSlices, value, path, "the slice metadata")
            continue
        records.append(value)
    if meta is None:
        raise IrconvError("%s: no SavedTensorSliceMeta (not a V1 checkpoint)" % path)
    for m in meta.meta.tensor:
        ck.tensors[m.name] = _Tensor(m.name, int(m.type), shape_of(m.shape) or [], source=path)
    for value in records:
        name, sp, tensor_range = None, None, None
        where = "%s: slice record" % path
        for num, wt, v in fields(value, 0, len(value), where):
            if num != 2 or wt != 2:
                continue
            for n2, w2, v2 in fields(value, v[0], v[1], where):
                if n2 == 1 and w2 == 2:
                    name = bytes(value[v2[0]:v2[1]]).decode("utf-8", errors="replace")
                elif n2 == 2 and w2 == 2:
                    sp = _parse(proto.TensorSliceProto, value[v2[0]:v2[1]], path, "a slice spec")
                elif n2 == 3 and w2 == 2:
                    tensor_range = v2
        if name is None or tensor_range is None:
            continue
        t = ck.tensors.get(name)
        if t is None:
            raise IrconvError("%s: data for '%s' that the metadata does not list" % (path, name))
        start, length = _extent_lists(sp) if sp is not None else ([0] * len(t.shape), [-1] * len(t.shape))
        if not start:
            start, length = [0] * len(t.shape), [-1] * len(t.shape)
        ext_shape = [(f - s) if n < 0 else n for s, n, f in zip(start, length, t.shape)]

        def load(value=value, r=tensor_range, t=t, shp=ext_shape):
            return _v1_tensor(value, r[0], r[1], t.dtype, shp, "%s: '%s'" % (path, t.name))
        t.slices.append(_Slice(start, length, load, tensor_range[1] - tensor_range[0]))
    for t in ck.tensors.values():
        if len(t.slices) == 1 and t.slices[0].extent(t.shape) == [(0, d) for d in t.shape]:
            t.whole, t.slices = t.slices[0].load, []
    return ck


__all__ = ["Checkpoint", "open_checkpoint", "slice_key"]
