// Ops on index lists, segments and sorted sequences: Unique (opset10), Bucketize (opset3),
// SearchSorted (opset15), EmbeddingBagOffsetsSum / EmbeddingBagPackedSum / EmbeddingSegmentsSum
// (opset3), EmbeddingBagOffsets / EmbeddingBagPacked (opset15), SparseFillEmptyRows (opset16),
// SegmentMax (opset16).
// Eval kernels (Unique, Bucketize, SearchSorted) compare in double (float types) or int64
// (integer types); Unique moves elements/slices as bytes.
#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "irconv/op_registry.hpp"
#include "ops_util.hpp"

namespace irconv {

namespace {

using namespace ops_detail;
using Tensors = std::vector<const Tensor*>;

int64_t merge(const Node& n, int64_t a, int64_t b, const char* what) {
  IRCONV_CHECK(a == kDyn || b == kDyn || a == b, n.describe() << ": " << what << " do not match (" << a << " vs " << b << ")");
  return a == kDyn ? b : a;
}

void check_index_type(const Node& n, size_t i, const char* what) {
  ET t = n.in_type(i);
  IRCONV_CHECK(t == ET::dynamic || t == ET::i32 || t == ET::i64,
               n.describe() << ": input " << i << " (" << what << ") must be i32 or i64, got " << et_name(t));
}

void check_same_type(const Node& n, size_t i, size_t j, const char* what) {
  ET a = n.in_type(i), b = n.in_type(j);
  IRCONV_CHECK(a == ET::dynamic || b == ET::dynamic || a == b,
               n.describe() << ": " << what << " (inputs " << i << " and " << j << ") must have the same element type, got "
                            << et_name(a) << " and " << et_name(b));
}

void check_rank(const Node& n, size_t i, int64_t r, const char* what) {
  const PartialShape& s = n.in_shape(i);
  IRCONV_CHECK(s.rank_dynamic || (int64_t)s.size() == r,
               n.describe() << ": input " << i << " (" << what << ") must have rank " << r << ", got shape "
                            << s.to_string());
}

bool is_float(ET t) { return t != ET::dynamic && et_info(t).is_float; }

// Values of a plain-typed tensor as sortable keys: double for floats, int64 for integers.
struct Keys {
  bool fp = false;
  std::vector<double> f;
  std::vector<int64_t> i;
  bool has_nan() const {
    for (double v : f)
      if (v != v) return true;
    return false;
  }
};

Keys keys_of(const Tensor& t) {
  Keys k;
  k.fp = et_info(t.et).is_float;
  if (k.fp)
    k.f = t.to_f64();
  else
    k.i = t.to_i64();
  return k;
}

// ------------------------------------------------------------------------------------ Unique

std::optional<int64_t> unique_axis(const Node& n) {
  if (n.num_inputs() < 2) return std::nullopt;
  check_integral_input(n, 1, "axis");
  check_rank_le1(n, 1, "axis");
  auto v = known_ints(n, 1);
  IRCONV_CHECK(v, n.describe() << ": the axis input must be a constant");
  IRCONV_CHECK(v->size() == 1, n.describe() << ": the axis input must hold one value, got " << v->size());
  return (*v)[0];
}

bool eval_unique(const Node& n, const Tensors& in, std::vector<Tensor>& out);

// Unique of a known (small) tensor has known output shapes: computed by the kernel.
constexpr uint64_t kMaxUniqueInfer = 1 << 16;

void infer_unique(Node& n) {
  default_attr(n, "sorted", true);
  default_attr(n, "index_element_type", std::string("i64"));
  default_attr(n, "count_element_type", std::string("i64"));
  const ET it = index_type_attr(n, "index_element_type", "i64");
  const ET ct = index_type_attr(n, "count_element_type", "i64");
  const PartialShape& in = n.in_shape(0);
  auto axis = unique_axis(n);
  const int64_t numel = in.is_static() ? in.numel() : kDyn;
  // between 1 and numel unique elements: static only when numel == 1
  auto upto = [](int64_t d) { return d == 1 ? int64_t(1) : kDyn; };
  PartialShape out0, out2;
  if (axis) {
    if (in.rank_dynamic) {
      out0 = PartialShape::dynamic();
      out2 = PartialShape({kDyn});
    } else {
      const size_t a = (size_t)normalize(n, *axis, (int64_t)in.size(), "axis");
      out0 = in;
      out0.dims[a] = upto(in.dims[a]);
      out2 = PartialShape({in.dims[a]});
    }
  } else {
    out0 = PartialShape({upto(numel)});
    out2 = PartialShape({numel > 0 ? numel : kDyn});
  }
  const PartialShape cnt({upto(numel)});
  if (const Tensor* v = n.in_value(0); v && v->numel() <= kMaxUniqueInfer) {
    std::vector<const Tensor*> ins = {v};
    std::optional<Tensor> ax;
    if (axis) ins.push_back(&ax.emplace(Tensor::from_i64(ET::i64, {}, {*axis})));
    std::vector<Tensor> res(4);
    if (eval_unique(n, ins, res)) {
      for (int i = 0; i < 4; ++i) n.set_output((size_t)i, res[(size_t)i].et, PartialShape(res[(size_t)i].shape));
      return;
    }
  }
  n.set_output(0, n.in_type(0), out0);
  n.set_output(1, it, cnt);
  n.set_output(2, it, out2);
  n.set_output(3, ct, cnt);
}

bool eval_unique(const Node& n, const Tensors& in, std::vector<Tensor>& out) {
  const Tensor& x = *in[0];
  const size_t esz = elem_bytes(x.et);
  if (!esz || !et_is_plain(x.et)) return false;
  const ET it = index_type_attr(n, "index_element_type", "i64");
  const ET ct = index_type_attr(n, "count_element_type", "i64");
  const bool sorted = n.attr_b("sorted", true);
  Dims shape = x.shape;
  size_t a = 0;
  if (in.size() > 1) {
    if (shape.empty()) return false;
    a = (size_t)normalize(n, in[1]->get_i64(0), (int64_t)shape.size(), "axis");
  } else {
    shape = {(int64_t)x.numel()};
  }
  const uint64_t outer = prod(shape, 0, a), len = (uint64_t)shape[a], inner = prod(shape, a + 1, shape.size());
  if (len == 0) return false;
  const Keys k = keys_of(x);
  if (k.has_nan()) return false;
  // slice s: elements (o, s, i) for all o < outer, i < inner
  auto cmp = [&](uint64_t p, uint64_t q) -> int {
    for (uint64_t o = 0; o < outer; ++o)
      for (uint64_t i = 0; i < inner; ++i) {
        uint64_t ep = (o * len + p) * inner + i, eq = (o * len + q) * inner + i;
        if (k.fp) {
          if (k.f[ep] != k.f[eq]) return k.f[ep] < k.f[eq] ? -1 : 1;
        } else if (k.i[ep] != k.i[eq]) {
          return k.i[ep] < k.i[eq] ? -1 : 1;
        }
      }
    return 0;
  };
  // sort slice indices (stable: equal slices keep input order, so the first is the first occurrence)
  std::vector<uint64_t> order(len);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](uint64_t p, uint64_t q) { return cmp(p, q) < 0; });
  std::vector<int64_t> group_of(len);                 // slice -> group (in sorted order)
  std::vector<uint64_t> first;                        // group -> first occurrence
  std::vector<int64_t> count;
  for (size_t r = 0; r < order.size(); ++r) {
    if (r == 0 || cmp(order[r - 1], order[r]) != 0) {
      first.push_back(order[r]);
      count.push_back(0);
    }
    group_of[order[r]] = (int64_t)first.size() - 1;
    ++count.back();
  }
  const size_t u = first.size();
  std::vector<size_t> rank(u);  // group -> output position
  std::iota(rank.begin(), rank.end(), 0);
  if (!sorted) {
    std::vector<size_t> by_first(u);
    std::iota(by_first.begin(), by_first.end(), 0);
    std::sort(by_first.begin(), by_first.end(), [&](size_t p, size_t q) { return first[p] < first[q]; });
    for (size_t pos = 0; pos < u; ++pos) rank[by_first[pos]] = pos;
  }
  Dims oshape = in.size() > 1 ? x.shape : Dims{(int64_t)u};
  if (in.size() > 1) oshape[a] = (int64_t)u;
  Tensor vals = Tensor::zeros(x.et, oshape);
  Tensor idx = Tensor::zeros(it, {(int64_t)u}), rev = Tensor::zeros(it, {(int64_t)len}), cnt = Tensor::zeros(ct, {(int64_t)u});
  uint8_t* dv = vals.mutable_data();
  for (size_t g = 0; g < u; ++g) {
    const size_t pos = rank[g];
    for (uint64_t o = 0; o < outer; ++o)
      std::memcpy(dv + ((o * u + pos) * inner) * esz, x.data + ((o * len + first[g]) * inner) * esz, inner * esz);
    store_i64(it, idx.mutable_data(), pos, (int64_t)first[g]);
    store_i64(ct, cnt.mutable_data(), pos, count[g]);
  }
  for (uint64_t s = 0; s < len; ++s) store_i64(it, rev.mutable_data(), s, (int64_t)rank[(size_t)group_of[s]]);
  out.resize(4);
  out[0] = std::move(vals);
  out[1] = std::move(idx);
  out[2] = std::move(rev);
  out[3] = std::move(cnt);
  return true;
}

