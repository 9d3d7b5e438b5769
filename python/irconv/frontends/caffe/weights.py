"""Reading the weights of a binary NetParameter (.caffemodel) without Caffe or protoc.

    w = CaffeWeights("weights.caffemodel")
    w.blobs("conv1")   # [Blob] of the layer named conv1 (None when the file has no such layer)
    w.blobs("conv1")[0].array()   # float32 numpy view of the mmap'd file (no copy)

A small checked protobuf wire reader walks the NetParameter's `layer` (current, field 100) and
`layers` (V1, field 2) entries, keeps each layer's name, type and BlobProto spans and skips
everything else by length, so large models cost one pass over the layer headers. Packed float
data is viewed in place through an mmap. Field numbers are BVLC Caffe's caffe.proto:

    NetParameter      name 1, layers 2 (V1LayerParameter), layer 100 (LayerParameter)
    LayerParameter    name 1, type 2 (string), blobs 7
    V1LayerParameter  name 4, type 5 (enum LayerType), blobs 6
    BlobProto         num 1, channels 2, height 3, width 4, data 5 (packed float), shape 7,
                      double_data 8 (packed double)
    BlobShape         dim 1 (packed int64)

A truncated or corrupt file raises IrconvError naming the file and the byte offset.
"""
from __future__ import annotations

import mmap
import os
from typing import Dict, List, Optional

import numpy as np

from irconv.errors import IrconvError
from irconv.limits import MAX_RANK, numel

# V1LayerParameter.LayerType -> the current layer type string (Caffe's UpgradeV1LayerType)
V1_TYPES = {
    0: "", 35: "AbsVal", 1: "Accuracy", 30: "ArgMax", 2: "BNLL", 3: "Concat", 37: "ContrastiveLoss",
    4: "Convolution", 5: "Data", 39: "Deconvolution", 6: "Dropout", 32: "DummyData", 7: "EuclideanLoss",
    25: "Eltwise", 38: "Exp", 8: "Flatten", 9: "HDF5Data", 10: "HDF5Output", 28: "HingeLoss", 11: "Im2col",
    12: "ImageData", 13: "InfogainLoss", 14: "InnerProduct", 15: "LRN", 29: "MemoryData",
    16: "MultinomialLogisticLoss", 34: "MVN", 17: "Pooling", 26: "Power", 18: "ReLU", 19: "Sigmoid",
    27: "SigmoidCrossEntropyLoss", 36: "Silence", 20: "Softmax", 21: "SoftmaxWithLoss", 22: "Split",
    33: "Slice", 23: "TanH", 24: "WindowData", 31: "Threshold",
}
V1_NAMES = {
    "NONE": 0, "ABSVAL": 35, "ACCURACY": 1, "ARGMAX": 30, "BNLL": 2, "CONCAT": 3, "CONTRASTIVE_LOSS": 37,
    "CONVOLUTION": 4, "DATA": 5, "DECONVOLUTION": 39, "DROPOUT": 6, "DUMMY_DATA": 32, "EUCLIDEAN_LOSS": 7,
    "ELTWISE": 25, "EXP": 38, "FLATTEN": 8, "HDF5_DATA": 9, "HDF5_OUTPUT": 10, "HINGE_LOSS": 28,
    "IM2COL": 11, "IMAGE_DATA": 12, "INFOGAIN_LOSS": 13, "INNER_PRODUCT": 14, "LRN": 15,
    "MEMORY_DATA": 29, "MULTINOMIAL_LOGISTIC_LOSS": 16, "MVN": 34, "POOLING": 17, "POWER": 26,
    "RELU": 18, "SIGMOID": 19, "SIGMOID_CROSS_ENTROPY_LOSS": 27, "SILENCE": 36, "SOFTMAX": 20,
    "SOFTMAX_LOSS": 21, "SPLIT": 22, "SLICE": 33, "TANH": 23, "WINDOW_DATA": 24, "THRESHOLD": 31,
}

_MAX_DEPTH = 64


class _Corrupt(Exception):
    def __init__(self, offset: int, what: str):
        super().__init__(what)
        self.offset, self.what = offset, what


