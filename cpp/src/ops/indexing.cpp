// Indexing ops: Gather, GatherElements, GatherND, ScatterUpdate, ScatterElementsUpdate,
// ScatterNDUpdate, OneHot, NonZero, TopK. Gathers and plain scatters copy bytes by element size;
// scatter reductions and TopK compare/compute in double (float types) or int64 (integer types).
#include <algorithm>
#include <cstring>
#include <limits>
#include <numeric>
#include <optional>
#include <vector>

#include "irconv/op_registry.hpp"
#include "ops_util.hpp"

namespace irconv {

namespace {

using namespace ops_detail;
using Tensors = std::vector<const Tensor*>;
const PartialShape kDynamicShape = PartialShape::dynamic();

void check_same_type(const Node& n, size_t i, size_t j) {
  ET a = n.in_type(i), b = n.in_type(j);
  IRCONV_CHECK(a == ET::dynamic || b == ET::dynamic || a == b,
               n.describe() << ": inputs " << i << " and " << j << " must have the same element type, got "
                            << et_name(a) << " and " << et_name(b));
}

int64_t merge(const Node& n, int64_t a, int64_t b, const char* what) {
  IRCONV_CHECK(a == kDyn || b == kDyn || a == b, n.describe() << ": " << what << " do not match (" << a << " vs " << b << ")");
  return a == kDyn ? b : a;
}

std::optional<int64_t> known_scalar(const Node& n, size_t i, const char* what) {
  auto v = known_ints(n, i);
  if (!v) return std::nullopt;
  IRCONV_CHECK(v->size() == 1, n.describe() << ": the " << what << " input must hold one value, got " << v->size());
  return (*v)[0];
}

// Advances a row-major multi-index; returns false after the last element.
bool next_index(Dims& idx, const Dims& shape) {
  for (size_t k = shape.size(); k-- > 0;) {
    if (++idx[k] < shape[k]) return true;
    idx[k] = 0;
  }
  return false;
}

// ------------------------------------------------------------------------------------ Gather

int64_t gather_batch_dims(const Node& n, const PartialShape& idx) {
  int64_t bd = n.attr_i("batch_dims", 0);
  if (bd < 0) {
    if (idx.rank_dynamic) return bd;
    bd += (int64_t)idx.size();
    IRCONV_CHECK(bd >= 0, n.describe() << ": batch_dims " << n.attr_i("batch_dims", 0) << " is out of range for indices rank "
                                       << idx.size());
  }
  if (!idx.rank_dynamic)
    IRCONV_CHECK(bd <= (int64_t)idx.size(), n.describe() << ": batch_dims " << bd << " exceeds the indices rank "
                                                         << idx.size());
  return bd;
}

PartialShape gather_shape(const Node& n, const PartialShape& data, const PartialShape& idx, std::optional<int64_t> axis) {
  const int64_t bd = gather_batch_dims(n, idx);
  int64_t a = 0;
  if (axis && !data.rank_dynamic) {
    a = normalize(n, *axis, (int64_t)data.size(), "axis");
    IRCONV_CHECK(bd <= a, n.describe() << ": batch_dims " << bd << " must be <= axis " << a);
  }
  if (data.rank_dynamic || idx.rank_dynamic) return kDynamicShape;
  IRCONV_CHECK(bd <= (int64_t)data.size(), n.describe() << ": batch_dims " << bd << " exceeds the data rank " << data.size());
  if (!axis) return PartialShape::dynamic_of_rank(data.size() + idx.size() - 1 - (size_t)bd);
  Dims out;
  for (int64_t i = 0; i < a; ++i) {
    int64_t d = data.dims[(size_t)i];
    if (i < bd) d = merge(n, d, idx.dims[(size_t)i], "batch dimensions of data and indices");
    out.push_back(d);
  }
  for (size_t i = (size_t)bd; i < idx.size(); ++i) out.push_back(idx.dims[i]);
  for (size_t i = (size_t)a + 1; i < data.size(); ++i) out.push_back(data.dims[i]);
  return PartialShape(out);
}

void infer_gather(Node& n) {
  default_attr(n, "batch_dims", int64_t(0));
  check_integral_input(n, 1, "indices");
  check_integral_input(n, 2, "axis");
  check_rank_le1(n, 2, "axis");
  n.set_output(0, n.in_type(0), gather_shape(n, n.in_shape(0), n.in_shape(1), known_scalar(n, 2, "axis")));
}

bool eval_gather(const Node& n, const Tensors& in, std::vector<Tensor>& out) {
  const Tensor& data = *in[0];
  const size_t esz = elem_bytes(data.et);
  if (!esz) return false;
  auto av = in[2]->to_i64();
  if (av.size() != 1) return false;
  PartialShape os = gather_shape(n, PartialShape(data.shape), PartialShape(in[1]->shape), av[0]);
  if (!os.is_static()) return false;
  const int64_t a = normalize(n, av[0], (int64_t)data.shape.size(), "axis");
  const int64_t bd = gather_batch_dims(n, PartialShape(in[1]->shape));
  const Dims idx = in[1]->to_i64();
  const uint64_t batch = prod(data.shape, 0, (size_t)bd);
  const uint64_t outer = prod(data.shape, (size_t)bd, (size_t)a);
  const int64_t axis_dim = data.shape[(size_t)a];
  const uint64_t inner = prod(data.shape, (size_t)a + 1, data.shape.size()) * esz;
  const uint64_t per_batch = batch ? idx.size() / batch : 0;
  Tensor o = Tensor::zeros(data.et, os.dims);
  uint8_t* dst = o.mutable_data();
  for (uint64_t b = 0; b < batch; ++b)
    for (uint64_t m = 0; m < outer; ++m)
      for (uint64_t k = 0; k < per_batch; ++k) {
        int64_t v = idx[b * per_batch + k];
        if (v < 0) v += axis_dim;
        if (v >= 0 && v < axis_dim)  // out-of-range indices give zeros (Gather-8)
          std::memcpy(dst, data.data + ((b * outer + m) * (uint64_t)axis_dim + (uint64_t)v) * inner, inner);
        dst += inner;
      }
  out[0] = std::move(o);
  return true;
}

// ------------------------------------------------------------------------------------ GatherElements

PartialShape gather_elements_shape(const Node& n, const PartialShape& data, const PartialShape& idx) {
  const int64_t axis = n.attr_i("axis");
  if (data.rank_dynamic && idx.rank_dynamic) return kDynamicShape;
  if (idx.rank_dynamic) {
    PartialShape out = data;
    out.dims[(size_t)normalize(n, axis, (int64_t)data.size(), "axis")] = kDyn;
    return out;
  }
  const int64_t a = normalize(n, axis, (int64_t)idx.size(), "axis");
  if (data.rank_dynamic) return idx;
  IRCONV_CHECK(data.size() == idx.size(), n.describe() << ": data " << data.to_string() << " and indices "
                                                       << idx.to_string() << " must have the same rank");
  PartialShape out = idx;
  for (size_t i = 0; i < idx.size(); ++i)
    if ((int64_t)i != a) out.dims[i] = merge(n, data.dims[i], idx.dims[i], "data and indices dimensions");
  return out;
}

void infer_gather_elements(Node& n) {
  check_integral_input(n, 1, "indices");
  n.set_output(0, n.in_type(0), gather_elements_shape(n, n.in_shape(0), n.in_shape(1)));
}

bool eval_gather_elements(const Node& n, const Tensors& in, std::vector<Tensor>& out) {
  const Tensor& data = *in[0];
  const size_t esz = elem_bytes(data.et);
  if (!esz) return false;
  PartialShape os = gather_elements_shape(n, PartialShape(data.shape), PartialShape(in[1]->shape));
  if (!os.is_static()) return false;
  const size_t a = (size_t)normalize(n, n.attr_i("axis"), (int64_t)data.shape.size(), "axis");
  const Dims idx = in[1]->to_i64();
  const Dims strides = row_strides(data.shape);
  const int64_t d = data.shape[a];
  Tensor o = Tensor::zeros(data.et, os.dims);
  uint8_t* dst = o.mutable_data();
  if (idx.empty()) {
    out[0] = std::move(o);
    return true;
  }
  Dims pos(os.dims.size(), 0);
  uint64_t e = 0;
  do {
    int64_t v = idx[e];
    if (v < 0) v += d;
    if (v < 0 || v >= d) return false;
    int64_t off = 0;
    for (size_t k = 0; k < pos.size(); ++k) off += (k == a ? v : pos[k]) * strides[k];
    std::memcpy(dst + e * esz, data.data + (uint64_t)off * esz, esz);
    ++e;
  } while (next_index(pos, os.dims));
  out[0] = std::move(o);
  return true;
}

// ------------------------------------------------------------------------------------ GatherND

PartialShape gather_nd_shape(const Node& n, const PartialShape& data, const PartialShape& idx) {
  const int64_t bd = n.attr_i("batch_dims", 0);
  IRCONV_CHECK(bd >= 0, n.describe() << ": batch_dims must be non-negative, got " << bd);
  if (!data.rank_dynamic) IRCONV_CHECK(data.size() > (size_t)bd, n.describe() << ": data rank " << data.size() << " must exceed batch_dims " << bd);
  if (!idx.rank_dynamic) IRCONV_CHECK(idx.size() > (size_t)bd, n.describe() << ": indices rank " << idx.size() << " must exceed batch_dims " << bd);
  if (data.rank_dynamic || idx.rank_dynamic) return kDynamicShape;
  const int64_t k = idx.dims.back();
  if (k == kDyn) return kDynamicShape;
  IRCONV_CHECK(bd + k <= (int64_t)data.size(), n.describe() << ": the last indices dimension " << k << " plus batch_dims "
                                                             << bd << " exceeds the data rank " << data.size());
  Dims out;
  for (size_t i = 0; i + 1 < idx.size(); ++i) {
    int64_t d = idx.dims[i];
    if ((int64_t)i < bd) d = merge(n, data.dims[i], d, "batch dimensions of data and indices");
    out.push_back(d);
  }
  for (size_t i = (size_t)(bd + k); i < data.size(); ++i) out.push_back(data.dims[i]);
  return PartialShape(out);
}

void infer_gather_nd(Node& n) {
  default_attr(n, "batch_dims", int64_t(0));
  check_integral_input(n, 1, "indices");
  n.set_output(0, n.in_type(0), gather_nd_shape(n, n.in_shape(0), n.in_shape(1)));
}

// Flat element offsets (into data) of each index tuple of ND indices; false if out of range.
// Batches: the first `bd` dims; each tuple addresses data dims [bd, bd + k).
bool nd_offsets(const Dims& dshape, const Dims& ishape, const Dims& idx, int64_t bd, std::vector<uint64_t>& offs,
                uint64_t& slice) {
  const int64_t k = ishape.back();
  const Dims strides = row_strides(dshape);
  const uint64_t batch = prod(ishape, 0, (size_t)bd);
  const uint64_t per_batch = batch ? prod(ishape, (size_t)bd, ishape.size() - 1) : 0;
  const uint64_t data_batch = prod(dshape, (size_t)bd, dshape.size());
  slice = prod(dshape, (size_t)(bd + k), dshape.size());
  offs.clear();
  for (uint64_t b = 0; b < batch; ++b)
    for (uint64_t t = 0; t < per_batch; ++t) {
      uint64_t off = b * data_batch;
      const int64_t* tup = idx.data() + (b * per_batch + t) * (uint64_t)k;
      for (int64_t j = 0; j < k; ++j) {
        int64_t d = dshape[(size_t)(bd + j)];
        int64_t v = tup[j] < 0 ? tup[j] + d : tup[j];
        if (v < 0 || v >= d) return false;
        off += (uint64_t)v * (uint64_t)strides[(size_t)(bd + j)];
      }
      offs.push_back(off);
    }
  return true;
}

bool eval_gather_nd(const Node& n, const Tensors& in, std::vector<Tensor>& out) {
  const Tensor& data = *in[0];
  const size_t esz = elem_bytes(data.et);
  if (!esz) return false;
  PartialShape os = gather_nd_shape(n, PartialShape(data.shape), PartialShape(in[1]->shape));
  if (!os.is_static()) return false;
  std::vector<uint64_t> offs;
  uint64_t slice = 0;
  if (!nd_offsets(data.shape, in[1]->shape, in[1]->to_i64(), n.attr_i("batch_dims", 0), offs, slice)) return false;
  Tensor o = Tensor::zeros(data.et, os.dims);
  uint8_t* dst = o.mutable_data();
  for (uint64_t off : offs) {
    std::memcpy(dst, data.data + off * esz, slice * esz);
    dst += slice * esz;
  }
  out[0] = std::move(o);
  return true;
}

// ------------------------------------------------------------------------------------ scatters

enum class Red { none, sum, sub, prod, min, max, mean };

Red reduction_attr(const Node& n, bool allow_sub, bool allow_mean) {
  std::string r = n.attr_s("reduction", "none");
  if (r == "none") return Red::none;
  if (r == "sum") return Red::sum;
  if (r == "prod") return Red::prod;
  if (r == "min") return Red::min;
  if (r == "max") return Red::max;
  if (r == "sub" && allow_sub) return Red::sub;
  if (r == "mean" && allow_mean) return Red::mean;
  IRCONV_CHECK(false, n.describe() << ": reduction '" << r << "' is not supported (expected none, sum, "
                                   << (allow_sub ? "sub, " : "") << "prod, min, max" << (allow_mean ? ", mean" : "") << ")");
  return Red::none;
}

// Accumulating scatter: values held as A (double for float types, int64 otherwise).
template <class A>
struct Acc {
  ET et;
  uint8_t* p;
  A load(uint64_t i) const;
  void store(uint64_t i, A v) const;
};
template <> double Acc<double>::load(uint64_t i) const { return load_f64(et, p, i); }
template <> void Acc<double>::store(uint64_t i, double v) const { store_f64(et, p, i, v); }
template <> int64_t Acc<int64_t>::load(uint64_t i) const { return load_i64(et, p, i); }
template <> void Acc<int64_t>::store(uint64_t i, int64_t v) const { store_i64(et, p, i, v); }

template <class A>
A apply_red(Red r, A a, A b, bool boolean) {
  A v = b;
  switch (r) {
    case Red::none: v = b; break;
    case Red::sum: case Red::mean: v = a + b; break;
    case Red::sub: v = a - b; break;
    case Red::prod: v = a * b; break;
    case Red::min: v = std::min(a, b); break;
    case Red::max: v = std::max(a, b); break;
  }
  if (boolean) v = v != 0 ? 1 : 0;
  return v;
}

template <class A>
A red_identity(Red r) {
  switch (r) {
    case Red::prod: return A(1);
    case Red::min: return std::numeric_limits<A>::max();
    case Red::max: return std::numeric_limits<A>::lowest();
    default: return A(0);
  }
}

// Applies updates (flat element i of `upd` goes to flat element dst[i] of `out`) with reduction.
// use_init_val=false: a touched element starts from the reduction's identity; mean divides by the
// number of contributions (floor for integers).
template <class A>
void scatter_reduce(ET et, uint8_t* out, const uint8_t* upd, const std::vector<uint64_t>& dst, Red r, bool use_init) {
  Acc<A> o{et, out};
  const bool boolean = et == ET::boolean;
  // (position, update index), grouped by position keeping the update order
  std::vector<std::pair<uint64_t, size_t>> pos_slot;
  pos_slot.reserve(dst.size());
  for (size_t i = 0; i < dst.size(); ++i) pos_slot.emplace_back(dst[i], i);
  std::stable_sort(pos_slot.begin(), pos_slot.end(), [](auto& x, auto& y) { return x.first < y.first; });
  size_t i = 0;
  while (i < pos_slot.size()) {
    uint64_t pos = pos_slot[i].first;
    A a = use_init ? o.load(pos) : red_identity<A>(r);
    int64_t cnt = use_init ? 1 : 0;
    for (; i < pos_slot.size() && pos_slot[i].first == pos; ++i) {
      A u = Acc<A>{et, const_cast<uint8_t*>(upd)}.load(pos_slot[i].second);
      a = apply_red<A>(r, a, u, boolean);
      ++cnt;
    }
    if (r == Red::mean && cnt > 0) {
      if constexpr (std::is_same<A, double>::value) {
        a = a / (double)cnt;
      } else {
        A q = a / cnt;
        if ((a % cnt != 0) && ((a < 0) != (cnt < 0))) --q;
        a = q;
      }
    }
    o.store(pos, a);
  }
}

bool run_scatter(ET et, uint8_t* out, const uint8_t* upd, const std::vector<uint64_t>& dst, size_t esz, Red r,
                 bool use_init) {
  if (r == Red::none) {
    for (size_t i = 0; i < dst.size(); ++i) std::memcpy(out + dst[i] * esz, upd + i * esz, esz);
    return true;
  }
  if (!et_is_plain(et) || (et == ET::boolean && r == Red::mean)) return false;
  if (et_info(et).is_float) scatter_reduce<double>(et, out, upd, dst, r, use_init);
  else scatter_reduce<int64_t>(et, out, upd, dst, r, use_init);
  return true;
}

Tensor copy_of(const Tensor& t) { return Tensor::owned(t.et, t.shape, std::vector<uint8_t>(t.data, t.data + t.nbytes)); }

// ScatterUpdate-3
void infer_scatter_update(Node& n) {
  check_integral_input(n, 1, "indices");
  check_integral_input(n, 3, "axis");
  check_rank_le1(n, 3, "axis");
  check_same_type(n, 0, 2);
  const PartialShape& d = n.in_shape(0);
  const PartialShape& i = n.in_shape(1);
  const PartialShape& u = n.in_shape(2);
  if (!d.rank_dynamic && !i.rank_dynamic && !u.rank_dynamic)
    IRCONV_CHECK(u.size() == d.size() + i.size() - 1, n.describe() << ": updates " << u.to_string()
                                                                    << " must have rank data rank + indices rank - 1 ("
                                                                    << d.to_string() << ", " << i.to_string() << ")");
  if (auto a = known_scalar(n, 3, "axis"); a && !d.rank_dynamic) normalize(n, *a, (int64_t)d.size(), "axis");
  n.set_output(0, n.in_type(0), d);
}

bool eval_scatter_update(const Node& n, const Tensors& in, std::vector<Tensor>& out) {
  const Tensor& data = *in[0];
  const size_t esz = elem_bytes(data.et);
  if (!esz || in[2]->et != data.et) return false;
  auto av = in[3]->to_i64();
  if (av.size() != 1 || data.shape.empty()) return false;
  const size_t a = (size_t)normalize(n, av[0], (int64_t)data.shape.size(), "axis");
  const Dims idx = in[1]->to_i64();
  const uint64_t outer = prod(data.shape, 0, a);
  const int64_t d = data.shape[a];
  const uint64_t inner = prod(data.shape, a + 1, data.shape.size());
  if (in[2]->numel() != outer * idx.size() * inner) return false;
  Tensor o = copy_of(data);
  uint8_t* dst = o.mutable_data();
  const uint8_t* upd = in[2]->data;
  for (uint64_t m = 0; m < outer; ++m)
    for (size_t k = 0; k < idx.size(); ++k) {
      int64_t v = idx[k];  // negative indices are rejected by OpenVINO's CPU kernel: not folded
      if (v < 0 || v >= d) return false;
      std::memcpy(dst + ((m * (uint64_t)d + (uint64_t)v) * inner) * esz, upd + ((m * idx.size() + k) * inner) * esz,
                  inner * esz);
    }
  out[0] = std::move(o);
  return true;
}

// ScatterElementsUpdate-3 / -12
void infer_scatter_elements(Node& n) {
  if (n.version == "opset12") {
    default_attr(n, "reduction", std::string("none"));
    default_attr(n, "use_init_val", true);
    reduction_attr(n, false, true);
  }
  check_integral_input(n, 1, "indices");
  check_integral_input(n, 3, "axis");
  check_rank_le1(n, 3, "axis");
  check_same_type(n, 0, 2);
  const PartialShape& d = n.in_shape(0);
  const PartialShape& i = n.in_shape(1);
  const PartialShape& u = n.in_shape(2);
  if (!d.rank_dynamic && !i.rank_dynamic)
    IRCONV_CHECK(d.size() == i.size(), n.describe() << ": indices " << i.to_string() << " must have the rank of data "
                                                    << d.to_string());
  if (!i.rank_dynamic && !u.rank_dynamic) {
    IRCONV_CHECK(i.size() == u.size(), n.describe() << ": updates " << u.to_string() << " must have the shape of indices "
                                                    << i.to_string());
    for (size_t k = 0; k < i.size(); ++k) merge(n, i.dims[k], u.dims[k], "indices and updates dimensions");
  }
  if (auto a = known_scalar(n, 3, "axis"); a && !d.rank_dynamic) normalize(n, *a, (int64_t)d.size(), "axis");
  n.set_output(0, n.in_type(0), d);
}

bool eval_scatter_elements(const Node& n, const Tensors& in, std::vector<Tensor>& out) {
  const Tensor& data = *in[0];
  const size_t esz = elem_bytes(data.et);
  if (!esz || in[2]->et != data.et) return false;
  const Red r = n.version == "opset12" ? reduction_attr(n, false, true) : Red::none;
  const bool use_init = n.attr_b("use_init_val", true);
  auto av = in[3]->to_i64();
  if (av.size() != 1 || data.shape.empty()) return false;
  const size_t a = (size_t)normalize(n, av[0], (int64_t)data.shape.size(), "axis");
  const Dims& ishape = in[1]->shape;
  if (ishape.size() != data.shape.size() || in[2]->shape != ishape) return false;
  const Dims idx = in[1]->to_i64();
  const Dims strides = row_strides(data.shape);
  std::vector<uint64_t> dst;
  dst.reserve(idx.size());
  if (!idx.empty()) {
    Dims pos(ishape.size(), 0);
    uint64_t e = 0;
    do {
      int64_t v = idx[e++];
      const int64_t d = data.shape[a];
      if (v < 0) v += d;
      if (v < 0 || v >= d) return false;
      int64_t off = 0;
      for (size_t k = 0; k < pos.size(); ++k) {
        int64_t c = k == a ? v : pos[k];
        if (k != a && c >= data.shape[k]) return false;
        off += c * strides[k];
      }
      dst.push_back((uint64_t)off);
    } while (next_index(pos, ishape));
  }
  Tensor o = copy_of(data);
  if (!run_scatter(data.et, o.mutable_data(), in[2]->data, dst, esz, r, use_init)) return false;
  out[0] = std::move(o);
  return true;
}

// ScatterNDUpdate-3 (in opset4) / -15
void infer_scatter_nd(Node& n) {
  if (n.version == "opset15") {
    default_attr(n, "reduction", std::string("none"));
    reduction_attr(n, true, false);
  }
  check_integral_input(n, 1, "indices");
  check_same_type(n, 0, 2);
  const PartialShape& d = n.in_shape(0);
  const PartialShape& i = n.in_shape(1);
  const PartialShape& u = n.in_shape(2);
  if (!d.rank_dynamic) IRCONV_CHECK(d.size() >= 1, n.describe() << ": data must have rank >= 1");
  if (!i.rank_dynamic) IRCONV_CHECK(i.size() >= 1, n.describe() << ": indices must have rank >= 1");
  if (!d.rank_dynamic && !i.rank_dynamic && !u.rank_dynamic && i.dims.back() != kDyn) {
    const int64_t k = i.dims.back();
    IRCONV_CHECK(k <= (int64_t)d.size(), n.describe() << ": the last indices dimension " << k << " exceeds the data rank "
                                                      << d.size());
    Dims want(i.dims.begin(), i.dims.end() - 1);
    want.insert(want.end(), d.dims.begin() + k, d.dims.end());
    bool scalar_ok = want.empty() && u.is_static() && u.numel() == 1;
    if (!scalar_ok) {
      IRCONV_CHECK(u.size() == want.size(), n.describe() << ": updates " << u.to_string() << " must have shape "
                                                         << PartialShape(want).to_string());
      for (size_t k2 = 0; k2 < want.size(); ++k2) merge(n, want[k2], u.dims[k2], "updates dimensions");
    }
  }
  n.set_output(0, n.in_type(0), d);
}

bool eval_scatter_nd(const Node& n, const Tensors& in, std::vector<Tensor>& out) {
  const Tensor& data = *in[0];
  const size_t esz = elem_bytes(data.et);
  if (!esz || in[2]->et != data.et || in[1]->shape.empty()) return false;
  const Red r = n.version == "opset15" ? reduction_attr(n, true, false) : Red::none;
  const Dims& ishape = in[1]->shape;
  const int64_t k = ishape.back();
  if (k > (int64_t)data.shape.size()) return false;
  std::vector<uint64_t> offs;
  uint64_t slice = 0;
  if (!nd_offsets(data.shape, ishape, in[1]->to_i64(), 0, offs, slice)) return false;
  if (in[2]->numel() != offs.size() * slice) return false;
  std::vector<uint64_t> dst;
  dst.reserve(offs.size() * slice);
  for (uint64_t off : offs)
    for (uint64_t s = 0; s < slice; ++s) dst.push_back(off + s);
  Tensor o = copy_of(data);
  if (!run_scatter(data.et, o.mutable_data(), in[2]->data, dst, esz, r, true)) return false;
  out[0] = std::move(o);
  return true;
}

// ------------------------------------------------------------------------------------ OneHot

PartialShape one_hot_shape(const Node& n, const PartialShape& idx, std::optional<int64_t> depth) {
  if (idx.rank_dynamic) return kDynamicShape;
  const int64_t a = normalize(n, n.attr_i("axis"), (int64_t)idx.size() + 1, "axis");
  Dims out = idx.dims;
  out.insert(out.begin() + a, depth ? *depth : kDyn);
  return PartialShape(out);
}

void infer_one_hot(Node& n) {
  check_integral_input(n, 1, "depth");
  static const char* names[] = {"", "depth", "on_value", "off_value"};
  for (size_t i = 1; i < 4; ++i) check_rank_eq(n, i, 0, names[i]);
  check_same_type(n, 2, 3);
  auto depth = known_scalar(n, 1, "depth");
  if (depth) IRCONV_CHECK(*depth >= 0, n.describe() << ": depth must be non-negative, got " << *depth);
  ET t = n.in_type(2) == ET::dynamic ? n.in_type(3) : n.in_type(2);
  n.set_output(0, t, one_hot_shape(n, n.in_shape(0), depth));
}

bool eval_one_hot(const Node& n, const Tensors& in, std::vector<Tensor>& out) {
  const Tensor& on = *in[2];
  const size_t esz = elem_bytes(on.et);
  if (!esz || in[3]->et != on.et || !et_is_plain(in[0]->et)) return false;
  const int64_t depth = in[1]->get_i64(0);
  if (depth < 0) return false;
  PartialShape os = one_hot_shape(n, PartialShape(in[0]->shape), depth);
  const size_t a = (size_t)normalize(n, n.attr_i("axis"), (int64_t)in[0]->shape.size() + 1, "axis");
  const Dims idx = in[0]->to_i64();
  const uint64_t outer = prod(in[0]->shape, 0, a);
  const uint64_t inner = prod(in[0]->shape, a, in[0]->shape.size());
  Tensor o = Tensor::zeros(on.et, os.dims);
  uint8_t* dst = o.mutable_data();
  for (uint64_t m = 0; m < outer; ++m)
    for (int64_t j = 0; j < depth; ++j)
      for (uint64_t i = 0; i < inner; ++i) {
        bool hit = idx[m * inner + i] == j;  // negative or too large indices: all off
        std::memcpy(dst, hit ? on.data : in[3]->data, esz);
        dst += esz;
      }
  out[0] = std::move(o);
  return true;
}

// ------------------------------------------------------------------------------------ NonZero

void infer_non_zero(Node& n) {
  default_attr(n, "output_type", std::string("i64"));
  ET t = et_from_string(n.attr_s("output_type", "i64"));
  IRCONV_CHECK(t == ET::i32 || t == ET::i64, n.describe() << ": output_type must be i32 or i64, got " << et_name(t));
  const PartialShape& in = n.in_shape(0);
  if (const Tensor* v = n.in_value(0); v && et_is_plain(v->et)) {  // the count is known
    uint64_t cnt = 0;
    for (uint64_t i = 0; i < v->numel(); ++i) cnt += v->get_f64(i) != 0.0;
    int64_t rows = v->shape.empty() ? (int64_t)cnt : (int64_t)v->shape.size();
    n.set_output(0, t, PartialShape({rows, (int64_t)cnt}));
    return;
  }
  if (in.rank_dynamic || in.size() == 0) {
    n.set_output(0, t, PartialShape({kDyn, kDyn}));
    return;
  }
  bool empty = std::find(in.dims.begin(), in.dims.end(), 0) != in.dims.end();
  n.set_output(0, t, PartialShape({(int64_t)in.size(), empty ? 0 : kDyn}));
}

bool eval_non_zero(const Node& n, const Tensors& in, std::vector<Tensor>& out) {
  ET t = et_from_string(n.attr_s("output_type", "i64"));
  const Tensor& x = *in[0];
  if (!et_is_plain(x.et)) return false;
  const uint64_t total = x.numel();
  const size_t r = x.shape.size();
  std::vector<uint64_t> hits;
  for (uint64_t i = 0; i < total; ++i)
    if (x.get_f64(i) != 0.0) hits.push_back(i);
  if (r == 0) {
    out[0] = Tensor::from_i64(t, {(int64_t)hits.size(), (int64_t)hits.size()}, Dims(hits.size() * hits.size(), 0));
    return true;
  }
  const int64_t cnt = (int64_t)hits.size();
  Dims v(r * hits.size());
  for (size_t h = 0; h < hits.size(); ++h) {
    uint64_t rem = hits[h];
    for (size_t k = r; k-- > 0;) {
      v[k * hits.size() + h] = (int64_t)(rem % (uint64_t)x.shape[k]);
      rem /= (uint64_t)x.shape[k];
    }
  }
  out[0] = Tensor::from_i64(t, {(int64_t)r, cnt}, v);
  return true;
}

// ------------------------------------------------------------------------------------ TopK

struct TopKAttrs {
  bool max_mode;
  int sort;  // 0 none, 1 value, 2 index
  ET index_type;
};

TopKAttrs topk_attrs(const Node& n) {
  TopKAttrs a;
  std::string m = n.attr_s("mode"), s = n.attr_s("sort");
  IRCONV_CHECK(m == "max" || m == "min", n.describe() << ": mode '" << m << "' is not supported (expected max or min)");
  IRCONV_CHECK(s == "value" || s == "index" || s == "none",
               n.describe() << ": sort '" << s << "' is not supported (expected value, index or none)");
  a.max_mode = m == "max";
  a.sort = s == "none" ? 0 : s == "value" ? 1 : 2;
  IRCONV_CHECK(!(a.sort == 0 && n.attr_b("stable", false)),
               n.describe() << ": stable=true needs sort 'value' or 'index' (OpenVINO rejects it with sort 'none')");
  a.index_type = et_from_string(n.attr_s("index_element_type", "i32"));
  IRCONV_CHECK(a.index_type == ET::i32 || a.index_type == ET::i64,
               n.describe() << ": index_element_type must be i32 or i64, got " << et_name(a.index_type));
  return a;
}

void infer_topk(Node& n) {
  default_attr(n, "index_element_type", std::string("i32"));
  default_attr(n, "stable", false);
  TopKAttrs at = topk_attrs(n);
  check_integral_input(n, 1, "k");
  check_rank_eq(n, 1, 0, "k");
  PartialShape out = n.in_shape(0);
  if (!out.rank_dynamic) {
    IRCONV_CHECK(!out.dims.empty(), n.describe() << ": the input must have rank > 0");
    const size_t a = (size_t)normalize(n, n.attr_i("axis"), (int64_t)out.size(), "axis");
    auto k = known_scalar(n, 1, "k");
    if (k) IRCONV_CHECK(*k >= 0, n.describe() << ": k must be non-negative, got " << *k);
    out.dims[a] = k ? *k : kDyn;
  }
  n.set_output(0, n.in_type(0), out);
  n.set_output(1, at.index_type, out);
}

template <class K>
void topk_select(const Tensor& x, const std::vector<K>& keys, const TopKAttrs& at, size_t a, int64_t k, uint8_t* vals,
                 uint8_t* inds, size_t esz) {
  const uint64_t outer = prod(x.shape, 0, a);
  const int64_t d = x.shape[a];
  const uint64_t inner = prod(x.shape, a + 1, x.shape.size());
  std::vector<int64_t> order((size_t)d);
  for (uint64_t m = 0; m < outer; ++m)
    for (uint64_t i = 0; i < inner; ++i) {
      const uint64_t base = m * (uint64_t)d * inner + i;
      std::iota(order.begin(), order.end(), 0);
      auto key = [&](int64_t j) { return keys[base + (uint64_t)j * inner]; };
      // ties: lower index first (what stable mode requires; a valid choice otherwise)
      if (at.max_mode)
        std::stable_sort(order.begin(), order.end(), [&](int64_t p, int64_t q) { return key(p) > key(q); });
      else
        std::stable_sort(order.begin(), order.end(), [&](int64_t p, int64_t q) { return key(p) < key(q); });
      if (at.sort == 2) std::sort(order.begin(), order.begin() + k);
      for (int64_t j = 0; j < k; ++j) {
        const uint64_t dst = m * (uint64_t)k * inner + (uint64_t)j * inner + i;
        std::memcpy(vals + dst * esz, x.data + (base + (uint64_t)order[(size_t)j] * inner) * esz, esz);
        store_i64(at.index_type, inds, dst, order[(size_t)j]);
      }
    }
}

bool eval_topk(const Node& n, const Tensors& in, std::vector<Tensor>& out) {
  const Tensor& x = *in[0];
  const size_t esz = elem_bytes(x.et);
  if (!esz || !et_is_plain(x.et) || x.et == ET::boolean || x.shape.empty()) return false;
  TopKAttrs at = topk_attrs(n);
  const size_t a = (size_t)normalize(n, n.attr_i("axis"), (int64_t)x.shape.size(), "axis");
  const int64_t k = in[1]->get_i64(0);
  // k > dimension: rejected by OpenVINO at run time; k = 0: OpenVINO infers a 0-sized axis but
  // its evaluate returns the whole axis. Neither is folded.
  if (k <= 0 || k > x.shape[a]) return false;
  Dims oshape = x.shape;
  oshape[a] = k;
  Tensor vals = Tensor::zeros(x.et, oshape), inds = Tensor::zeros(at.index_type, oshape);
  if (et_info(x.et).is_float) {
    std::vector<double> keys = x.to_f64();
    for (double v : keys)
      if (v != v) return false;  // NaN ordering is implementation-defined
    topk_select(x, keys, at, a, k, vals.mutable_data(), inds.mutable_data(), esz);
  } else {
    topk_select(x, x.to_i64(), at, a, k, vals.mutable_data(), inds.mutable_data(), esz);
  }
  if (out.size() < 2) out.resize(2);
  out[0] = std::move(vals);
  out[1] = std::move(inds);
  return true;
}

}  // namespace

IRCONV_OPS(indexing) {
  reg({"Gather", "opset8", 3, 3, infer_gather, eval_gather, {2}});
  reg({"GatherElements", "opset6", 2, 2, infer_gather_elements, eval_gather_elements, {}});
  reg({"GatherND", "opset8", 2, 2, infer_gather_nd, eval_gather_nd, {}});
  reg({"ScatterUpdate", "opset3", 4, 4, infer_scatter_update, eval_scatter_update, {3}});
  reg({"ScatterElementsUpdate", "opset12", 4, 4, infer_scatter_elements, eval_scatter_elements, {3}});
  reg({"ScatterElementsUpdate", "opset3", 4, 4, infer_scatter_elements, eval_scatter_elements, {3}});
  reg({"ScatterNDUpdate", "opset15", 3, 3, infer_scatter_nd, eval_scatter_nd, {}});
  reg({"ScatterNDUpdate", "opset4", 3, 3, infer_scatter_nd, eval_scatter_nd, {}});  // ScatterNDUpdate-3
  reg({"OneHot", "opset1", 4, 4, infer_one_hot, eval_one_hot, {1}});
  reg({"NonZero", "opset3", 1, 1, infer_non_zero, eval_non_zero, {}});
  reg({"TopK", "opset11", 2, 2, infer_topk, eval_topk, {1}});
}

}  // namespace irconv