// ------------------------------------------------------------------------------------ Bucketize

void infer_bucketize(Node& n) {
  default_attr(n, "output_type", std::string("i64"));
  default_attr(n, "with_right_bound", true);
  const ET ot = index_type_attr(n, "output_type", "i64");
  check_rank(n, 1, 1, "buckets");
  n.set_output(0, ot, n.in_shape(0));
}

// index of x among sorted boundaries b: right bound -> first b >= x; left bound -> first b > x
template <class T>
int64_t bucket_of(const std::vector<T>& b, T x, bool right) {
  auto it = right ? std::lower_bound(b.begin(), b.end(), x) : std::upper_bound(b.begin(), b.end(), x);
  return (int64_t)(it - b.begin());
}

bool eval_bucketize(const Node& n, const Tensors& in, std::vector<Tensor>& out) {
  const Tensor& x = *in[0];
  const Tensor& b = *in[1];
  if (!et_is_plain(x.et) || !et_is_plain(b.et)) return false;
  const ET ot = index_type_attr(n, "output_type", "i64");
  const bool right = n.attr_b("with_right_bound", true);
  Tensor o = Tensor::zeros(ot, x.shape);
  const uint64_t cnt = x.numel();
  if (is_float(x.et) || is_float(b.et)) {
    std::vector<double> xb = b.to_f64(), xv = x.to_f64();
    for (double v : xb)
      if (v != v) return false;
    if (!std::is_sorted(xb.begin(), xb.end())) return false;
    for (uint64_t i = 0; i < cnt; ++i) {
      if (xv[i] != xv[i]) return false;
      store_i64(ot, o.mutable_data(), i, bucket_of(xb, xv[i], right));
    }
  } else {
    std::vector<int64_t> xb = b.to_i64(), xv = x.to_i64();
    if (!std::is_sorted(xb.begin(), xb.end())) return false;
    for (uint64_t i = 0; i < cnt; ++i) store_i64(ot, o.mutable_data(), i, bucket_of(xb, xv[i], right));
  }
  out[0] = std::move(o);
  return true;
}

