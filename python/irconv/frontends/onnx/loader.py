"""Reading ONNX files: the ModelProto, and tensors (initializers, Constant values) as arrays.

Tensor bytes are not copied when avoidable: ``raw_data`` is viewed with ``np.frombuffer`` (the
bytes object stays alive through the array) and external data is a view of an ``mmap`` of the
external file (one mapping per file, shared by all tensors in it).
"""
from __future__ import annotations

import mmap
import os
from dataclasses import dataclass
from typing import Dict, List, Optional, Union

import numpy as np
import onnx
from onnx import TensorProto

from irconv.errors import IrconvError
from irconv.limits import check_expansion, check_rank, numel as _numel

T = TensorProto

# ONNX data type -> OpenVINO element type name
ONNX_TO_ET: Dict[int, str] = {
    T.FLOAT: "f32", T.UINT8: "u8", T.INT8: "i8", T.UINT16: "u16", T.INT16: "i16",
    T.INT32: "i32", T.INT64: "i64", T.STRING: "string", T.BOOL: "boolean",
    T.FLOAT16: "f16", T.DOUBLE: "f64", T.UINT32: "u32", T.UINT64: "u64",
    T.BFLOAT16: "bf16", T.FLOAT8E4M3FN: "f8e4m3", T.FLOAT8E5M2: "f8e5m2",
    T.UINT4: "u4", T.INT4: "i4",
}
for _name, _et in (("FLOAT4E2M1", "f4e2m1"), ("FLOAT8E8M0", "f8e8m0"), ("UINT2", "u2")):
    if hasattr(T, _name):
        ONNX_TO_ET[getattr(T, _name)] = _et

# element types numpy represents natively
ET_TO_NP: Dict[str, np.dtype] = {
    "f32": np.dtype(np.float32), "f16": np.dtype(np.float16), "f64": np.dtype(np.float64),
    "i8": np.dtype(np.int8), "i16": np.dtype(np.int16), "i32": np.dtype(np.int32),
    "i64": np.dtype(np.int64), "u8": np.dtype(np.uint8), "u16": np.dtype(np.uint16),
    "u32": np.dtype(np.uint32), "u64": np.dtype(np.uint64), "boolean": np.dtype(np.bool_),
}
NP_TO_ET = {v: k for k, v in ET_TO_NP.items()}

# element types stored as raw (packed) bytes: bits per element
RAW_BITS = {"bf16": 16, "f8e4m3": 8, "f8e5m2": 8, "f8e8m0": 8, "u4": 4, "i4": 4, "f4e2m1": 4, "u2": 2}


def bf16_bytes(values) -> bytes:
    """float values -> bfloat16 bits (round to nearest even), little-endian bytes."""
    f = np.ascontiguousarray(np.asarray(values, dtype=np.float32))
    u = f.view(np.uint32).astype(np.uint64)
    rounded = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
    rounded = np.where(np.isnan(f), np.uint16(0x7FC0), rounded)
    return rounded.astype("<u2").tobytes()


def onnx_type_name(dt: int) -> str:
    try:
        return TensorProto.DataType.Name(dt)
    except ValueError:
        return str(dt)


def et_of_onnx(dt: int, what: str) -> str:
    et = ONNX_TO_ET.get(dt)
    if et is None:
        raise IrconvError("%s: ONNX data type %s has no OpenVINO equivalent" % (what, onnx_type_name(dt)))
    return et


@dataclass
class RawConst:
    """A constant whose element type numpy lacks (bf16, f8, 4-bit): packed little-endian bytes."""
    et: str
    shape: List[int]
    buffer: object  # bytes-like (bytes, memoryview, uint8 ndarray)


@dataclass
class StringConst:
    strings: List[str]
    shape: List[int]


ConstValue = Union[np.ndarray, RawConst, StringConst]


