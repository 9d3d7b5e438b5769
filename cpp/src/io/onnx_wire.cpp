// Protobuf wire-format rewriting of ONNX ModelProto (field numbers from onnx/onnx.proto):
// ModelProto.graph = 7; GraphProto.initializer = 5; TensorProto: name = 8, raw_data = 9,
// external_data = 13 (StringStringEntryProto: key = 1, value = 2), data_location = 14 (EXTERNAL = 1).
#include <string>

#include "irconv/error.hpp"
#include "irconv/io.hpp"

namespace irconv {

namespace {

struct Reader {
  const uint8_t* base;  // start of the file (for offsets in messages)
  const uint8_t* p;
  const uint8_t* end;
  const std::string& path;

  uint64_t offset() const { return (uint64_t)(p - base); }
  [[noreturn]] void fail(const char* what) const {
    IRCONV_CHECK(false, "'" << path << "' is not a valid ONNX model: " << what << " at byte " << offset());
  }
  bool done() const { return p >= end; }
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p >= end) fail("truncated varint");
      uint8_t b = *p++;
      v |= (uint64_t)(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    fail("varint longer than 10 bytes");
  }
  // Skips a field's payload; returns [start, end) of the whole payload (for LEN: the bytes).
  void field(uint32_t wire, const uint8_t** start, uint64_t* len) {
    switch (wire) {
      case 0: { const uint8_t* s = p; varint(); *start = s; *len = (uint64_t)(p - s); return; }
      case 1: if ((uint64_t)(end - p) < 8) fail("truncated fixed64"); *start = p; *len = 8; p += 8; return;
      case 5: if ((uint64_t)(end - p) < 4) fail("truncated fixed32"); *start = p; *len = 4; p += 4; return;
      case 2: {
        uint64_t n = varint();
        if (n > (uint64_t)(end - p)) fail("length-delimited field runs past the end of its message");
        *start = p; *len = n; p += n; return;
      }
      default: fail("unsupported protobuf wire type (groups or corrupt data)");
    }
  }
};

// Calls fn(field number, wire type, payload start, payload length) for each field of a message.
template <class F> void for_each_field(Reader& r, F&& fn) {
  while (!r.done()) {
    uint64_t key = r.varint();
    uint32_t num = (uint32_t)(key >> 3), wire = (uint32_t)(key & 7);
    if (num == 0) r.fail("field number 0");
    const uint8_t* fs;
    uint64_t fl;
    r.field(wire, &fs, &fl);
    fn(num, wire, fs, fl);
  }
}

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) { out.push_back((char)(v | 0x80)); v >>= 7; }
  out.push_back((char)v);
}
void put_key(std::string& out, uint32_t field, uint32_t wire) { put_varint(out, ((uint64_t)field << 3) | wire); }
void put_bytes(std::string& out, uint32_t field, const std::string& s) {
  put_key(out, field, 2);
  put_varint(out, s.size());
  out += s;
}
void put_entry(std::string& out, const std::string& k, const std::string& v) {
  std::string e;
  put_bytes(e, 1, k);
  put_bytes(e, 2, v);
  put_bytes(out, 13, e);
}
// Copies one field (key + payload) verbatim.
void copy_field(std::string& out, uint32_t num, uint32_t wire, const uint8_t* s, uint64_t n) {
  put_key(out, num, wire);
  if (wire == 2) put_varint(out, n);
  out.append(reinterpret_cast<const char*>(s), n);
}

struct Ctx {
  const uint8_t* base;
  const std::string& path;
  const std::string& self;
  uint64_t min_bytes;
  OnnxStripResult* res;
};

std::string rewrite_tensor(const Ctx& c, const uint8_t* s, uint64_t n) {
  Reader r{c.base, s, s + n, c.path};
  std::string out;
  const uint8_t* raw = nullptr;
  uint64_t raw_len = 0;
  for_each_field(r, [&](uint32_t num, uint32_t wire, const uint8_t* fs, uint64_t fl) {
    if (num == 9 && wire == 2 && fl >= c.min_bytes) { raw = fs; raw_len = fl; return; }
    copy_field(out, num, wire, fs, fl);
  });
  if (raw) {
    put_entry(out, "location", c.self);
    put_entry(out, "offset", std::to_string((uint64_t)(raw - c.base)));
    put_entry(out, "length", std::to_string(raw_len));
    put_key(out, 14, 0);
    put_varint(out, 1);
    c.res->tensors_moved++;
    c.res->bytes_moved += raw_len;
  }
  return out;
}

std::string rewrite_graph(const Ctx& c, const uint8_t* s, uint64_t n) {
  Reader r{c.base, s, s + n, c.path};
  std::string out;
  out.reserve(n < (1u << 20) ? n : (1u << 20));
  for_each_field(r, [&](uint32_t num, uint32_t wire, const uint8_t* fs, uint64_t fl) {
    if (num == 5 && wire == 2) put_bytes(out, 5, rewrite_tensor(c, fs, fl));
    else copy_field(out, num, wire, fs, fl);
  });
  return out;
}

}  // namespace

OnnxStripResult onnx_strip_raw_data(const uint8_t* bytes, uint64_t size, const std::string& path,
                                    const std::string& self_name, uint64_t min_bytes) {
  OnnxStripResult res;
  Ctx c{bytes, path, self_name, min_bytes, &res};
  Reader r{bytes, bytes, bytes + size, path};
  bool has_graph = false;
  for_each_field(r, [&](uint32_t num, uint32_t wire, const uint8_t* fs, uint64_t fl) {
    if (num == 7 && wire == 2) {
      has_graph = true;
      put_bytes(res.model, 7, rewrite_graph(c, fs, fl));
    } else {
      copy_field(res.model, num, wire, fs, fl);
    }
  });
  IRCONV_CHECK(has_graph, "'" << path << "' is not an ONNX model: it has no graph");
  return res;
}

}  // namespace irconv