// ------------------------------------------------------------------------------------ SearchSorted
// sorted_sequence [..., N] (or 1D), values [..., M] -> indices shaped like values.
void infer_search_sorted(Node& n) {
  default_attr(n, "right_mode", false);
  default_attr(n, "output_type", std::string("i64"));
  const ET ot = index_type_attr(n, "output_type", "i64");
  check_same_type(n, 0, 1, "sorted_sequence and values");
  const PartialShape& seq = n.in_shape(0);
  const PartialShape& val = n.in_shape(1);
  PartialShape out = val;
  if (!seq.rank_dynamic) {
    IRCONV_CHECK(seq.size() >= 1, n.describe() << ": sorted_sequence must have rank >= 1");
    if (seq.size() > 1 && !val.rank_dynamic) {
      IRCONV_CHECK(seq.size() == val.size(), n.describe() << ": sorted_sequence " << seq.to_string() << " and values "
                                                          << val.to_string() << " must have the same rank");
      for (size_t i = 0; i + 1 < seq.size(); ++i)
        out.dims[i] = merge(n, seq.dims[i], val.dims[i], "leading dimensions of sorted_sequence and values");
    }
  }
  n.set_output(0, ot, out);
}

bool eval_search_sorted(const Node& n, const Tensors& in, std::vector<Tensor>& out) {
  const Tensor& s = *in[0];
  const Tensor& v = *in[1];
  if (!et_is_plain(s.et) || s.et != v.et || s.shape.empty() || v.shape.empty()) return false;
  const ET ot = index_type_attr(n, "output_type", "i64");
  const bool right = n.attr_b("right_mode", false);
  const uint64_t N = (uint64_t)s.shape.back(), M = (uint64_t)v.shape.back();
  const uint64_t rows = M ? v.numel() / M : 0;
  if (s.shape.size() > 1 && (N ? s.numel() / N : 0) != rows) return false;
  Tensor o = Tensor::zeros(ot, v.shape);
  const Keys ks = keys_of(s), kv = keys_of(v);
  if (ks.has_nan() || kv.has_nan()) return false;
  for (uint64_t r = 0; r < rows; ++r) {
    const uint64_t sb = s.shape.size() > 1 ? r * N : 0;
    for (uint64_t m = 0; m < M; ++m) {
      int64_t pos;
      if (ks.fp) {
        auto b = ks.f.begin() + (int64_t)sb, e = b + (int64_t)N;
        double x = kv.f[r * M + m];
        pos = (right ? std::upper_bound(b, e, x) : std::lower_bound(b, e, x)) - b;
      } else {
        auto b = ks.i.begin() + (int64_t)sb, e = b + (int64_t)N;
        int64_t x = kv.i[r * M + m];
        pos = (right ? std::upper_bound(b, e, x) : std::lower_bound(b, e, x)) - b;
      }
      store_i64(ot, o.mutable_data(), r * M + m, pos);
    }
  }
  out[0] = std::move(o);
  return true;
}

