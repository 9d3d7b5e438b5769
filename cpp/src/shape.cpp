#include "irconv/shape.hpp"

#include <sstream>

#include "irconv/error.hpp"

namespace irconv {

bool PartialShape::is_static() const {
  if (rank_dynamic) return false;
  for (auto d : dims)
    if (d < 0) return false;
  return true;
}

int64_t PartialShape::numel() const {
  if (!is_static()) return -1;
  for (auto d : dims)
    if (d == 0) return 0;
  int64_t n = 1;
  for (auto d : dims) n = dim_mul(n, d);
  return n;
}

namespace {
[[noreturn]] void overflow(int64_t a, const char* op, int64_t b) {
  IRCONV_CHECK(false, "shape arithmetic overflows int64: " << a << " " << op << " " << b
                                                            << " (a dimension, pad or repeat count too large)");
}
}  // namespace

int64_t dim_add(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) overflow(a, "+", b);
  return r;
}

int64_t dim_sub(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_sub_overflow(a, b, &r)) overflow(a, "-", b);
  return r;
}

int64_t dim_mul(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r)) overflow(a, "*", b);
  return r;
}

std::string PartialShape::to_string() const {
  if (rank_dynamic) return "[...]";
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) os << ",";
    if (dims[i] < 0) os << "?"; else os << dims[i];
  }
  os << "]";
  return os.str();
}

int64_t merge_dim(int64_t a, int64_t b, const char* what) {
  if (a < 0) return b;
  if (b < 0) return a;
  IRCONV_CHECK(a == b, what << ": dimensions " << a << " and " << b << " differ");
  return a;
}

PartialShape broadcast_numpy(const PartialShape& a, const PartialShape& b) {
  if (a.rank_dynamic || b.rank_dynamic) return PartialShape::dynamic();
  size_t r = std::max(a.size(), b.size());
  std::vector<int64_t> out(r);
  for (size_t i = 0; i < r; ++i) {
    int64_t da = i < r - a.size() ? 1 : a[i - (r - a.size())];
    int64_t db = i < r - b.size() ? 1 : b[i - (r - b.size())];
    if (da == 1) out[i] = db;
    else if (db == 1) out[i] = da;
    else if (da < 0 && db < 0) out[i] = kDyn;
    else if (da < 0) out[i] = db;
    else if (db < 0) out[i] = da;
    else {
      IRCONV_CHECK(da == db, "shapes " << a.to_string() << " and " << b.to_string()
                                       << " are not broadcastable (numpy rules)");
      out[i] = da;
    }
  }
  return PartialShape(out);
}

int64_t norm_axis(int64_t axis, int64_t rank, const char* what) {
  IRCONV_CHECK(rank >= 0, what << ": axis needs a static rank");
  IRCONV_CHECK(axis >= -rank && axis < rank, what << ": axis " << axis << " out of range for rank " << rank);
  return axis < 0 ? axis + rank : axis;
}

}  // namespace irconv
