// Normalization family: BatchNormInference (opset5), MVN (opset6), LRN (opset1), GRN (opset1),
// NormalizeL2 (opset1), GroupNormalization (opset12). All keep the data shape and type; inference
// validates inputs and attributes the way OpenVINO's validate_and_infer_types does.
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

ET merge_et(const Node& n, ET a, ET b, size_t port) {
  if (a == ET::dynamic) return b;
  if (b == ET::dynamic) return a;
  IRCONV_CHECK(a == b, n.describe() << ": input " << port << " is " << et_name(b) << ", expected " << et_name(a)
                                    << " like the data input");
  return a;
}

void check_axes_input(const Node& n, size_t port, int64_t max_rank, bool allow_scalar, bool need_integral) {
  const PartialShape& s = n.in_shape(port);
  if (allow_scalar)
    IRCONV_CHECK(s.rank_dynamic || s.rank() <= 1, n.describe() << ": axes input must be a scalar or 1D, got "
                                                               << s.to_string());
  else
    IRCONV_CHECK(s.rank_dynamic || s.rank() == 1, n.describe() << ": axes input must be 1D, got " << s.to_string());
  ET t = n.in_type(port);
  IRCONV_CHECK(!need_integral || t == ET::dynamic || et_is_integral(t),
               n.describe() << ": axes input must be of an integer type, got " << et_name(t));
  if (max_rank >= 0 && !s.rank_dynamic && s.rank() == 1 && s[0] >= 0)
    IRCONV_CHECK(s[0] <= max_rank, n.describe() << ": axes input has " << s[0] << " values, more than the data rank "
                                                << max_rank);
}

// Axes values (when known) must address data dims; negative values count from the end.
void check_axes_values(const Node& n, size_t port, int64_t rank) {
  const Tensor* v = n.in_value(port);
  if (!v || rank < 0) return;
  for (auto a : v->to_i64())
    IRCONV_CHECK(a >= -rank && a < rank, n.describe() << ": axis " << a << " is out of range [" << -rank << ", "
                                                      << rank - 1 << "] for data " << n.in_shape(0).to_string());
}

// ---- BatchNormInference-5: data, gamma, beta, mean, variance ----
void infer_batch_norm(Node& n) {
  ET et = n.in_type(0);
  for (size_t i = 1; i < 5; ++i) et = merge_et(n, et, n.in_type(i), i);
  IRCONV_CHECK(et == ET::dynamic || et_info(et).is_float,
               n.describe() << ": input element types must be floating-point, got " << et_name(et));
  const double eps = n.attr_f("epsilon");
  IRCONV_CHECK(eps >= 0, n.describe() << ": attribute epsilon must be >= 0, got " << eps);
  const PartialShape& data = n.in_shape(0);
  int64_t c = kDyn;
  if (!data.rank_dynamic) {
    IRCONV_CHECK(data.rank() >= 2, n.describe() << ": data must have rank >= 2, got " << data.to_string());
    c = data[1];
  }
  static const char* names[5] = {"data", "gamma", "beta", "mean", "variance"};
  for (size_t i = 1; i < 5; ++i) {
    const PartialShape& s = n.in_shape(i);
    if (s.rank_dynamic) continue;
    IRCONV_CHECK(s.rank() == 1, n.describe() << ": " << names[i] << " must be 1D, got " << s.to_string());
    IRCONV_CHECK(c < 0 || s[0] < 0 || c == s[0], n.describe() << ": data channels (" << c << ") do not match "
                                                              << names[i] << " size (" << s[0] << ")");
    if (c < 0) c = s[0];
  }
  IRCONV_CHECK(c != 0, n.describe() << ": channel count must be at least 1");
  PartialShape out = data;
  if (!out.rank_dynamic) out[1] = c;
  n.set_output(0, et, out);
}

// ---- MVN-6: data, axes ----
void infer_mvn(Node& n) {
  const std::string mode = lower(n.attr_s("eps_mode"));
  IRCONV_CHECK(mode == "inside_sqrt" || mode == "outside_sqrt",
               n.describe() << ": attribute eps_mode is '" << mode << "', expected inside_sqrt or outside_sqrt");
  IRCONV_CHECK(n.has_attr("normalize_variance"), n.describe() << ": attribute 'normalize_variance' is required");
  n.attr_f("eps");
  const PartialShape& data = n.in_shape(0);
  // OpenVINO checks only the number of axes here (not their type or values).
  check_axes_input(n, 1, data.rank(), false, false);
  n.set_output(0, n.in_type(0), data);
}

