"""TensorFlow data types and TensorProto values -> numpy arrays / packed constants."""
from dataclasses import dataclass
from typing import List

import numpy as np

from irconv.errors import IrconvError
from irconv.limits import check_expansion, numel as _numel

from .proto import DT_NAME

# DataType -> IR element type (quantized types map to their storage type)
TF_TO_ET = {
    1: "f32", 2: "f64", 3: "i32", 4: "u8", 5: "i16", 6: "i8", 7: "string", 9: "i64", 10: "boolean",
    11: "i8", 12: "u8", 13: "i32", 14: "bf16", 15: "i16", 16: "u16", 17: "u16", 19: "f16", 22: "u32",
    23: "u64", 24: "f8e5m2", 25: "f8e4m3", 29: "i4", 30: "u4",
}
ET_TO_TF = {"f32": 1, "f64": 2, "i32": 3, "u8": 4, "i16": 5, "i8": 6, "string": 7, "i64": 9, "boolean": 10,
            "bf16": 14, "u16": 17, "f16": 19, "u32": 22, "u64": 23}
DT_RESOURCE, DT_VARIANT = 20, 21

ET_TO_NP = {
    "f32": np.dtype(np.float32), "f16": np.dtype(np.float16), "f64": np.dtype(np.float64),
    "i8": np.dtype(np.int8), "i16": np.dtype(np.int16), "i32": np.dtype(np.int32), "i64": np.dtype(np.int64),
    "u8": np.dtype(np.uint8), "u16": np.dtype(np.uint16), "u32": np.dtype(np.uint32),
    "u64": np.dtype(np.uint64), "boolean": np.dtype(np.bool_),
}
NP_TO_ET = {v: k for k, v in ET_TO_NP.items()}
RAW_BITS = {"bf16": 16, "f8e5m2": 8, "f8e4m3": 8, "i4": 4, "u4": 4}


@dataclass
class RawConst:
    """A constant whose element type numpy lacks (bf16, f8, 4-bit): packed little-endian bytes."""
    et: str
    shape: List[int]
    buffer: object

    @property
    def size(self):
        return int(np.prod(self.shape, dtype=np.int64))


@dataclass
class StringConst:
    strings: List[bytes]
    shape: List[int]


def base_dtype(dt):
    return dt - 100 if dt > 100 else dt


def dtype_name(dt):
    return DT_NAME.get(base_dtype(dt), str(dt)) + ("_REF" if dt > 100 else "")


def et_of(dt, what=""):
    et = TF_TO_ET.get(base_dtype(dt))
    if et is None:
        raise IrconvError("%s: TensorFlow type %s has no OpenVINO element type" % (what, dtype_name(dt)))
    return et


MAX_RANK = 32       # numpy's limit is 64; no real TF constant comes near either


def shape_of(shape_proto):
    """TensorShapeProto -> list of dims (-1 dynamic) or None (unknown rank)."""
    if shape_proto is None or shape_proto.unknown_rank:
        return None
    return [int(d.size) if d.size >= 0 else -1 for d in shape_proto.dim]


def nbytes(et, numel):
    if et in ET_TO_NP:
        return ET_TO_NP[et].itemsize * numel
    return (RAW_BITS[et] * numel + 7) // 8


def from_buffer(buf, et, shape, what):
    """Little-endian bytes -> array (or RawConst) of `shape`; checks the size."""
    numel = _numel(shape)
    want = nbytes(et, numel)
    if len(buf) != want:
        raise IrconvError("%s: %d bytes of data, type %s and shape %s need %d" % (what, len(buf), et, list(shape), want))
    if et in ET_TO_NP:
        return np.frombuffer(buf, dtype=ET_TO_NP[et], count=numel).reshape(shape)
    return RawConst(et, list(shape), buf)


def _fill(vals, numel, what):
    """TF's typed fields may hold fewer values than elements: the last one repeats; none = zeros."""
    if vals.size == numel:
        return vals
    if vals.size < numel:
        check_expansion(numel * vals.dtype.itemsize, "%s: %d stored value(s) for %d elements" % (what, vals.size, numel))
    if vals.size == 0:
        return np.zeros(numel, vals.dtype)
    if vals.size > numel:
        raise IrconvError("%s: %d values for %d elements" % (what, vals.size, numel))
    return np.concatenate([vals, np.full(numel - vals.size, vals[-1], vals.dtype)])


def tensor_value(tp, what):
    """TensorProto -> numpy array, RawConst or StringConst."""
    shape = shape_of(tp.tensor_shape)
    if shape is None or any(d < 0 for d in shape):
        raise IrconvError("%s: constant tensor has an incomplete shape %s" % (what, shape))
    if len(shape) > MAX_RANK:
        raise IrconvError("%s: constant tensor of rank %d (at most %d is supported)" % (what, len(shape), MAX_RANK))
    numel = _numel(shape)
    dt = base_dtype(tp.dtype)
    if dt == 7:
        vals = list(tp.string_val)
        if len(vals) < numel:
            check_expansion(numel * 8, "%s: %d stored string(s) for %d elements" % (what, len(vals), numel))
        if len(vals) != numel:
            if len(vals) == 0:
                vals = [b""] * numel
            elif len(vals) < numel:
                vals = vals + [vals[-1]] * (numel - len(vals))
            else:
                raise IrconvError("%s: %d strings for %d elements" % (what, len(vals), numel))
        return StringConst(vals, shape)
    et = et_of(dt, what)
    if tp.tensor_content:
        return from_buffer(tp.tensor_content, et, shape, what)
    if et in ("f16", "bf16"):
        bits = _fill(np.asarray(tp.half_val, dtype=np.int64).astype(np.uint16), numel, what)
        if et == "f16":
            return bits.view(np.float16).reshape(shape)
        return RawConst("bf16", shape, bits.astype("<u2").tobytes())
    if et == "f32":
        return _fill(np.asarray(tp.float_val, dtype=np.float32), numel, what).reshape(shape)
    if et == "f64":
        return _fill(np.asarray(tp.double_val, dtype=np.float64), numel, what).reshape(shape)
    if et in ("i32", "i16", "i8", "u8", "u16"):
        return _fill(np.asarray(tp.int_val, dtype=np.int64), numel, what).astype(ET_TO_NP[et]).reshape(shape)
    if et == "i64":
        return _fill(np.asarray(tp.int64_val, dtype=np.int64), numel, what).reshape(shape)
    if et == "boolean":
        return _fill(np.asarray(tp.bool_val, dtype=np.bool_), numel, what).reshape(shape)
    if et == "u32":
        return _fill(np.asarray(tp.uint32_val, dtype=np.uint32), numel, what).reshape(shape)
    if et == "u64":
        return _fill(np.asarray(tp.uint64_val, dtype=np.uint64), numel, what).reshape(shape)
    if et in ("f8e5m2", "f8e4m3"):
        b = np.frombuffer(tp.float8_val, dtype=np.uint8)
        return RawConst(et, shape, _fill(b, numel, what).tobytes())
    raise IrconvError("%s: cannot read a constant of type %s" % (what, dtype_name(tp.dtype)))
