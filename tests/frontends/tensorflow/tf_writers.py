"""Writers of TensorFlow files for tests, without TensorFlow: GraphDefs built node by node (binary or
text), LevelDB-format tables, V1 (tensor-slice) and V2 (tensor-bundle) checkpoints. They follow
the formats byte for byte (tensorflow/core/lib/io/table_builder.cc, tensor_slice_writer.cc,
tensor_bundle.cc) so the frontend's readers are tested on files shaped like TF's own."""
import struct

import numpy as np
from google.protobuf import text_format

from irconv.frontends.tensorflow import proto
from irconv.frontends.tensorflow.checkpoint import slice_key

DT = {np.dtype(np.float32): 1, np.dtype(np.float64): 2, np.dtype(np.int32): 3, np.dtype(np.uint8): 4,
      np.dtype(np.int64): 9, np.dtype(np.bool_): 10, np.dtype(np.float16): 19}
DT_STRING = 7


# ---------------------------------------------------------------- GraphDefs

class GraphBuilder:
    """g = GraphBuilder(); x = g.placeholder("x", np.float32, [None, 3]); y = g.op("Relu", [x]) ..."""

    def __init__(self):
        self.gd = proto.GraphDef()
        self.gd.versions.producer = 27

    def node(self, op, name, inputs=(), **attrs):
        n = self.gd.node.add(name=name, op=op)
        n.input.extend(inputs)
        for k, v in attrs.items():
            set_attr(n.attr[k], v)
        return name

    def const(self, name, value):
        value = np.asarray(value)
        return self.node("Const", name, value=value, dtype=("type", DT[value.dtype]))

    def placeholder(self, name, dtype, shape):
        return self.node("Placeholder", name, dtype=("type", DT[np.dtype(dtype)]),
                         shape=("shape", shape))

    def op(self, op, name, inputs, T=np.float32, **attrs):
        if T is not None:
            attrs["T"] = ("type", DT[np.dtype(T)])
        return self.node(op, name, inputs, **attrs)

    def variable(self, name, shape, dtype=np.float32, op="VariableV2"):
        self.node(op, name, dtype=("type", DT[np.dtype(dtype)]), shape=("shape", list(shape)),
                  container=b"", shared_name=b"")
        return self.node("Identity", name + "/read", [name], T=("type", DT[np.dtype(dtype)]))

    def binary(self):
        return self.gd.SerializeToString()

    def text(self):
        return text_format.MessageToString(self.gd)


def tensor_proto(tp, value):
    value = np.asarray(value)
    tp.dtype = DT[value.dtype]
    for d in value.shape:
        tp.tensor_shape.dim.add(size=d)
    tp.tensor_content = np.ascontiguousarray(value).tobytes()


def set_attr(av, v):
    """Attribute values: np.ndarray -> tensor, ("type", dt), ("shape", dims or None), bool, int,
    float, bytes/str, ("list_i", [...]), ("list_type", [...]), ("list_s", [...]), ("func", name)."""
    if isinstance(v, (np.ndarray, np.generic)):
        tensor_proto(av.tensor, np.asarray(v))
    elif isinstance(v, tuple):
        kind, x = v
        if kind == "type":
            av.type = x
        elif kind == "shape":
            if x is None:
                av.shape.unknown_rank = True
            else:
                for d in x:
                    av.shape.dim.add(size=-1 if d is None else d)
        elif kind == "list_i":
            av.list.i.extend(x)
        elif kind == "list_type":
            av.list.type.extend(x)
        elif kind == "list_s":
            av.list.s.extend(s.encode() if isinstance(s, str) else s for s in x)
        elif kind == "func":
            av.func.name = x
        else:
            raise ValueError(kind)
    elif isinstance(v, bool):
        av.b = v
    elif isinstance(v, int):
        av.i = v
    elif isinstance(v, float):
        av.f = v
    elif isinstance(v, (bytes, str)):
        av.s = v.encode() if isinstance(v, str) else v
    else:
        raise TypeError(type(v))


# ---------------------------------------------------------------- tables (LevelDB format)

def _varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _crc_table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ (0x82F63B78 & -(c & 1))
        t.append(c)
    return t


_CRC = _crc_table()