class Blob:
    """One BlobProto: its shape (as Caffe's Blob::FromProto reads it) and where its values are."""

    def __init__(self, owner: "CaffeWeights", layer: str, index: int, shape: List[int], legacy: bool,
                 offset: int, count: int, dtype: str, view=None):
        self.owner, self.layer, self.index = owner, layer, index
        self.shape, self.legacy = shape, legacy
        self.offset, self.count, self.dtype = offset, count, dtype
        self._view = view

    def array(self) -> np.ndarray:
        """The values as float32 with the blob's shape: a read-only view of the file's mmap when
        stored as packed floats, a converted copy otherwise (double_data, unpacked floats)."""
        if self._view is not None:
            a = self._view
        elif self.dtype == "<f4":
            a = np.frombuffer(self.owner.mm, dtype="<f4", count=self.count, offset=self.offset)
        else:
            a = np.frombuffer(self.owner.mm, dtype=self.dtype, count=self.count, offset=self.offset).astype(np.float32)
        return a.reshape(self.shape) if self.shape else a.reshape(())

    def describe(self) -> str:
        return "blob %d of layer '%s' in %s" % (self.index, self.layer, self.owner.path)


class LayerWeights:
    __slots__ = ("name", "type", "offset", "_span", "_blobs", "v1")

    def __init__(self, name, type_, offset, span, v1):
        self.name, self.type, self.offset, self._span, self._blobs, self.v1 = name, type_, offset, span, None, v1


