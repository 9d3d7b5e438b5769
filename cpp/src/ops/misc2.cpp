// Patch and block rearrangement ops and a few others: Col2Im (opset15), ExtractImagePatches
// (opset3), SpaceToBatch / BatchToSpace (opset2), ShuffleChannels (opset1), Identity (opset16),
// ScaledDotProductAttention (opset13, inference only), Inverse (opset14).
// Eval kernels (SpaceToBatch, BatchToSpace, ShuffleChannels, Identity) move bytes by element size.
#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "irconv/op_registry.hpp"
#include "ops_util.hpp"

namespace irconv {
namespace ops_detail {
// shape.cpp: transposes `src` of static `shape` by `perm` (output dim k = input dim perm[k]).
void transpose_bytes(const uint8_t* src, uint8_t* dst, size_t esz, const Dims& shape, const Dims& perm);
}  // namespace ops_detail

namespace {

using namespace ops_detail;
using Tensors = std::vector<const Tensor*>;

int64_t merge(const Node& n, int64_t a, int64_t b, const char* what) {
  IRCONV_CHECK(a == kDyn || b == kDyn || a == b, n.describe() << ": " << what << " do not match (" << a << " vs " << b << ")");
  return a == kDyn ? b : a;
}

Dims attr_pair(const Node& n, const char* k, const Dims& def) {
  Dims v = n.attr_ints(k, def);
  IRCONV_CHECK(v.size() == 2, n.describe() << ": attribute " << k << " must have 2 values, got " << v.size());
  return v;
}

// ------------------------------------------------------------------------------------ Col2Im
// data [N, C*kh*kw, L] or [C*kh*kw, L], output_size [2], kernel_size [2] -> [N, C, H, W] / [C, H, W]
void infer_col2im(Node& n) {
  default_attr(n, "strides", Dims{1, 1});
  default_attr(n, "dilations", Dims{1, 1});
  default_attr(n, "pads_begin", Dims{0, 0});
  default_attr(n, "pads_end", Dims{0, 0});
  const Dims strides = attr_pair(n, "strides", {1, 1}), dil = attr_pair(n, "dilations", {1, 1});
  const Dims pb = attr_pair(n, "pads_begin", {0, 0}), pe = attr_pair(n, "pads_end", {0, 0});
  for (int i = 0; i < 2; ++i)
    IRCONV_CHECK(strides[i] > 0 && dil[i] > 0 && pb[i] >= 0 && pe[i] >= 0,
                 n.describe() << ": strides and dilations must be positive, pads non-negative");
  check_integral_input(n, 1, "output_size");
  check_integral_input(n, 2, "kernel_size");
  const PartialShape& data = n.in_shape(0);
  IRCONV_CHECK(data.rank_dynamic || data.size() == 2 || data.size() == 3,
               n.describe() << ": the data must be 2D (unbatched) or 3D (batched), got " << data.to_string());
  for (size_t i = 1; i <= 2; ++i) {
    const PartialShape& s = n.in_shape(i);
    IRCONV_CHECK(s.rank_dynamic || (s.size() == 1 && s.dims[0] == 2),
                 n.describe() << ": input " << i << " (" << (i == 1 ? "output_size" : "kernel_size")
                              << ") must be 1D with 2 elements, got " << s.to_string());
  }
  if (data.rank_dynamic) {
    n.set_output(0, n.in_type(0), PartialShape::dynamic());
    return;
  }
  const bool batched = data.size() == 3;
  Dims out;
  if (batched) out.push_back(data.dims[0]);
  const int64_t cdim = data.dims[batched ? 1 : 0], ldim = data.dims[batched ? 2 : 1];
  auto kernel = known_ints(n, 2);
  int64_t c = kDyn;
  if (kernel && kernel->size() == 2 && cdim != kDyn) {
    const int64_t k = (*kernel)[0] * (*kernel)[1];
    IRCONV_CHECK(k > 0 && cdim % k == 0, n.describe() << ": dimension " << cdim
                                                      << " is not divisible by the kernel size product " << k);
    c = cdim / k;
  }
  out.push_back(c);
  auto os = partial_ints(n, 1);
  if (os && os->size() == 2) {
    for (int i = 0; i < 2; ++i) out.push_back((*os)[i] == kUnknownVal ? kDyn : (*os)[i]);
    if (kernel && kernel->size() == 2 && ldim != kDyn && (*os)[0] != kUnknownVal && (*os)[1] != kUnknownVal) {
      int64_t blocks = 1;
      for (int d = 0; d < 2; ++d)
        blocks *= ((*os)[d] + pb[d] + pe[d] - dil[d] * ((*kernel)[d] - 1) - 1) / strides[d] + 1;
      IRCONV_CHECK(blocks == ldim, n.describe() << ": the number of blocks must be " << blocks << " for these sizes, got "
                                                << ldim);
    }
  } else {
    out.push_back(kDyn);
    out.push_back(kDyn);
  }
  n.set_output(0, n.in_type(0), PartialShape(out));
}

// ------------------------------------------------------------------------------------ ExtractImagePatches
// [N, C, H, W] -> [N, C*sizes[0]*sizes[1], out_rows, out_cols]
int64_t ceil_div(int64_t a, int64_t b) { return a <= 0 ? 0 : (a + b - 1) / b; }

void infer_extract_image_patches(Node& n) {
  const Dims sizes = attr_pair(n, "sizes", {}), strides = attr_pair(n, "strides", {}), rates = attr_pair(n, "rates", {});
  for (int i = 0; i < 2; ++i)
    IRCONV_CHECK(sizes[i] > 0 && strides[i] > 0 && rates[i] > 0,
                 n.describe() << ": sizes, strides and rates must be positive");
  std::string pad = n.attr_s("auto_pad");
  for (auto& ch : pad) ch = (char)std::tolower((unsigned char)ch);
  IRCONV_CHECK(pad == "valid" || pad == "same_upper" || pad == "same_lower",
               n.describe() << ": auto_pad must be valid, same_upper or same_lower, got '" << n.attr_s("auto_pad") << "'");
  const PartialShape& in = n.in_shape(0);
  IRCONV_CHECK(in.rank_dynamic || in.size() == 4, n.describe() << ": the input must be 4D, got " << in.to_string());
  if (in.rank_dynamic) {
    n.set_output(0, n.in_type(0), PartialShape::dynamic_of_rank(4));
    return;
  }
  Dims out = {in.dims[0], in.dims[1] == kDyn ? kDyn : in.dims[1] * sizes[0] * sizes[1]};
  for (int i = 0; i < 2; ++i) {
    const int64_t d = in.dims[(size_t)(2 + i)];
    if (d == kDyn)
      out.push_back(kDyn);
    else if (pad == "valid")
      out.push_back(ceil_div(d - rates[i] * (sizes[i] - 1), strides[i]));
    else
      out.push_back(ceil_div(d, strides[i]));
  }
  n.set_output(0, n.in_type(0), PartialShape(out));
}

// ------------------------------------------------------------------------------------ SpaceToBatch / BatchToSpace

void check_block_inputs(const Node& n, const char* pads) {
  for (size_t i = 1; i <= 3; ++i) check_integral_input(n, i, i == 1 ? "block_shape" : pads);
  int64_t len = kDyn;
  for (size_t i = 1; i <= 3; ++i) {
    const PartialShape& s = n.in_shape(i);
    IRCONV_CHECK(s.rank_dynamic || s.size() == 1, n.describe() << ": block_shape and " << pads
                                                               << " inputs must be 1D, got " << s.to_string());
    if (!s.rank_dynamic) len = merge(n, len, s.dims[0], "lengths of block_shape and the pads/crops inputs");
  }
  const PartialShape& d = n.in_shape(0);
  if (!d.rank_dynamic) {
    IRCONV_CHECK(d.size() >= 2, n.describe() << ": the data must have rank >= 2, got " << d.to_string());
    IRCONV_CHECK(len == kDyn || len == (int64_t)d.size(),
                 n.describe() << ": block_shape must have one element per data dimension (" << d.size() << "), got " << len);
  }
}

void infer_space_to_batch(Node& n) {
  check_block_inputs(n, "pads");
  const PartialShape& d = n.in_shape(0);
  if (d.rank_dynamic) {
    n.set_output(0, n.in_type(0), PartialShape::dynamic());
    return;
  }
  auto blocks = known_ints(n, 1), pb = known_ints(n, 2), pe = known_ints(n, 3);
  Dims out;
  if (blocks) {
    int64_t p = 1;
    for (int64_t b : *blocks) p *= b;
    out.push_back(d.dims[0] == kDyn ? kDyn : d.dims[0] * p);
  } else {
    out.push_back(kDyn);
  }
  for (size_t i = 1; i < d.size(); ++i) {
    if (!blocks || !pb || !pe) {
      out.push_back(kDyn);
      continue;
    }
    const int64_t b = (*blocks)[i];
    IRCONV_CHECK(b > 0, n.describe() << ": block_shape values must be positive, got " << b);
    if (d.dims[i] == kDyn) {
      out.push_back(kDyn);
      continue;
    }
    const int64_t padded = d.dims[i] + (*pb)[i] + (*pe)[i];
    IRCONV_CHECK(padded % b == 0, n.describe() << ": padded dimension " << i << " (" << padded
                                               << ") must be divisible by block_shape " << b);
    out.push_back(padded / b);
  }
  n.set_output(0, n.in_type(0), PartialShape(out));
}

void infer_batch_to_space(Node& n) {
  check_block_inputs(n, "crops");
  const PartialShape& d = n.in_shape(0);
  if (d.rank_dynamic) {
    n.set_output(0, n.in_type(0), PartialShape::dynamic());
    return;
  }
  auto blocks = known_ints(n, 1), cb = known_ints(n, 2), ce = known_ints(n, 3);
  Dims out;
  if (blocks) {
    int64_t p = 1;
    for (int64_t b : *blocks) {
      IRCONV_CHECK(b >= 1, n.describe() << ": block_shape values must be >= 1, got " << b);
      p *= b;
    }
    if (d.dims[0] == kDyn) {
      out.push_back(kDyn);
    } else {
      IRCONV_CHECK(d.dims[0] % p == 0, n.describe() << ": the batch " << d.dims[0]
                                                    << " must be divisible by the block_shape product " << p);
      out.push_back(d.dims[0] / p);
    }
  } else {
    out.push_back(kDyn);
  }
  if (cb && ce) {
    for (size_t i = 0; i < cb->size(); ++i)
      IRCONV_CHECK((*cb)[i] >= 0 && (*ce)[i] >= 0, n.describe() << ": crops must be non-negative");
  }
  for (size_t i = 1; i < d.size(); ++i) {
    if (!blocks || !cb || !ce || d.dims[i] == kDyn) {
      out.push_back(kDyn);
      continue;
    }
    const int64_t full = d.dims[i] * (*blocks)[i], crop = (*cb)[i] + (*ce)[i];
    IRCONV_CHECK(crop <= full, n.describe() << ": crops of dimension " << i << " (" << crop << ") exceed "
                                            << full);
    out.push_back(full - crop);
  }
  n.set_output(0, n.in_type(0), PartialShape(out));
}

// Both directions as one gather: for SpaceToBatch, output element (b, j_1..j_k) with
// b = ((i_1 * B_2 + i_2) ... ) * N + n reads padded input (n, j_1*B_1 + i_1 - pb_1, ...);
// BatchToSpace is the inverse map with crops.
bool eval_block_impl(const Node& n, const Tensors& in, std::vector<Tensor>& out, bool to_batch) {
  const Tensor& x = *in[0];
  const size_t esz = elem_bytes(x.et);
  if (!esz) return false;
  const Dims blocks = in[1]->to_i64(), pb = in[2]->to_i64(), pe = in[3]->to_i64();
  const size_t r = x.shape.size();
  if (blocks.size() != r || blocks[0] != 1 || pb[0] != 0 || pe[0] != 0) return false;
  Dims os;
  if (to_batch) {
    int64_t p = 1;
    for (int64_t b : blocks) p *= b;
    os.push_back(x.shape[0] * p);
    for (size_t i = 1; i < r; ++i) os.push_back((x.shape[i] + pb[i] + pe[i]) / blocks[i]);
  } else {
    int64_t p = 1;
    for (int64_t b : blocks) p *= b;
    os.push_back(x.shape[0] / p);
    for (size_t i = 1; i < r; ++i) os.push_back(x.shape[i] * blocks[i] - pb[i] - pe[i]);
  }
  Tensor o = Tensor::zeros(x.et, os);
  uint8_t* dst = o.mutable_data();
  const Dims xs = row_strides(x.shape), ostr = row_strides(os);
  // iterate the "small batch" side: (n, block offsets i_1..i_k, small spatial j_1..j_k)
  const Dims& small = to_batch ? os : x.shape;  // spatial dims in block units
  const int64_t N = to_batch ? x.shape[0] : os[0];
  Dims idx(r, 0);  // idx[0] = n, idx[1..] = j
  Dims bi(r, 0);   // bi[1..] = block offsets
  const uint64_t total = o.numel();
  if (total == 0) {
    out[0] = std::move(o);
    return true;
  }
  // enumerate all (bi, n, j)
  std::vector<int64_t> bdims(blocks.begin(), blocks.end());
  bool more = true;
  while (more) {
    int64_t bflat = 0;
    for (size_t k = 1; k < r; ++k) bflat = bflat * blocks[k] + bi[k];
    for (int64_t nn = 0; nn < N; ++nn) {
      Dims j(r, 0);
      bool jmore = true;
      while (jmore) {
        // big-batch index and big-spatial (padded / uncropped) positions
        const int64_t big_b = bflat * N + nn;
        int64_t small_off = 0, big_off = 0;
        bool inside = true;
        for (size_t k = 1; k < r; ++k) {
          const int64_t full = j[k] * blocks[k] + bi[k] - pb[k];  // in the unpadded/cropped space
          if (to_batch) {
            if (full < 0 || full >= x.shape[k]) inside = false;
            small_off += full * xs[k];
            big_off += j[k] * ostr[k];
          } else {
            if (full < 0 || full >= os[k]) inside = false;
            small_off += j[k] * xs[k];
            big_off += full * ostr[k];
          }
        }
        if (to_batch) {
          uint8_t* d = dst + (uint64_t)(big_b * ostr[0] + big_off) * esz;
          if (inside) std::memcpy(d, x.data + (uint64_t)(nn * xs[0] + small_off) * esz, esz);
        } else if (inside) {
          std::memcpy(dst + (uint64_t)(nn * ostr[0] + big_off) * esz, x.data + (uint64_t)(big_b * xs[0] + small_off) * esz,
                      esz);
        }
        jmore = false;
        for (size_t k = r; k-- > 1;) {
          if (++j[k] < small[k]) {
            jmore = true;
            break;
          }
          j[k] = 0;
        }
      }
    }
    more = false;
    for (size_t k = r; k-- > 1;) {
      if (++bi[k] < blocks[k]) {
        more = true;
        break;
      }
      bi[k] = 0;
    }
  }
  out[0] = std::move(o);
  return true;
}
bool eval_space_to_batch(const Node& n, const Tensors& in, std::vector<Tensor>& out) {
  return eval_block_impl(n, in, out, true);
}
bool eval_batch_to_space(const Node& n, const Tensors& in, std::vector<Tensor>& out) {
  return eval_block_impl(n, in, out, false);
}

// ------------------------------------------------------------------------------------ ShuffleChannels

size_t shuffle_axis(const Node& n, const PartialShape& s) {
  const int64_t g = n.attr_i("group", 1);
  IRCONV_CHECK(g >= 1, n.describe() << ": group must be >= 1, got " << g);
  if (s.rank_dynamic) return 0;
  IRCONV_CHECK(s.size() >= 1, n.describe() << ": the input must have rank >= 1");
  const size_t a = (size_t)normalize(n, n.attr_i("axis", 1), (int64_t)s.size(), "axis");
  if (s.dims[a] != kDyn)
    IRCONV_CHECK(s.dims[a] % g == 0, n.describe() << ": the channel dimension " << s.dims[a]
                                                  << " must be divisible by group " << g);
  return a;
}

void infer_shuffle_channels(Node& n) {
  default_attr(n, "axis", int64_t(1));
  default_attr(n, "group", int64_t(1));
  shuffle_axis(n, n.in_shape(0));
  n.set_output(0, n.in_type(0), n.in_shape(0));
}

bool eval_shuffle_channels(const Node& n, const Tensors& in, std::vector<Tensor>& out) {
  const Tensor& x = *in[0];
  const size_t esz = elem_bytes(x.et);
  if (!esz || x.shape.empty()) return false;
  const size_t a = shuffle_axis(n, PartialShape(x.shape));
  const int64_t g = n.attr_i("group", 1);
  const Dims shape = {(int64_t)prod(x.shape, 0, a), g, x.shape[a] / g, (int64_t)prod(x.shape, a + 1, x.shape.size())};
  Tensor o = Tensor::zeros(x.et, x.shape);
  transpose_bytes(x.data, o.mutable_data(), esz, shape, {0, 2, 1, 3});
  out[0] = std::move(o);
  return true;
}

// ------------------------------------------------------------------------------------ Identity

void infer_identity(Node& n) { n.set_output(0, n.in_type(0), n.in_shape(0)); }

bool eval_identity(const Node& n, const Tensors& in, std::vector<Tensor>& out) {
  out[0] = *in[0];
  return true;
}

// ------------------------------------------------------------------------------------ ScaledDotProductAttention
// q [..., L, E], k [..., S, E], v [..., S, Ev][, mask][, scale] -> [..., L, Ev]
void infer_sdpa(Node& n) {
  default_attr(n, "causal", false);
  const bool causal = n.attr_b("causal", false);
  const PartialShape& q = n.in_shape(0);
  PartialShape batch = PartialShape::dynamic();
  int64_t L = kDyn, E = kDyn, S = kDyn, Ev = kDyn;
  if (!q.rank_dynamic) {
    IRCONV_CHECK(q.size() >= 3, n.describe() << ": the query must have rank >= 3, got " << q.to_string());
    L = q.dims[q.size() - 2];
    E = q.dims.back();
    batch = PartialShape(Dims(q.dims.begin(), q.dims.end() - 2));
  }
  auto lead = [](const PartialShape& s) { return PartialShape(Dims(s.dims.begin(), s.dims.end() - 2)); };
  const PartialShape& k = n.in_shape(1);
  if (!k.rank_dynamic) {
    IRCONV_CHECK(k.size() >= 3, n.describe() << ": the key must have rank >= 3, got " << k.to_string());
    batch = broadcast_numpy(batch, lead(k));
    E = merge(n, E, k.dims.back(), "query and key embedding dimensions");
    S = k.dims[k.size() - 2];
  }
  const PartialShape& v = n.in_shape(2);
  if (!v.rank_dynamic) {
    IRCONV_CHECK(v.size() >= 3, n.describe() << ": the value must have rank >= 3, got " << v.to_string());
    batch = broadcast_numpy(batch, lead(v));
    S = merge(n, S, v.dims[v.size() - 2], "key and value sequence lengths");
    Ev = v.dims.back();
  }
  auto bmerge = [&](int64_t a, int64_t b) {
    if (a == 1) return b;
    if (b == 1) return a;
    return merge(n, a, b, "attention mask dimensions");
  };
  if (n.num_inputs() > 3 && !causal) {
    const PartialShape& m = n.in_shape(3);
    if (!m.rank_dynamic && m.size() != 0) {
      IRCONV_CHECK(m.size() >= 2, n.describe() << ": the attention mask must have rank >= 2 or be a scalar, got "
                                               << m.to_string());
      L = bmerge(L, m.dims[m.size() - 2]);
      S = bmerge(S, m.dims.back());
      if (m.size() >= 3) batch = broadcast_numpy(batch, lead(m));
    }
  }
  if (n.num_inputs() > 4) {
    const PartialShape& s = n.in_shape(4);
    IRCONV_CHECK(s.rank_dynamic || s.size() == 0 || (s.size() == 1 && (s.dims[0] == kDyn || s.dims[0] == 1)),
                 n.describe() << ": the scale must be a scalar or have 1 element, got " << s.to_string());
  }
  if (!batch.rank_dynamic) {
    batch.dims.push_back(L);
    batch.dims.push_back(Ev);
  }
  n.set_output(0, n.in_type(0), batch);
}

// ------------------------------------------------------------------------------------ Inverse
// [..., N, N] -> same (matrix inverse, or adjoint)
void infer_inverse(Node& n) {
  default_attr(n, "adjoint", false);
  ET t = n.in_type(0);
  IRCONV_CHECK(t == ET::dynamic || et_info(t).is_float,
               n.describe() << ": the input must have a floating-point element type, got " << et_name(t));
  PartialShape s = n.in_shape(0);
  if (!s.rank_dynamic) {
    IRCONV_CHECK(s.size() >= 2, n.describe() << ": the input must have rank >= 2, got " << s.to_string());
    merge(n, s.dims[s.size() - 2], s.dims.back(), "the last two dimensions (a square matrix)");
  }
  n.set_output(0, t, s);
}

}  // namespace

IRCONV_OPS(misc2) {
  reg({"Col2Im", "opset15", 3, 3, infer_col2im, nullptr, {1, 2}});
  reg({"ExtractImagePatches", "opset3", 1, 1, infer_extract_image_patches, nullptr, {}});
  reg({"SpaceToBatch", "opset2", 4, 4, infer_space_to_batch, eval_space_to_batch, {1, 2, 3}});
  reg({"BatchToSpace", "opset2", 4, 4, infer_batch_to_space, eval_batch_to_space, {1, 2, 3}});
  reg({"ShuffleChannels", "opset1", 1, 1, infer_shuffle_channels, eval_shuffle_channels, {}});
  reg({"Identity", "opset16", 1, 1, infer_identity, eval_identity, {}});
  reg({"ScaledDotProductAttention", "opset13", 3, 5, infer_sdpa, nullptr, {}});
  reg({"Inverse", "opset14", 1, 1, infer_inverse, nullptr, {}});
}

}  // namespace irconv
