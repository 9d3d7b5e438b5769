// Attribute parsing shared by the convolution and pooling families.
#pragma once
#include <cctype>
#include <string>

#include "irconv/graph.hpp"

namespace irconv::spatial {

enum class AutoPad { Explicit, SameUpper, SameLower, Valid };

inline std::string lower(std::string s) {
  for (auto& c : s) c = (char)std::tolower((unsigned char)c);
  return s;
}

// auto_pad: explicit (or ONNX's notset), same_upper, same_lower, valid; case-insensitive.
inline AutoPad parse_auto_pad(const Node& n) {
  std::string s = lower(n.attr_s("auto_pad", "explicit"));
  if (s == "explicit" || s == "notset") return AutoPad::Explicit;
  if (s == "same_upper") return AutoPad::SameUpper;
  if (s == "same_lower") return AutoPad::SameLower;
  if (s == "valid") return AutoPad::Valid;
  IRCONV_CHECK(false, n.describe() << ": attribute auto_pad is '" << s
                                   << "', expected one of explicit, same_upper, same_lower, valid");
  return AutoPad::Explicit;
}

inline bool is_same(AutoPad p) { return p == AutoPad::SameUpper || p == AutoPad::SameLower; }

}  // namespace irconv::spatial
