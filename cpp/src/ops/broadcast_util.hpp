// Auto-broadcast helpers shared by elementwise op families: the auto_broadcast attribute, the
// partial-shape merge rules of OpenVINO (none / numpy / pdpd), and a non-templated iterator that
// maps each output element of a broadcast to the flat index of the input element feeding it.
// Also the float -> integer cast that OpenVINO's reference kernels perform (x86 truncation).
#pragma once
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "irconv/element_type.hpp"
#include "irconv/error.hpp"
#include "irconv/graph.hpp"
#include "irconv/shape.hpp"

namespace irconv {
namespace bcast {

enum class Mode { none, numpy, pdpd };

// Reads the broadcast attribute (OpenVINO spellings "none", "numpy", "pdpd"; case-insensitive as
// the IR reader; "explicit" is not an elementwise mode). Throws naming the node.
inline Mode read_mode(const Node& n, const char* attr = "auto_broadcast") {
  std::string s = n.attr_s(attr, "numpy");
  for (auto& c : s) c = (char)std::tolower((unsigned char)c);
  if (s == "numpy") return Mode::numpy;
  if (s == "none") return Mode::none;
  if (s == "pdpd") return Mode::pdpd;
  IRCONV_CHECK(false, n.describe() << ": attribute " << attr << "='" << s
                                   << "' is not supported (expected none, numpy or pdpd)");
  return Mode::numpy;
}

// OpenVINO Dimension::merge: equal dims, or one dynamic.
inline bool merge_dim_into(int64_t& d, int64_t s) {
  if (d == kDyn) { d = s; return true; }
  return s == kDyn || s == d;
}

// OpenVINO Dimension::broadcast_merge (numpy): 1 yields the other, dynamic yields a static >1.
inline bool numpy_dim_into(int64_t& d, int64_t s) {
  if (d == s || s == 1) return true;
  if (d == 1) { d = s; return true; }
  if (d == kDyn) { d = s; return true; }   // s static and != 1
  return s == kDyn;                          // d static > 1 stays
}

// OpenVINO PartialShape::broadcast_merge_into(dst, src, mode). pdpd is B-onto-A with axis 0, which
// is what an IR "pdpd" attribute gives (the axis is not serialized); trailing 1s of src ignored.
// Returns false when the shapes are incompatible.
inline bool merge_into(PartialShape& dst, const PartialShape& src, Mode m) {
  if (m == Mode::none) {
    if (dst.rank_dynamic) { dst = src; return true; }
    if (src.rank_dynamic) return true;
    if (dst.size() != src.size()) return false;
    for (size_t i = 0; i < dst.size(); ++i)
      if (!merge_dim_into(dst.dims[i], src.dims[i])) return false;
    return true;
  }
  if (m == Mode::numpy) {
    if (dst.rank_dynamic || src.rank_dynamic) { dst = PartialShape::dynamic(); return true; }
    size_t r = std::max(dst.size(), src.size());
    std::vector<int64_t> out(r, 1);
    for (size_t i = 0; i < r; ++i) {
      int64_t d = i + dst.size() >= r ? dst.dims[i + dst.size() - r] : 1;
      int64_t s = i + src.size() >= r ? src.dims[i + src.size() - r] : 1;
      if (!numpy_dim_into(d, s)) return false;
      out[i] = d;
    }
    dst.dims = std::move(out);
    return true;
  }
  // pdpd
  if (dst.rank_dynamic || src.rank_dynamic) return true;
  if (src.size() > dst.size()) return false;
  size_t len = src.size();
  while (len > 0 && src.dims[len - 1] == 1) --len;
  for (size_t i = 0; i < len; ++i) {
    int64_t s = src.dims[i];
    if (s == 1) continue;
    if (!merge_dim_into(dst.dims[i], s)) return false;
  }
  return true;
}

// Output shape of a two-input elementwise op; throws naming the node when incompatible.
inline PartialShape infer_binary(const Node& n, const PartialShape& a, const PartialShape& b, Mode m) {
  PartialShape out = a;
  IRCONV_CHECK(merge_into(out, b, m), n.describe() << ": input shapes " << a.to_string() << " and "
                                                   << b.to_string() << " are not broadcastable ("
                                                   << (m == Mode::none ? "none" : m == Mode::numpy ? "numpy" : "pdpd")
                                                   << " auto_broadcast)");
  return out;
}

// Where input dimension 0 sits in the output: numpy right-aligns, pdpd left-aligns (axis 0).
inline int64_t align_offset(Mode m, size_t in_rank, size_t out_rank) {
  return m == Mode::pdpd ? 0 : (int64_t)out_rank - (int64_t)in_rank;
}

// Walks a static output shape in row-major order. Input k of shape in_shapes[k] covers output
// dimensions [offsets[k], offsets[k] + rank_k); output dims outside that window and input dims of
// size 1 are broadcast. index(k) is the flat index into input k for the current output element.
// Default offsets: numpy right alignment.
class BroadcastIter {
 public:
  BroadcastIter(const std::vector<int64_t>& out_shape, const std::vector<std::vector<int64_t>>& in_shapes,
                const std::vector<int64_t>& offsets = {})
      : out_(out_shape), counter_(out_shape.size(), 0), pos_(in_shapes.size(), 0) {
    const size_t r = out_.size();
    strides_.assign(in_shapes.size(), std::vector<uint64_t>(r, 0));
    for (size_t k = 0; k < in_shapes.size(); ++k) {
      const auto& s = in_shapes[k];
      int64_t off = k < offsets.size() ? offsets[k] : (int64_t)r - (int64_t)s.size();
      uint64_t stride = 1;
      for (int64_t j = (int64_t)s.size() - 1; j >= 0; --j) {
        int64_t od = off + j;
        if (od >= 0 && od < (int64_t)r && s[j] != 1) strides_[k][od] = stride;
        stride *= (uint64_t)s[j];
      }
    }
    count_ = 1;
    for (int64_t d : out_) count_ *= (uint64_t)d;
  }
  uint64_t count() const { return count_; }
  uint64_t index(size_t k) const { return pos_[k]; }
  // Advances to the next output element (row-major).
  void next() {
    for (int64_t d = (int64_t)out_.size() - 1; d >= 0; --d) {
      if (++counter_[d] < out_[d]) {
        for (size_t k = 0; k < pos_.size(); ++k) pos_[k] += strides_[k][d];
        return;
      }
      counter_[d] = 0;
      for (size_t k = 0; k < pos_.size(); ++k) pos_[k] -= strides_[k][d] * (uint64_t)(out_[d] - 1);
    }
  }