def _crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc = _CRC[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _masked_crc(data):
    c = _crc32c(data)
    return ((((c >> 15) | (c << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def _block(entries, restart_interval=16):
    out = bytearray()
    restarts = []
    prev = b""
    for i, (k, v) in enumerate(entries):
        if i % restart_interval == 0:
            restarts.append(len(out))
            shared = 0
        else:
            shared = 0
            while shared < min(len(prev), len(k)) and prev[shared] == k[shared]:
                shared += 1
        out += _varint(shared) + _varint(len(k) - shared) + _varint(len(v)) + k[shared:] + v
        prev = k
    if not restarts:
        restarts = [0]
    for r in restarts:
        out += struct.pack("<I", r)
    out += struct.pack("<I", len(restarts))
    return bytes(out)


def write_table(path, items, block_size=4096, crc=True):
    """items: {key bytes: value bytes}; written sorted, uncompressed, like TF's TableBuilder."""
    data = bytearray()
    index = []
    cur = []
    cur_size = 0

    def flush():
        nonlocal cur, cur_size
        if not cur:
            return
        blk = _block(cur)
        off = len(data)
        trailer = b"\x00" + struct.pack("<I", _masked_crc(blk + b"\x00") if crc else 0)
        data.extend(blk + trailer)
        index.append((cur[-1][0], _varint(off) + _varint(len(blk))))
        cur, cur_size = [], 0

    for k in sorted(items):
        cur.append((k, items[k]))
        cur_size += len(k) + len(items[k])
        if cur_size >= block_size:
            flush()
    flush()

    def put_block(entries):
        blk = _block(entries, 1)
        off = len(data)
        data.extend(blk + b"\x00" + struct.pack("<I", _masked_crc(blk + b"\x00") if crc else 0))
        return _varint(off) + _varint(len(blk))
    meta = put_block([])
    idx = put_block(index)
    footer = meta + idx
    footer += b"\x00" * (40 - len(footer)) + struct.pack("<Q", 0xdb4775248b80fb57)
    data.extend(footer)
    with open(path, "wb") as f:
        f.write(bytes(data))


# ---------------------------------------------------------------- checkpoints

def _slice_proto(sp, start, length):
    for s, n in zip(start, length):
        e = sp.extent.add()
        if n >= 0:
            e.start = s
            e.length = n


def write_v1_checkpoint(path, tensors, slices=None):
    """V1 (SavedTensorSlices) file. tensors: {name: array}; slices: {name: [(start, length), ...]}
    to store a tensor as slices (length -1 = the whole dimension)."""
    slices = slices or {}
    meta = proto.SavedTensorSlices()
    items = {}
    for name, arr in tensors.items():
        arr = np.asarray(arr)
        m = meta.meta.tensor.add(name=name, type=DT[arr.dtype])
        for d in arr.shape:
            m.shape.dim.add(size=d)
        parts = slices.get(name) or [([0] * arr.ndim, [-1] * arr.ndim)]
        for start, length in parts:
            _slice_proto(m.slice.add(), start, length)
            sub = arr[tuple(slice(s, None if n < 0 else s + n) for s, n in zip(start, length))]
            rec = proto.SavedTensorSlices()
            rec.data.name = name
            _slice_proto(rec.data.slice, start, length)
            rec.data.data.dtype = DT[arr.dtype]
            flat = np.ascontiguousarray(sub).reshape(-1)
            if arr.dtype == np.float32:
                rec.data.data.float_val.extend(flat.tolist())
            elif arr.dtype == np.float64:
                rec.data.data.double_val.extend(flat.tolist())
            elif arr.dtype == np.int64:
                rec.data.data.int64_val.extend(flat.tolist())
            elif arr.dtype == np.bool_:
                rec.data.data.bool_val.extend(flat.tolist())
            else:
                rec.data.data.int_val.extend(flat.astype(np.int64).tolist())
            key = slice_key(name, start, length)
            items[key] = rec.SerializeToString()
    meta.meta.versions.producer = 1
    items[b""] = meta.SerializeToString()
    write_table(path, items)


def write_v2_checkpoint(prefix, tensors, slices=None, strings=None):
    """V2 bundle: <prefix>.index + <prefix>.data-00000-of-00001."""
    slices = slices or {}
    data = bytearray()
    items = {}
    header = proto.BundleHeaderProto(num_shards=1)
    header.version.producer = 1
    items[b""] = header.SerializeToString()

    def entry(arr):
        e = proto.BundleEntryProto(dtype=DT[arr.dtype], shard_id=0, offset=len(data))
        for d in arr.shape:
            e.shape.dim.add(size=d)
        b = np.ascontiguousarray(arr).tobytes()
        e.size = len(b)
        data.extend(b)
        return e

    for name, arr in tensors.items():
        arr = np.asarray(arr)
        if name in slices:
            e = proto.BundleEntryProto(dtype=DT[arr.dtype])
            for d in arr.shape:
                e.shape.dim.add(size=d)
            for start, length in slices[name]:
                _slice_proto(e.slices.add(), start, length)
                sub = arr[tuple(slice(s, None if n < 0 else s + n) for s, n in zip(start, length))]
                items[slice_key(name, start, length)] = entry(sub).SerializeToString()
            items[name.encode()] = e.SerializeToString()
        else:
            items[name.encode()] = entry(arr).SerializeToString()
    for name, blob in (strings or {}).items():
        e = proto.BundleEntryProto(dtype=DT_STRING, shard_id=0, offset=len(data))
        payload = _varint(len(blob)) + struct.pack("<I", 0) + blob
        e.size = len(payload)
        data.extend(payload)
        items[name.encode()] = e.SerializeToString()
    write_table(prefix + ".index", items)
    with open(prefix + ".data-00000-of-00001", "wb") as f:
        f.write(bytes(data))
