// Streams constant blobs into the .bin: 64-byte aligned offsets, identical blobs stored once,
// f32/f64 -> f16 conversion done chunk by chunk while writing.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>
#include <unordered_map>
#include <vector>

#include "irconv/tensor.hpp"

namespace irconv {

class BinWriter {
 public:
  explicit BinWriter(const std::string& path);
  ~BinWriter();
  BinWriter(const BinWriter&) = delete;
  BinWriter& operator=(const BinWriter&) = delete;

  struct Blob { uint64_t offset; uint64_t size; bool dedup; };
  // Writes t's bytes as they are (or f16-converted when to_f16), returns where they went.
  Blob write(const Tensor& t, bool to_f16);
  uint64_t size() const { return pos_; }
  void close();  // flushes; throws Error on I/O failure

 private:
  void put(const void* p, uint64_t n);
  void pad_to(uint64_t align);
  void release_source(const Tensor& t);
  std::FILE* f_ = nullptr;
  std::string path_;
  uint64_t pos_ = 0;
  std::vector<uint8_t> scratch_;
  struct Key { uint64_t hash; uint64_t size; bool f16; bool operator==(const Key& o) const { return hash == o.hash && size == o.size && f16 == o.f16; } };
  struct KeyHash { size_t operator()(const Key& k) const { return (size_t)(k.hash ^ (k.size * 0x9e3779b97f4a7c15ull) ^ k.f16); } };
  struct Seen { const Tensor* src; Blob blob; };
  std::unordered_map<Key, std::vector<Seen>, KeyHash> seen_;
};

// Fast 64-bit hash of a byte range.
uint64_t hash_bytes(const uint8_t* p, uint64_t n);

}  // namespace irconv
