// Sampling ops: GridSample (opset9), RandomUniform (opset8), Multinomial (opset13).
// Shape inference only (random ops are never folded: their values belong to the runtime).
#include <optional>
#include <string>
#include <vector>

#include "irconv/op_registry.hpp"
#include "ops_util.hpp"

namespace irconv {

namespace {

using namespace ops_detail;

int64_t merge(const Node& n, int64_t a, int64_t b, const char* what) {
  IRCONV_CHECK(a == kDyn || b == kDyn || a == b, n.describe() << ": " << what << " do not match (" << a << " vs " << b << ")");
  return a == kDyn ? b : a;
}

void check_one_of(const Node& n, const char* attr, const std::string& v, std::initializer_list<const char*> allowed) {
  for (const char* a : allowed)
    if (v == a) return;
  std::string list;
  for (const char* a : allowed) list += std::string(list.empty() ? "" : ", ") + a;
  IRCONV_CHECK(false, n.describe() << ": attribute " << attr << " is '" << v << "', expected one of " << list);
}

// Input i is a scalar or a 1-element 1D tensor.
void check_scalar_or_1(const Node& n, size_t i, const char* what) {
  const PartialShape& s = n.in_shape(i);
  IRCONV_CHECK(s.rank_dynamic || s.size() == 0 || (s.size() == 1 && (s.dims[0] == kDyn || s.dims[0] == 1)),
               n.describe() << ": input " << i << " (" << what << ") must be a scalar or a 1-element 1D tensor, got "
                            << s.to_string());
}

// ------------------------------------------------------------------------------------ GridSample
// data [N, C, H_in, W_in], grid [N, H_out, W_out, 2] -> [N, C, H_out, W_out]
void infer_grid_sample(Node& n) {
  default_attr(n, "align_corners", false);
  default_attr(n, "mode", std::string("bilinear"));
  default_attr(n, "padding_mode", std::string("zeros"));
  check_one_of(n, "mode", n.attr_s("mode"), {"bilinear", "bicubic", "nearest"});
  check_one_of(n, "padding_mode", n.attr_s("padding_mode"), {"zeros", "border", "reflection"});
  ET gt = n.in_type(1);
  IRCONV_CHECK(gt == ET::dynamic || et_info(gt).is_float,
               n.describe() << ": the grid must have a floating-point element type, got " << et_name(gt));
  const PartialShape& data = n.in_shape(0);
  const PartialShape& grid = n.in_shape(1);
  IRCONV_CHECK(data.rank_dynamic || data.size() == 4,
               n.describe() << ": the data must be 4D [N, C, H, W], got " << data.to_string());
  IRCONV_CHECK(grid.rank_dynamic || grid.size() == 4,
               n.describe() << ": the grid must be 4D [N, H_out, W_out, 2], got " << grid.to_string());
  Dims out(4, kDyn);
  if (!grid.rank_dynamic) {
    IRCONV_CHECK(grid.dims[3] == kDyn || grid.dims[3] == 2,
                 n.describe() << ": the last grid dimension must be 2, got " << grid.to_string());
    out[0] = grid.dims[0];
    out[2] = grid.dims[1];
    out[3] = grid.dims[2];
    if (!data.rank_dynamic) {
      out[0] = merge(n, grid.dims[0], data.dims[0], "batch dimensions of data and grid");
      out[1] = data.dims[1];
    }
  } else if (!data.rank_dynamic) {
    out[0] = data.dims[0];
    out[1] = data.dims[1];
  }
  n.set_output(0, n.in_type(0), PartialShape(out));
}

// ------------------------------------------------------------------------------------ RandomUniform
// shape (1D), minval, maxval (scalars of output_type) -> tensor of `shape`.
void infer_random_uniform(Node& n) {
  default_attr(n, "global_seed", int64_t(0));
  default_attr(n, "op_seed", int64_t(0));
  default_attr(n, "alignment", std::string("tensorflow"));
  check_one_of(n, "alignment", n.attr_s("alignment"), {"tensorflow", "pytorch"});
  const ET ot = et_from_string(n.attr_s("output_type"));
  IRCONV_CHECK(ot == ET::f16 || ot == ET::bf16 || ot == ET::f32 || ot == ET::f64 || ot == ET::i32 || ot == ET::i64,
               n.describe() << ": output_type must be one of f16, bf16, f32, f64, i32, i64, got " << et_name(ot));
  IRCONV_CHECK(n.attr_i("global_seed") >= 0 && n.attr_i("op_seed") >= 0,
               n.describe() << ": seeds must be non-negative");
  check_integral_input(n, 0, "shape");
  const PartialShape& s = n.in_shape(0);
  IRCONV_CHECK(s.rank_dynamic || s.size() == 1, n.describe() << ": the shape input must be 1D, got " << s.to_string());
  check_scalar_or_1(n, 1, "minval");
  check_scalar_or_1(n, 2, "maxval");
  const ET mn = n.in_type(1), mx = n.in_type(2);
  IRCONV_CHECK(mn == ET::dynamic || mx == ET::dynamic || mn == mx,
               n.describe() << ": minval and maxval must have the same element type, got " << et_name(mn) << " and "
                            << et_name(mx));
  IRCONV_CHECK(mn == ET::dynamic || mn == ot, n.describe() << ": minval/maxval must have the output_type "
                                                           << et_name(ot) << ", got " << et_name(mn));
  const Tensor* lo = n.in_value(1);
  const Tensor* hi = n.in_value(2);
  if (lo && hi && lo->numel() == 1 && hi->numel() == 1 && et_is_plain(lo->et))
    IRCONV_CHECK(lo->get_f64(0) < hi->get_f64(0), n.describe() << ": minval " << lo->get_f64(0)
                                                                << " must be less than maxval " << hi->get_f64(0));
  PartialShape out = PartialShape::dynamic();
  if (auto v = partial_ints(n, 0)) {
    Dims d;
    for (int64_t x : *v) {
      IRCONV_CHECK(x == kUnknownVal || x >= 0, n.describe() << ": the output shape has a negative dimension " << x);
      d.push_back(x == kUnknownVal ? kDyn : x);
    }
    out = PartialShape(d);
  } else if (!s.rank_dynamic && s.dims[0] != kDyn) {
    out = PartialShape::dynamic_of_rank((size_t)s.dims[0]);
  }
  n.set_output(0, ot, out);
}

// ------------------------------------------------------------------------------------ Multinomial
// probs [batch, classes], num_samples -> [batch, num_samples] of convert_type.
void infer_multinomial(Node& n) {
  default_attr(n, "with_replacement", false);
  default_attr(n, "log_probs", false);
  default_attr(n, "global_seed", int64_t(0));
  default_attr(n, "op_seed", int64_t(0));
  const ET ct = index_type_attr(n, "convert_type", "i64");
  ET pt = n.in_type(0);
  IRCONV_CHECK(pt == ET::dynamic || et_info(pt).is_float,
               n.describe() << ": the probabilities must have a floating-point element type, got " << et_name(pt));
  check_integral_input(n, 1, "num_samples");
  const PartialShape& p = n.in_shape(0);
  IRCONV_CHECK(p.rank_dynamic || p.size() == 2, n.describe() << ": the probabilities must be 2D, got " << p.to_string());
  check_scalar_or_1(n, 1, "num_samples");
  if (p.rank_dynamic) {
    n.set_output(0, ct, PartialShape::dynamic());
    return;
  }
  int64_t ns = kDyn;
  if (auto v = partial_ints(n, 1); v && v->size() == 1 && (*v)[0] != kUnknownVal) {
    ns = (*v)[0];
    IRCONV_CHECK(ns >= 0, n.describe() << ": the number of samples must be non-negative, got " << ns);
  }
  n.set_output(0, ct, PartialShape({p.dims[0], ns}));
}

}  // namespace

IRCONV_OPS(sampling) {
  reg({"GridSample", "opset9", 2, 2, infer_grid_sample, nullptr, {}});
  reg({"RandomUniform", "opset8", 3, 3, infer_random_uniform, nullptr, {0}});
  reg({"Multinomial", "opset13", 2, 2, infer_multinomial, nullptr, {1}});
}

}  // namespace irconv
