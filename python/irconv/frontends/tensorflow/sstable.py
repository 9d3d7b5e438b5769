"""Reader of TensorFlow's immutable sorted tables (the LevelDB table format of
tensorflow/core/lib/io/table*), the container of checkpoint .index files (V2) and of V1
checkpoint files. The file is mmap'd; values of uncompressed blocks are memoryviews into the map.

Layout: data blocks, a meta-index block, an index block, and a 48-byte footer (two block handles
as varints, zero padding, magic 0xdb4775248b80fb57). Each block ends with a 5-byte trailer
(compression type, masked crc32c). A block holds prefix-compressed entries
(shared varint, unshared varint, value length varint, key suffix, value) followed by restart
offsets (uint32 each) and their count (uint32).
"""
import mmap
import os
import struct

from irconv.errors import IrconvError

from .wire import read_varint

MAGIC = 0xdb4775248b80fb57
FOOTER = 48
NO_COMPRESSION, SNAPPY = 0, 1


def is_table(path):
    """True when `path` is a file ending with the table magic."""
    try:
        size = os.path.getsize(path)
        if size < FOOTER:
            return False
        with open(path, "rb") as f:
            f.seek(size - 8)
            return struct.unpack("<Q", f.read(8))[0] == MAGIC
    except OSError:
        return False


class Table:
    def __init__(self, path):
        self.path = path
        try:
            size = os.path.getsize(path)
            with open(path, "rb") as f:
                self.mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
        except OSError as e:
            raise IrconvError("%s: cannot read: %s" % (path, e.strerror)) from None
        self.size = size
        if size < FOOTER:
            raise IrconvError("%s: not a TensorFlow table file (%d bytes, shorter than the 48-byte footer)"
                              % (path, size))
        if struct.unpack_from("<Q", self.mm, size - 8)[0] != MAGIC:
            raise IrconvError("%s: not a TensorFlow table file (bad magic in the footer; truncated or "
                              "another format)" % path)
        pos = size - FOOTER
        _, pos = self._handle(pos)          # meta-index block (unused)
        self.index_handle, _ = self._handle(pos)

    def _handle(self, pos):
        off, pos = read_varint(self.mm, pos, self.size, self.path)
        n, pos = read_varint(self.mm, pos, self.size, self.path)
        return (off, n), pos

    def _block(self, handle, what):
        off, n = handle
        if off < 0 or off + n + 5 > self.size:
            raise IrconvError("%s: %s at offset %d (+%d bytes) lies outside the file (%d bytes): truncated file?"
                              % (self.path, what, off, n, self.size))
        ctype = self.mm[off + n]
        if ctype == NO_COMPRESSION:
            return memoryview(self.mm)[off:off + n], off
        if ctype == SNAPPY:
            return memoryview(snappy_decompress(self.mm[off:off + n], self.path, off)), None
        raise IrconvError("%s: %s at offset %d uses unknown compression type %d" % (self.path, what, off, ctype))

    def _entries(self, block, base, what):
        n = len(block)
        if n < 4:
            raise IrconvError("%s: %s at offset %s is too short" % (self.path, what, base))
        num_restarts = struct.unpack_from("<I", block, n - 4)[0]
        limit = n - 4 - 4 * num_restarts
        if limit < 0:
            raise IrconvError("%s: %s at offset %s: corrupt restart array" % (self.path, what, base))
        pos = 0
        key = b""
        where = "%s (%s at offset %s)" % (self.path, what, base)
        while pos < limit:
            shared, pos = read_varint(block, pos, limit, where)
            unshared, pos = read_varint(block, pos, limit, where)
            vlen, pos = read_varint(block, pos, limit, where)
            if shared > len(key) or pos + unshared + vlen > limit:
                raise IrconvError("%s: corrupt block entry at block offset %d" % (where, pos))
            key = key[:shared] + bytes(block[pos:pos + unshared])
            pos += unshared
            yield key, block[pos:pos + vlen], (None if base is None else base + pos)
            pos += vlen

    def items(self):
        """Yields (key bytes, value memoryview/bytes, file offset of the value or None)."""
        index, ibase = self._block(self.index_handle, "index block")
        for _, hv, _ in self._entries(index, ibase, "index block"):
            off, p = read_varint(hv, 0, len(hv), self.path)
            n, _ = read_varint(hv, p, len(hv), self.path)
            block, base = self._block((off, n), "data block")
            for k, v, voff in self._entries(block, base, "data block"):
                yield k, v, voff


def snappy_decompress(src, path="", where=0):
    """Raw snappy block format (length varint, then literal/copy elements)."""
    src = bytes(src)
    n = len(src)
    what = "%s: snappy block at offset %d" % (path, where)
    total, pos = read_varint(src, 0, n, what)
    out = bytearray()
    while pos < n:
        tag = src[pos]
        pos += 1
        t = tag & 3
        if t == 0:
            ln = tag >> 2
            if ln >= 60:
                nb = ln - 59
                ln = int.from_bytes(src[pos:pos + nb], "little")
                pos += nb
            ln += 1
            if pos + ln > n:
                raise IrconvError("%s: truncated literal" % what)
            out += src[pos:pos + ln]
            pos += ln
            continue
        if t == 1:
            ln = ((tag >> 2) & 7) + 4
            off = ((tag >> 5) << 8) | src[pos]
            pos += 1
        elif t == 2:
            ln = (tag >> 2) + 1
            off = int.from_bytes(src[pos:pos + 2], "little")
            pos += 2
        else:
            ln = (tag >> 2) + 1
            off = int.from_bytes(src[pos:pos + 4], "little")
            pos += 4
        if off == 0 or off > len(out):
            raise IrconvError("%s: bad copy offset" % what)
        start = len(out) - off
        for i in range(ln):
            out.append(out[start + i])
    if len(out) != total:
        raise IrconvError("%s: decompressed to %d bytes, expected %d" % (what, len(out), total))
    return bytes(out)