class ExternalData:
    """mmaps of the external data files of one model, relative to the model's directory (or, for
    a ModelProto given in memory, to an explicit base_dir)."""

    def __init__(self, model_path: str, base_dir: Optional[str] = None, in_memory: bool = False):
        self.model_path = model_path
        self.in_memory = in_memory
        if base_dir is not None:
            self.base_dir = os.fspath(base_dir)
        else:
            self.base_dir = None if in_memory else os.path.dirname(os.path.abspath(model_path))
        self._maps: Dict[str, mmap.mmap] = {}
        self._resolved: Dict[str, str] = {}   # location -> checked real path (one realpath per file)

    def resolve(self, location: str, tensor: str) -> str:
        full = self._resolved.get(location)
        if full is None:
            full = self._resolved[location] = self._resolve(location, tensor)
        return full

    def _resolve(self, location: str, tensor: str) -> str:
        if not location:
            raise IrconvError("%s: tensor '%s' uses external data but names no location"
                              % (self.model_path, tensor))
        if self.base_dir is None:
            raise IrconvError("%s: tensor '%s' keeps its data in the external file '%s': pass base_dir= "
                              "(the directory that location is relative to) with an in-memory ModelProto"
                              % (self.model_path, tensor, location))
        if "\0" in location:
            raise IrconvError("%s: tensor '%s': external data location %r holds a NUL byte"
                              % (self.model_path, tensor, location))
        if os.path.isabs(location) or location.startswith(("/", "\\")):
            raise IrconvError("%s: tensor '%s': external data location '%s' is an absolute path; "
                              "it must be relative to the model's directory"
                              % (self.model_path, tensor, location))
        base = os.path.realpath(self.base_dir)
        full = os.path.realpath(os.path.join(base, location))
        if os.path.commonpath([base, full]) != base:
            raise IrconvError("%s: tensor '%s': external data location '%s' points outside the "
                              "model's directory %s" % (self.model_path, tensor, location, base))
        return full

    def view(self, location: str, offset: int, length: Optional[int], expected: int,
             tensor: str) -> memoryview:
        # SELF_LOCATION: inline raw_data that load_model() left in the model file itself
        if location == SELF_LOCATION and self.in_memory:
            raise IrconvError("%s: tensor '%s' names an invalid external data location" % (self.model_path, tensor))
        full = os.path.abspath(self.model_path) if location == SELF_LOCATION else self.resolve(location, tensor)
        mm = self._maps.get(full)
        if mm is None:
            if not os.path.isfile(full):
                raise IrconvError("%s: tensor '%s': external data file '%s' not found (looked for %s)"
                                  % (self.model_path, tensor, location, full))
            size = os.path.getsize(full)
            if size == 0:
                mm = b""  # mmap cannot map empty files
            else:
                with open(full, "rb") as f:
                    mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
            self._maps[full] = mm
        size = len(mm)
        if length is None:
            length = expected
        if length != expected:
            raise IrconvError("%s: tensor '%s': external data length %d does not match its type and "
                              "shape (%d bytes expected)" % (self.model_path, tensor, length, expected))
        if offset < 0 or offset + length > size:
            raise IrconvError("%s: tensor '%s': external data file '%s' is truncated: needs bytes "
                              "[%d, %d), the file has %d bytes"
                              % (self.model_path, tensor, location, offset, offset + length, size))
        return memoryview(mm)[offset:offset + length]


# Initializers of at least this many bytes are not parsed into memory: the C++ wire pass turns their
# raw_data into external data that points into the model file itself, read later through an mmap.
STRIP_MIN_BYTES = 4096
# Location marking "the model file itself"; NUL cannot occur in a real file name.
SELF_LOCATION = "\0self"


def load_model(path: str) -> onnx.ModelProto:
    if not os.path.exists(path):
        raise IrconvError("%s: file not found" % path)
    if os.path.isdir(path):
        raise IrconvError("%s: is a directory, expected an ONNX model file" % path)
    data, _, _ = _core().onnx_strip_raw_data(path, SELF_LOCATION, STRIP_MIN_BYTES)
    try:
        model = onnx.ModelProto.FromString(data)
    except Exception as e:  # noqa: BLE001 - protobuf raises several types
        raise IrconvError("%s: not a valid ONNX model (protobuf parsing failed: %s)"
                          % (path, str(e).strip() or type(e).__name__)) from None
    if not model.HasField("graph"):
        raise IrconvError("%s: not a valid ONNX model (no graph in the ModelProto)" % path)
    return model