// ------------------------------------------------------------------------------------ Embeddings

// emb_table shape with the first dimension replaced by `first`.
PartialShape embedding_out(const Node& n, int64_t first) {
  const PartialShape& t = n.in_shape(0);
  if (t.rank_dynamic) return PartialShape::dynamic();
  IRCONV_CHECK(t.size() > 0, n.describe() << ": the embedding table cannot be a scalar");
  PartialShape out = t;
  out.dims[0] = first;
  return out;
}

void check_reduction(Node& n) {
  default_attr(n, "reduction", std::string("sum"));
  std::string r = n.attr_s("reduction");
  IRCONV_CHECK(r == "sum" || r == "mean", n.describe() << ": reduction must be sum or mean, got '" << r << "'");
}

void check_weights(const Node& n, size_t w, size_t idx) {
  check_same_type(n, 0, w, "emb_table and per_sample_weights");
  const PartialShape& ws = n.in_shape(w);
  const PartialShape& is = n.in_shape(idx);
  if (!ws.rank_dynamic && !is.rank_dynamic) {
    IRCONV_CHECK(ws.size() == is.size(), n.describe() << ": indices and per_sample_weights must have the same shape");
    for (size_t i = 0; i < ws.size(); ++i) merge(n, ws.dims[i], is.dims[i], "indices and per_sample_weights shapes");
  }
}

// EmbeddingBagOffsets[Sum]: emb_table, indices (1D), offsets (1D)[, default_index (scalar)[,
// per_sample_weights (1D)]] -> [len(offsets), emb_table.shape[1:]]
void infer_embedding_bag_offsets_impl(Node& n, bool v15) {
  if (v15) check_reduction(n);
  check_index_type(n, 1, "indices");
  check_index_type(n, 2, "offsets");
  check_same_type(n, 1, 2, "indices and offsets");
  check_rank(n, 1, 1, "indices");
  check_rank(n, 2, 1, "offsets");
  if (n.num_inputs() > 3) {
    check_index_type(n, 3, "default_index");
    check_same_type(n, 1, 3, "indices and default_index");
    check_rank(n, 3, 0, "default_index");
  }
  if (n.num_inputs() > 4) {
    if (v15) IRCONV_CHECK(n.attr_s("reduction") == "sum", n.describe() << ": per_sample_weights need reduction sum");
    check_rank(n, 4, 1, "per_sample_weights");
    check_weights(n, 4, 1);
  }
  const PartialShape& off = n.in_shape(2);
  n.set_output(0, n.in_type(0), embedding_out(n, off.rank_dynamic ? kDyn : off.dims[0]));
}
void infer_ebos(Node& n) { infer_embedding_bag_offsets_impl(n, false); }
void infer_ebo(Node& n) { infer_embedding_bag_offsets_impl(n, true); }

