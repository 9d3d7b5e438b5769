// Partial shapes: a dimension is >= 0 or -1 (dynamic); the rank itself may be dynamic.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace irconv {

constexpr int64_t kDyn = -1;

struct PartialShape {
  bool rank_dynamic = false;
  std::vector<int64_t> dims;  // valid when !rank_dynamic; each >= 0 or kDyn

  PartialShape() = default;
  PartialShape(std::vector<int64_t> d) : dims(std::move(d)) {}  // NOLINT: implicit on purpose
  PartialShape(std::initializer_list<int64_t> d) : dims(d) {}
  static PartialShape dynamic() { PartialShape s; s.rank_dynamic = true; return s; }
  static PartialShape dynamic_of_rank(size_t r) { return PartialShape(std::vector<int64_t>(r, kDyn)); }

  bool is_static() const;
  int64_t rank() const { return rank_dynamic ? -1 : (int64_t)dims.size(); }
  size_t size() const { return dims.size(); }
  int64_t operator[](size_t i) const { return dims[i]; }
  int64_t& operator[](size_t i) { return dims[i]; }
  // product of dims; -1 if any dim or the rank is dynamic
  int64_t numel() const;
  std::string to_string() const;  // "[1,3,?,?]" or "[...]"
  bool operator==(const PartialShape& o) const { return rank_dynamic == o.rank_dynamic && dims == o.dims; }
  bool operator!=(const PartialShape& o) const { return !(*this == o); }
};

// Checked dimension arithmetic: a hostile model may declare dimensions, pads or repeats near 2^63;
// a result that does not fit int64 throws Error (naming the operation), never undefined behaviour.
int64_t dim_add(int64_t a, int64_t b);
int64_t dim_sub(int64_t a, int64_t b);
int64_t dim_mul(int64_t a, int64_t b);

// Numpy broadcasting of two partial shapes (throws Error on incompatible static dims).
PartialShape broadcast_numpy(const PartialShape& a, const PartialShape& b);
// Merge two dims known to be equal: returns the static one if any; throws if both static and differ.
int64_t merge_dim(int64_t a, int64_t b, const char* what);
// Normalizes a possibly negative axis against rank; throws Error naming `what` if out of range.
int64_t norm_axis(int64_t axis, int64_t rank, const char* what);

}  // namespace irconv