// ---- LRN-1: data, axes ----
void infer_lrn(Node& n) {
  n.attr_f("alpha");
  n.attr_f("beta");
  n.attr_f("bias");
  n.attr_i("size");
  const PartialShape& data = n.in_shape(0);
  check_axes_input(n, 1, data.rank(), false, true);
  check_axes_values(n, 1, data.rank());
  n.set_output(0, n.in_type(0), data);
}

// ---- GRN-1 ----
void infer_grn(Node& n) {
  n.attr_f("bias");
  const PartialShape& data = n.in_shape(0);
  IRCONV_CHECK(data.rank_dynamic || (data.rank() >= 2 && data.rank() <= 4),
               n.describe() << ": data must be 2D, 3D or 4D, got " << data.to_string());
  ET et = n.in_type(0);
  IRCONV_CHECK(et != ET::boolean && et != ET::string, n.describe() << ": data must be numeric, got " << et_name(et));
  n.set_output(0, et, data);
}

// ---- NormalizeL2-1: data, axes ----
void infer_normalize_l2(Node& n) {
  n.attr_f("eps");
  const std::string mode = lower(n.attr_s("eps_mode"));
  IRCONV_CHECK(mode == "add" || mode == "max",
               n.describe() << ": attribute eps_mode is '" << mode << "', expected add or max");
  const PartialShape& data = n.in_shape(0);
  check_axes_input(n, 1, -1, true, false);
  check_axes_values(n, 1, data.rank());
  n.set_output(0, n.in_type(0), data);
}

// ---- GroupNormalization-12: data, scale, bias ----
void infer_group_norm(Node& n) {
  const int64_t groups = n.attr_i("num_groups");
  n.attr_f("epsilon");
  IRCONV_CHECK(groups > 0, n.describe() << ": num_groups must be positive, got " << groups);
  const ET et = n.in_type(0);  // OpenVINO does not require scale/bias to have the data type
  const PartialShape& data = n.in_shape(0);
  const PartialShape& scale = n.in_shape(1);
  const PartialShape& bias = n.in_shape(2);
  IRCONV_CHECK(scale.rank_dynamic || scale.rank() == 1, n.describe() << ": scale must be 1D, got " << scale.to_string());
  IRCONV_CHECK(bias.rank_dynamic || bias.rank() == 1, n.describe() << ": bias must be 1D, got " << bias.to_string());
  if (!data.rank_dynamic) {
    IRCONV_CHECK(data.rank() >= 2, n.describe() << ": data must have rank >= 2, got " << data.to_string());
    const int64_t c = data[1];
    IRCONV_CHECK(scale.rank_dynamic || c < 0 || scale[0] < 0 || c == scale[0],
                 n.describe() << ": scale size (" << scale[0] << ") does not match data channels (" << c << ")");
    IRCONV_CHECK(bias.rank_dynamic || c < 0 || bias[0] < 0 || c == bias[0],
                 n.describe() << ": bias size (" << bias[0] << ") does not match data channels (" << c << ")");
    IRCONV_CHECK(c < 0 || groups <= c, n.describe() << ": num_groups (" << groups << ") exceeds the channels (" << c
                                                    << ")");
    IRCONV_CHECK(c < 0 || c % groups == 0, n.describe() << ": channels (" << c << ") are not divisible by num_groups ("
                                                        << groups << ")");
  }
  IRCONV_CHECK(scale.rank_dynamic || bias.rank_dynamic || scale[0] < 0 || bias[0] < 0 || scale[0] == bias[0],
               n.describe() << ": scale " << scale.to_string() << " and bias " << bias.to_string() << " differ");
  n.set_output(0, et, data);
}

}  // namespace

IRCONV_OPS(normalization) {
  reg({"BatchNormInference", "opset5", 5, 5, infer_batch_norm});
  reg({"MVN", "opset6", 2, 2, infer_mvn, nullptr, {1}});
  reg({"LRN", "opset1", 2, 2, infer_lrn, nullptr, {1}});
  reg({"GRN", "opset1", 1, 1, infer_grn});
  reg({"NormalizeL2", "opset1", 2, 2, infer_normalize_l2, nullptr, {1}});
  reg({"GroupNormalization", "opset12", 3, 3, infer_group_norm});
}

}  // namespace irconv