// EmbeddingBagPacked[Sum]: emb_table, indices (2D [batch, bag])[, per_sample_weights (2D)]
// -> [batch, emb_table.shape[1:]]
void infer_embedding_bag_packed_impl(Node& n, bool v15) {
  if (v15) check_reduction(n);
  check_index_type(n, 1, "indices");
  check_rank(n, 1, 2, "indices");
  int64_t batch = n.in_shape(1).rank_dynamic ? kDyn : n.in_shape(1).dims[0];
  if (n.num_inputs() > 2) {
    if (v15) IRCONV_CHECK(n.attr_s("reduction") == "sum", n.describe() << ": per_sample_weights need reduction sum");
    check_rank(n, 2, 2, "per_sample_weights");
    check_weights(n, 2, 1);
    if (!n.in_shape(2).rank_dynamic) batch = merge(n, batch, n.in_shape(2).dims[0], "batch dimensions");
  }
  n.set_output(0, n.in_type(0), embedding_out(n, batch));
}
void infer_ebps(Node& n) { infer_embedding_bag_packed_impl(n, false); }
void infer_ebp(Node& n) { infer_embedding_bag_packed_impl(n, true); }

// EmbeddingSegmentsSum: emb_table, indices (1D), segment_ids (1D), num_segments (scalar)[,
// default_index[, per_sample_weights]] -> [num_segments, emb_table.shape[1:]]
void infer_ess(Node& n) {
  check_index_type(n, 1, "indices");
  check_index_type(n, 2, "segment_ids");
  check_index_type(n, 3, "num_segments");
  check_same_type(n, 1, 2, "indices and segment_ids");
  check_same_type(n, 1, 3, "indices and num_segments");
  check_rank(n, 1, 1, "indices");
  check_rank(n, 2, 1, "segment_ids");
  if (!n.in_shape(1).rank_dynamic && !n.in_shape(2).rank_dynamic)
    merge(n, n.in_shape(1).dims[0], n.in_shape(2).dims[0], "indices and segment_ids lengths");
  check_rank(n, 3, 0, "num_segments");
  if (n.num_inputs() > 4) {
    check_index_type(n, 4, "default_index");
    check_same_type(n, 1, 4, "indices and default_index");
    check_rank(n, 4, 0, "default_index");
  }
  if (n.num_inputs() > 5) {
    check_rank(n, 5, 1, "per_sample_weights");
    check_weights(n, 5, 1);
  }
  int64_t segs = kDyn;
  if (auto v = partial_ints(n, 3); v && v->size() == 1 && (*v)[0] != kUnknownVal) segs = (*v)[0];
  n.set_output(0, n.in_type(0), embedding_out(n, segs));
}

// ------------------------------------------------------------------------------------ SparseFillEmptyRows
// values [M], dense_shape [2], indices [M, 2], default_value [] -> output_indices [K, 2],
// output_values [K], empty_row_indicator [rows] (boolean)
void infer_sfer(Node& n) {
  check_index_type(n, 1, "dense_shape");
  check_index_type(n, 2, "indices");
  check_same_type(n, 0, 3, "values and default_value");
  const PartialShape& vs = n.in_shape(0);
  const PartialShape& ds = n.in_shape(1);
  const PartialShape& is = n.in_shape(2);
  check_rank(n, 0, 1, "values");
  IRCONV_CHECK(ds.rank_dynamic || (ds.size() == 1 && (ds.dims[0] == kDyn || ds.dims[0] == 2)),
               n.describe() << ": dense_shape must be 1D with 2 elements (2D sparse tensors), got " << ds.to_string());
  IRCONV_CHECK(is.rank_dynamic || (is.size() == 2 && (is.dims[1] == kDyn || is.dims[1] == 2)),
               n.describe() << ": indices must be 2D [M, 2], got " << is.to_string());
  if (!is.rank_dynamic && !vs.rank_dynamic) merge(n, is.dims[0], vs.dims[0], "indices and values lengths");
  check_rank(n, 3, 0, "default_value");
  int64_t rows = kDyn, k_idx = kDyn, k_val = kDyn;
  auto dense = known_ints(n, 1);
  if (dense && dense->size() == 2) {
    rows = (*dense)[0];
    const int64_t cols = (*dense)[1];
    if (auto idx = known_ints(n, 2)) {
      std::set<int64_t> seen;
      for (size_t i = 0; i + 1 < idx->size(); i += 2) {
        const int64_t r = (*idx)[i], c = (*idx)[i + 1];
        IRCONV_CHECK(r >= 0 && r < rows, n.describe() << ": sparse row index " << r << " is outside [0, " << rows - 1 << "]");
        IRCONV_CHECK(c >= 0 && c < cols, n.describe() << ": sparse column index " << c << " is outside [0, " << cols - 1 << "]");
        seen.insert(r);
      }
      const int64_t empty = rows - (int64_t)seen.size();
      const int64_t m_idx = is.rank_dynamic ? kDyn : is.dims[0];
      k_idx = m_idx == kDyn ? kDyn : m_idx + empty;
      k_val = vs.rank_dynamic || vs.dims[0] == kDyn ? kDyn : vs.dims[0] + empty;
    }
  }
  n.set_output(0, n.in_type(2), PartialShape({k_idx, 2}));
  n.set_output(1, n.in_type(0), PartialShape({k_val}));
  n.set_output(2, ET::boolean, PartialShape({rows}));
}

