// FakeQuantize (opset1) with a reference kernel, so constant weights going through FakeQuantize
// fold. Semantics (OpenVINO reference fake_quantize.hpp), per element with ranges broadcast to x:
//   x <= min(il, ih)  -> ol
//   x >  max(il, ih)  -> oh
//   else              -> nearbyint((x - il) / (ih - il) * (levels - 1)) / (levels - 1) * (oh - ol) + ol
// computed in the element type's precision (float for f32/f16/bf16, double for f64).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>
#include <vector>

#include "irconv/op_registry.hpp"

namespace irconv {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = (char)std::tolower((unsigned char)c);
  return s;
}

std::string parse_broadcast(const Node& n) {
  std::string b = lower(n.attr_s("auto_broadcast", "numpy"));
  IRCONV_CHECK(b == "numpy" || b == "none" || b == "pdpd" || b == "explicit",
               n.describe() << ": attribute auto_broadcast is '" << b << "', expected numpy, none or pdpd");
  IRCONV_CHECK(b != "explicit", n.describe() << ": auto_broadcast 'explicit' is not supported by FakeQuantize");
  return b;
}

void infer_fake_quantize(Node& n) {
  const int64_t levels = n.attr_i("levels");
  IRCONV_CHECK(levels >= 0, n.describe() << ": attribute levels must be non-negative, got " << levels);
  const std::string bc = parse_broadcast(n);
  static const char* names[5] = {"data", "input_low", "input_high", "output_low", "output_high"};
  PartialShape acc = n.in_shape(0);
  for (size_t i = 1; i <= 4; ++i) {
    const PartialShape& s = n.in_shape(i);
    if (bc == "none") {
      if (acc.rank_dynamic) { acc = s; continue; }
      if (s.rank_dynamic) continue;
      bool ok = acc.rank() == s.rank();
      for (size_t k = 0; ok && k < acc.size(); ++k) {
        if (acc[k] >= 0 && s[k] >= 0 && acc[k] != s[k]) ok = false;
        else if (acc[k] < 0) acc[k] = s[k];
      }
      IRCONV_CHECK(ok, n.describe() << ": " << names[i] << " shape " << s.to_string() << " differs from the data shape "
                                    << n.in_shape(0).to_string() << " (auto_broadcast none)");
    } else {
      try {
        acc = broadcast_numpy(acc, s);
      } catch (const Error&) {
        IRCONV_CHECK(false, n.describe() << ": " << names[i] << " shape " << s.to_string()
                                         << " does not broadcast to the data shape " << n.in_shape(0).to_string());
      }
    }
  }
  // The output keeps the data shape (ranges broadcast uni-directionally, as in OpenVINO).
  n.set_output(0, n.in_type(0), n.in_shape(0));
}

template <class T>
T quantize(T x, T il, T ih, T ol, T oh, T lm1) {
  if (x <= std::min(il, ih)) return ol;
  if (x > std::max(il, ih)) return oh;
  return std::nearbyint((x - il) / (ih - il) * lm1) / lm1 * (oh - ol) + ol;
}

// Element strides of a range tensor broadcast (numpy, right-aligned) to `shape`; false if it does not fit.
bool broadcast_strides(const std::vector<int64_t>& shape, const std::vector<int64_t>& rs, std::vector<int64_t>& st) {
  const size_t r = shape.size();
  if (rs.size() > r) return false;
  st.assign(r, 0);
  int64_t acc = 1;
  for (size_t k = rs.size(); k-- > 0;) {
    const size_t d = r - rs.size() + k;
    if (rs[k] != 1 && rs[k] != shape[d]) return false;
    st[d] = rs[k] == 1 ? 0 : acc;
    acc *= rs[k];
  }
  return true;
}

template <class T>
void fq_kernel(const std::vector<const Tensor*>& in, const std::vector<std::vector<int64_t>>& strides,
               const std::vector<int64_t>& shape, int64_t levels, uint8_t* dst) {
  const ET et = in[0]->et;
  const uint64_t total = in[0]->numel();
  const size_t r = shape.size();
  const T lm1 = (T)(levels - 1);
  std::vector<int64_t> idx(r, 0);
  int64_t off[4] = {0, 0, 0, 0};
  for (uint64_t e = 0; e < total; ++e) {
    T v[5];
    v[0] = (T)load_f64(et, in[0]->data, e);
    for (int j = 0; j < 4; ++j) v[j + 1] = (T)load_f64(in[j + 1]->et, in[j + 1]->data, (uint64_t)off[j]);
    store_f64(et, dst, e, (double)quantize<T>(v[0], v[1], v[2], v[3], v[4], lm1));
    // advance the multi-index and the range offsets
    for (size_t k = r; k-- > 0;) {
      ++idx[k];
      for (int j = 0; j < 4; ++j) off[j] += strides[(size_t)j][k];
      if (idx[k] < shape[k]) break;
      for (int j = 0; j < 4; ++j) off[j] -= strides[(size_t)j][k] * idx[k];
      idx[k] = 0;
    }
  }
}

bool eval_fake_quantize(const Node& n, const std::vector<const Tensor*>& in, std::vector<Tensor>& out) {
  const ET et = in[0]->et;
  if (!et_is_plain(et) || !et_info(et).is_float) return false;
  for (size_t i = 1; i <= 4; ++i)
    if (!et_is_plain(in[i]->et) || !et_info(in[i]->et).is_float) return false;
  const int64_t levels = n.attr_i("levels");
  if (levels < 2) return false;
  const std::vector<int64_t>& shape = in[0]->shape;
  std::vector<std::vector<int64_t>> strides(4);
  for (size_t j = 0; j < 4; ++j)
    if (!broadcast_strides(shape, in[j + 1]->shape, strides[j])) return false;
  Tensor res = Tensor::zeros(et, shape);
  if (et == ET::f64)
    fq_kernel<double>(in, strides, shape, levels, res.mutable_data());
  else
    fq_kernel<float>(in, strides, shape, levels, res.mutable_data());
  out[0] = std::move(res);
  return true;
}

}  // namespace

IRCONV_OPS(quantization) {
  reg({"FakeQuantize", "opset1", 5, 5, infer_fake_quantize, eval_fake_quantize, {}, false, {1, 2, 3, 4}});
}

}  // namespace irconv