class CaffeWeights:
    """The layers (name, type, blobs) of a binary .caffemodel, read through an mmap."""

    def __init__(self, path: str):
        self.path = path
        try:
            size = os.path.getsize(path)
            f = open(path, "rb")
        except OSError as e:
            raise IrconvError("cannot read Caffe weights '%s': %s" % (path, e.strerror or e)) from None
        with f:
            if size == 0:
                raise IrconvError("%s: the Caffe weights file is empty" % path)
            self.mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        head = self.mm[:8]
        if head.startswith(b"\x89HDF"):
            raise IrconvError("%s: this is an HDF5 .caffemodel.h5; irconv reads the binary protobuf .caffemodel "
                              "(save the net with snapshot_format: BINARYPROTO)" % path)
        self.layers: Dict[str, LayerWeights] = {}
        self.order: List[LayerWeights] = []
        self.net_name = ""
        try:
            self._scan()
        except _Corrupt as e:
            raise IrconvError("%s: truncated or corrupt Caffe weights at byte offset %d: %s"
                              % (path, e.offset, e.what)) from None

    # ---- wire primitives ----
    def _varint(self, pos: int, end: int):
        mm = self.mm
        result, shift, start = 0, 0, pos
        while True:
            if pos >= end:
                raise _Corrupt(start, "varint runs past the end of its message"
                               + (" (the file is truncated)" if end == len(mm) else ""))
            b = mm[pos]
            pos += 1
            result |= (b & 0x7F) << shift
            if b < 0x80:
                return result, pos
            shift += 7
            if shift > 63:
                raise _Corrupt(start, "varint longer than 10 bytes")

    def _fields(self, pos: int, end: int, what: str, depth: int = 0):
        """Yields (field, wire_type, value, start) where value is an int for varints, (a, b) spans
        for length-delimited and fixed fields."""
        mm_len = len(self.mm)
        while pos < end:
            start = pos
            key, pos = self._varint(pos, end)
            field, wt = key >> 3, key & 7
            if field == 0:
                raise _Corrupt(start, "field number 0 in %s" % what)
            if wt == 0:
                v, pos = self._varint(pos, end)
                yield field, wt, v, start
            elif wt == 2:
                n, pos = self._varint(pos, end)
                if pos + n > end:
                    trunc = end == mm_len
                    raise _Corrupt(start, "field %d of %s claims %d bytes but only %d remain%s"
                                   % (field, what, n, end - pos, " (the file is truncated)" if trunc else ""))
                yield field, wt, (pos, pos + n), start
                pos += n
            elif wt == 5 or wt == 1:
                n = 4 if wt == 5 else 8
                if pos + n > end:
                    raise _Corrupt(start, "fixed-size field %d of %s runs past the end%s"
                                   % (field, what, " (the file is truncated)" if end == mm_len else ""))
                yield field, wt, (pos, pos + n), start
                pos += n
            elif wt == 3:
                pos = self._skip_group(field, pos, end, what, depth + 1)
            else:
                raise _Corrupt(start, "invalid wire type %d (field %d) in %s" % (wt, field, what))
        if pos != end:
            raise _Corrupt(pos, "%s overruns its length" % what)

    def _skip_group(self, field: int, pos: int, end: int, what: str, depth: int) -> int:
        if depth > _MAX_DEPTH:
            raise _Corrupt(pos, "groups nested too deeply in %s" % what)
        while True:
            start = pos
            if pos >= end:
                raise _Corrupt(start, "unterminated group %d in %s" % (field, what))
            key, pos = self._varint(pos, end)
            f, wt = key >> 3, key & 7
            if wt == 4:
                if f != field:
                    raise _Corrupt(start, "mismatched end of group %d in %s" % (field, what))
                return pos
            if wt == 0:
                _, pos = self._varint(pos, end)
            elif wt == 2:
                n, pos = self._varint(pos, end)
                pos += n
            elif wt == 5:
                pos += 4
            elif wt == 1:
                pos += 8
            elif wt == 3:
                pos = self._skip_group(f, pos, end, what, depth + 1)
            else:
                raise _Corrupt(start, "invalid wire type %d in %s" % (wt, what))
            if pos > end:
                raise _Corrupt(start, "group %d runs past the end of %s" % (field, what))

    def _string(self, span) -> str:
        return bytes(self.mm[span[0]:span[1]]).decode("utf-8", errors="replace")

    # ---- NetParameter / layers ----
    def _scan(self):
        end = len(self.mm)
        for field, wt, v, start in self._fields(0, end, "NetParameter"):
            if field == 1 and wt == 2:
                self.net_name = self._string(v)
            elif field in (100, 2) and wt == 2:
                self._layer_header(v, field == 2, start)
            elif field in (100, 2):
                raise _Corrupt(start, "NetParameter field %d has wire type %d, expected a message" % (field, wt))

    def _layer_header(self, span, v1: bool, start: int):
        name, type_ = "", ""
        what = "V1LayerParameter" if v1 else "LayerParameter"
        for field, wt, v, fstart in self._fields(span[0], span[1], what):
            if v1:
                if field == 4 and wt == 2:
                    name = self._string(v)
                elif field == 5 and wt == 0:
                    type_ = V1_TYPES.get(v, "V1 type %d" % v)
                elif field == 1 and wt == 2:
                    # a V0LayerParameter inside: name 1, type 2 (string)
                    for f0, w0, v0, _ in self._fields(v[0], v[1], "V0LayerParameter"):
                        if f0 == 1 and w0 == 2 and not name:
                            name = self._string(v0)
                        elif f0 == 2 and w0 == 2 and not type_:
                            type_ = self._string(v0)
            else:
                if field == 1 and wt == 2:
                    name = self._string(v)
                elif field == 2 and wt == 2:
                    type_ = self._string(v)
        lw = LayerWeights(name, type_, start, span, v1)
        self.order.append(lw)
        self.layers[name] = lw    # Caffe's CopyTrainedLayersFrom: a later layer of the same name wins

    def layer_names(self) -> List[str]:
        return [lw.name for lw in self.order]

    def has_layer(self, name: str) -> bool:
        return name in self.layers

    def blobs(self, name: str) -> Optional[List[Blob]]:
        lw = self.layers.get(name)
        if lw is None:
            return None
        if lw._blobs is None:
            try:
                lw._blobs = self._layer_blobs(lw)
            except _Corrupt as e:
                raise IrconvError("%s: truncated or corrupt Caffe weights at byte offset %d (layer '%s'): %s"
                                  % (self.path, e.offset, name, e.what)) from None
        return lw._blobs

    def _layer_blobs(self, lw: LayerWeights) -> List[Blob]:
        out = []
        blob_field = 6 if lw.v1 else 7
        what = "V1LayerParameter" if lw.v1 else "LayerParameter"
        for field, wt, v, start in self._fields(lw._span[0], lw._span[1], what):
            if field == blob_field and wt == 2:
                out.append(self._blob(v, lw.name, len(out)))
            elif lw.v1 and field == 1 and wt == 2 and not out:
                for f0, w0, v0, _ in self._fields(v[0], v[1], "V0LayerParameter"):
                    if f0 == 50 and w0 == 2:
                        out.append(self._blob(v0, lw.name, len(out)))
        return out

    def _blob(self, span, layer: str, index: int) -> Blob:
        legacy = {}
        shape = None
        data = []      # (offset, count, dtype) chunks of packed values, or arrays of unpacked ones
        ddata = []
        what = "BlobProto %d of layer '%s'" % (index, layer)
        pos, end = span
        for field, wt, v, start in self._fields(pos, end, what):
            if field in (1, 2, 3, 4) and wt == 0:
                legacy[field] = _signed64(v)
            elif field == 7 and wt == 2:
                shape = []
                for f2, w2, v2, s2 in self._fields(v[0], v[1], "BlobShape of " + what):
                    if f2 != 1:
                        continue
                    if w2 == 0:
                        shape.append(_signed64(v2))
                    elif w2 == 2:
                        p = v2[0]
                        while p < v2[1]:
                            d, p = self._varint(p, v2[1])
                            shape.append(_signed64(d))
            elif field == 5:
                data.append(self._floats(wt, v, start, 4, what))
            elif field == 8:
                ddata.append(self._floats(wt, v, start, 8, what))
        if legacy:
            dims = [legacy.get(k, 0) for k in (1, 2, 3, 4)]
        else:
            dims = shape if shape is not None else []
        if any(d < 0 for d in dims):
            raise _Corrupt(pos, "%s has a negative dimension %s" % (what, dims))
        if len(dims) > MAX_RANK:
            raise _Corrupt(pos, "%s has rank %d (at most %d is supported)" % (what, len(dims), MAX_RANK))
        count = numel(dims)      # exact: int64 products of hostile dims could wrap to a small number
        chunks = data if data else ddata
        dtype = "<f4" if data else "<f8"
        total = sum(c[1] if isinstance(c, tuple) else c.size for c in chunks)
        if not chunks and count == 0:
            return Blob(self, layer, index, dims, bool(legacy), 0, 0, "<f4", view=np.zeros(0, np.float32))
        if total != count:
            raise _Corrupt(pos, "%s has %d values but its shape %s needs %d" % (what, total, dims, count))
        if len(chunks) == 1 and isinstance(chunks[0], tuple):
            off, n = chunks[0]
            return Blob(self, layer, index, dims, bool(legacy), off, n, dtype)
        parts = [np.frombuffer(self.mm, dtype=dtype, count=c[1], offset=c[0]) if isinstance(c, tuple) else c
                 for c in chunks]
        arr = np.concatenate(parts).astype(np.float32) if parts else np.zeros(0, np.float32)
        return Blob(self, layer, index, dims, bool(legacy), 0, count, "<f4", view=arr)

    def _floats(self, wt: int, v, start: int, size: int, what: str):
        """A packed run -> (offset, count); an unpacked run of fixed values -> array (reads the
        whole run of consecutive same-tag entries at once)."""
        if wt == 2:
            n = v[1] - v[0]
            if n % size:
                raise _Corrupt(v[0], "packed %s data of %s is %d bytes, not a multiple of %d"
                               % ("float" if size == 4 else "double", what, n, size))
            return (v[0], n // size)
        if (size == 4 and wt == 5) or (size == 8 and wt == 1):
            return np.frombuffer(self.mm, dtype="<f4" if size == 4 else "<f8", count=1, offset=v[0]).copy()
        raise _Corrupt(start, "%s data has wire type %d" % (what, wt))


def _signed64(v: int) -> int:
    return v - (1 << 64) if v >= (1 << 63) else v
