// Element types of OpenVINO IR: names, IR precision spellings, bit widths.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace irconv {

enum class ET : uint8_t {
  dynamic, boolean, bf16, f16, f32, f64,
  i4, i8, i16, i32, i64,
  u1, u2, u3, u4, u6, u8, u16, u32, u64,
  nf4, f8e4m3, f8e5m2, f4e2m1, f8e8m0, string,
  count_
};

struct ETInfo {
  const char* name;       // lowercase ov name: "f32", "boolean", "u1", "string"
  const char* precision;  // IR port precision: "FP32", "BOOL", "BIN", "STRING"
  int bits;               // bit width of one element (8 for boolean; 0 for dynamic/string)
  bool is_float;
  bool is_signed;         // true for signed integers and floats
};

const ETInfo& et_info(ET t);
inline const char* et_name(ET t) { return et_info(t).name; }
// Accepts ov names ("f32") and IR precisions ("FP32"), case-insensitive. Throws Error if unknown.
ET et_from_string(std::string_view s);
// Bytes needed for n elements (sub-byte types packed, rounded up). Not for string.
inline uint64_t et_bytes(ET t, uint64_t n) { return (n * (uint64_t)et_info(t).bits + 7) / 8; }
inline bool et_is_integral(ET t) { return !et_info(t).is_float && t != ET::dynamic && t != ET::string; }
// Whole-byte numeric types that reference kernels handle (boolean, f16, bf16, f32, f64, i8..i64, u8..u64).
bool et_is_plain(ET t);

}  // namespace irconv
