#include "irconv/element_type.hpp"

#include <cctype>
#include <string>

#include "irconv/error.hpp"

namespace irconv {

namespace {
// Order matches enum ET.
const ETInfo kInfo[] = {
    {"dynamic", "UNSPECIFIED", 0, false, false},
    {"boolean", "BOOL", 8, false, false},
    {"bf16", "BF16", 16, true, true},
    {"f16", "FP16", 16, true, true},
    {"f32", "FP32", 32, true, true},
    {"f64", "FP64", 64, true, true},
    {"i4", "I4", 4, false, true},
    {"i8", "I8", 8, false, true},
    {"i16", "I16", 16, false, true},
    {"i32", "I32", 32, false, true},
    {"i64", "I64", 64, false, true},
    {"u1", "BIN", 1, false, false},
    {"u2", "U2", 2, false, false},
    {"u3", "U3", 3, false, false},
    {"u4", "U4", 4, false, false},
    {"u6", "U6", 6, false, false},
    {"u8", "U8", 8, false, false},
    {"u16", "U16", 16, false, false},
    {"u32", "U32", 32, false, false},
    {"u64", "U64", 64, false, false},
    {"nf4", "NF4", 4, true, true},
    {"f8e4m3", "F8E4M3", 8, true, true},
    {"f8e5m2", "F8E5M2", 8, true, true},
    {"f4e2m1", "F4E2M1", 4, true, true},
    {"f8e8m0", "F8E8M0", 8, true, false},
    {"string", "STRING", 0, false, false},
};
static_assert(sizeof(kInfo) / sizeof(kInfo[0]) == (size_t)ET::count_, "ETInfo table out of sync");

std::string lower(std::string_view s) {
  std::string r(s);
  for (auto& c : r) c = (char)std::tolower((unsigned char)c);
  return r;
}
}  // namespace

const ETInfo& et_info(ET t) { return kInfo[(size_t)t]; }

ET et_from_string(std::string_view s) {
  std::string l = lower(s);
  for (size_t i = 0; i < (size_t)ET::count_; ++i) {
    if (l == kInfo[i].name || l == lower(kInfo[i].precision)) return (ET)i;
  }
  if (l == "bool") return ET::boolean;
  if (l == "undefined") return ET::dynamic;
  if (l == "bin") return ET::u1;
  IRCONV_CHECK(false, "unknown element type '" << s << "'");
}

bool et_is_plain(ET t) {
  switch (t) {
    case ET::boolean: case ET::bf16: case ET::f16: case ET::f32: case ET::f64:
    case ET::i8: case ET::i16: case ET::i32: case ET::i64:
    case ET::u8: case ET::u16: case ET::u32: case ET::u64:
      return true;
    default:
      return false;
  }
}

}  // namespace irconv
