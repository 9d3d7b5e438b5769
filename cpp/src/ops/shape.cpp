// Shape-manipulation ops: ShapeOf, Reshape, Squeeze, Unsqueeze, Concat, Split, VariadicSplit,
// Range, Broadcast, Tile, Transpose, Pad, DepthToSpace, SpaceToDepth.
//
// Also the helpers shared with movement.cpp and indexing.cpp (namespace ops_detail): type-agnostic
// byte-copy kernels and `partial_value`, which looks through shape sub-graphs (ShapeOf -> Gather ->
// Concat ...) for the values known at conversion time, with unknown elements where a dimension is
// dynamic: the counterpart of OpenVINO's bounds evaluation that its shape inference uses for
// value-dependent inputs (Reshape pattern, Broadcast target, ...).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "irconv/op_registry.hpp"
#include "ops_util.hpp"

namespace irconv {
namespace ops_detail {

// Partial values are tracked for small integer tensors only (shape sub-graphs).
constexpr uint64_t kMaxPartialElems = 1 << 12;

// Bytes of one element for the byte-copy kernels; 0 for sub-byte, string and dynamic types.
size_t elem_bytes(ET et) {
  if (et == ET::string || et == ET::dynamic) return 0;
  int b = et_info(et).bits;
  return (b % 8) ? 0 : (size_t)(b / 8);
}

uint64_t prod(const Dims& d, size_t b, size_t e) {
  uint64_t p = 1;
  for (size_t i = b; i < e && i < d.size(); ++i) p *= (uint64_t)d[i];
  return p;
}

// Row-major element strides.
Dims row_strides(const Dims& shape) {
  Dims s(shape.size(), 1);
  for (size_t i = shape.size(); i-- > 1;) s[i - 1] = s[i] * shape[i];
  return s;
}

// out[i_0..i_r] = src[sum_k maps[k][i_k] * src_strides[k]] (element strides), or `fill` (esz
// bytes) when any maps[k][i_k] < 0. maps[k] has out_shape[k] entries. The innermost dimension is
// copied with one memcpy when it is contiguous.
void index_copy(const uint8_t* src, uint8_t* dst, size_t esz, const Dims& out_shape, const std::vector<Dims>& maps,
                const Dims& src_strides, const uint8_t* fill) {
  const size_t r = out_shape.size();
  const uint64_t total = prod(out_shape, 0, r);
  if (total == 0) return;
  if (r == 0) {
    std::memcpy(dst, src, esz);
    return;
  }
  std::vector<Dims> off(r);
  for (size_t k = 0; k < r; ++k) {
    off[k].resize((size_t)out_shape[k]);
    for (int64_t i = 0; i < out_shape[k]; ++i) {
      int64_t m = maps[k][(size_t)i];
      off[k][(size_t)i] = m < 0 ? -1 : m * src_strides[k] * (int64_t)esz;
    }
  }
  const int64_t inner = out_shape[r - 1];
  const Dims& last = off[r - 1];
  bool contiguous = last[0] >= 0;
  for (int64_t i = 1; contiguous && i < inner; ++i) contiguous = last[(size_t)i] == last[0] + i * (int64_t)esz;
  const uint64_t outer = total / (uint64_t)inner;
  Dims ctr(r - 1, 0);
  uint8_t* d = dst;
  for (uint64_t o = 0; o < outer; ++o) {
    int64_t base = 0;
    bool filled = false;
    for (size_t k = 0; k + 1 < r; ++k) {
      int64_t v = off[k][(size_t)ctr[k]];
      if (v < 0) { filled = true; break; }
      base += v;
    }
    if (filled) {
      for (int64_t i = 0; i < inner; ++i) std::memcpy(d + i * esz, fill, esz);
    } else if (contiguous) {
      std::memcpy(d, src + base + last[0], (size_t)inner * esz);
    } else {
      for (int64_t i = 0; i < inner; ++i) {
        int64_t v = last[(size_t)i];
        std::memcpy(d + i * esz, v < 0 ? fill : src + base + v, esz);
      }
    }
    d += (size_t)inner * esz;
    for (size_t k = r - 1; k-- > 0;) {
      if (++ctr[k] < out_shape[k]) break;
      ctr[k] = 0;
    }
  }
}

Dims iota_dims(int64_t n, int64_t start, int64_t step) {
  Dims v((size_t)std::max<int64_t>(n, 0));
  for (size_t i = 0; i < v.size(); ++i) v[i] = start + (int64_t)i * step;
  return v;
}

// Transposes `src` of static `shape` by `perm` (output dim k = input dim perm[k]).
void transpose_bytes(const uint8_t* src, uint8_t* dst, size_t esz, const Dims& shape, const Dims& perm) {
  Dims in_strides = row_strides(shape);
  Dims out_shape(perm.size()), strides(perm.size());
  std::vector<Dims> maps(perm.size());
  for (size_t k = 0; k < perm.size(); ++k) {
    out_shape[k] = shape[(size_t)perm[k]];
    strides[k] = in_strides[(size_t)perm[k]];
    maps[k] = iota_dims(out_shape[k]);
  }
  index_copy(src, dst, esz, out_shape, maps, strides, nullptr);
}

// A tensor with the bytes of `t` and a new shape: shares the buffer when its owner is known.
Tensor reshaped(const Tensor& t, Dims shape) {
  if (t.owner) {
    Tensor r = t;
    r.shape = std::move(shape);
    return r;
  }
  return Tensor::owned(t.et, std::move(shape), std::vector<uint8_t>(t.data, t.data + t.nbytes));
}

// ---------------------------------------------------------------------------------------------
// Partial values

std::optional<Dims> partial_value(const Output& o);

namespace {

// One look-through: results per output (a shape sub-graph may reach one node many ways) and a
// bound on the nodes visited.
struct Walk {
  std::map<std::pair<uint64_t, int>, std::optional<Dims>> memo;
  int budget = 512;
};

std::optional<Dims> pv(const Output& o, Walk& w, int depth);

bool small_static(const PartialShape& s) {
  return s.is_static() && s.size() <= 1 && (uint64_t)s.numel() <= kMaxPartialElems;
}

std::optional<Dims> partial_of_input(const Node& n, size_t i, Walk& w, int depth) {
  if (i >= n.inputs.size()) return std::nullopt;
  return pv(n.inputs[i], w, depth + 1);
}

bool all_known(const Dims& v) {
  return std::none_of(v.begin(), v.end(), [](int64_t x) { return x == kUnknownVal; });
}

// Data ports (whose elements are moved, not interpreted) of pure data-movement ops: their eval
// kernels run on int64 surrogates that carry kUnknownVal through.
const std::vector<int>* movement_data_ports(const std::string& type) {
  static const std::vector<int> port0{0};
  static const std::vector<int> all{-1};
  static const char* kPort0[] = {"Gather", "Squeeze", "Unsqueeze", "Reshape", "Slice", "StridedSlice",
                                 "Tile", "Broadcast", "Transpose", "Reverse"};
  if (type == "Concat") return &all;
  for (const char* t : kPort0)
    if (type == t) return &port0;
  return nullptr;
}

std::optional<Dims> partial_by_eval(const Node& p, int out_index, const std::vector<int>& data_ports, Walk& w,
                                    int depth) {
  const OpSchema* s = find_schema(p.type, p.version);
  if (!s || !s->eval) return std::nullopt;
  std::vector<Tensor> store(p.inputs.size());
  std::vector<const Tensor*> in(p.inputs.size());
  for (size_t i = 0; i < p.inputs.size(); ++i) {
    bool is_data = data_ports[0] == -1 || std::find(data_ports.begin(), data_ports.end(), (int)i) != data_ports.end();
    const PartialShape& sh = p.in_shape(i);
    if (!sh.is_static() || (uint64_t)sh.numel() > kMaxPartialElems) return std::nullopt;
    if (is_data) {
      auto v = partial_of_input(p, i, w, depth);
      if (!v || v->size() != (size_t)sh.numel()) return std::nullopt;
      store[i] = Tensor::from_i64(ET::i64, sh.dims, *v);
      in[i] = &store[i];
    } else {
      const Tensor* t = p.in_value(i);
      if (t) {
        in[i] = t;
        continue;
      }
      auto v = partial_of_input(p, i, w, depth);
      if (!v || !all_known(*v) || v->size() != (size_t)sh.numel()) return std::nullopt;
      store[i] = Tensor::from_i64(ET::i64, sh.dims, *v);
      in[i] = &store[i];
    }
  }
  std::vector<Tensor> out(p.outputs.size());
  try {
    if (!s->eval(p, in, out)) return std::nullopt;
  } catch (const Error&) {
    return std::nullopt;
  }
  const Tensor& r = out[(size_t)out_index];
  if (r.et != ET::i64 || r.numel() > kMaxPartialElems) return std::nullopt;
  return r.to_i64();
}

std::optional<Dims> partial_binary(const Node& p, Walk& w, int depth) {
  auto a = partial_of_input(p, 0, w, depth);
  if (!a) return std::nullopt;
  auto b = partial_of_input(p, 1, w, depth);
  if (!b) return std::nullopt;
  size_t n = std::max(a->size(), b->size());
  if ((a->size() != n && a->size() != 1) || (b->size() != n && b->size() != 1)) return std::nullopt;
  const bool pythondiv = p.attr_b("m_pythondiv", true);
  Dims r(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t x = (*a)[a->size() == 1 ? 0 : i], y = (*b)[b->size() == 1 ? 0 : i];
    if (x == kUnknownVal || y == kUnknownVal) {
      r[i] = kUnknownVal;
      continue;
    }
    int64_t v;
    if (p.type == "Add") {
      if (__builtin_add_overflow(x, y, &v)) return std::nullopt;
    } else if (p.type == "Subtract") {
      if (__builtin_sub_overflow(x, y, &v)) return std::nullopt;
    } else if (p.type == "Multiply") {
      if (__builtin_mul_overflow(x, y, &v)) return std::nullopt;
    } else if (p.type == "Divide") {
      if (y == 0 || (x == std::numeric_limits<int64_t>::min() && y == -1)) return std::nullopt;
      v = x / y;
      if (pythondiv && (x % y != 0) && ((x < 0) != (y < 0))) --v;
    } else if (p.type == "Maximum") {
      v = std::max(x, y);
    } else {  // Minimum
      v = std::min(x, y);
    }
    if (v == kUnknownVal) return std::nullopt;
    r[i] = v;
  }
  return r;
}

std::optional<Dims> pv_compute(const Output& o, Walk& w, int depth);

std::optional<Dims> pv(const Output& o, Walk& w, int depth) {
  if (!o.node || o.index < 0 || (size_t)o.index >= o.node->outputs.size()) return std::nullopt;
  const Node& p = *o.node;
  const OutputDesc& d = p.outputs[(size_t)o.index];
  const Tensor* t = p.type == "Const" ? p.value.get() : d.known_value.get();
  if (t) {
    if (!et_is_integral(t->et) || !et_is_plain(t->et) || t->numel() > kMaxPartialElems) return std::nullopt;
    return t->to_i64();
  }
  if (depth > 32 || !et_is_integral(d.et) || !small_static(d.shape)) return std::nullopt;
  auto key = std::make_pair(p.id, o.index);
  auto it = w.memo.find(key);
  if (it != w.memo.end()) return it->second;
  if (--w.budget < 0) return std::nullopt;
  auto r = pv_compute(o, w, depth);
  w.memo[key] = r;
  return r;
}

std::optional<Dims> pv_compute(const Output& o, Walk& w, int depth) {
  const Node& p = *o.node;
  if (p.type == "ShapeOf") {
    const PartialShape& s = p.in_shape(0);
    if (s.rank_dynamic) return std::nullopt;
    Dims v = s.dims;
    for (auto& x : v)
      if (x == kDyn) x = kUnknownVal;
    return v;
  }
  if (p.type == "Convert") {
    ET from = p.in_type(0);
    if (!et_is_integral(from)) return std::nullopt;
    return partial_of_input(p, 0, w, depth);
  }
  if (p.type == "Add" || p.type == "Subtract" || p.type == "Multiply" || p.type == "Divide" ||
      p.type == "Maximum" || p.type == "Minimum")
    return partial_binary(p, w, depth);
  if (const auto* ports = movement_data_ports(p.type)) return partial_by_eval(p, o.index, *ports, w, depth);
  return std::nullopt;
}

}  // namespace

// Values of output `o` (an integer tensor of rank <= 1) as far as they are known without running
// the model: kUnknownVal marks elements that are dynamic dimensions. nullopt when nothing is known.
std::optional<Dims> partial_value(const Output& o) {
  Walk w;
  return pv(o, w, 0);
}

// Input i's partial value (see partial_value).
std::optional<Dims> partial_ints(const Node& n, size_t i) {
  if (const Tensor* t = n.in_value(i)) {
    if (!et_is_plain(t->et)) return std::nullopt;
    return t->to_i64();
  }
  if (i >= n.inputs.size()) return std::nullopt;
  return partial_value(n.inputs[i]);
}

// Input i's values when all of them are known (a constant, a known value, or a shape sub-graph
// over static dimensions).
std::optional<Dims> known_ints(const Node& n, size_t i) {
  if (const Tensor* t = n.in_value(i)) {  // exact, even where a value equals kUnknownVal
    if (!et_is_plain(t->et)) return std::nullopt;
    return t->to_i64();
  }
  auto v = partial_ints(n, i);
  if (v && !all_known(*v)) return std::nullopt;
  return v;
}

ET index_type_attr(const Node& n, const char* attr, const char* def) {
  std::string s = n.attr_s(attr, def);
  ET t = et_from_string(s);
  IRCONV_CHECK(t == ET::i32 || t == ET::i64,
               n.describe() << ": attribute " << attr << " must be i32 or i64, got '" << s << "'");
  return t;
}

void check_integral_input(const Node& n, size_t i, const char* what) {
  ET t = n.in_type(i);
  IRCONV_CHECK(t == ET::dynamic || et_is_integral(t),
               n.describe() << ": input " << i << " (" << what << ") must have an integer element type, got "
                            << et_name(t));
}

// Input i must be a scalar or 1D (rank <= 1).
void check_rank_le1(const Node& n, size_t i, const char* what) {
  const PartialShape& s = n.in_shape(i);
  IRCONV_CHECK(s.rank_dynamic || s.size() <= 1,
               n.describe() << ": input " << i << " (" << what << ") must be a scalar or 1D, got shape "
                            << s.to_string());
}

void check_rank_eq(const Node& n, size_t i, int64_t r, const char* what) {
  const PartialShape& s = n.in_shape(i);
  IRCONV_CHECK(s.rank_dynamic || (int64_t)s.size() == r,
               n.describe() << ": input " << i << " (" << what << ") must have rank " << r << ", got shape "
                            << s.to_string());
}

// Number of elements of a 1D/scalar input if its shape says (-1 if unknown).
int64_t static_len(const Node& n, size_t i) {
  const PartialShape& s = n.in_shape(i);
  if (s.rank_dynamic) return -1;
  if (s.size() == 0) return 1;
  return s.dims[0];
}

int64_t normalize(const Node& n, int64_t axis, int64_t rank, const char* what) {
  IRCONV_CHECK(axis >= -rank && axis < rank, n.describe() << ": " << what << " " << axis
                                                          << " is out of range for rank " << rank << " (expected ["
                                                          << -rank << ", " << rank - 1 << "])");
  return axis < 0 ? axis + rank : axis;
}

void default_attr(Node& n, const char* k, AttrValue v) {
  if (!n.has_attr(k)) n.set_attr(k, std::move(v));
}

}  // namespace ops_detail

// ===============================================================================================
namespace {

using namespace ops_detail;
using Tensors = std::vector<const Tensor*>;

const PartialShape kDynamicShape = PartialShape::dynamic();


// ------------------------------------------------------------------------------------ ShapeOf

void infer_shapeof(Node& n) {
  default_attr(n, "output_type", std::string("i64"));
  ET t = index_type_attr(n, "output_type", "i64");
  const PartialShape& s = n.in_shape(0);
  n.set_output(0, t, PartialShape({s.rank_dynamic ? kDyn : (int64_t)s.size()}));
}

bool eval_shapeof(const Node& n, const Tensors& in, std::vector<Tensor>& out) {
  ET t = index_type_attr(n, "output_type", "i64");
  Dims s;
  if (!in.empty() && in[0]) {
    s = in[0]->shape;
  } else {
    if (!n.in_shape(0).is_static()) return false;
    s = n.in_shape(0).dims;
  }
  out[0] = Tensor::from_i64(t, {(int64_t)s.size()}, s);
  return true;
}

// ------------------------------------------------------------------------------------ Reshape

// OpenVINO's Reshape-1 shape inference for a (partially) known pattern; kUnknownVal elements of
// the pattern are dynamic output dimensions.
PartialShape reshape_shape(const Node& n, const PartialShape& in, const Dims& pattern, bool special_zero) {
  int64_t minus_one = -1;
  for (size_t i = 0; i < pattern.size(); ++i) {
    int64_t p = pattern[i];
    if (p == -1) {
      IRCONV_CHECK(minus_one < 0, n.describe() << ": more than one dimension of the target shape is -1");
      minus_one = (int64_t)i;
    } else {
      IRCONV_CHECK(p >= 0 || p == kUnknownVal,
                   n.describe() << ": target shape element " << i << " is " << p << " (expected >= -1)");
    }
  }
  Dims out;
  Dims ins, outs;  // dims taking part in the element-count product (-1 = dynamic)
  bool inf = false;
  if (in.rank_dynamic) {
    for (size_t i = 0; i < pattern.size(); ++i) {
      int64_t p = pattern[i];
      if (special_zero && p == 0) {
        out.push_back(kDyn);
        inf = true;
      } else if (p == kUnknownVal || p == -1) {
        out.push_back(kDyn);
        if (p != -1) outs.push_back(kDyn);
      } else {
        out.push_back(p);
        outs.push_back(p);
      }
    }
    inf = true;
  } else {
    const size_t r = in.size();
    for (size_t i = 0; i < pattern.size(); ++i) {
      int64_t p = pattern[i];
      bool ignore = special_zero && p == 0;
      if ((int64_t)i == minus_one) {
        out.push_back(kDyn);
      } else if (ignore) {
        IRCONV_CHECK(i < r, n.describe() << ": target shape element " << i << " is 0 with special_zero=true but "
                                         << "the input " << in.to_string() << " has no dimension " << i);
        out.push_back(in.dims[i]);
      } else {
        int64_t v = p == kUnknownVal ? kDyn : p;
        out.push_back(v);
        outs.push_back(v);
      }
      if (i < r && !ignore) ins.push_back(in.dims[i]);
    }
    for (size_t i = pattern.size(); i < r; ++i) ins.push_back(in.dims[i]);
  }
  // Equal static non-zero dims on both sides cancel (as ov::Dimension products do).
  int64_t in_st = 1, out_st = 1;
  bool in_dyn = inf, out_dyn = false;
  {
    Dims rest = outs;
    for (int64_t d : ins) {
      auto it = d > 0 ? std::find(rest.begin(), rest.end(), d) : rest.end();
      if (it != rest.end()) {
        rest.erase(it);
      } else if (d == kDyn) {
        in_dyn = true;
      } else {
        in_st = dim_mul(in_st, d);
      }
    }
    for (int64_t d : rest) {
      if (d == kDyn) out_dyn = true;
      else out_st *= d;
    }
  }
  if (minus_one >= 0) {
    int64_t& m = out[(size_t)minus_one];
    if (out_st == 0) {
      IRCONV_CHECK(in_st == 0, n.describe() << ": cannot infer the -1 dimension of target shape for input "
                                            << in.to_string() << ": the other output dimensions have zero size");
    }
    if (in_dyn || out_dyn) {
      m = kDyn;
    } else if (in_st == out_st) {
      m = 1;
    } else {
      IRCONV_CHECK(out_st != 0, n.describe() << ": cannot infer the -1 dimension of target shape for input "
                                             << in.to_string() << ": the other output dimensions have zero size");
      IRCONV_CHECK(in_st % out_st == 0, n.describe() << ": the target shape's fixed dimensions (product " << out_st
                                                     << ") do not evenly divide the input " << in.to_string());
      m = in_st / out_st;
    }
  }
  PartialShape res(out);
  if (in.is_static() && res.is_static()) {
    bool zero_dims = std::find(pattern.begin(), pattern.end(), 0) != pattern.end();
    IRCONV_CHECK((zero_dims && special_zero) || minus_one >= 0 || in.numel() == res.numel(),
                 n.describe() << ": requested output shape " << res.to_string() << " is incompatible with input shape "
                              << in.to_string());
  }
  return res;
}

void infer_reshape(Node& n) {
  default_attr(n, "special_zero", false);
  check_integral_input(n, 1, "target shape");
  const PartialShape& ps = n.in_shape(1);
  IRCONV_CHECK(ps.rank_dynamic || ps.size() == 1,
               n.describe() << ": the target shape input must be 1D, got shape " << ps.to_string());
  const bool sz = n.attr_b("special_zero", false);
  if (auto pat = partial_ints(n, 1)) {
    n.set_output(0, n.in_type(0), reshape_shape(n, n.in_shape(0), *pat, sz));
  } else if (!ps.rank_dynamic && ps.dims[0] != kDyn) {
    n.set_output(0, n.in_type(0), PartialShape::dynamic_of_rank((size_t)ps.dims[0]));
  } else {
    n.set_output(0, n.in_type(0), kDynamicShape);
  }
}

bool eval_reshape(const Node& n, const Tensors& in, std::vector<Tensor>& out) {
  PartialShape s = reshape_shape(n, PartialShape(in[0]->shape), in[1]->to_i64(), n.attr_b("special_zero", false));
  if (!s.is_static()) return false;
  out[0] = reshaped(*in[0], s.dims);
  return true;
}

// ------------------------------------------------------------------------------ Squeeze/Unsqueeze

// OpenVINO Squeeze-1 / Squeeze-15 shape inference. `axes` = nullptr: no axes input;
// `axes_known` = false: the axes input exists but its values are unknown.
PartialShape squeeze_shape(const Node& n, const PartialShape& in, bool has_axes, const Dims* axes, bool v15) {
  if (has_axes) {
    const PartialShape& as = n.in_shape(1);
    IRCONV_CHECK(as.rank_dynamic || as.size() <= 1,
                 n.describe() << ": the axes input must be a scalar or 1D, got shape " << as.to_string());
    if (in.rank_dynamic || !as.is_static()) return kDynamicShape;
    if (!axes) {
      if (!in.dims.empty() && as.numel() == 1) {
        bool squeezable = std::any_of(in.dims.begin(), in.dims.end(), [](int64_t d) { return d == 1 || d == kDyn; });
        if (!squeezable) return in;
        return v15 ? kDynamicShape : PartialShape::dynamic_of_rank(in.size() - 1);
      }
      return kDynamicShape;
    }
  }
  if (in.rank_dynamic) return kDynamicShape;
  const int64_t r = (int64_t)in.size();
  std::set<int64_t> uniq;
  if (axes)
    for (int64_t a : *axes) uniq.insert(normalize(n, a, r, "squeeze axis"));
  if (uniq.empty()) {
    if (std::any_of(in.dims.begin(), in.dims.end(), [](int64_t d) { return d == kDyn; })) return kDynamicShape;
    Dims out;
    for (int64_t d : in.dims)
      if (d != 1) out.push_back(d);
    return PartialShape(out);
  }
  if (v15 && n.attr_b("allow_axis_skip", false)) {
    for (int64_t a : uniq)
      if (in.dims[(size_t)a] == kDyn) return kDynamicShape;
  }
  Dims out;
  for (int64_t i = 0; i < r; ++i) {
    int64_t d = in.dims[(size_t)i];
    bool removable = uniq.count(i) && (d == 1 || d == kDyn);
    if (!removable) out.push_back(d);
  }
  return PartialShape(out);
}

void infer_squeeze_impl(Node& n, bool v15) {
  bool has_axes = n.num_inputs() > 1;
  std::optional<Dims> axes;
  if (has_axes) {
    check_integral_input(n, 1, "axes");
    axes = known_ints(n, 1);
  }
  n.set_output(0, n.in_type(0), squeeze_shape(n, n.in_shape(0), has_axes, axes ? &*axes : nullptr, v15));
}
void infer_squeeze1(Node& n) { infer_squeeze_impl(n, false); }
void infer_squeeze15(Node& n) {
  default_attr(n, "allow_axis_skip", false);
  infer_squeeze_impl(n, true);
}

bool eval_squeeze_impl(const Node& n, const Tensors& in, std::vector<Tensor>& out, bool v15) {
  Dims axes;
  bool has_axes = in.size() > 1;
  if (has_axes) axes = in[1]->to_i64();
  PartialShape s = squeeze_shape(n, PartialShape(in[0]->shape), has_axes, has_axes ? &axes : nullptr, v15);
  if (!s.is_static()) return false;
  out[0] = reshaped(*in[0], s.dims);
  return true;
}
bool eval_squeeze1(const Node& n, const Tensors& in, std::vector<Tensor>& out) { return eval_squeeze_impl(n, in, out, false); }
bool eval_squeeze15(const Node& n, const Tensors& in, std::vector<Tensor>& out) { return eval_squeeze_impl(n, in, out, true); }

PartialShape unsqueeze_shape(const Node& n, const PartialShape& in, const Dims* axes) {
  if (!axes || in.rank_dynamic) return kDynamicShape;  // OpenVINO 2026: even for a single unknown axis
  IRCONV_CHECK(!axes->empty(), n.describe() << ": the axes input is empty");
  std::set<int64_t> tmp(axes->begin(), axes->end());
  const int64_t expanded = (int64_t)in.size() + (int64_t)tmp.size();
  std::set<int64_t> uniq;
  for (int64_t a : tmp) uniq.insert(normalize(n, a, expanded, "unsqueeze axis"));
  Dims out = in.dims;
  for (int64_t a : uniq) {
    if ((size_t)a <= out.size()) out.insert(out.begin() + a, 1);
    else out.push_back(1);
  }
  return PartialShape(out);
}

void infer_unsqueeze(Node& n) {
  check_integral_input(n, 1, "axes");
  check_rank_le1(n, 1, "axes");
  auto axes = known_ints(n, 1);
  n.set_output(0, n.in_type(0), unsqueeze_shape(n, n.in_shape(0), axes ? &*axes : nullptr));
}

bool eval_unsqueeze(const Node& n, const Tensors& in, std::vector<Tensor>& out) {
  Dims axes = in[1]->to_i64();
  PartialShape s = unsqueeze_shape(n, PartialShape(in[0]->shape), &axes);
  if (!s.is_static()) return false;
  out[0] = reshaped(*in[0], s.dims);
  return true;
}

// ------------------------------------------------------------------------------------ Concat

ET merged_type(const Node& n, size_t from, size_t to) {
  ET t = ET::dynamic;
  for (size_t i = from; i < to; ++i) {
    ET e = n.in_type(i);
    if (e == ET::dynamic) continue;
    IRCONV_CHECK(t == ET::dynamic || t == e, n.describe() << ": inputs must have the same element type, got "
                                                          << et_name(t) << " and " << et_name(e) << " (input " << i
                                                          << ")");
    t = e;
  }
  return t;
}

void infer_concat(Node& n) {
  IRCONV_CHECK(n.num_inputs() >= 1, n.describe() << ": needs at least one input");
  const int64_t axis_attr = n.attr_i("axis");
  ET et = merged_type(n, 0, n.num_inputs());
  PartialShape out = kDynamicShape;
  int64_t axis = 0;
  bool axis_dyn = false;
  int64_t axis_sum = 0;
  for (size_t i = 0; i < n.num_inputs(); ++i) {
    const PartialShape& s = n.in_shape(i);
    if (s.rank_dynamic) {
      axis_dyn = true;
      continue;
    }
    if (out.rank_dynamic) {
      IRCONV_CHECK(!s.dims.empty(), n.describe() << ": input " << i << " is a scalar (Concat needs rank >= 1)");
      axis = normalize(n, axis_attr, (int64_t)s.size(), "axis");
      out = s;
      out.dims[(size_t)axis] = 0;
    } else {
      IRCONV_CHECK(s.size() == out.size(), n.describe() << ": input " << i << " has shape " << s.to_string()
                                                        << ", rank differs from the other inputs' rank "
                                                        << out.size());
      for (size_t k = 0; k < s.size(); ++k) {
        if ((int64_t)k == axis) continue;
        int64_t& d = out.dims[k];
        int64_t v = s.dims[k];
        IRCONV_CHECK(d == kDyn || v == kDyn || d == v, n.describe() << ": input " << i << " has shape " << s.to_string()
                                                                    << ", dimension " << k
                                                                    << " does not match the other inputs (" << d
                                                                    << ")");
        if (d == kDyn) d = v;
      }
    }
    int64_t v = s.dims[(size_t)axis];
    if (v == kDyn) axis_dyn = true;
    else axis_sum = dim_add(axis_sum, v);
  }
  if (!out.rank_dynamic) out.dims[(size_t)axis] = axis_dyn ? kDyn : axis_sum;
  n.set_output(0, et, out);
}

bool eval_concat(const Node& n, const Tensors& in, std::vector<Tensor>& out) {
  const Tensor& t0 = *in[0];
  const size_t esz = elem_bytes(t0.et);
  if (!esz || t0.shape.empty()) return false;
  const int64_t r = (int64_t)t0.shape.size();
  const int64_t axis = normalize(n, n.attr_i("axis"), r, "axis");
  Dims shape = t0.shape;
  int64_t total = 0;
  for (const Tensor* t : in) {
    if (t->et != t0.et || (int64_t)t->shape.size() != r) return false;
    for (int64_t k = 0; k < r; ++k)
      if (k != axis && t->shape[(size_t)k] != shape[(size_t)k]) return false;
    total += t->shape[(size_t)axis];
  }
  shape[(size_t)axis] = total;
  Tensor o = Tensor::zeros(t0.et, shape);
  uint8_t* dst = o.mutable_data();
  const uint64_t outer = prod(shape, 0, (size_t)axis);
  const uint64_t inner = prod(shape, (size_t)axis + 1, (size_t)r) * esz;
  for (uint64_t b = 0; b < outer; ++b) {
    for (const Tensor* t : in) {
      uint64_t chunk = (uint64_t)t->shape[(size_t)axis] * inner;
      std::memcpy(dst, t->data + b * chunk, chunk);
      dst += chunk;
    }
  }
  out[0] = std::move(o);
  return true;
}

// ------------------------------------------------------------------------------ Split / VariadicSplit

std::optional<int64_t> known_axis(const Node& n, size_t i) {
  auto v = known_ints(n, i);
  if (!v) return std::nullopt;
  IRCONV_CHECK(v->size() == 1, n.describe() << ": the axis input must hold one value, got " << v->size());
  return (*v)[0];
}

void infer_split(Node& n) {
  const int64_t num = n.attr_i("num_splits");
  IRCONV_CHECK(num > 0, n.describe() << ": num_splits must be positive, got " << num);
  check_integral_input(n, 1, "axis");
  check_rank_eq(n, 1, 0, "axis");
  const PartialShape& in = n.in_shape(0);
  PartialShape each = kDynamicShape;
  auto axis = known_axis(n, 1);
  if (!in.rank_dynamic) {
    if (axis) {
      int64_t a = normalize(n, *axis, (int64_t)in.size(), "axis");
      each = in;
      int64_t d = in.dims[(size_t)a];
      if (d != kDyn) {
        IRCONV_CHECK(d % num == 0, n.describe() << ": dimension " << a << " of input " << in.to_string()
                                                << " is not divisible by num_splits=" << num);
        each.dims[(size_t)a] = d / num;
      }
    } else {
      each = PartialShape::dynamic_of_rank(in.size());
    }
  }
  for (int64_t i = 0; i < num; ++i) n.set_output((size_t)i, n.in_type(0), each);
}

// Copies consecutive pieces of `t` along `axis` into `out` (lengths along the axis).
bool split_pieces(const Tensor& t, int64_t axis, const Dims& lengths, std::vector<Tensor>& out) {
  const size_t esz = elem_bytes(t.et);
  if (!esz) return false;
  const uint64_t outer = prod(t.shape, 0, (size_t)axis);
  const uint64_t inner = prod(t.shape, (size_t)axis + 1, t.shape.size()) * esz;
  const uint64_t row = (uint64_t)t.shape[(size_t)axis] * inner;
  if (out.size() < lengths.size()) out.resize(lengths.size());
  uint64_t start = 0;
  for (size_t i = 0; i < lengths.size(); ++i) {
    Dims s = t.shape;
    s[(size_t)axis] = lengths[i];
    Tensor o = Tensor::zeros(t.et, s);
    uint8_t* dst = o.mutable_data();
    uint64_t chunk = (uint64_t)lengths[i] * inner;
    for (uint64_t b = 0; b < outer; ++b) std::memcpy(dst + b * chunk, t.data + b * row + start, chunk);
    start += chunk;
    out[i] = std::move(o);
  }
  return true;
}

bool eval_split(const Node& n, const Tensors& in, std::vector<Tensor>& out) {
  const Tensor& t = *in[0];
  const int64_t num = n.attr_i("num_splits");
  auto av = in[1]->to_i64();
  if (av.size() != 1 || t.shape.empty()) return false;
  int64_t a = normalize(n, av[0], (int64_t)t.shape.size(), "axis");
  if (t.shape[(size_t)a] % num != 0) return false;
  return split_pieces(t, a, Dims((size_t)num, t.shape[(size_t)a] / num), out);
}

// Resolves split_lengths against dimension `d` (kDyn allowed): at most one -1.
Dims resolve_lengths(const Node& n, const Dims& lengths, int64_t d) {
  int64_t minus = -1, sum = 0;
  for (size_t i = 0; i < lengths.size(); ++i) {
    int64_t v = lengths[i];
    if (v == -1) {
      IRCONV_CHECK(minus < 0, n.describe() << ": split_lengths has more than one -1");
      minus = (int64_t)i;
    } else {
      IRCONV_CHECK(v >= 0, n.describe() << ": split_lengths element " << i << " is " << v << " (expected >= -1)");
      sum = dim_add(sum, v);
    }
  }
  Dims r = lengths;
  if (d != kDyn) {
    if (minus >= 0) {
      IRCONV_CHECK(sum <= d, n.describe() << ": split_lengths sum to " << sum << ", more than the dimension " << d);
      r[(size_t)minus] = d - sum;
    } else {
      IRCONV_CHECK(sum == d, n.describe() << ": split_lengths sum to " << sum << " but the split dimension is " << d);
    }
  } else if (minus >= 0) {
    r[(size_t)minus] = kDyn;
  }
  return r;
}

void infer_variadic_split(Node& n) {
  check_integral_input(n, 1, "axis");
  check_integral_input(n, 2, "split_lengths");
  check_rank_eq(n, 1, 0, "axis");
  check_rank_eq(n, 2, 1, "split_lengths");
  const PartialShape& ls = n.in_shape(2);
  IRCONV_CHECK(ls.is_static(), n.describe() << ": the split_lengths input must have a static shape (it gives the "
                                            << "number of outputs), got " << ls.to_string());
  const size_t num = (size_t)ls.dims[0];
  const PartialShape& in = n.in_shape(0);
  auto axis = known_axis(n, 1);
  auto lengths = known_ints(n, 2);
  for (size_t i = 0; i < num; ++i) n.set_output(i, n.in_type(0), kDynamicShape);
  if (in.rank_dynamic) return;
  if (!axis) {
    for (size_t i = 0; i < num; ++i) n.set_output(i, n.in_type(0), PartialShape::dynamic_of_rank(in.size()));
    return;
  }
  int64_t a = normalize(n, *axis, (int64_t)in.size(), "axis");
  Dims lens = lengths ? resolve_lengths(n, *lengths, in.dims[(size_t)a]) : Dims(num, kDyn);
  for (size_t i = 0; i < num; ++i) {
    PartialShape s = in;
    s.dims[(size_t)a] = lens[i];
    n.set_output(i, n.in_type(0), s);
  }
}

bool eval_variadic_split(const Node& n, const Tensors& in, std::vector<Tensor>& out) {
  const Tensor& t = *in[0];
  auto av = in[1]->to_i64();
  if (av.size() != 1 || t.shape.empty()) return false;
  int64_t a = normalize(n, av[0], (int64_t)t.shape.size(), "axis");
  Dims lens = resolve_lengths(n, in[2]->to_i64(), t.shape[(size_t)a]);
  return split_pieces(t, a, lens, out);
}

// ------------------------------------------------------------------------------------ Range

struct RangeParams {
  double start, stop, step;
  int64_t count;
};

RangeParams range_params(const Node& n, ET out_type, double start, double stop, double step) {
  IRCONV_CHECK(std::isfinite(start) && std::isfinite(stop) && std::isfinite(step),
               n.describe() << ": start, stop and step must be finite");
  if (et_is_integral(out_type)) {
    start = std::trunc(start);
    stop = std::trunc(stop);
    step = std::trunc(step);
  }
  IRCONV_CHECK(step != 0, n.describe() << ": step must not be zero");
  double span = ((step > 0 && start >= stop) || (step < 0 && start <= stop)) ? 0 : stop - start;
  double cnt = std::ceil(std::fabs(span) / std::fabs(step));
  IRCONV_CHECK(cnt < 9.0e18, n.describe() << ": the range has too many elements");
  return {start, stop, step, (int64_t)cnt};
}

ET range_type(const Node& n) {
  ET t = et_from_string(n.attr_s("output_type"));
  IRCONV_CHECK(et_is_plain(t) && t != ET::boolean, n.describe() << ": output_type " << et_name(t) << " is not numeric");
  return t;
}

void infer_range(Node& n) {
  ET t = range_type(n);
  static const char* names[] = {"start", "stop", "step"};
  for (size_t i = 0; i < 3; ++i) check_rank_eq(n, i, 0, names[i]);
  const Tensor* v[3] = {n.in_value(0), n.in_value(1), n.in_value(2)};
  double vals[3];
  bool known = true;
  for (size_t i = 0; i < 3; ++i) {
    if (v[i] && et_is_plain(v[i]->et) && v[i]->numel() == 1) {
      vals[i] = v[i]->get_f64(0);
    } else if (auto p = known_ints(n, i); p && p->size() == 1) {
      vals[i] = (double)(*p)[0];
    } else {
      known = false;
    }
  }
  if (!known) {
    n.set_output(0, t, PartialShape({kDyn}));
    return;
  }
  RangeParams rp = range_params(n, t, vals[0], vals[1], vals[2]);
  n.set_output(0, t, PartialShape({rp.count}));
}

bool eval_range(const Node& n, const Tensors& in, std::vector<Tensor>& out) {
  ET t = range_type(n);
  if (!et_is_plain(t) || t == ET::boolean) return false;
  RangeParams rp = range_params(n, t, in[0]->get_f64(0), in[1]->get_f64(0), in[2]->get_f64(0));
  Tensor o = Tensor::zeros(t, {rp.count});
  uint8_t* d = o.mutable_data();
  if (et_is_integral(t)) {
    int64_t s = (int64_t)rp.start, st = (int64_t)rp.step;
    for (int64_t i = 0; i < rp.count; ++i) store_i64(t, d, (uint64_t)i, s + i * st);
  } else if (t == ET::f32) {
    // OpenVINO computes start + i * step in the output type
    float s = (float)rp.start, st = (float)rp.step;
    for (int64_t i = 0; i < rp.count; ++i) store_f64(t, d, (uint64_t)i, (double)(s + (float)i * st));
  } else {
    for (int64_t i = 0; i < rp.count; ++i) store_f64(t, d, (uint64_t)i, rp.start + (double)i * rp.step);
  }
  out[0] = std::move(o);
  return true;
}

// ------------------------------------------------------------------------------------ Broadcast

enum class BMode { numpy, explicit_, bidirectional };

BMode broadcast_mode(const Node& n) {
  std::string m = n.attr_s("mode", "numpy");
  for (auto& c : m) c = (char)std::tolower((unsigned char)c);
  if (m == "numpy") return BMode::numpy;
  if (m == "explicit") return BMode::explicit_;
  if (m == "bidirectional") return BMode::bidirectional;
  IRCONV_CHECK(false, n.describe() << ": mode '" << m << "' is not supported (expected numpy, explicit or bidirectional)");
  return BMode::numpy;
}

// OpenVINO Dimension::broadcast_merge for bidirectional broadcasting.
bool bidi_merge(int64_t a, int64_t b, int64_t& r) {
  if (a == 1) { r = b; return true; }
  if (b == 1) { r = a; return true; }
  if (a == kDyn) { r = b; return true; }
  if (b == kDyn) { r = a; return true; }
  r = a;
  return a == b;
}

// Output shape of Broadcast-3 given the target values (kUnknownVal / negative = dynamic) or none.
PartialShape broadcast_shape(const Node& n, BMode mode, const PartialShape& data, const Dims* target,
                             int64_t target_len, const Dims* axes) {
  if (!target) {
    if (target_len < 0) return kDynamicShape;
    if (mode == BMode::bidirectional) {
      if (data.rank_dynamic) return kDynamicShape;
      size_t r = std::max(data.size(), (size_t)target_len);
      Dims out(r, kDyn);
      for (size_t i = 0; i < data.size(); ++i) {
        int64_t d = data.dims[data.size() - 1 - i];
        out[r - 1 - i] = (d == 1) ? kDyn : d;
      }
      return PartialShape(out);
    }
    return PartialShape::dynamic_of_rank((size_t)target_len);
  }
  Dims t = *target;
  for (auto& v : t)
    if (v < 0) v = kDyn;
  if (mode == BMode::bidirectional) {
    if (data.rank_dynamic) return kDynamicShape;
    size_t r = std::max(data.size(), t.size());
    Dims out(r);
    for (size_t i = 0; i < r; ++i) {
      int64_t a = i < r - data.size() ? 1 : data.dims[i - (r - data.size())];
      int64_t b = i < r - t.size() ? 1 : t[i - (r - t.size())];
      IRCONV_CHECK(bidi_merge(a, b, out[i]), n.describe() << ": input shape " << data.to_string()
                                                          << " cannot be broadcast bidirectionally with target shape "
                                                          << PartialShape(t).to_string());
    }
    return PartialShape(out);
  }
  if (mode == BMode::numpy) {
    if (!data.rank_dynamic) {
      IRCONV_CHECK(data.size() <= t.size(), n.describe() << ": input shape " << data.to_string()
                                                         << " has a higher rank than the target shape "
                                                         << PartialShape(t).to_string());
      size_t off = t.size() - data.size();
      for (size_t i = 0; i < data.size(); ++i) {
        int64_t d = data.dims[i], g = t[off + i];
        IRCONV_CHECK(d == kDyn || g == kDyn || d == 1 || d == g,
                     n.describe() << ": input shape " << data.to_string() << " cannot be broadcast to target shape "
                                  << PartialShape(t).to_string());
      }
    }
    return PartialShape(t);
  }
  // explicit
  if (axes && !data.rank_dynamic) {
    IRCONV_CHECK(axes->size() == data.size(), n.describe() << ": axes_mapping has " << axes->size()
                                                           << " elements but the input rank is " << data.size());
    IRCONV_CHECK(std::is_sorted(axes->begin(), axes->end()),
                 n.describe() << ": axes_mapping must be sorted in increasing order");
    for (size_t i = 0; i < axes->size(); ++i) {
      int64_t a = (*axes)[i];
      IRCONV_CHECK(a >= 0 && a < (int64_t)t.size(), n.describe() << ": axes_mapping value " << a
                                                                 << " is out of range for the target rank "
                                                                 << t.size());
      int64_t d = data.dims[i], g = t[(size_t)a];
      IRCONV_CHECK(d == kDyn || g == kDyn || d == 1 || d == g,
                   n.describe() << ": input dimension " << i << " (" << d << ") does not match target dimension "
                                << a << " (" << g << ")");
    }
  }
  return PartialShape(t);
}

void infer_broadcast(Node& n) {
  default_attr(n, "mode", std::string("numpy"));
  BMode mode = broadcast_mode(n);
  check_integral_input(n, 1, "target_shape");
  check_rank_eq(n, 1, 1, "target_shape");
  std::optional<Dims> axes;
  if (mode == BMode::explicit_) {
    IRCONV_CHECK(n.num_inputs() == 3, n.describe() << ": explicit mode needs the axes_mapping input");
    check_integral_input(n, 2, "axes_mapping");
    axes = known_ints(n, 2);
  }
  auto target = partial_ints(n, 1);
  int64_t len = static_len(n, 1);
  n.set_output(0, n.in_type(0),
               broadcast_shape(n, mode, n.in_shape(0), target ? &*target : nullptr, len, axes ? &*axes : nullptr));
}

bool eval_broadcast(const Node& n, const Tensors& in, std::vector<Tensor>& out) {
  const Tensor& t = *in[0];
  const size_t esz = elem_bytes(t.et);
  if (!esz) return false;
  BMode mode = broadcast_mode(n);
  Dims target = in[1]->to_i64();
  Dims axes;
  if (mode == BMode::explicit_) axes = in[2]->to_i64();
  PartialShape os = broadcast_shape(n, mode, PartialShape(t.shape), &target, (int64_t)target.size(),
                                    mode == BMode::explicit_ ? &axes : nullptr);
  if (!os.is_static()) return false;
  const Dims& oshape = os.dims;
  const size_t r = oshape.size();
  // input dim feeding each output dim (-1: none)
  Dims src_dim(r, -1);
  if (mode == BMode::explicit_) {
    for (size_t i = 0; i < axes.size(); ++i) src_dim[(size_t)axes[i]] = (int64_t)i;
  } else {
    if (t.shape.size() > r) return false;
    size_t off = r - t.shape.size();
    for (size_t i = 0; i < t.shape.size(); ++i) src_dim[off + i] = (int64_t)i;
  }
  Dims in_strides = row_strides(t.shape);
  Dims strides(r, 0);
  std::vector<Dims> maps(r);
  for (size_t k = 0; k < r; ++k) {
    int64_t j = src_dim[k];
    if (j < 0 || t.shape[(size_t)j] == 1) {
      maps[k] = Dims((size_t)oshape[k], 0);
    } else {
      if (t.shape[(size_t)j] != oshape[k]) return false;
      maps[k] = iota_dims(oshape[k]);
      strides[k] = in_strides[(size_t)j];
    }
  }
  for (size_t j = 0; j < t.shape.size(); ++j) {
    bool mapped = std::find(src_dim.begin(), src_dim.end(), (int64_t)j) != src_dim.end();
    if (!mapped && t.shape[j] != 1) return false;
  }
  Tensor o = Tensor::zeros(t.et, oshape);
  index_copy(t.data, o.mutable_data(), esz, oshape, maps, strides, nullptr);
  out[0] = std::move(o);
  return true;
}

// ------------------------------------------------------------------------------------ Tile

PartialShape tile_shape(const Node& n, const PartialShape& in, const Dims* reps, int64_t reps_len) {
  if (in.rank_dynamic) return kDynamicShape;
  if (!reps) {
    if (reps_len < 0) return kDynamicShape;
    return PartialShape::dynamic_of_rank(std::max(in.size(), (size_t)reps_len));
  }
  const size_t r = std::max(in.size(), reps->size());
  Dims out(r);
  for (size_t i = 0; i < r; ++i) {
    int64_t d = i < r - in.size() ? 1 : in.dims[i - (r - in.size())];
    int64_t k = i < r - reps->size() ? 1 : (*reps)[i - (r - reps->size())];
    IRCONV_CHECK(k >= 0 || k == kUnknownVal, n.describe() << ": repeats must be non-negative, got " << k);
    out[i] = (d == kDyn || k == kUnknownVal) ? kDyn : dim_mul(d, k);
  }
  return PartialShape(out);
}

void infer_tile(Node& n) {
  check_integral_input(n, 1, "repeats");
  check_rank_eq(n, 1, 1, "repeats");
  auto reps = partial_ints(n, 1);
  n.set_output(0, n.in_type(0), tile_shape(n, n.in_shape(0), reps ? &*reps : nullptr, static_len(n, 1)));
}

bool eval_tile(const Node& n, const Tensors& in, std::vector<Tensor>& out) {
  const Tensor& t = *in[0];
  const size_t esz = elem_bytes(t.et);
  if (!esz) return false;
  Dims reps = in[1]->to_i64();
  PartialShape os = tile_shape(n, PartialShape(t.shape), &reps, (int64_t)reps.size());
  if (!os.is_static()) return false;
  const Dims& oshape = os.dims;
  const size_t r = oshape.size();
  Dims ishape(r, 1);
  std::copy(t.shape.begin(), t.shape.end(), ishape.begin() + (long)(r - t.shape.size()));
  Dims strides = row_strides(ishape);
  std::vector<Dims> maps(r);
  for (size_t k = 0; k < r; ++k) {
    maps[k].resize((size_t)oshape[k]);
    for (int64_t i = 0; i < oshape[k]; ++i) maps[k][(size_t)i] = i % ishape[k];
  }
  Tensor o = Tensor::zeros(t.et, oshape);
  index_copy(t.data, o.mutable_data(), esz, oshape, maps, strides, nullptr);
  out[0] = std::move(o);
  return true;
}

// ------------------------------------------------------------------------------------ Transpose

// Validated permutation for rank r (empty order = reverse).
Dims transpose_order(const Node& n, const Dims& order, int64_t r) {
  if (order.empty()) {
    Dims p((size_t)r);
    for (int64_t i = 0; i < r; ++i) p[(size_t)i] = r - 1 - i;
    return p;
  }
  IRCONV_CHECK((int64_t)order.size() == r, n.describe() << ": the order has " << order.size()
                                                        << " elements but the input rank is " << r);
  std::vector<bool> seen((size_t)r, false);
  for (int64_t a : order) {
    IRCONV_CHECK(a >= 0 && a < r && !seen[(size_t)a], n.describe() << ": the order " << PartialShape(order).to_string()
                                                                  << " is not a permutation of 0.." << r - 1);
    seen[(size_t)a] = true;
  }
  return order;
}

void infer_transpose(Node& n) {
  check_integral_input(n, 1, "order");
  check_rank_eq(n, 1, 1, "order");
  const PartialShape& in = n.in_shape(0);
  auto order = known_ints(n, 1);
  if (!order) {
    n.set_output(0, n.in_type(0), in.rank_dynamic ? kDynamicShape : PartialShape::dynamic_of_rank(in.size()));
    return;
  }
  if (in.rank_dynamic) {
    n.set_output(0, n.in_type(0), order->empty() ? kDynamicShape : PartialShape::dynamic_of_rank(order->size()));
    return;
  }
  Dims p = transpose_order(n, *order, (int64_t)in.size());
  Dims out(p.size());
  for (size_t k = 0; k < p.size(); ++k) out[k] = in.dims[(size_t)p[k]];
  n.set_output(0, n.in_type(0), PartialShape(out));
}

bool eval_transpose(const Node& n, const Tensors& in, std::vector<Tensor>& out) {
  const Tensor& t = *in[0];
  const size_t esz = elem_bytes(t.et);
  if (!esz) return false;
  Dims p = transpose_order(n, in[1]->to_i64(), (int64_t)t.shape.size());
  Dims oshape(p.size());
  for (size_t k = 0; k < p.size(); ++k) oshape[k] = t.shape[(size_t)p[k]];
  Tensor o = Tensor::zeros(t.et, oshape);
  transpose_bytes(t.data, o.mutable_data(), esz, t.shape, p);
  out[0] = std::move(o);
  return true;
}

// ------------------------------------------------------------------------------------ Pad

enum class PadMode { constant, edge, reflect, symmetric };

PadMode pad_mode(const Node& n) {
  std::string m = n.attr_s("pad_mode", "constant");
  if (m == "constant") return PadMode::constant;
  if (m == "edge") return PadMode::edge;
  if (m == "reflect") return PadMode::reflect;
  if (m == "symmetric") return PadMode::symmetric;
  IRCONV_CHECK(false, n.describe() << ": pad_mode '" << m << "' is not supported (expected constant, edge, reflect or symmetric)");
  return PadMode::constant;
}

PartialShape pad_shape(const Node& n, PadMode mode, const PartialShape& in, const Dims* b, const Dims* e) {
  if (in.rank_dynamic) return kDynamicShape;
  if (!b || !e) return PartialShape::dynamic_of_rank(in.size());
  IRCONV_CHECK(b->size() == in.size() && e->size() == in.size(),
               n.describe() << ": pads_begin and pads_end must have one element per input dimension (rank "
                            << in.size() << "), got " << b->size() << " and " << e->size());
  Dims out(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    int64_t d = in.dims[i], pb = (*b)[i], pe = (*e)[i];
    if (d == kDyn) {
      out[i] = kDyn;
      continue;
    }
    IRCONV_CHECK(mode != PadMode::reflect || (pb < d && pe < d),
                 n.describe() << ": reflect padding of dimension " << i << " (size " << d
                              << ") needs pads smaller than the dimension, got " << pb << " and " << pe);
    IRCONV_CHECK(mode != PadMode::symmetric || (pb <= d && pe <= d),
                 n.describe() << ": symmetric padding of dimension " << i << " (size " << d
                              << ") needs pads not larger than the dimension, got " << pb << " and " << pe);
    int64_t v = dim_add(dim_add(d, pb), pe);
    out[i] = v < 0 ? kDyn : v;  // OpenVINO makes a negative size dynamic
  }
  return PartialShape(out);
}

void infer_pad(Node& n) {
  default_attr(n, "pad_mode", std::string("constant"));
  PadMode mode = pad_mode(n);
  check_integral_input(n, 1, "pads_begin");
  check_integral_input(n, 2, "pads_end");
  check_rank_eq(n, 1, 1, "pads_begin");
  check_rank_eq(n, 2, 1, "pads_end");
  if (n.num_inputs() > 3) {
    check_rank_eq(n, 3, 0, "pad_value");
    ET a = n.in_type(0), v = n.in_type(3);
    IRCONV_CHECK(a == ET::dynamic || v == ET::dynamic || a == v,
                 n.describe() << ": pad_value type " << et_name(v) << " differs from the data type " << et_name(a));
  }
  const PartialShape& in = n.in_shape(0);
  if (!in.rank_dynamic) {
    for (size_t i = 1; i <= 2; ++i) {
      int64_t l = static_len(n, i);
      IRCONV_CHECK(l < 0 || l <= (int64_t)in.size(), n.describe() << ": input " << i << " has " << l
                                                                  << " elements, more than the input rank " << in.size());
    }
  }
  auto b = known_ints(n, 1);
  auto e = known_ints(n, 2);
  n.set_output(0, n.in_type(0), pad_shape(n, mode, in, b ? &*b : nullptr, e ? &*e : nullptr));
}

bool eval_pad(const Node& n, const Tensors& in, std::vector<Tensor>& out) {
  const Tensor& t = *in[0];
  const size_t esz = elem_bytes(t.et);
  if (!esz) return false;
  PadMode mode = pad_mode(n);
  Dims b = in[1]->to_i64(), e = in[2]->to_i64();
  PartialShape os = pad_shape(n, mode, PartialShape(t.shape), &b, &e);
  if (!os.is_static()) return false;
  const Dims& oshape = os.dims;
  std::vector<uint8_t> fill(esz, 0);
  if (mode == PadMode::constant && in.size() > 3) {
    if (in[3]->et != t.et || in[3]->numel() != 1) return false;
    std::memcpy(fill.data(), in[3]->data, esz);
  }
  const size_t r = oshape.size();
  std::vector<Dims> maps(r);
  for (size_t k = 0; k < r; ++k) {
    const int64_t d = t.shape[k];
    maps[k].resize((size_t)oshape[k]);
    for (int64_t i = 0; i < oshape[k]; ++i) {
      int64_t s = i - b[k];
      if (s < 0 || s >= d) {
        if (d == 0 && mode != PadMode::constant) return false;
        switch (mode) {
          case PadMode::constant: s = -1; break;
          case PadMode::edge: s = s < 0 ? 0 : d - 1; break;
          case PadMode::reflect: s = s < 0 ? -s : 2 * (d - 1) - s; break;
          case PadMode::symmetric: s = s < 0 ? -s - 1 : 2 * d - 1 - s; break;
        }
        if (mode != PadMode::constant && (s < 0 || s >= d)) return false;
      }
      maps[k][(size_t)i] = s;
    }
  }
  Tensor o = Tensor::zeros(t.et, oshape);
  index_copy(t.data, o.mutable_data(), esz, oshape, maps, row_strides(t.shape), fill.data());
  out[0] = std::move(o);
  return true;
}

// ------------------------------------------------------------------------ DepthToSpace / SpaceToDepth

bool blocks_first(const Node& n) {
  std::string m = n.attr_s("mode");
  IRCONV_CHECK(m == "blocks_first" || m == "depth_first",
               n.describe() << ": mode '" << m << "' is not supported (expected blocks_first or depth_first)");
  return m == "blocks_first";
}

int64_t block_size(const Node& n) {
  int64_t bs = n.attr_i("block_size", 1);
  IRCONV_CHECK(bs > 0, n.describe() << ": block_size must be positive, got " << bs);
  return bs;
}

PartialShape d2s_shape(const Node& n, const PartialShape& in, bool to_space) {
  blocks_first(n);
  const int64_t bs = block_size(n);
  if (in.rank_dynamic) return kDynamicShape;
  IRCONV_CHECK(in.size() >= 3, n.describe() << ": the input must have rank >= 3, got " << in.to_string());
  const size_t k = in.size() - 2;
  int64_t bk = 1;
  for (size_t i = 0; i < k; ++i) bk = dim_mul(bk, bs);
  PartialShape out = in;
  if (to_space) {
    int64_t c = in.dims[1];
    if (c != kDyn) {
      IRCONV_CHECK(c % bk == 0, n.describe() << ": the channel dimension " << c << " must be a multiple of block_size^"
                                             << k << " = " << bk);
      out.dims[1] = c / bk;
    }
    for (size_t i = 2; i < in.size(); ++i)
      if (in.dims[i] != kDyn) out.dims[i] = dim_mul(in.dims[i], bs);
  } else {
    if (in.dims[1] != kDyn) out.dims[1] = dim_mul(in.dims[1], bk);
    for (size_t i = 2; i < in.size(); ++i) {
      int64_t d = in.dims[i];
      if (d == kDyn) continue;
      IRCONV_CHECK(d % bs == 0, n.describe() << ": spatial dimension " << i << " (" << d
                                             << ") must be a multiple of block_size " << bs);
      out.dims[i] = d / bs;
    }
  }
  return out;
}

void infer_d2s(Node& n) {
  default_attr(n, "block_size", int64_t(1));
  n.set_output(0, n.in_type(0), d2s_shape(n, n.in_shape(0), true));
}
void infer_s2d(Node& n) {
  default_attr(n, "block_size", int64_t(1));
  n.set_output(0, n.in_type(0), d2s_shape(n, n.in_shape(0), false));
}

bool eval_d2s_impl(const Node& n, const Tensors& in, std::vector<Tensor>& out, bool to_space) {
  const Tensor& t = *in[0];
  const size_t esz = elem_bytes(t.et);
  if (!esz) return false;
  PartialShape os = d2s_shape(n, PartialShape(t.shape), to_space);
  const bool bf = blocks_first(n);
  const int64_t bs = block_size(n);
  const int64_t K = (int64_t)t.shape.size() - 2;
  int64_t bk = 1;
  for (int64_t i = 0; i < K; ++i) bk *= bs;
  Dims shape, perm;
  const Dims& s = t.shape;
  if (to_space) {
    const int64_t c = s[1] / bk;
    shape.push_back(s[0]);
    if (bf) {
      for (int64_t i = 0; i < K; ++i) shape.push_back(bs);
      shape.push_back(c);
    } else {
      shape.push_back(c);
      for (int64_t i = 0; i < K; ++i) shape.push_back(bs);
    }
    for (int64_t i = 0; i < K; ++i) shape.push_back(s[(size_t)(2 + i)]);
    perm.push_back(0);
    perm.push_back(bf ? K + 1 : 1);
    for (int64_t j = 1; j <= K; ++j) {
      perm.push_back(K + 1 + j);
      perm.push_back(bf ? j : 1 + j);
    }
  } else {
    shape = {s[0], s[1]};
    for (int64_t i = 0; i < K; ++i) {
      shape.push_back(s[(size_t)(2 + i)] / bs);
      shape.push_back(bs);
    }
    perm.push_back(0);
    if (!bf) perm.push_back(1);
    for (int64_t j = 1; j <= K; ++j) perm.push_back(2 * j + 1);
    if (bf) perm.push_back(1);
    for (int64_t j = 1; j <= K; ++j) perm.push_back(2 * j);
  }
  Tensor o = Tensor::zeros(t.et, os.dims);
  transpose_bytes(t.data, o.mutable_data(), esz, shape, perm);
  out[0] = std::move(o);
  return true;
}
bool eval_d2s(const Node& n, const Tensors& in, std::vector<Tensor>& out) { return eval_d2s_impl(n, in, out, true); }
bool eval_s2d(const Node& n, const Tensors& in, std::vector<Tensor>& out) { return eval_d2s_impl(n, in, out, false); }

}  // namespace

IRCONV_OPS(shape) {
  reg({"ShapeOf", "opset3", 1, 1, infer_shapeof, eval_shapeof, {}, true});
  reg({"Reshape", "opset1", 2, 2, infer_reshape, eval_reshape, {1}});
  reg({"Squeeze", "opset1", 1, 2, infer_squeeze1, eval_squeeze1, {1}});
  reg({"Squeeze", "opset15", 1, 2, infer_squeeze15, eval_squeeze15, {1}});
  reg({"Unsqueeze", "opset1", 2, 2, infer_unsqueeze, eval_unsqueeze, {1}});
  reg({"Concat", "opset1", 1, -1, infer_concat, eval_concat, {}});
  reg({"Split", "opset1", 2, 2, infer_split, eval_split, {1}});
  reg({"VariadicSplit", "opset1", 3, 3, infer_variadic_split, eval_variadic_split, {1, 2}});
  reg({"Range", "opset4", 3, 3, infer_range, eval_range, {0, 1, 2}});
  reg({"Broadcast", "opset3", 2, 3, infer_broadcast, eval_broadcast, {1, 2}});
  reg({"Tile", "opset1", 2, 2, infer_tile, eval_tile, {1}});
  reg({"Transpose", "opset1", 2, 2, infer_transpose, eval_transpose, {1}});
  reg({"Pad", "opset12", 3, 4, infer_pad, eval_pad, {1, 2}});
  reg({"DepthToSpace", "opset1", 1, 1, infer_d2s, eval_d2s, {}});
  reg({"SpaceToDepth", "opset1", 1, 1, infer_s2d, eval_s2d, {}});
}

}  // namespace irconv
