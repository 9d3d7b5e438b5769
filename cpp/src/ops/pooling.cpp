// Pooling family: MaxPool (opset1, opset8, opset14), AvgPool (opset1, opset14, opset16),
// AdaptiveAvgPool / AdaptiveMaxPool (opset8).
// Shape inference follows OpenVINO's pooling_shape_inference_util.hpp:
//   out = floor_or_ceil((in + pads_begin + pads_end - dilated_kernel) / stride) + 1
// with "ceil" allowing the last window to start in the right padding, and "ceil_torch" (opset14
// only) dropping that last window when it would start past the input and the left padding.
#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "irconv/op_registry.hpp"
#include "spatial_util.hpp"

namespace irconv {
namespace {

using namespace spatial;

enum class Rounding { Floor, Ceil, CeilTorch };

Rounding parse_rounding(const Node& n, bool allow_torch) {
  std::string s = lower(n.attr_s("rounding_type", "floor"));
  if (s == "floor") return Rounding::Floor;
  if (s == "ceil") return Rounding::Ceil;
  if (s == "ceil_torch") {
    IRCONV_CHECK(allow_torch, n.describe() << " (" << n.version << "): rounding_type ceil_torch is not supported "
                                           << "before opset14, use " << n.type << "-14");
    return Rounding::CeilTorch;
  }
  IRCONV_CHECK(false, n.describe() << ": attribute rounding_type is '" << s
                                   << "', expected one of floor, ceil" << (allow_torch ? ", ceil_torch" : ""));
  return Rounding::Floor;
}

ET parse_index_type(const Node& n) {
  std::string s = n.attr_s("index_element_type", "i64");
  ET t = et_from_string(s);
  IRCONV_CHECK(t == ET::i32 || t == ET::i64,
               n.describe() << ": index_element_type must be i32 or i64, got " << s);
  return t;
}

struct PoolFlags {
  bool has_dilations;   // MaxPool-8/14, AvgPool-16
  bool ceil_torch;      // opset14+
  bool avg;             // AvgPool: exclude-pad check
  bool two_outputs;     // MaxPool-8/14: values + indices
};

void infer_pool(Node& n, const PoolFlags& f) {
  const PartialShape& data = n.in_shape(0);
  const ET et = n.in_type(0);
  const std::vector<int64_t> kernel = n.attr_ints("kernel");
  const std::vector<int64_t> strides = n.attr_ints("strides");
  std::vector<int64_t> pads_begin = n.attr_ints("pads_begin", {});
  std::vector<int64_t> pads_end = n.attr_ints("pads_end", {});
  const size_t ns = kernel.size();
  std::vector<int64_t> dilations;
  if (f.has_dilations) {
    dilations = n.attr_ints("dilations", {});
    // The spec default (all ones) is written out explicitly: OpenVINO's CPU plugin (2026.4)
    // crashes on an IR MaxPool-14 with rounding_type=ceil_torch and no dilations attribute.
    if (dilations.empty()) n.set_attr("dilations", std::vector<int64_t>(ns, 1));
  }
  if (dilations.empty()) dilations.assign(ns, 1);
  const AutoPad auto_pad = parse_auto_pad(n);
  const Rounding rounding = parse_rounding(n, f.ceil_torch);
  const bool exclude_pad = f.avg && n.attr_b("exclude-pad", false);

  if (pads_begin.empty()) pads_begin.assign(ns, 0);
  if (pads_end.empty()) pads_end.assign(ns, 0);
  IRCONV_CHECK(pads_begin.size() == ns && pads_end.size() == ns,
               n.describe() << ": pads_begin/pads_end have " << pads_begin.size() << "/" << pads_end.size()
                            << " values, expected one per kernel axis (" << ns << ")");
  IRCONV_CHECK(data.rank_dynamic || (data.rank() >= 3 && data.rank() <= 5),
               n.describe() << ": expected a 3D, 4D or 5D data input, got " << data.to_string());
  IRCONV_CHECK(strides.size() == ns, n.describe() << ": strides has " << strides.size()
                                                  << " values, expected one per kernel axis (" << ns << ")");
  IRCONV_CHECK(dilations.size() == ns, n.describe() << ": dilations has " << dilations.size()
                                                    << " values, expected one per kernel axis (" << ns << ")");
  IRCONV_CHECK(data.rank_dynamic || (int64_t)ns == data.rank() - 2,
               n.describe() << ": kernel has " << ns << " values, expected data rank - 2 = " << data.rank() - 2
                            << " (data " << data.to_string() << ")");
  for (auto s : strides) IRCONV_CHECK(s > 0, n.describe() << ": strides must be positive, got " << s);
  for (auto d : dilations) IRCONV_CHECK(d > 0, n.describe() << ": dilations must be positive, got " << d);

  int64_t axis = 0;
  ET idx_et = ET::i64;
  if (f.two_outputs) {
    idx_et = parse_index_type(n);
    axis = n.attr_i("axis", 0);
    if (!data.rank_dynamic)
      IRCONV_CHECK(axis >= -data.rank() && axis < data.rank(),
                   n.describe() << ": axis " << axis << " is out of range [" << -data.rank() << ", "
                                << data.rank() - 1 << "]");
  }

  PartialShape out;
  if (data.rank_dynamic) {
    out = PartialShape::dynamic_of_rank(ns + 2);
  } else {
    IRCONV_CHECK(data[0] != 0, n.describe() << ": batch size is zero");
    IRCONV_CHECK(data[1] != 0, n.describe() << ": channel count is zero");
    const bool same = auto_pad == AutoPad::SameUpper || auto_pad == AutoPad::SameLower;
    std::vector<int64_t> dims = {data[0], data[1]};
    for (size_t i = 0; i < ns; ++i) {
      const int64_t d = data[2 + i];
      const int64_t kd = kernel[i] < 1 ? -1 : dim_add(dim_mul(dilations[i], kernel[i] - 1), 1);
      IRCONV_CHECK(kd > 0, n.describe() << ": kernel is " << kernel[i] << " at axis " << i << ", expected >= 1");
      int64_t pb = 0, pe = 0;
      if (auto_pad == AutoPad::Explicit) {
        pb = pads_begin[i];
        pe = pads_end[i];
      } else if (same) {
        if (d < 0) { dims.push_back(kDyn); continue; }
        const int64_t tmp = d / strides[i] + (d % strides[i] != 0);     // ceil, without d + s - 1 overflowing
        const int64_t total = std::max<int64_t>(0, dim_sub(dim_add(dim_mul(tmp - 1, strides[i]), kd), d));
        const int64_t half = total / 2;
        if (auto_pad == AutoPad::SameUpper) { pb = half; pe = total - half; }
        else { pe = half; pb = total - half; }
      }
      if (d < 0) { dims.push_back(kDyn); continue; }
      const int64_t padded = dim_add(dim_add(d, pb), pe);
      IRCONV_CHECK(kd <= padded, n.describe() << ": kernel after dilation (" << kd
                                              << ") is larger than the padded data (" << padded << ") at axis " << i);
      if (exclude_pad)
        IRCONV_CHECK(kd > pb && kd > pe,
                     n.describe() << ": with exclude-pad the kernel (" << kd << ") would lie entirely in the padding ("
                                  << pb << ", " << pe << ") at axis " << i);
      const int64_t num = padded - kd;
      int64_t o = rounding == Rounding::Floor ? num / strides[i] : num / strides[i] + (num % strides[i] != 0);
      if (rounding == Rounding::CeilTorch) {
        // the last window must start inside the input or the left padding
        if (dim_mul(o, strides[i]) <= dim_add(d, pb) - 1) o += 1;
      } else {
        o += 1;
      }
      dims.push_back(o);
    }
    out = PartialShape(dims);
  }
  n.set_output(0, et, out);
  if (f.two_outputs) n.set_output(1, idx_et, out);
}

void infer_maxpool1(Node& n) { infer_pool(n, {false, false, false, false}); }
void infer_maxpool8(Node& n) { infer_pool(n, {true, false, false, true}); }
void infer_maxpool14(Node& n) { infer_pool(n, {true, true, false, true}); }
void infer_avgpool1(Node& n) { infer_pool(n, {false, false, true, false}); }
void infer_avgpool14(Node& n) { infer_pool(n, {false, true, true, false}); }
void infer_avgpool16(Node& n) { infer_pool(n, {true, true, true, false}); }

void infer_adaptive(Node& n, bool max) {
  const PartialShape& data = n.in_shape(0);
  const PartialShape& osz = n.in_shape(1);
  IRCONV_CHECK(data.rank_dynamic || (data.rank() >= 3 && data.rank() <= 5),
               n.describe() << ": expected a 3D, 4D or 5D data input, got " << data.to_string());
  IRCONV_CHECK(osz.rank_dynamic || osz.rank() == 1,
               n.describe() << ": output_shape input must be 1D, got " << osz.to_string());
  ET st = n.in_type(1);
  IRCONV_CHECK(st == ET::dynamic || st == ET::i32 || st == ET::i64,
               n.describe() << ": output_shape input must be i32 or i64, got " << et_name(st));
  ET idx_et = max ? parse_index_type(n) : ET::i64;
  PartialShape out = PartialShape::dynamic();
  if (!data.rank_dynamic) {
    const int64_t ns = data.rank() - 2;
    IRCONV_CHECK(osz.rank_dynamic || osz[0] < 0 || osz[0] == ns,
                 n.describe() << ": output_shape has " << osz[0] << " values, expected " << ns
                              << " (one per spatial axis of " << data.to_string() << ")");
    std::vector<int64_t> dims = {data[0], data[1]};
    if (const Tensor* v = n.in_value(1)) {
      std::vector<int64_t> vals = v->to_i64();
      IRCONV_CHECK((int64_t)vals.size() == ns, n.describe() << ": output_shape has " << vals.size()
                                                            << " values, expected " << ns);
      for (auto x : vals) dims.push_back(x < 0 ? kDyn : x);
    } else {
      for (int64_t i = 0; i < ns; ++i) dims.push_back(kDyn);
    }
    out = PartialShape(dims);
  }
  n.set_output(0, n.in_type(0), out);
  if (max) n.set_output(1, idx_et, out);
}

void infer_adaptive_avg(Node& n) { infer_adaptive(n, false); }
void infer_adaptive_max(Node& n) { infer_adaptive(n, true); }

}  // namespace

IRCONV_OPS(pooling) {
  reg({"MaxPool", "opset1", 1, 1, infer_maxpool1});
  reg({"MaxPool", "opset8", 1, 1, infer_maxpool8});
  reg({"MaxPool", "opset14", 1, 1, infer_maxpool14});
  reg({"AvgPool", "opset1", 1, 1, infer_avgpool1});
  reg({"AvgPool", "opset14", 1, 1, infer_avgpool14});
  reg({"AvgPool", "opset16", 1, 1, infer_avgpool16});
  reg({"AdaptiveAvgPool", "opset8", 2, 2, infer_adaptive_avg, nullptr, {1}});
  reg({"AdaptiveMaxPool", "opset8", 2, 2, infer_adaptive_max, nullptr, {1}});
}

}  // namespace irconv
