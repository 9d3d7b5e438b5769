"""Protobuf wire-format walking over bytes / memoryviews (mmaps), for the few places where the
payload is large and must not be copied (checkpoint tensors): fields are yielded as offsets.

    for num, wtype, value in fields(buf, 0, len(buf), "model.ckpt"):
        # wtype 0: value = int; 1/5: value = (start, end) of the fixed bytes; 2: (start, end)
"""
import numpy as np

from irconv.errors import IrconvError


def read_varint(buf, pos, end, what):
    result = 0
    shift = 0
    while True:
        if pos >= end:
            raise IrconvError("%s: truncated varint at offset %d" % (what, pos))
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise IrconvError("%s: malformed varint at offset %d" % (what, pos))


def fields(buf, pos, end, what):
    """Yields (field number, wire type, value) over buf[pos:end]: wire type 0 gives the int,
    1/2/5 give (start, end) offsets into buf."""
    while pos < end:
        key, pos = read_varint(buf, pos, end, what)
        num, wt = key >> 3, key & 7
        if num == 0:
            raise IrconvError("%s: invalid protobuf field number 0 at offset %d" % (what, pos))
        if wt == 0:
            v, pos = read_varint(buf, pos, end, what)
            yield num, wt, v
        elif wt == 1:
            if pos + 8 > end:
                raise IrconvError("%s: truncated fixed64 field %d at offset %d" % (what, num, pos))
            yield num, wt, (pos, pos + 8)
            pos += 8
        elif wt == 5:
            if pos + 4 > end:
                raise IrconvError("%s: truncated fixed32 field %d at offset %d" % (what, num, pos))
            yield num, wt, (pos, pos + 4)
            pos += 4
        elif wt == 2:
            n, pos = read_varint(buf, pos, end, what)
            if pos + n > end:
                raise IrconvError("%s: field %d at offset %d claims %d bytes, only %d remain"
                                  % (what, num, pos, n, end - pos))
            yield num, wt, (pos, pos + n)
            pos += n
        else:
            raise IrconvError("%s: unsupported protobuf wire type %d (field %d) at offset %d" % (what, wt, num, pos))


def decode_varints(data):
    """A packed run of varints (bytes-like) -> uint64 numpy array (vectorized)."""
    b = np.frombuffer(data, dtype=np.uint8)
    if b.size == 0:
        return np.zeros(0, np.uint64)
    ends = np.flatnonzero(b < 0x80)
    if ends.size == 0 or ends[-1] != b.size - 1:
        raise ValueError("truncated packed varints")
    starts = np.concatenate(([0], ends[:-1] + 1))
    lens = ends - starts + 1
    if lens.max() > 10:
        raise ValueError("malformed varint")
    out = np.zeros(ends.size, np.uint64)
    payload = (b & 0x7F).astype(np.uint64)
    for k in range(int(lens.max())):
        sel = lens > k
        out[sel] |= payload[starts[sel] + k] << np.uint64(7 * k)
    return out
