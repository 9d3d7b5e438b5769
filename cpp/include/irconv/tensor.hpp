// Constant data: element type, static shape and bytes that are either owned or borrowed from an
// owner kept alive by `owner` (an mmap region, a Python buffer, another tensor).
#pragma once
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "irconv/element_type.hpp"

namespace irconv {

struct Tensor {
  ET et = ET::f32;
  std::vector<int64_t> shape;
  const uint8_t* data = nullptr;       // packed like the IR .bin (sub-byte packed, strings packed)
  uint64_t nbytes = 0;
  std::shared_ptr<const void> owner;   // keeps `data` alive
  // `data` lies in a read-only file mapping: its pages can be dropped from this process once read
  // (they stay in the page cache), which keeps peak memory low on big models.
  bool file_mapped = false;

  uint64_t numel() const;
  // A tensor that owns a copy of / takes `bytes`.
  static Tensor owned(ET et, std::vector<int64_t> shape, std::vector<uint8_t> bytes);
  // A tensor filled with zeros, owning its storage; `mutable_data()` gives write access.
  static Tensor zeros(ET et, std::vector<int64_t> shape);
  uint8_t* mutable_data();  // only valid for tensors created by owned()/zeros()

  template <class T> const T* as() const { return reinterpret_cast<const T*>(data); }
  // Element i converted to double / int64 (plain types only; throws otherwise).
  double get_f64(uint64_t i) const;
  int64_t get_i64(uint64_t i) const;
  std::vector<int64_t> to_i64() const;
  std::vector<double> to_f64() const;
  // Scalar/1-element helpers.
  static Tensor from_i64(ET et, std::vector<int64_t> shape, const std::vector<int64_t>& v);
  static Tensor from_f64(ET et, std::vector<int64_t> shape, const std::vector<double>& v);
  bool same_bytes(const Tensor& o) const {
    return et == o.et && shape == o.shape && nbytes == o.nbytes && (nbytes == 0 || std::memcmp(data, o.data, nbytes) == 0);
  }
};

// Store a double/int64 into element i of a plain-typed buffer.
void store_f64(ET et, uint8_t* dst, uint64_t i, double v);
void store_i64(ET et, uint8_t* dst, uint64_t i, int64_t v);
double load_f64(ET et, const uint8_t* src, uint64_t i);
int64_t load_i64(ET et, const uint8_t* src, uint64_t i);
// f32 <-> f16/bf16 bit conversions (round to nearest even).
uint16_t f32_to_f16(float f);
float f16_to_f32(uint16_t h);
uint16_t f32_to_bf16(float f);
float bf16_to_f32(uint16_t h);

}  // namespace irconv
