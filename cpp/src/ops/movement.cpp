// Data-movement ops: Slice, StridedSlice, Roll, ReverseSequence, Reverse. Eval kernels copy bytes
// by element size (any whole-byte element type) through ops_detail::index_copy.
#include <algorithm>
#include <cstring>
#include <limits>
#include <optional>
#include <set>
#include <vector>

#include "irconv/op_registry.hpp"
#include "ops_util.hpp"

namespace irconv {

namespace {

using namespace ops_detail;
using Tensors = std::vector<const Tensor*>;
const PartialShape kDynamicShape = PartialShape::dynamic();

// One dimension's selection: elements start, start + step, ... (len of them).
struct Sel {
  int64_t start = 0, step = 1, len = 0;
  bool valid = true;  // false: an index out of range (shrink_axis) -> not evaluable
};

Sel full_sel(int64_t d) { return Sel{0, 1, d, true}; }

// Slicing of a static dimension d with clamping as OpenVINO does it (Slice-8 and StridedSlice-1):
// numpy's, except that for a negative step a start before the first element is clamped to element
// 0 (numpy gives an empty slice). A set mask replaces start/stop by the beginning/end in the
// slicing direction.
Sel slice_dim(int64_t d, int64_t start, int64_t stop, int64_t step, bool start_mask = false, bool stop_mask = false) {
  Sel s;
  s.step = step;
  if (step > 0) {
    int64_t b = start_mask ? 0 : start < 0 ? std::max<int64_t>(start + d, 0) : std::min(start, d);
    int64_t e = stop_mask ? d : stop < 0 ? std::max<int64_t>(stop + d, 0) : std::min(stop, d);
    s.start = b;
    s.len = e > b ? 1 + (int64_t)((uint64_t)(e - b - 1) / (uint64_t)step) : 0;
  } else {
    uint64_t astep = (uint64_t)(-(step + 1)) + 1;
    int64_t b = start_mask ? d - 1 : start < 0 ? std::max<int64_t>(start + d, d > 0 ? 0 : -1) : std::min(start, d - 1);
    int64_t e = stop_mask ? -1 : stop < 0 ? std::max<int64_t>(stop + d, -1) : std::min(stop, d - 1);
    s.start = b;
    s.len = b > e ? 1 + (int64_t)((uint64_t)(b - e - 1) / astep) : 0;
  }
  return s;
}

// Copies the selection `sel` (one per input dim) of `t`; the result gets shape `out_shape`.
bool copy_selection(const Tensor& t, const std::vector<Sel>& sel, const Dims& out_shape, Tensor& out) {
  const size_t esz = elem_bytes(t.et);
  if (!esz) return false;
  Dims sel_shape(sel.size());
  std::vector<Dims> maps(sel.size());
  for (size_t k = 0; k < sel.size(); ++k) {
    if (!sel[k].valid) return false;
    sel_shape[k] = sel[k].len;
    maps[k] = iota_dims(sel[k].len, sel[k].start, sel[k].step);
  }
  Tensor o = Tensor::zeros(t.et, sel_shape);
  index_copy(t.data, o.mutable_data(), esz, sel_shape, maps, row_strides(t.shape), nullptr);
  o.shape = out_shape;
  out = std::move(o);
  return true;
}

// ------------------------------------------------------------------------------------ Slice

// Output shape of Slice-8; fills `sel` (one per input dim) when everything is static and known.
PartialShape slice_shape(const Node& n, const PartialShape& in, const Dims* start, const Dims* stop,
                         const Dims* step, const Dims* axes, bool has_axes, std::vector<Sel>* sel) {
  if (in.rank_dynamic) return kDynamicShape;
  const int64_t r = (int64_t)in.size();
  int64_t len = -1;
  for (const Dims* v : {start, stop, step, axes}) {
    if (!v) continue;
    IRCONV_CHECK(len < 0 || (int64_t)v->size() == len,
                 n.describe() << ": start, stop, step and axes must have the same number of elements");
    len = (int64_t)v->size();
  }
  if (len < 0) {
    for (size_t i = 1; i < n.num_inputs() && i <= 4; ++i) {
      int64_t l = static_len(n, i);
      if (l >= 0) len = l;
    }
  }
  PartialShape out = in;
  if ((has_axes && !axes) || len < 0) {
    // any dimension may be sliced
    return PartialShape::dynamic_of_rank(in.size());
  }
  Dims ax = axes ? *axes : iota_dims(len, 0, 1);
  IRCONV_CHECK(len <= r, n.describe() << ": " << len << " slices given for an input of rank " << r);
  std::set<int64_t> seen;
  for (auto& a : ax) {
    a = normalize(n, a, r, "axis");
    IRCONV_CHECK(seen.insert(a).second, n.describe() << ": axes must be unique, axis " << a << " repeats");
  }
  if (step)
    for (int64_t s : *step) IRCONV_CHECK(s != 0, n.describe() << ": step must not be zero");
  if (sel) {
    sel->clear();
    for (int64_t d : in.dims) sel->push_back(full_sel(d));
  }
  for (size_t i = 0; i < ax.size(); ++i) {
    size_t a = (size_t)ax[i];
    int64_t d = in.dims[a];
    if (d == kDyn || !start || !stop || !step) {
      out.dims[a] = kDyn;
      continue;
    }
    Sel s = slice_dim(d, (*start)[i], (*stop)[i], (*step)[i]);
    out.dims[a] = s.len;
    if (sel) (*sel)[a] = s;
  }
  return out;
}

void infer_slice(Node& n) {
  static const char* names[] = {"", "start", "stop", "step", "axes"};
  for (size_t i = 1; i < n.num_inputs(); ++i) {
    check_integral_input(n, i, names[i]);
    check_rank_eq(n, i, 1, names[i]);
  }
  auto start = known_ints(n, 1), stop = known_ints(n, 2), step = known_ints(n, 3);
  bool has_axes = n.num_inputs() > 4;
  std::optional<Dims> axes;
  if (has_axes) axes = known_ints(n, 4);
  n.set_output(0, n.in_type(0),
               slice_shape(n, n.in_shape(0), start ? &*start : nullptr, stop ? &*stop : nullptr,
                           step ? &*step : nullptr, axes ? &*axes : nullptr, has_axes, nullptr));
}

bool eval_slice(const Node& n, const Tensors& in, std::vector<Tensor>& out) {
  Dims start = in[1]->to_i64(), stop = in[2]->to_i64(), step = in[3]->to_i64();
  Dims axes;
  bool has_axes = in.size() > 4;
  if (has_axes) axes = in[4]->to_i64();
  std::vector<Sel> sel;
  PartialShape s = slice_shape(n, PartialShape(in[0]->shape), &start, &stop, &step, has_axes ? &axes : nullptr,
                               has_axes, &sel);
  if (!s.is_static()) return false;
  return copy_selection(*in[0], sel, s.dims, out[0]);
}

// ------------------------------------------------------------------------------------ StridedSlice

struct SSMasks {
  Dims begin, end, new_axis, shrink, ellipsis;
  static bool bit(const Dims& m, int64_t i) { return i < (int64_t)m.size() && m[(size_t)i] != 0; }
};

SSMasks ss_masks(const Node& n) {
  SSMasks m;
  m.begin = n.attr_ints("begin_mask");
  m.end = n.attr_ints("end_mask");
  m.new_axis = n.attr_ints("new_axis_mask", {});
  m.shrink = n.attr_ints("shrink_axis_mask", {});
  m.ellipsis = n.attr_ints("ellipsis_mask", {});
  for (const Dims* v : {&m.end, &m.new_axis, &m.shrink, &m.ellipsis})
    IRCONV_CHECK(v->empty() || v->size() == m.begin.size(),
                 n.describe() << ": the masks must be empty or as long as begin_mask (" << m.begin.size() << "), got "
                              << PartialShape(*v).to_string());
  int64_t ell = std::count_if(m.ellipsis.begin(), m.ellipsis.end(), [](int64_t v) { return v != 0; });
  IRCONV_CHECK(ell <= 1, n.describe() << ": ellipsis_mask may have at most one bit set, got "
                                      << PartialShape(m.ellipsis).to_string());
  return m;
}

// Output shape of StridedSlice-1 for `M` slicing entries; fills `sel` (one per input dim) when the
// shape is static and the values are known.
PartialShape ss_shape(const Node& n, const PartialShape& in, const Dims* begin, const Dims* end, const Dims* stride,
                      int64_t M, std::vector<Sel>* sel) {
  const SSMasks mk = ss_masks(n);
  if (in.rank_dynamic || M < 0) return kDynamicShape;
  const int64_t r = (int64_t)in.size();
  int64_t num_real = 0;
  bool has_ell = false;
  for (int64_t i = 0; i < M; ++i) {
    if (SSMasks::bit(mk.ellipsis, i)) has_ell = true;
    else if (!SSMasks::bit(mk.new_axis, i)) ++num_real;
  }
  IRCONV_CHECK(num_real <= r, n.describe() << ": " << num_real << " slicing entries for an input of rank " << r
                                           << " " << in.to_string());
  const int64_t ell_dims = has_ell ? r - num_real : 0;
  if (stride)
    for (int64_t s : *stride) IRCONV_CHECK(s != 0, n.describe() << ": stride must not be zero");
  Dims out;
  if (sel) sel->clear();
  int64_t j = 0;
  bool ell_done = false;
  for (int64_t i = 0; i < M; ++i) {
    if (SSMasks::bit(mk.ellipsis, i) && !ell_done) {
      ell_done = true;
      for (int64_t t = 0; t < ell_dims; ++t, ++j) {
        out.push_back(in.dims[(size_t)j]);
        if (sel) sel->push_back(full_sel(in.dims[(size_t)j]));
      }
      continue;
    }
    if (SSMasks::bit(mk.ellipsis, i) || SSMasks::bit(mk.new_axis, i)) {
      if (!SSMasks::bit(mk.ellipsis, i)) out.push_back(1);
      continue;
    }
    const int64_t d = in.dims[(size_t)j];
    if (SSMasks::bit(mk.shrink, i)) {
      Sel s{0, 1, 1, false};
      if (begin && d != kDyn) {
        int64_t b = (*begin)[(size_t)i];
        int64_t idx = b < 0 ? b + d : b;
        s = Sel{idx, 1, 1, idx >= 0 && idx < d};
      }
      if (sel) sel->push_back(s);
    } else {
      const bool bm = SSMasks::bit(mk.begin, i), em = SSMasks::bit(mk.end, i);
      if (d != kDyn && stride && (bm || begin) && (em || end)) {
        Sel s = slice_dim(d, bm ? 0 : (*begin)[(size_t)i], em ? 0 : (*end)[(size_t)i], (*stride)[(size_t)i], bm, em);
        out.push_back(s.len);
        if (sel) sel->push_back(s);
      } else {
        out.push_back(kDyn);
        if (sel) sel->push_back(Sel{0, 1, 0, false});
      }
    }
    ++j;
  }
  for (; j < r; ++j) {
    out.push_back(in.dims[(size_t)j]);
    if (sel) sel->push_back(full_sel(in.dims[(size_t)j]));
  }
  return PartialShape(out);
}

void infer_strided_slice(Node& n) {
  static const char* names[] = {"", "begin", "end", "stride"};
  for (size_t i = 1; i < n.num_inputs(); ++i) {
    check_integral_input(n, i, names[i]);
    check_rank_eq(n, i, 1, names[i]);
  }
  auto begin = known_ints(n, 1), end = known_ints(n, 2);
  std::optional<Dims> stride;
  int64_t M = -1;
  for (size_t i = 1; i < n.num_inputs(); ++i) {
    int64_t l = static_len(n, i);
    if (l < 0) continue;
    IRCONV_CHECK(M < 0 || M == l, n.describe() << ": begin, end and stride must have the same number of elements");
    M = l;
  }
  if (n.num_inputs() > 3) {
    stride = known_ints(n, 3);
  } else if (M >= 0) {
    stride = Dims((size_t)M, 1);
  }
  n.set_output(0, n.in_type(0),
               ss_shape(n, n.in_shape(0), begin ? &*begin : nullptr, end ? &*end : nullptr,
                        stride ? &*stride : nullptr, M, nullptr));
}

bool eval_strided_slice(const Node& n, const Tensors& in, std::vector<Tensor>& out) {
  Dims begin = in[1]->to_i64(), end = in[2]->to_i64();
  Dims stride = in.size() > 3 ? in[3]->to_i64() : Dims(begin.size(), 1);
  if (end.size() != begin.size() || stride.size() != begin.size()) return false;
  std::vector<Sel> sel;
  PartialShape s = ss_shape(n, PartialShape(in[0]->shape), &begin, &end, &stride, (int64_t)begin.size(), &sel);
  if (!s.is_static() || sel.size() != in[0]->shape.size()) return false;
  return copy_selection(*in[0], sel, s.dims, out[0]);
}

// ------------------------------------------------------------------------------------ Roll

void infer_roll(Node& n) {
  check_integral_input(n, 1, "shift");
  check_integral_input(n, 2, "axes");
  check_rank_le1(n, 1, "shift");
  check_rank_le1(n, 2, "axes");
  const PartialShape& ss = n.in_shape(1);
  const PartialShape& as = n.in_shape(2);
  if (!ss.rank_dynamic && ss.size() == 1 && !as.rank_dynamic) {
    IRCONV_CHECK(as.size() == 1 && (ss.dims[0] == kDyn || as.dims[0] == kDyn || ss.dims[0] == as.dims[0]),
                 n.describe() << ": a 1D shift " << ss.to_string() << " needs 1D axes of the same size, got "
                              << as.to_string());
  }
  const PartialShape& in = n.in_shape(0);
  if (!in.rank_dynamic)
    if (auto axes = known_ints(n, 2))
      for (int64_t a : *axes) normalize(n, a, (int64_t)in.size(), "axis");
  n.set_output(0, n.in_type(0), in);
}

bool eval_roll(const Node& n, const Tensors& in, std::vector<Tensor>& out) {
  const Tensor& t = *in[0];
  const size_t esz = elem_bytes(t.et);
  if (!esz) return false;
  Dims shift = in[1]->to_i64(), axes = in[2]->to_i64();
  if (shift.size() == 1 && axes.size() > 1) shift.assign(axes.size(), shift[0]);
  if (shift.size() != axes.size()) return false;
  const int64_t r = (int64_t)t.shape.size();
  Dims total((size_t)r, 0);
  for (size_t i = 0; i < axes.size(); ++i) {
    int64_t a = normalize(n, axes[i], r, "axis");
    int64_t d = t.shape[(size_t)a];
    if (d > 0) total[(size_t)a] = (total[(size_t)a] + shift[i] % d) % d;
  }
  std::vector<Dims> maps((size_t)r);
  for (int64_t k = 0; k < r; ++k) {
    int64_t d = t.shape[(size_t)k];
    maps[(size_t)k].resize((size_t)d);
    for (int64_t i = 0; i < d; ++i) maps[(size_t)k][(size_t)i] = (((i - total[(size_t)k]) % d) + d) % d;
  }
  Tensor o = Tensor::zeros(t.et, t.shape);
  index_copy(t.data, o.mutable_data(), esz, t.shape, maps, row_strides(t.shape), nullptr);
  out[0] = std::move(o);
  return true;
}

// ------------------------------------------------------------------------------------ ReverseSequence

void infer_reverse_sequence(Node& n) {
  default_attr(n, "batch_axis", int64_t(0));
  default_attr(n, "seq_axis", int64_t(1));
  check_rank_eq(n, 1, 1, "seq_lengths");
  ET lt = n.in_type(1);
  IRCONV_CHECK(lt == ET::dynamic || (et_is_plain(lt) && lt != ET::boolean),
               n.describe() << ": seq_lengths must be numeric, got " << et_name(lt));
  PartialShape out = n.in_shape(0);
  if (!out.rank_dynamic) {
    const int64_t r = (int64_t)out.size();
    IRCONV_CHECK(r >= 2, n.describe() << ": the data input must have rank >= 2, got " << out.to_string());
    int64_t b = normalize(n, n.attr_i("batch_axis", 0), r, "batch_axis");
    int64_t s = normalize(n, n.attr_i("seq_axis", 1), r, "seq_axis");
    (void)s;
    const PartialShape& ls = n.in_shape(1);
    if (!ls.rank_dynamic) {
      int64_t& d = out.dims[(size_t)b];
      int64_t l = ls.dims[0];
      IRCONV_CHECK(d == kDyn || l == kDyn || d == l, n.describe() << ": seq_lengths has " << l
                                                                  << " elements but the batch dimension is " << d);
      if (d == kDyn) d = l;
    }
  }
  n.set_output(0, n.in_type(0), out);
}

bool eval_reverse_sequence(const Node& n, const Tensors& in, std::vector<Tensor>& out) {
  const Tensor& t = *in[0];
  const size_t esz = elem_bytes(t.et);
  if (!esz) return false;
  const int64_t r = (int64_t)t.shape.size();
  const size_t ba = (size_t)normalize(n, n.attr_i("batch_axis", 0), r, "batch_axis");
  const size_t sa = (size_t)normalize(n, n.attr_i("seq_axis", 1), r, "seq_axis");
  Dims lens = in[1]->to_i64();
  if ((int64_t)lens.size() != t.shape[ba]) return false;
  for (int64_t l : lens)
    if (l < 0 || l > t.shape[sa]) return false;
  Tensor o = Tensor::zeros(t.et, t.shape);
  uint8_t* dst = o.mutable_data();
  const Dims strides = row_strides(t.shape);
  const uint64_t total = t.numel();
  Dims idx((size_t)r, 0);
  for (uint64_t e = 0; e < total; ++e) {
    int64_t L = lens[(size_t)idx[ba]];
    int64_t s = idx[sa];
    int64_t src = (int64_t)e;
    if (s < L) src += (L - 1 - 2 * s) * strides[sa];
    std::memcpy(dst + e * esz, t.data + (uint64_t)src * esz, esz);
    for (int64_t k = r - 1; k >= 0; --k) {
      if (++idx[(size_t)k] < t.shape[(size_t)k]) break;
      idx[(size_t)k] = 0;
    }
  }
  out[0] = std::move(o);
  return true;
}

// ------------------------------------------------------------------------------------ Reverse

bool reverse_index_mode(const Node& n) {
  std::string m = n.attr_s("mode");
  IRCONV_CHECK(m == "index" || m == "mask", n.describe() << ": mode '" << m << "' is not supported (expected index or mask)");
  return m == "index";
}

// Axes to reverse (normalized, possibly repeated) for rank r.
Dims reverse_axes(const Node& n, bool index_mode, const Dims& v, int64_t r) {
  Dims axes;
  if (index_mode) {
    for (int64_t a : v) axes.push_back(normalize(n, a, r, "axis"));
  } else {
    IRCONV_CHECK((int64_t)v.size() == r, n.describe() << ": the mask has " << v.size()
                                                      << " elements but the data rank is " << r);
    for (int64_t i = 0; i < r; ++i)
      if (v[(size_t)i]) axes.push_back(i);
  }
  return axes;
}

void infer_reverse(Node& n) {
  const bool index_mode = reverse_index_mode(n);
  check_rank_eq(n, 1, 1, "axes");
  ET at = n.in_type(1);
  if (index_mode) check_integral_input(n, 1, "axes");
  else IRCONV_CHECK(at == ET::dynamic || at == ET::boolean,
                    n.describe() << ": in mask mode the axes input must be boolean, got " << et_name(at));
  const PartialShape& in = n.in_shape(0);
  if (!in.rank_dynamic)
    if (auto v = known_ints(n, 1)) reverse_axes(n, index_mode, *v, (int64_t)in.size());
  n.set_output(0, n.in_type(0), in);
}

bool eval_reverse(const Node& n, const Tensors& in, std::vector<Tensor>& out) {
  const Tensor& t = *in[0];
  const size_t esz = elem_bytes(t.et);
  if (!esz) return false;
  const int64_t r = (int64_t)t.shape.size();
  Dims axes = reverse_axes(n, reverse_index_mode(n), in[1]->to_i64(), r);
  std::vector<bool> rev((size_t)r, false);
  for (int64_t a : axes) rev[(size_t)a] = true;
  std::vector<Dims> maps((size_t)r);
  for (int64_t k = 0; k < r; ++k) {
    int64_t d = t.shape[(size_t)k];
    maps[(size_t)k] = rev[(size_t)k] ? iota_dims(d, d - 1, -1) : iota_dims(d, 0, 1);
  }
  Tensor o = Tensor::zeros(t.et, t.shape);
  index_copy(t.data, o.mutable_data(), esz, t.shape, maps, row_strides(t.shape), nullptr);
  out[0] = std::move(o);
  return true;
}

}  // namespace

IRCONV_OPS(movement) {
  reg({"Slice", "opset8", 4, 5, infer_slice, eval_slice, {1, 2, 3, 4}});
  reg({"StridedSlice", "opset1", 3, 4, infer_strided_slice, eval_strided_slice, {1, 2, 3}});
  reg({"Roll", "opset7", 3, 3, infer_roll, eval_roll, {1, 2}});
  reg({"ReverseSequence", "opset1", 2, 2, infer_reverse_sequence, eval_reverse_sequence, {}});
  reg({"Reverse", "opset1", 2, 2, infer_reverse, eval_reverse, {1}});
}

}  // namespace irconv