def _core():
    from irconv import _core as core  # noqa: PLC0415 - the package loads the extension first
    return core


def _nbytes(et: str, numel: int) -> int:
    if et in ET_TO_NP:
        return ET_TO_NP[et].itemsize * numel
    return (RAW_BITS[et] * numel + 7) // 8


def tensor_to_value(t: TensorProto, ext: ExternalData, what: str = "") -> ConstValue:
    """TensorProto -> numpy array (native types), RawConst or StringConst."""
    name = t.name or what
    dims = [int(d) for d in t.dims]
    if any(d < 0 for d in dims):
        raise IrconvError("%s: tensor '%s' has negative dimensions %s" % (ext.model_path, name, dims))
    check_rank(len(dims), "%s: tensor '%s'" % (ext.model_path, name))
    numel = _numel(dims)          # exact: hostile dims may overflow int64
    if numel == 0 and _numel([d for d in dims if d]) >= 1 << 63:
        raise IrconvError("%s: tensor '%s': the empty shape %s is too large to represent" % (ext.model_path, name, dims))
    if t.data_type == T.STRING:
        if t.data_location == T.EXTERNAL:
            raise IrconvError("%s: string tensor '%s' cannot use external data" % (ext.model_path, name))
        if len(t.string_data) != numel:
            raise IrconvError("%s: string tensor '%s' has %d strings, shape %s needs %d"
                              % (ext.model_path, name, len(t.string_data), dims, numel))
        return StringConst([s.decode("utf-8", errors="replace") for s in t.string_data], dims)
    et = et_of_onnx(t.data_type, "%s: tensor '%s'" % (ext.model_path, name))
    nbytes = _nbytes(et, numel)

    buf = None
    if t.data_location == T.EXTERNAL:
        info = {e.key: e.value for e in t.external_data}
        if any(isinstance(v, bytes) for kv in info.items() for v in kv):   # proto2 leaves bad UTF-8 as bytes
            raise IrconvError("%s: tensor '%s': external data entries %r are not valid UTF-8"
                              % (ext.model_path, name, info))
        try:
            offset = int(info.get("offset", 0) or 0)
            length = int(info["length"]) if info.get("length") else None
        except ValueError:
            raise IrconvError("%s: tensor '%s': malformed external data offset/length %r"
                              % (ext.model_path, name, info)) from None
        buf = ext.view(info.get("location", ""), offset, length, nbytes, name)
    elif t.HasField("raw_data"):
        buf = t.raw_data
        if len(buf) != nbytes:
            raise IrconvError("%s: tensor '%s': raw_data has %d bytes, type %s and shape %s need %d"
                              % (ext.model_path, name, len(buf), onnx_type_name(t.data_type), dims, nbytes))

    if buf is not None:
        if et in ET_TO_NP:
            arr = np.frombuffer(buf, dtype=ET_TO_NP[et].newbyteorder("<"), count=numel)
            if arr.dtype.byteorder not in ("=", "|") and not arr.dtype.isnative:
                arr = arr.astype(ET_TO_NP[et])
            return arr.reshape(dims)
        return RawConst(et, dims, buf)

    # typed fields
    if et in ("f16", "bf16", "i16", "u16"):
        bits = np.asarray(t.int32_data, dtype=np.int32).view(np.uint32).astype(np.uint16)
        arr = _check_count(bits, numel, ext, name)
        if et == "bf16":
            return RawConst(et, dims, arr.tobytes())
        return arr.view(ET_TO_NP[et]).reshape(dims)
    if et in ("i8", "u8", "boolean", "f8e4m3", "f8e5m2", "f8e8m0"):
        b = np.asarray(t.int32_data, dtype=np.int32).view(np.uint32).astype(np.uint8)
        b = _check_count(b, numel, ext, name)
        if et in ET_TO_NP:
            return b.view(ET_TO_NP[et]).reshape(dims)
        return RawConst(et, dims, b.tobytes())
    if et in ("u4", "i4", "f4e2m1", "u2"):
        per = 8 // RAW_BITS[et]
        b = np.asarray(t.int32_data, dtype=np.int32).view(np.uint32).astype(np.uint8)
        b = _check_count(b, (numel + per - 1) // per, ext, name)
        return RawConst(et, dims, b.tobytes())
    if et == "f32":
        return _check_count(np.asarray(t.float_data, dtype=np.float32), numel, ext, name).reshape(dims)
    if et == "f64":
        return _check_count(np.asarray(t.double_data, dtype=np.float64), numel, ext, name).reshape(dims)
    if et == "i32":
        return _check_count(np.asarray(t.int32_data, dtype=np.int32), numel, ext, name).reshape(dims)
    if et == "i64":
        return _check_count(np.asarray(t.int64_data, dtype=np.int64), numel, ext, name).reshape(dims)
    if et in ("u32", "u64"):
        return _check_count(np.asarray(t.uint64_data, dtype=np.uint64), numel, ext, name) \
            .astype(ET_TO_NP[et]).reshape(dims)
    raise IrconvError("%s: tensor '%s': cannot read data of type %s"
                      % (ext.model_path, name, onnx_type_name(t.data_type)))


def _check_count(arr: np.ndarray, n: int, ext: ExternalData, name: str) -> np.ndarray:
    if arr.size != n:
        raise IrconvError("%s: tensor '%s' holds %d values, its shape needs %d"
                          % (ext.model_path, name, arr.size, n))
    return arr


def sparse_to_value(sp: onnx.SparseTensorProto, ext: ExternalData) -> ConstValue:
    """Densifies a SparseTensorProto (values + indices, COO)."""
    values = tensor_to_value(sp.values, ext, sp.values.name)
    if not isinstance(values, np.ndarray):
        raise IrconvError("%s: sparse tensor '%s' of type %s is not supported"
                          % (ext.model_path, sp.values.name, onnx_type_name(sp.values.data_type)))
    dims = [int(d) for d in sp.dims]
    what = "%s: sparse tensor '%s' of shape %s" % (ext.model_path, sp.values.name, dims)
    if any(d < 0 for d in dims):
        raise IrconvError("%s: negative dimensions" % what)
    check_expansion(_numel(dims) * values.dtype.itemsize, what)
    idx = tensor_to_value(sp.indices, ext, sp.indices.name)
    if not isinstance(idx, np.ndarray) or idx.dtype.kind not in "iu":
        raise IrconvError("%s: the indices must be integers" % what)
    idx = np.asarray(idx, dtype=np.int64)
    vals = values.reshape(-1)
    nnz = vals.size
    # COO indices: [nnz] linear positions or [nnz, rank] coordinates (the ONNX spec)
    if idx.ndim == 1 and idx.size == nnz:
        if nnz and (idx.min() < 0 or idx.max() >= _numel(dims)):
            raise IrconvError("%s: a linear index is outside [0, %d)" % (what, _numel(dims)))
        lin = idx
    elif idx.ndim == 2 and idx.shape == (nnz, len(dims)):
        if nnz and (np.any(idx < 0) or np.any(idx >= np.asarray(dims, dtype=np.int64))):
            raise IrconvError("%s: an index is outside the shape" % what)
        lin = np.ravel_multi_index(tuple(idx.T), dims) if nnz else idx.reshape(-1)
    else:
        raise IrconvError("%s: indices of shape %s for %d values (expected [%d] or [%d, %d])"
                          % (what, list(idx.shape), nnz, nnz, nnz, len(dims)))
    dense = np.zeros(dims, dtype=values.dtype)
    dense.reshape(-1)[lin] = vals
    return dense
