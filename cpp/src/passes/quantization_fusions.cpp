// Quantization fusions: a FakeQuantize whose integer output is converted to an integer type and
// back, then dequantized by a zero point and a scale (ONNX QuantizeLinear -> DequantizeLinear as
// the frontend translates it), is one FakeQuantize with dequantized output ranges:
//
//   Multiply(Subtract(Convert_f(Convert_int(FQ(x, il, ih, ol, oh; L))), zp), s)
//     -> FQ(x, il, ih, (ol - zp) * s, (oh - zp) * s; L)          (Subtract optional: zp = 0)
// Requirements: the FakeQuantize's output levels are the integers ol..oh (oh - ol = L - 1, both
// integral) and fit the integer type (so the two Converts change nothing), the zero point and
// scale are constants, the float type is the FakeQuantize's.
#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "fusion_util.hpp"
#include "irconv/pass.hpp"
#include "irconv/pattern.hpp"

namespace irconv {
namespace {

using namespace pattern;  // NOLINT

// out[i] = f(a[i], b[i], c[i]) with numpy broadcasting of the three tensors; false if they do not
// broadcast.
bool broadcast3(const Tensor& a, const Tensor& b, const Tensor& c, ET et,
                const std::function<double(double, double, double)>& f, Tensor* out) {
  const Tensor* ts[3] = {&a, &b, &c};
  size_t r = std::max({a.shape.size(), b.shape.size(), c.shape.size()});
  std::vector<std::vector<int64_t>> s(3, std::vector<int64_t>(r, 1));
  std::vector<int64_t> so(r, 1);
  for (int k = 0; k < 3; ++k) {
    std::copy(ts[k]->shape.begin(), ts[k]->shape.end(), s[(size_t)k].begin() + (long)(r - ts[k]->shape.size()));
    for (size_t i = 0; i < r; ++i) {
      int64_t d = s[(size_t)k][i];
      if (d != 1 && so[i] != 1 && d != so[i]) return false;
      so[i] = std::max(so[i], d);
    }
  }
  *out = Tensor::zeros(et, so);
  uint64_t n = out->numel();
  std::vector<int64_t> idx(r, 0);
  for (uint64_t e = 0; e < n; ++e) {
    double v[3];
    for (int k = 0; k < 3; ++k) {
      uint64_t off = 0;
      for (size_t i = 0; i < r; ++i) off = off * (uint64_t)s[(size_t)k][i] + (uint64_t)(s[(size_t)k][i] == 1 ? 0 : idx[i]);
      v[k] = ts[k]->get_f64(off);
    }
    store_f64(et, out->mutable_data(), e, f(v[0], v[1], v[2]));
    for (size_t i = r; i-- > 0;) {
      if (++idx[i] < so[i]) break;
      idx[i] = 0;
    }
  }
  return true;
}

bool int_range(ET t, double* lo, double* hi) {
  switch (t) {
    case ET::u8: *lo = 0; *hi = 255; return true;
    case ET::i8: *lo = -128; *hi = 127; return true;
    case ET::u16: *lo = 0; *hi = 65535; return true;
    case ET::i16: *lo = -32768; *hi = 32767; return true;
    case ET::u32: *lo = 0; *hi = 4294967295.0; return true;
    case ET::i32: *lo = -2147483648.0; *hi = 2147483647.0; return true;
    default: return false;
  }
}

std::vector<Rewrite> fq_dequantize_rewrites() {
  auto x = any(floating());
  auto il = constant(), ih = constant(), ol = constant(), oh = constant();
  auto fq = op("FakeQuantize", {x, il, ih, ol, oh});
  auto to_int = op("Convert", {fq});
  auto to_float = op("Convert", {to_int});
  auto zp = constant(), s = constant();
  auto root = op("Multiply", {alt({op("Subtract", {to_float, zp}), to_float}), s});
  auto cb = [=](Match& m) {
    ET ft = fusion::desc(m[fq]).et, it = fusion::desc(m[to_int]).et;
    double tlo, thi;
    if (!int_range(it, &tlo, &thi) || fusion::desc(m[to_float]).et != ft || fusion::desc(m.root()->out(0)).et != ft)
      return false;
    Node* f = m.node(fq);
    if (f->attr_s("auto_broadcast", "numpy") != "numpy") return false;
    int64_t levels = f->attr_i("levels", 0);
    if (levels < 2) return false;
    // the FakeQuantize's output levels are the integers ol..oh, inside the integer type
    const Tensor &olv = m.value(ol), &ohv = m.value(oh);
    Tensor check;
    bool ok = true;
    auto levels_ok = [&](double lo, double hi, double) {
      ok &= lo == std::nearbyint(lo) && hi == std::nearbyint(hi) && hi - lo == (double)(levels - 1) && lo >= tlo &&
            hi <= thi;
      return 0.0;
    };
    if (!broadcast3(olv, ohv, olv, ET::f64, levels_ok, &check) || !ok) return false;
    Tensor zero = Tensor::from_f64(ft, {}, {0.0});
    const Tensor& zpv = m.has(zp) ? m.value(zp) : zero;
    const Tensor& sv = m.value(s);
    if (!fusion::is_float_et(sv.et) || !fusion::is_float_et(zpv.et)) return false;
    Tensor nlo, nhi;
    auto deq = [](double q, double z, double sc) { return (q - z) * sc; };
    if (!broadcast3(olv, zpv, sv, ft, deq, &nlo) || !broadcast3(ohv, zpv, sv, ft, deq, &nhi)) return false;
    Graph& g = m.graph();
    const std::string base = m.root()->name;
    Output lo = fusion::new_const(g, base + "/output_low", std::move(nlo));
    Output hi = fusion::new_const(g, base + "/output_high", std::move(nhi));
    return m.replace("FakeQuantize", {m[x], m[il], m[ih], lo, hi}, f->attrs, f->version) != nullptr;
  };
  return {rewrite("(Convert(Convert(FQ))-zp)*s", root, cb)};
}

}  // namespace

IRCONV_PASSES(quantization_fusions) {
  // (Convert_f(Convert_int(FakeQuantize(x))) - zp) * s -> FakeQuantize(x) with dequantized output ranges
  reg_pass({"FakeQuantizeDequantizeFusion", kOrderFusion + 35, [](Graph& g, const PassContext&) {
              static const RewriteSet set(fq_dequantize_rewrites());
              return set.apply(g);
            }});
}

}  // namespace irconv