 private:
  std::vector<int64_t> out_, counter_;
  std::vector<std::vector<uint64_t>> strides_;  // [input][output dim]; 0 where broadcast
  std::vector<uint64_t> pos_;
  uint64_t count_ = 0;
};

// Static output shape and per-input offsets for evaluating a broadcast of static inputs (the first
// input is the pdpd destination). Returns false if incompatible.
inline bool eval_layout(const std::vector<std::vector<int64_t>>& shapes, Mode m, std::vector<int64_t>& out,
                        std::vector<int64_t>& offsets) {
  PartialShape s(shapes[0]);
  for (size_t k = 1; k < shapes.size(); ++k)
    if (!merge_into(s, PartialShape(shapes[k]), m)) return false;
  if (s.rank_dynamic) return false;
  out = s.dims;
  offsets.clear();
  for (const auto& in : shapes) offsets.push_back(align_offset(m, in.size(), out.size()));
  return true;
}

}  // namespace bcast

// Element type shared by two inputs that must match (dynamic merges with anything); throws
// naming the node and both types otherwise.
inline ET merge_input_types(const Node& n, size_t i, size_t j) {
  ET a = n.in_type(i), b = n.in_type(j);
  if (a == ET::dynamic) return b;
  if (b == ET::dynamic || a == b) return a;
  IRCONV_CHECK(false, n.describe() << ": inputs " << i << " and " << j << " must have the same element type, got "
                                   << et_name(a) << " and " << et_name(b));
  return a;
}

// static_cast<T>(double) as OpenVINO's kernels do it on x86: truncation toward zero; NaN and
// values out of range give the "integer indefinite" value (INT32_MIN for types converted through
// a 32-bit register, INT64_MIN otherwise). Store the result with store_i64 (which wraps).
inline int64_t float_to_int_like_ov(double v, ET dst) {
  const int bits = et_info(dst).bits;
  double t = std::trunc(v);
  if (bits < 32 || dst == ET::i32) {
    if (!(t >= -2147483648.0 && t <= 2147483647.0)) return std::numeric_limits<int32_t>::min();
    return (int64_t)t;
  }
  if (dst == ET::u64 && t >= 9223372036854775808.0 && t < 18446744073709551616.0)
    return (int64_t)(uint64_t)t;
  if (!(t >= -9223372036854775808.0 && t < 9223372036854775808.0)) return std::numeric_limits<int64_t>::min();
  return (int64_t)t;
}

}  // namespace irconv
