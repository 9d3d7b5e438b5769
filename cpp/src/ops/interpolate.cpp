// Interpolate-4 (data, sizes, scales[, axes]) and Interpolate-11 (data, scales_or_sizes[, axes]).
// Shape inference follows OpenVINO's interpolate_shape_inference.hpp: every dim is padded by
// pads_begin + pads_end (resized to the data rank), then on `axes` replaced by `sizes` or scaled
// as floor(float(dim) * (scale + 1e-6f)) (scale 1 keeps the dim); unknown values give -1.
#include <cctype>
#include <string>
#include <vector>

#include "irconv/op_registry.hpp"

namespace irconv {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = (char)std::tolower((unsigned char)c);
  return s;
}

void check_enum(const Node& n, const char* attr, const std::string& value, std::initializer_list<const char*> allowed) {
  std::string v = lower(value);
  std::string list;
  for (const char* a : allowed) {
    if (v == a) return;
    if (!list.empty()) list += ", ";
    list += a;
  }
  IRCONV_CHECK(false, n.describe() << ": attribute " << attr << " is '" << value << "', expected one of " << list);
}

bool is_sizes_type(ET t) { return t == ET::i32 || t == ET::i64 || t == ET::u32 || t == ET::u64; }
bool is_scales_type(ET t) { return t == ET::f32 || t == ET::f16 || t == ET::bf16; }

void check_1d(const Node& n, size_t port, const char* what) {
  const PartialShape& s = n.in_shape(port);
  IRCONV_CHECK(s.rank_dynamic || s.rank() == 1, n.describe() << ": input " << port << " (" << what
                                                             << ") must be 1D, got " << s.to_string());
}

// v4: ports data=0, sizes=1, scales=2, axes=3. v11: data=0, scales_or_sizes=1, axes=2.
void infer_interpolate(Node& n, bool v11) {
  const std::string mode = n.attr_s("mode");
  if (v11)
    check_enum(n, "mode", mode, {"nearest", "linear", "linear_onnx", "cubic", "bilinear_pillow", "bicubic_pillow"});
  else
    check_enum(n, "mode", mode, {"nearest", "linear", "linear_onnx", "cubic"});
  const std::string scm = lower(n.attr_s("shape_calculation_mode"));
  check_enum(n, "shape_calculation_mode", scm, {"sizes", "scales"});
  check_enum(n, "coordinate_transformation_mode", n.attr_s("coordinate_transformation_mode", "half_pixel"),
             {"half_pixel", "pytorch_half_pixel", "asymmetric", "tf_half_pixel_for_nn", "align_corners"});
  check_enum(n, "nearest_mode", n.attr_s("nearest_mode", "round_prefer_floor"),
             {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil", "simple"});
  const bool use_scales = scm == "scales";

  const ET et = n.in_type(0);
  IRCONV_CHECK(et == ET::dynamic || et == ET::f32 || et == ET::f16 || et == ET::bf16 || et == ET::i8 ||
                   et == ET::u8 || et == ET::i64 || et == ET::i32,
               n.describe() << ": data element type must be f32, f16, bf16, i8, u8, i64 or i32, got " << et_name(et));

  const size_t axes_port = v11 ? 2 : 3;
  const size_t sizes_port = 1;
  const size_t scales_port = v11 ? 1 : 2;
  const bool has_axes = n.num_inputs() > axes_port;
  if (v11) {
    ET t = n.in_type(1);
    if (use_scales)
      IRCONV_CHECK(t == ET::dynamic || is_scales_type(t),
                   n.describe() << ": scales element type must be f32, f16 or bf16, got " << et_name(t));
    else
      IRCONV_CHECK(t == ET::dynamic || is_sizes_type(t),
                   n.describe() << ": sizes element type must be i32, i64, u32 or u64, got " << et_name(t));
    for (size_t p = 1; p < n.num_inputs(); ++p) check_1d(n, p, p == 1 ? "scales_or_sizes" : "axes");
  } else {
    ET st = n.in_type(1), ct = n.in_type(2);
    IRCONV_CHECK(st == ET::dynamic || is_sizes_type(st),
                 n.describe() << ": sizes element type must be i32, i64, u32 or u64, got " << et_name(st));
    IRCONV_CHECK(ct == ET::dynamic || is_scales_type(ct),
                 n.describe() << ": scales element type must be f32, f16 or bf16, got " << et_name(ct));
    check_1d(n, use_scales ? 2 : 1, use_scales ? "scales" : "sizes");
    if (has_axes) check_1d(n, 3, "axes");
  }
  if (has_axes) {
    ET at = n.in_type(axes_port);
    IRCONV_CHECK(at == ET::dynamic || is_sizes_type(at),
                 n.describe() << ": axes element type must be i32, i64, u32 or u64, got " << et_name(at));
  }

  const PartialShape& data = n.in_shape(0);
  if (data.rank_dynamic) { n.set_output(0, et, PartialShape::dynamic()); return; }
  const size_t rank = data.size();

  std::vector<int64_t> pb = n.attr_ints("pads_begin", {0}), pe = n.attr_ints("pads_end", {0});
  pb.resize(rank, 0);
  pe.resize(rank, 0);

  std::vector<int64_t> axes;
  if (has_axes) {
    const Tensor* av = n.in_value(axes_port);
    if (!av) { n.set_output(0, et, PartialShape::dynamic_of_rank(rank)); return; }
    axes = av->to_i64();
    for (auto a : axes)
      IRCONV_CHECK(a >= 0 && a < (int64_t)rank, n.describe() << ": axes value " << a << " is not in [0, " << rank
                                                             << ") (data " << data.to_string() << ")");
  } else {
    for (size_t i = 0; i < rank; ++i) axes.push_back((int64_t)i);
  }

  std::vector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t d = data[i];
    int64_t p = pb[i] + pe[i];
    out[i] = (d < 0 || d + p < 0) ? kDyn : d + p;
  }
  if (use_scales) {
    const Tensor* sv = n.in_value(scales_port);
    if (!sv) {
      for (auto a : axes) out[(size_t)a] = kDyn;
    } else {
      std::vector<double> sc = sv->to_f64();
      IRCONV_CHECK(sc.size() >= axes.size(), n.describe() << ": the scales input has " << sc.size()
                                                          << " values, fewer than the " << axes.size() << " axes");
      for (size_t i = 0; i < axes.size(); ++i) {
        float s = (float)sc[i];
        int64_t& d = out[(size_t)axes[i]];
        if (s != 1.0f && d >= 0) d = (int64_t)((float)d * (s + 1.0e-6f));
      }
    }
  } else {
    const Tensor* zv = n.in_value(sizes_port);
    if (!zv) {
      for (auto a : axes) out[(size_t)a] = kDyn;
    } else {
      std::vector<int64_t> sz = zv->to_i64();
      IRCONV_CHECK(sz.size() >= axes.size(), n.describe() << ": the sizes input has " << sz.size()
                                                          << " values, fewer than the " << axes.size() << " axes");
      for (size_t i = 0; i < axes.size(); ++i) out[(size_t)axes[i]] = sz[i] < 0 ? kDyn : sz[i];
    }
  }
  n.set_output(0, et, PartialShape(out));
}

void infer_interpolate4(Node& n) { infer_interpolate(n, false); }
void infer_interpolate11(Node& n) { infer_interpolate(n, true); }

}  // namespace

IRCONV_OPS(interpolate) {
  reg({"Interpolate", "opset4", 3, 4, infer_interpolate4, nullptr, {1, 2, 3}});
  reg({"Interpolate", "opset11", 2, 3, infer_interpolate11, nullptr, {1, 2}});
}

}  // namespace irconv
