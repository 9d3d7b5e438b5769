// Detection family: NonMaxSuppression (opset5, opset9), ROIAlign (opset3, opset9), PriorBox
// (opset1, opset8), PriorBoxClustered (opset1), DetectionOutput (opset1, opset8), Proposal
// (opset1, opset4), RegionYolo (opset1), ReorgYolo (opset2).
// Shape inference follows OpenVINO's nms_, roi_align_, prior_box_, detection_output_, proposal_,
// region_yolo_ and reorg_yolo_shape_inference.hpp. PriorBox and PriorBoxClustered have reference
// evaluators (OpenVINO's prior_box.hpp / prior_box_clustered.hpp, computed in float like it) so
// that priors of known feature-map and image sizes fold into constants.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "irconv/op_registry.hpp"
#include "ops_util.hpp"

namespace irconv {
namespace {

using namespace ops_detail;
using Tensors = std::vector<const Tensor*>;

std::string lower(std::string s) {
  for (auto& c : s) c = (char)std::tolower((unsigned char)c);
  return s;
}

int64_t merge(const Node& n, int64_t a, int64_t b, const char* what) {
  IRCONV_CHECK(a == kDyn || b == kDyn || a == b,
               n.describe() << ": " << what << " do not match (" << a << " vs " << b << ")");
  return a == kDyn ? b : a;
}

int64_t dim(const Node& n, size_t i, size_t d) {
  const PartialShape& s = n.in_shape(i);
  return s.rank_dynamic ? kDyn : s.dims[d];
}

// a * b for dims (kDyn if either is)
int64_t mul(int64_t a, int64_t b) { return a == kDyn || b == kDyn ? kDyn : a * b; }

void check_float_input(const Node& n, size_t i, const char* what) {
  ET t = n.in_type(i);
  IRCONV_CHECK(t == ET::dynamic || et_info(t).is_float,
               n.describe() << ": input " << i << " (" << what << ") must be floating-point, got " << et_name(t));
}

std::vector<float> floats(const Node& n, const char* k) {
  std::vector<float> r;
  for (double d : n.attr_floats(k, {})) r.push_back((float)d);
  return r;
}

// ============================================================================ NonMaxSuppression
// boxes [batches, boxes, 4], scores [batches, classes, boxes], max_output_boxes_per_class,
// iou_threshold, score_threshold, soft_nms_sigma -> selected_indices [?, 3] (output_type),
// selected_scores [?, 3] (f32), valid_outputs [1] (output_type).
void infer_nms(Node& n) {
  default_attr(n, "box_encoding", std::string("corner"));
  default_attr(n, "sort_result_descending", true);
  default_attr(n, "output_type", std::string("i64"));
  const std::string enc = lower(n.attr_s("box_encoding"));
  IRCONV_CHECK(enc == "corner" || enc == "center",
               n.describe() << ": attribute box_encoding is '" << n.attr_s("box_encoding") << "', expected corner or center");
  n.attr_b("sort_result_descending", true);
  const ET out_t = index_type_attr(n, "output_type", "i64");
  static const char* names[] = {"boxes", "scores", "max_output_boxes_per_class", "iou_threshold", "score_threshold",
                                "soft_nms_sigma"};
  for (size_t i = 0; i < n.num_inputs(); ++i) {
    if (i == 2) {
      check_integral_input(n, i, names[i]);
    } else {
      ET t = n.in_type(i);
      IRCONV_CHECK(t == ET::dynamic || t == ET::f32 || t == ET::f16 || t == ET::bf16,
                   n.describe() << ": input " << i << " (" << names[i] << ") must be bf16, f16 or f32, got " << et_name(t));
    }
    if (i >= 2) {
      check_rank_le1(n, i, names[i]);
      IRCONV_CHECK(static_len(n, i) == kDyn || static_len(n, i) == 1,
                   n.describe() << ": input " << i << " (" << names[i] << ") must hold one value, got shape "
                                << n.in_shape(i).to_string());
    }
  }
  check_rank_eq(n, 0, 3, "boxes");
  check_rank_eq(n, 1, 3, "scores");
  const PartialShape& boxes = n.in_shape(0);
  const PartialShape& scores = n.in_shape(1);
  int64_t selected = kDyn;
  if (!boxes.rank_dynamic) {
    IRCONV_CHECK(boxes[2] == kDyn || boxes[2] == 4,
                 n.describe() << ": the last dimension of boxes must be 4, got " << boxes.to_string());
    if (!scores.rank_dynamic) {
      merge(n, boxes[0], scores[0], "batch dimensions of boxes and scores");
      merge(n, boxes[1], scores[2], "box counts of boxes (dim 1) and scores (dim 2)");
    }
    // OpenVINO's bound is the interval [0, min(boxes, max_output) * batches * classes]: a static
    // dimension only when it is empty.
    // (an absent max_output_boxes_per_class is not "known" to OpenVINO's shape inference)
    std::optional<Dims> mo = n.num_inputs() > 2 ? known_ints(n, 2) : std::nullopt;
    if (boxes[1] == 0 || (mo && !mo->empty() && (*mo)[0] == 0)) selected = 0;
  }
  n.set_output(0, out_t, PartialShape({selected, 3}));
  n.set_output(1, ET::f32, PartialShape({selected, 3}));
  n.set_output(2, out_t, PartialShape({1}));
}

// ============================================================================ ROIAlign
// data [N, C, H, W], rois [R, 4], batch_indices [R] -> [R, C, pooled_h, pooled_w]
void infer_roi_align(Node& n, bool v9) {
  const int64_t ph = n.attr_i("pooled_h"), pw = n.attr_i("pooled_w");
  const int64_t sr = n.attr_i("sampling_ratio");
  const double scale = n.attr_f("spatial_scale");
  IRCONV_CHECK(ph > 0 && pw > 0, n.describe() << ": pooled_h and pooled_w must be positive, got " << ph << ", " << pw);
  IRCONV_CHECK(sr >= 0, n.describe() << ": sampling_ratio must be non-negative, got " << sr);
  IRCONV_CHECK(scale > 0, n.describe() << ": spatial_scale must be positive, got " << scale);
  const std::string mode = lower(n.attr_s("mode"));
  IRCONV_CHECK(mode == "avg" || mode == "max", n.describe() << ": attribute mode is '" << n.attr_s("mode")
                                                            << "', expected avg or max");
  if (v9) {
    default_attr(n, "aligned_mode", std::string("asymmetric"));
    const std::string am = lower(n.attr_s("aligned_mode"));
    IRCONV_CHECK(am == "asymmetric" || am == "half_pixel_for_nn" || am == "half_pixel",
                 n.describe() << ": attribute aligned_mode is '" << n.attr_s("aligned_mode")
                              << "', expected asymmetric, half_pixel_for_nn or half_pixel");
  }
  const ET t0 = n.in_type(0), t1 = n.in_type(1);
  IRCONV_CHECK(t0 == ET::dynamic || t1 == ET::dynamic || t0 == t1,
               n.describe() << ": data and rois must have the same element type, got " << et_name(t0) << " and "
                            << et_name(t1));
  const ET et = t0 == ET::dynamic ? t1 : t0;
  IRCONV_CHECK(et == ET::dynamic || et_info(et).is_float,
               n.describe() << ": data and rois must be floating-point, got " << et_name(et));
  check_integral_input(n, 2, "batch_indices");
  check_rank_eq(n, 0, 4, "data");
  check_rank_eq(n, 1, 2, "rois");
  check_rank_eq(n, 2, 1, "batch_indices");
  IRCONV_CHECK(dim(n, 1, 1) == kDyn || dim(n, 1, 1) == 4,
               n.describe() << ": rois must hold 4 box coordinates per row, got " << n.in_shape(1).to_string());
  const int64_t r = merge(n, dim(n, 1, 0), dim(n, 2, 0), "ROI counts of rois and batch_indices");
  n.set_output(0, et, PartialShape({r, dim(n, 0, 1), ph, pw}));
}
void infer_roi_align_3(Node& n) { infer_roi_align(n, false); }
void infer_roi_align_9(Node& n) { infer_roi_align(n, true); }

// ============================================================================ PriorBox
struct PriorBoxAttrs {
  std::vector<float> min_size, max_size, aspect_ratio, density, fixed_ratio, fixed_size, variance;
  bool clip = false, flip = false, scale_all_sizes = true, min_max_order = true;
  float step = 0, offset = 0;
};

PriorBoxAttrs prior_box_attrs(const Node& n) {
  PriorBoxAttrs a;
  a.min_size = floats(n, "min_size");
  a.max_size = floats(n, "max_size");
  a.aspect_ratio = floats(n, "aspect_ratio");
  a.density = floats(n, "density");
  a.fixed_ratio = floats(n, "fixed_ratio");
  a.fixed_size = floats(n, "fixed_size");
  a.variance = floats(n, "variance");
  a.clip = n.attr_b("clip", false);
  a.flip = n.attr_b("flip", false);
  a.scale_all_sizes = n.attr_b("scale_all_sizes", true);
  a.min_max_order = n.version == "opset8" ? n.attr_b("min_max_aspect_ratios_order", true) : true;
  a.step = (float)n.attr_f("step", 0.0);
  a.offset = (float)n.attr_f("offset");
  return a;
}

// OpenVINO's PriorBox::number_of_priors
int64_t prior_box_count(const PriorBoxAttrs& a) {
  std::set<float> ratios;
  for (float r : a.aspect_ratio) {
    ratios.insert(std::round(r * 1e6f) / 1e6f);
    if (a.flip) ratios.insert(std::round(1 / r * 1e6f) / 1e6f);
  }
  ratios.insert(1.0f);
  const int64_t total = (int64_t)ratios.size();
  int64_t num = a.scale_all_sizes ? total * (int64_t)a.min_size.size() + (int64_t)a.max_size.size()
                                  : total + (int64_t)a.min_size.size() - 1;
  if (!a.fixed_size.empty()) num = total * (int64_t)a.fixed_size.size();
  for (float d : a.density) {
    const int64_t rd = (int64_t)d, d2 = rd * rd - 1;
    num += (a.fixed_ratio.empty() ? total : (int64_t)a.fixed_ratio.size()) * d2;
  }
  return num;
}

// The two 1D integer size inputs; output [2, 4 * H * W * priors] (f32).
void infer_prior_sizes(Node& n, int64_t priors) {
  static const char* names[] = {"output_size", "image_size"};
  for (size_t i = 0; i < 2; ++i) {
    check_integral_input(n, i, names[i]);
    check_rank_eq(n, i, 1, names[i]);
  }
  int64_t d = kDyn;
  if (auto v = partial_ints(n, 0)) {
    IRCONV_CHECK(v->size() == 2, n.describe() << ": output_size must have two elements, got " << v->size());
    if ((*v)[0] != kUnknownVal && (*v)[1] != kUnknownVal) d = (*v)[0] * (*v)[1] * priors * 4;
  } else {
    IRCONV_CHECK(static_len(n, 0) == kDyn || static_len(n, 0) == 2,
                 n.describe() << ": output_size must have two elements, got shape " << n.in_shape(0).to_string());
  }
  n.set_output(0, ET::f32, PartialShape({2, d}));
}

void check_variance(const Node& n, const std::vector<float>& v) {
  IRCONV_CHECK(v.empty() || v.size() == 1 || v.size() == 4,
               n.describe() << ": variance must have 0, 1 or 4 values, got " << v.size());
}

void infer_prior_box(Node& n) {
  if (n.version == "opset8") default_attr(n, "min_max_aspect_ratios_order", true);
  PriorBoxAttrs a = prior_box_attrs(n);
  check_variance(n, a.variance);
  if (!a.fixed_size.empty() && !a.density.empty())
    IRCONV_CHECK(a.density.size() >= a.fixed_size.size(), n.describe() << ": density needs one value per fixed_size");
  infer_prior_sizes(n, prior_box_count(a));
}

// Two integer values [h, w] of input i.
bool hw(const Tensor* t, int64_t& h, int64_t& w) {
  if (!t || !et_is_plain(t->et) || t->numel() != 2) return false;
  h = t->get_i64(0);
  w = t->get_i64(1);
  return true;
}

// OpenVINO's reference::prior_box, in float.
bool eval_prior_box(const Node& n, const Tensors& in, std::vector<Tensor>& out) {
  int64_t H, W, IH, IW;
  if (!hw(in[0], H, W) || !hw(in[1], IH, IW) || H < 0 || W < 0 || IH <= 0 || IW <= 0) return false;
  const PriorBoxAttrs a = prior_box_attrs(n);
  const int64_t priors = prior_box_count(a);
  if (!a.fixed_size.empty() && a.density.size() < a.fixed_size.size()) return false;
  const int64_t OH = H * W * priors * 4;
  Tensor t = Tensor::zeros(ET::f32, {2, OH});
  float* dst = reinterpret_cast<float*>(t.mutable_data());

  std::vector<float> ratios = {1.0f};
  for (float ar : a.aspect_ratio) {
    bool exist = false;
    for (float e : ratios) exist |= std::fabs(ar - e) < 1e-6;
    if (!exist) {
      ratios.push_back(ar);
      if (a.flip) ratios.push_back(1.0f / ar);
    }
  }
  std::vector<float> variance = a.variance;
  if (variance.empty()) variance.push_back(0.1f);
  float step = a.step;
  std::vector<float> min_size = a.min_size;
  if (!a.scale_all_sizes) {  // MXNet-like PriorBox
    step = step == -1 ? 1.f * (float)IH / (float)H : step * (float)IH;
    for (auto& s : min_size) s *= (float)IH;
  }
  const float IWI = 1.0f / (float)IW, IHI = 1.0f / (float)IH;
  float step_x = step, step_y = step;
  if (step == 0) {
    step_x = (float)IW / (float)W;
    step_y = (float)IH / (float)H;
  }
  int64_t idx = 0, limit = OH;
  bool overflow = false;
  auto put = [&](float cx, float cy, float bw, float bh, bool clip) {
    if (idx + 4 > limit) {
      overflow = true;
      return;
    }
    float v[4] = {(cx - bw) * IWI, (cy - bh) * IHI, (cx + bw) * IWI, (cy + bh) * IHI};
    if (clip) {
      v[0] = std::max(v[0], 0.0f);
      v[1] = std::max(v[1], 0.0f);
      v[2] = std::min(v[2], 1.0f);
      v[3] = std::min(v[3], 1.0f);
    }
    for (float x : v) dst[idx++] = x;
  };
  auto dense = [&](float cx, float cy, size_t s, float bw, float bh) {
    const int64_t density = (int64_t)a.density[s];
    const int64_t shift = (int64_t)(a.fixed_size[s] / (float)density);
    const size_t fixed = (size_t)a.fixed_size[s];
    for (int64_t r = 0; r < density; ++r)
      for (int64_t c = 0; c < density; ++c)
        put(cx - (float)(fixed / 2) + (float)shift / 2.f + (float)(c * shift),
            cy - (float)(fixed / 2) + (float)shift / 2.f + (float)(r * shift), bw, bh, true);
  };
  for (int64_t h = 0; h < H; ++h) {
    for (int64_t w = 0; w < W; ++w) {
      float cx, cy;
      if (step == 0) {
        cx = ((float)w + 0.5f) * step_x;
        cy = ((float)h + 0.5f) * step_y;
      } else {
        cx = (a.offset + (float)w) * step;
        cy = (a.offset + (float)h) * step;
      }
      for (size_t s = 0; s < a.fixed_size.size(); ++s) {
        const float half = (float)(size_t)a.fixed_size[s] * 0.5f;
        if (!a.fixed_ratio.empty()) {
          for (float ar : a.fixed_ratio) {
            ar = std::sqrt(ar);
            dense(cx, cy, s, a.fixed_size[s] * 0.5f * ar, a.fixed_size[s] * 0.5f / ar);
          }
        } else {
          if (!a.density.empty()) dense(cx, cy, s, half, half);
          for (float ar : ratios) {
            if (std::fabs(ar - 1.) < 1e-6) continue;
            ar = std::sqrt(ar);
            dense(cx, cy, s, a.fixed_size[s] * 0.5f * ar, a.fixed_size[s] * 0.5f / ar);
          }
        }
      }
      for (size_t m = 0; m < min_size.size(); ++m) {
        put(cx, cy, min_size[m] * 0.5f, min_size[m] * 0.5f, false);
        auto max_box = [&] {
          if (a.max_size.size() > m) {
            const float s = std::sqrt(min_size[m] * a.max_size[m]) * 0.5f;
            put(cx, cy, s, s, false);
          }
        };
        auto ratio_boxes = [&] {
          if (a.scale_all_sizes || m == min_size.size() - 1) {
            const size_t si = a.scale_all_sizes ? m : 0;
            for (float ar : ratios) {
              if (std::fabs(ar - 1.0f) < 1e-6) continue;
              ar = std::sqrt(ar);
              put(cx, cy, min_size[si] * 0.5f * ar, min_size[si] * 0.5f / ar, false);
            }
          }
        };
        if (a.min_max_order) {
          max_box();
          ratio_boxes();
        } else {
          ratio_boxes();
          max_box();
        }
      }
    }
  }
  if (overflow || idx != OH) return false;  // attributes the count formula does not describe
  if (a.clip)
    for (int64_t i = 0; i < OH; ++i) dst[i] = std::min(std::max(dst[i], 0.0f), 1.0f);
  for (int64_t i = 0; i < OH; ++i) dst[OH + i] = variance.size() == 1 ? variance[0] : variance[(size_t)(i % 4)];
  out[0] = std::move(t);
  return true;
}

// ============================================================================ PriorBoxClustered
void infer_prior_box_clustered(Node& n) {
  default_attr(n, "width", std::vector<double>{1.0});
  default_attr(n, "height", std::vector<double>{1.0});
  default_attr(n, "clip", true);
  const auto widths = floats(n, "width"), heights = floats(n, "height");
  IRCONV_CHECK(widths.size() == heights.size(), n.describe() << ": width has " << widths.size()
                                                             << " values and height " << heights.size()
                                                             << ", expected the same number");
  n.attr_f("offset");
  check_variance(n, floats(n, "variance"));
  infer_prior_sizes(n, (int64_t)widths.size());
}

// OpenVINO's reference::prior_box_clustered, in float.
bool eval_prior_box_clustered(const Node& n, const Tensors& in, std::vector<Tensor>& out) {
  int64_t H, W, IH, IW;
  if (!hw(in[0], H, W) || !hw(in[1], IH, IW) || H < 0 || W < 0) return false;
  const auto widths = floats(n, "width"), heights = floats(n, "height");
  auto variance = floats(n, "variance");
  if (variance.empty()) variance.push_back(0.1f);
  const size_t P = widths.size();
  const float offset = (float)n.attr_f("offset");
  const float step = (float)n.attr_f("step", 0.0);
  const float sw = (float)n.attr_f("step_w", 0.0), sh = (float)n.attr_f("step_h", 0.0);
  const bool clip = n.attr_b("clip", true);
  float step_w = sw == 0 ? step : sw, step_h = sh == 0 ? step : sh;
  if (step_w == 0 && step_h == 0) {
    step_w = (float)IW / (float)W;
    step_h = (float)IH / (float)H;
  }
  const int64_t OH = H * W * (int64_t)P * 4;
  Tensor t = Tensor::zeros(ET::f32, {2, OH});
  float* dst = reinterpret_cast<float*>(t.mutable_data());
  for (int64_t h = 0; h < H; ++h)
    for (int64_t w = 0; w < W; ++w) {
      const float cx = ((float)w + offset) * step_w, cy = ((float)h + offset) * step_h;
      for (size_t s = 0; s < P; ++s) {
        float v[4] = {(cx - widths[s] / 2.0f) / (float)IW, (cy - heights[s] / 2.0f) / (float)IH,
                      (cx + widths[s] / 2.0f) / (float)IW, (cy + heights[s] / 2.0f) / (float)IH};
        const int64_t idx = ((h * W + w) * (int64_t)P + (int64_t)s) * 4;
        for (int j = 0; j < 4; ++j) {
          dst[idx + j] = clip ? std::min(std::max(v[j], 0.0f), 1.0f) : v[j];
          dst[OH + idx + j] = variance.size() == 1 ? variance[0] : variance[(size_t)j];
        }
      }
    }
  out[0] = std::move(t);
  return true;
}

// ============================================================================ DetectionOutput
// box_logits [N, priors * loc_classes * 4], class_preds [N, priors * classes], proposals
// [1 or N, 1 or 2, priors * (4 or 5)], [aux_class_preds [N, priors * 2], aux_box_preds]
// -> [1, 1, N * keep_top_k[0] | N * top_k * classes | N * priors * classes, 7]
void infer_detection_output(Node& n) {
  const bool v8 = n.version == "opset8";
  const std::vector<int64_t> keep_top_k = n.attr_ints("keep_top_k");
  IRCONV_CHECK(!keep_top_k.empty(), n.describe() << ": keep_top_k must have at least one value");
  const int64_t top_k = n.attr_i("top_k", -1);
  const bool share_location = n.attr_b("share_location", true);
  const bool normalized = n.attr_b("normalized", false);
  const bool var_in_target = n.attr_b("variance_encoded_in_target", false);
  n.attr_f("nms_threshold");
  const std::string code = n.attr_s("code_type", "caffe.PriorBoxParameter.CORNER");
  IRCONV_CHECK(code == "caffe.PriorBoxParameter.CORNER" || code == "caffe.PriorBoxParameter.CENTER_SIZE",
               n.describe() << ": attribute code_type is '" << code
                            << "', expected caffe.PriorBoxParameter.CORNER or caffe.PriorBoxParameter.CENTER_SIZE");
  const ET et = n.in_type(0);
  for (size_t i = 0; i < n.num_inputs(); ++i) {
    check_float_input(n, i, "DetectionOutput data");
    ET t = n.in_type(i);
    IRCONV_CHECK(et == ET::dynamic || t == ET::dynamic || t == et,
                 n.describe() << ": input " << i << " is " << et_name(t) << ", expected " << et_name(et)
                              << " like box_logits");
  }
  check_rank_eq(n, 0, 2, "box_logits");
  check_rank_eq(n, 1, 2, "class_preds");
  check_rank_eq(n, 2, 3, "proposals");
  const bool five = n.num_inputs() == 5;
  if (five) {
    check_rank_eq(n, 3, 2, "aux_class_preds");
    check_rank_eq(n, 4, 2, "aux_box_preds");
  }
  const int64_t prior_box_size = normalized ? 4 : 5;
  int64_t num_classes = 0, num_priors = 0;
  if (!v8) {
    num_classes = n.attr_i("num_classes");
  } else {
    // v8 deduces the class count from the shapes
    const int64_t p2 = dim(n, 2, 2);
    if (p2 != kDyn) {
      IRCONV_CHECK(p2 % prior_box_size == 0, n.describe() << ": proposals' third dimension (" << p2
                                                          << ") must be a multiple of prior_box_size " << prior_box_size);
      num_priors = p2 / prior_box_size;
      IRCONV_CHECK(num_priors > 0, n.describe() << ": the number of prior boxes must be positive");
    }
    if (num_priors == 0 && five && dim(n, 3, 1) != kDyn) {
      IRCONV_CHECK(dim(n, 3, 1) % 2 == 0, n.describe() << ": aux_class_preds' second dimension must be even");
      num_priors = dim(n, 3, 1) / 2;
      IRCONV_CHECK(num_priors > 0, n.describe() << ": the number of prior boxes must be positive");
    }
    if (num_priors > 0 && dim(n, 1, 1) != kDyn) {
      IRCONV_CHECK(dim(n, 1, 1) % num_priors == 0, n.describe() << ": class_preds' second dimension ("
                                                                << dim(n, 1, 1) << ") must be a multiple of the "
                                                                << num_priors << " prior boxes");
      num_classes = dim(n, 1, 1) / num_priors;
    }
    for (size_t i : {(size_t)0, (size_t)4}) {
      if (num_classes == 0 && num_priors > 0 && !share_location && i < n.num_inputs() && dim(n, i, 1) != kDyn) {
        IRCONV_CHECK(dim(n, i, 1) % (num_priors * 4) == 0,
                     n.describe() << ": input " << i << " second dimension must be a multiple of num_prior_boxes * 4 ("
                                  << num_priors * 4 << ")");
        num_classes = dim(n, i, 1) / (num_priors * 4);
      }
    }
  }
  const int64_t loc_classes = share_location ? 1 : num_classes;
  int64_t images = kDyn;
  bool images_set = false;
  if (!n.in_shape(0).rank_dynamic) {
    images = dim(n, 0, 0);
    images_set = true;
    const int64_t b1 = dim(n, 0, 1);
    if (!num_priors && b1 != kDyn) {
      IRCONV_CHECK(loc_classes != 0 && b1 % (loc_classes * 4) == 0,
                   n.describe() << ": box_logits' second dimension (" << b1 << ") must be a multiple of num_loc_classes * 4 ("
                                << loc_classes * 4 << ")");
      num_priors = b1 / (loc_classes * 4);
    }
    if (num_priors > 0 && loc_classes > 0)
      IRCONV_CHECK(b1 == kDyn || b1 == num_priors * loc_classes * 4,
                   n.describe() << ": box_logits' second dimension is " << b1 << ", expected "
                                << num_priors * loc_classes * 4);
  }
  if (!n.in_shape(1).rank_dynamic) {
    const int64_t c0 = dim(n, 1, 0), c1 = dim(n, 1, 1);
    if ((!images_set || images == kDyn) && c0 != kDyn) {
      images = c0;
      images_set = true;
    } else {
      merge(n, images, c0, "batch sizes of box_logits and class_preds");
    }
    if (c1 != kDyn && num_classes) {
      if (!num_priors) {
        IRCONV_CHECK(c1 % num_classes == 0, n.describe() << ": class_preds' second dimension (" << c1
                                                         << ") must be a multiple of num_classes (" << num_classes << ")");
        num_priors = c1 / num_classes;
      } else {
        IRCONV_CHECK(c1 == num_priors * num_classes, n.describe() << ": class_preds' second dimension is " << c1
                                                                  << ", expected num_prior_boxes * num_classes = "
                                                                  << num_priors * num_classes);
      }
    }
  }
  if (!n.in_shape(2).rank_dynamic) {
    const int64_t p0 = dim(n, 2, 0), p1 = dim(n, 2, 1), p2 = dim(n, 2, 2);
    IRCONV_CHECK(p0 == kDyn || p0 == 1 || images == kDyn || p0 == images,
                 n.describe() << ": proposals' first dimension must be 1 or the batch size (" << images << "), got " << p0);
    const int64_t exp1 = var_in_target ? 1 : 2;
    IRCONV_CHECK(p1 == kDyn || p1 == exp1, n.describe() << ": proposals' second dimension is " << p1 << ", expected "
                                                        << exp1);
    if (p2 != kDyn) {
      if (!num_priors) {
        IRCONV_CHECK(p2 % prior_box_size == 0, n.describe() << ": proposals' third dimension (" << p2
                                                            << ") must be a multiple of prior_box_size " << prior_box_size);
        num_priors = p2 / prior_box_size;
      } else {
        IRCONV_CHECK(p2 == num_priors * prior_box_size, n.describe() << ": proposals' third dimension is " << p2
                                                                     << ", expected num_prior_boxes * prior_box_size = "
                                                                     << num_priors * prior_box_size);
      }
    }
  }
  if (five) {
    if (!n.in_shape(3).rank_dynamic) {
      merge(n, images, dim(n, 3, 0), "batch sizes of aux_class_preds and box_logits");
      if (num_priors)
        IRCONV_CHECK(dim(n, 3, 1) == kDyn || dim(n, 3, 1) == num_priors * 2,
                     n.describe() << ": aux_class_preds' second dimension is " << dim(n, 3, 1) << ", expected "
                                  << num_priors * 2);
      if (dim(n, 3, 1) != kDyn) num_priors = dim(n, 3, 1) / 2;
    }
    const PartialShape& a = n.in_shape(4);
    const PartialShape& b = n.in_shape(0);
    if (!a.rank_dynamic && !b.rank_dynamic)
      for (size_t i = 0; i < 2; ++i) merge(n, a[i], b[i], "shapes of aux_box_preds and box_logits");
  }
  const int64_t dp = num_priors ? num_priors : kDyn, dc = num_classes ? num_classes : kDyn;
  int64_t d2;
  if (keep_top_k[0] > 0)
    d2 = mul(images, keep_top_k[0]);
  else if (keep_top_k[0] == -1 && top_k > 0)
    d2 = mul(mul(images, top_k), dc);
  else
    d2 = mul(mul(images, dp), dc);
  n.set_output(0, et, PartialShape({1, 1, d2, 7}));
}

// ============================================================================ Proposal
// class_probs [N, 2K, H, W], bbox_deltas [N, 4K, H, W], image_shape [3 or 4]
// -> [N * post_nms_topn, 5] (and Proposal-4: scores [N * post_nms_topn])
void infer_proposal(Node& n) {
  const bool v4 = n.version == "opset4";
  for (const char* k : {"base_size", "pre_nms_topn", "post_nms_topn", "feat_stride", "min_size"}) {
    const int64_t v = n.attr_i(k);
    IRCONV_CHECK(v > 0 || (std::string(k) == "min_size" && v >= 0),
                 n.describe() << ": attribute " << k << " must be positive, got " << v);
  }
  n.attr_f("nms_thresh");
  IRCONV_CHECK(n.has_attr("ratio") && n.has_attr("scale"), n.describe() << ": attributes ratio and scale are required");
  const std::string fw = n.attr_s("framework", "");
  IRCONV_CHECK(fw.empty() || lower(fw) == "tensorflow" || lower(fw) == "caffe",
               n.describe() << ": attribute framework is '" << fw << "', expected \"\" or tensorflow");
  static const char* names[] = {"class_probs", "bbox_deltas", "image_shape"};
  for (size_t i = 0; i < 3; ++i) check_float_input(n, i, names[i]);
  check_rank_eq(n, 0, 4, "class_probs");
  check_rank_eq(n, 1, 4, "bbox_deltas");
  check_rank_eq(n, 2, 1, "image_shape");
  if (!n.in_shape(0).rank_dynamic && !n.in_shape(1).rank_dynamic) {
    const int64_t k2 = dim(n, 0, 1), k4 = dim(n, 1, 1);
    IRCONV_CHECK(k2 == kDyn || k4 == kDyn || k4 == k2 * 2,
                 n.describe() << ": anchor counts differ: class_probs has " << k2 << " channels (2 per anchor), "
                              << "bbox_deltas " << k4 << " (4 per anchor)");
  }
  const int64_t batch = merge(n, dim(n, 0, 0), dim(n, 1, 0), "batch sizes of class_probs and bbox_deltas");
  if (n.in_shape(2).is_static()) {
    const int64_t e = n.in_shape(2)[0];
    IRCONV_CHECK(e >= 3 && e <= 4, n.describe() << ": image_shape must have 3 or 4 elements, got " << e);
  }
  const int64_t rows = mul(batch, n.attr_i("post_nms_topn"));
  n.set_output(0, n.in_type(0), PartialShape({rows, 5}));
  if (v4) n.set_output(1, n.in_type(0), PartialShape({rows}));
}

// ============================================================================ RegionYolo
// [N, C, H, W] -> do_softmax: dims [axis, end_axis] flattened; else [N, (classes+coords+1)*len(mask), H, W]
void infer_region_yolo(Node& n) {
  default_attr(n, "do_softmax", true);
  default_attr(n, "mask", std::vector<int64_t>{});
  default_attr(n, "anchors", std::vector<double>{});
  const int64_t coords = n.attr_i("coords"), classes = n.attr_i("classes");
  n.attr_i("num");
  const int64_t axis = n.attr_i("axis"), end_axis = n.attr_i("end_axis");
  const bool softmax = n.attr_b("do_softmax", true);
  const auto mask = n.attr_ints("mask", {});
  n.attr_floats("anchors", {});
  check_float_input(n, 0, "data");
  check_rank_eq(n, 0, 4, "data");
  const PartialShape& s = n.in_shape(0);
  if (s.rank_dynamic) {
    n.set_output(0, n.in_type(0), PartialShape::dynamic());
    return;
  }
  Dims out;
  if (softmax) {
    // [.., s[axis] * ... * s[end_axis], ..] (end_axis < axis flattens nothing)
    const int64_t a = normalize(n, axis, 4, "axis"), e = std::max(a, normalize(n, end_axis, 4, "end_axis"));
    int64_t flat = 1;
    for (int64_t i = a; i <= e; ++i) flat = mul(flat, s[(size_t)i]);
    out.assign(s.dims.begin(), s.dims.begin() + a);
    out.push_back(flat);
    out.insert(out.end(), s.dims.begin() + e + 1, s.dims.end());
  } else {
    out = s.dims;
    out[1] = (classes + coords + 1) * (int64_t)mask.size();
  }
  n.set_output(0, n.in_type(0), PartialShape(out));
}

// ============================================================================ ReorgYolo
// [N, C, H, W] -> [N, C * stride^2, H / stride, W / stride]
void infer_reorg_yolo(Node& n) {
  const auto strides = n.attr_ints("stride");
  IRCONV_CHECK(!strides.empty() && strides[0] > 0, n.describe() << ": attribute stride must be positive");
  const int64_t st = strides[0];
  const PartialShape& s = n.in_shape(0);
  check_rank_eq(n, 0, 4, "data");
  if (s.rank_dynamic) {
    n.set_output(0, n.in_type(0), PartialShape::dynamic());
    return;
  }
  IRCONV_CHECK(s[1] == kDyn || s[1] >= st * st, n.describe() << ": channels (" << s[1] << ") must be >= stride^2 ("
                                                             << st * st << ")");
  Dims out = {s[0], mul(s[1], st * st)};
  for (size_t i = 2; i < 4; ++i) {
    IRCONV_CHECK(s[i] == kDyn || s[i] % st == 0, n.describe() << ": spatial dimension " << s[i]
                                                              << " is not divisible by stride " << st);
    out.push_back(s[i] == kDyn ? kDyn : s[i] / st);
  }
  n.set_output(0, n.in_type(0), PartialShape(out));
}

}  // namespace

IRCONV_OPS(detection) {
  reg({"NonMaxSuppression", "opset9", 2, 6, infer_nms, nullptr, {2}});
  reg({"NonMaxSuppression", "opset5", 2, 6, infer_nms, nullptr, {2}});
  reg({"ROIAlign", "opset9", 3, 3, infer_roi_align_9, nullptr, {2}});
  reg({"ROIAlign", "opset3", 3, 3, infer_roi_align_3, nullptr, {2}});
  reg({"PriorBox", "opset8", 2, 2, infer_prior_box, eval_prior_box, {0, 1}});
  reg({"PriorBox", "opset1", 2, 2, infer_prior_box, eval_prior_box, {0, 1}});
  reg({"PriorBoxClustered", "opset1", 2, 2, infer_prior_box_clustered, eval_prior_box_clustered, {0, 1}});
  reg({"DetectionOutput", "opset8", 3, 5, infer_detection_output});
  reg({"DetectionOutput", "opset1", 3, 5, infer_detection_output});
  reg({"Proposal", "opset4", 3, 3, infer_proposal});
  reg({"Proposal", "opset1", 3, 3, infer_proposal});
  reg({"RegionYolo", "opset1", 1, 1, infer_region_yolo});
  reg({"ReorgYolo", "opset2", 1, 1, infer_reorg_yolo});
}

}  // namespace irconv