// ------------------------------------------------------------------------------------ SegmentMax
// data [N, ...], segment_ids [N] (sorted)[, num_segments] -> [num_segments, ...]
void infer_segment_max(Node& n) {
  std::string fm = n.attr_s("fill_mode");
  for (auto& c : fm) c = (char)std::tolower((unsigned char)c);
  IRCONV_CHECK(fm == "zero" || fm == "lowest", n.describe() << ": fill_mode must be zero or lowest, got '"
                                                            << n.attr_s("fill_mode") << "'");
  n.set_attr("fill_mode", fm);
  check_index_type(n, 1, "segment_ids");
  const PartialShape& data = n.in_shape(0);
  const PartialShape& ids = n.in_shape(1);
  IRCONV_CHECK(data.rank_dynamic || data.size() > 0, n.describe() << ": the data cannot be a scalar");
  check_rank(n, 1, 1, "segment_ids");
  if (!data.rank_dynamic && !ids.rank_dynamic) merge(n, data.dims[0], ids.dims[0], "data's first dimension and segment_ids length");
  auto seg = known_ints(n, 1);
  if (seg) IRCONV_CHECK(std::is_sorted(seg->begin(), seg->end()), n.describe() << ": segment_ids must be sorted");
  int64_t first = kDyn;
  if (n.num_inputs() > 2) {
    check_index_type(n, 2, "num_segments");
    check_rank(n, 2, 0, "num_segments");
    if (auto v = known_ints(n, 2); v && v->size() == 1) first = (*v)[0];
  }
  // without num_segments: max(segment_ids) + 1 when the ids are known
  if (n.num_inputs() == 2 && seg && !seg->empty()) first = *std::max_element(seg->begin(), seg->end()) + 1;
  if (data.rank_dynamic) {
    n.set_output(0, n.in_type(0), PartialShape::dynamic());
    return;
  }
  PartialShape out = data;
  out.dims[0] = first;
  n.set_output(0, n.in_type(0), out);
}

}  // namespace

IRCONV_OPS(sparse) {
  reg({"Unique", "opset10", 1, 2, infer_unique, eval_unique, {1}});
  reg({"Bucketize", "opset3", 2, 2, infer_bucketize, eval_bucketize, {}});
  reg({"SearchSorted", "opset15", 2, 2, infer_search_sorted, eval_search_sorted, {}});
  reg({"EmbeddingBagOffsetsSum", "opset3", 3, 5, infer_ebos, nullptr, {1, 2, 3}});
  reg({"EmbeddingBagPackedSum", "opset3", 2, 3, infer_ebps, nullptr, {1}});
  reg({"EmbeddingSegmentsSum", "opset3", 4, 6, infer_ess, nullptr, {1, 2, 3, 4}});
  reg({"EmbeddingBagOffsets", "opset15", 3, 5, infer_ebo, nullptr, {1, 2, 3}});
  reg({"EmbeddingBagPacked", "opset15", 2, 3, infer_ebp, nullptr, {1}});
  reg({"SparseFillEmptyRows", "opset16", 4, 4, infer_sfer, nullptr, {1, 2}});
  reg({"SegmentMax", "opset16", 2, 3, infer_segment_max, nullptr, {1, 2}});
}

}  // namespace irconv
