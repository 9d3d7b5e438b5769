// Convolution family (opset1): Convolution, GroupConvolution, ConvolutionBackpropData,
// GroupConvolutionBackpropData; DeformableConvolution (opset8).
// Shape inference follows OpenVINO's convolution_shape_inference_util.hpp /
// convolution_backprop_shape_inference_util.hpp: the spatial rank comes from the data rank, else
// the filter rank, else the attribute lengths; unknown dims stay -1.
#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "irconv/op_registry.hpp"
#include "spatial_util.hpp"

namespace irconv {
namespace {

using namespace spatial;


// element::Type::merge: dynamic takes the other, otherwise both must be equal.
ET merge_et(const Node& n, ET a, ET b, const char* what_a, const char* what_b) {
  if (a == ET::dynamic) return b;
  if (b == ET::dynamic) return a;
  IRCONV_CHECK(a == b, n.describe() << ": element types of " << what_a << " (" << et_name(a) << ") and "
                                    << what_b << " (" << et_name(b) << ") do not match");
  return a;
}

std::string dim_str(int64_t d) { return d < 0 ? std::string("?") : std::to_string(d); }

int64_t ceil_div_dim(int64_t d, int64_t s) { return d < 0 ? kDyn : d / s + (d % s != 0); }  // no d + s - 1 overflow

struct ConvAttrs {
  std::vector<int64_t> strides, dilations, pads_begin, pads_end, output_padding;
  AutoPad auto_pad = AutoPad::Explicit;
};

ConvAttrs read_conv_attrs(const Node& n, bool backprop) {
  ConvAttrs a;
  a.strides = n.attr_ints("strides");
  a.dilations = n.attr_ints("dilations");
  a.pads_begin = n.attr_ints("pads_begin", {});
  a.pads_end = n.attr_ints("pads_end", {});
  if (backprop) a.output_padding = n.attr_ints("output_padding", {});
  a.auto_pad = parse_auto_pad(n);
  return a;
}

// Number of spatial axes, or -1 when it cannot be known (OpenVINO's calculate_num_spatial).
int64_t num_spatial_of(const ConvAttrs& a, const PartialShape& data, const PartialShape& filt, int64_t filt_nonspatial,
                       const PartialShape* out_spatial = nullptr) {
  if (!data.rank_dynamic) return data.rank() - 2;
  if (!filt.rank_dynamic) return filt.rank() - filt_nonspatial;
  if (out_spatial && !out_spatial->rank_dynamic && out_spatial->size() > 0) return (int64_t)out_spatial->size();
  if (!a.strides.empty()) return (int64_t)a.strides.size();
  if (!a.dilations.empty()) return (int64_t)a.dilations.size();
  if (!a.pads_begin.empty()) return (int64_t)a.pads_begin.size();
  if (!a.pads_end.empty()) return (int64_t)a.pads_end.size();
  return -1;
}

void validate_common(const Node& n, ConvAttrs& a, int64_t ns, const PartialShape& data, bool backprop) {
  IRCONV_CHECK(data.rank_dynamic || (data.rank() >= 3 && data.rank() <= 5),
               n.describe() << ": expected a 3D, 4D or 5D data input, got " << data.to_string());
  if (a.pads_begin.empty()) a.pads_begin.assign((size_t)ns, 0);
  if (a.pads_end.empty()) a.pads_end.assign((size_t)ns, 0);
  if (backprop && a.output_padding.empty()) a.output_padding.assign((size_t)ns, 0);
  IRCONV_CHECK((int64_t)a.strides.size() == ns,
               n.describe() << ": strides has " << a.strides.size() << " values, expected one per spatial axis (" << ns << ")");
  IRCONV_CHECK((int64_t)a.dilations.size() == ns,
               n.describe() << ": dilations has " << a.dilations.size() << " values, expected one per spatial axis (" << ns << ")");
  IRCONV_CHECK((int64_t)a.pads_begin.size() == ns && (int64_t)a.pads_end.size() == ns,
               n.describe() << ": pads_begin/pads_end have " << a.pads_begin.size() << "/" << a.pads_end.size()
                            << " values, expected one per spatial axis (" << ns << ")");
  if (backprop)
    IRCONV_CHECK((int64_t)a.output_padding.size() == ns,
                 n.describe() << ": output_padding has " << a.output_padding.size()
                              << " values, expected one per spatial axis (" << ns << ")");
  for (auto s : a.strides) IRCONV_CHECK(s > 0, n.describe() << ": strides must be positive, got " << s);
  for (auto d : a.dilations) IRCONV_CHECK(d > 0, n.describe() << ": dilations must be positive, got " << d);
}

// Spatial output dims of a forward convolution (appended to `out`).
void append_fwd_spatial(const Node& n, const ConvAttrs& a, int64_t ns, const PartialShape& data,
                        const PartialShape& filt, std::vector<int64_t>& out) {
  for (int64_t i = 0; i < ns; ++i) {
    int64_t d = data.rank_dynamic ? kDyn : data[(size_t)(data.rank() - ns + i)];
    if (is_same(a.auto_pad)) {
      out.push_back(ceil_div_dim(d, a.strides[(size_t)i]));
      continue;
    }
    int64_t k = filt.rank_dynamic ? kDyn : filt[(size_t)(filt.rank() - ns + i)];
    int64_t pb = a.auto_pad == AutoPad::Valid ? 0 : a.pads_begin[(size_t)i];
    int64_t pe = a.auto_pad == AutoPad::Valid ? 0 : a.pads_end[(size_t)i];
    if (d < 0 || k < 0) { out.push_back(kDyn); continue; }
    int64_t padded = dim_add(dim_add(d, pb), pe);
    int64_t kd = dim_add(dim_mul(a.dilations[(size_t)i], k - 1), 1);
    IRCONV_CHECK(k >= 1, n.describe() << ": kernel size is " << k << " at spatial axis " << i);
    IRCONV_CHECK(kd <= padded, n.describe() << ": kernel after dilation (" << kd
                                            << ") is larger than the padded data (" << padded
                                            << ") at spatial axis " << i);
    out.push_back((padded - kd) / a.strides[(size_t)i] + 1);
  }
}

// Grouped channel count: groups (merged with C_in / Cin_per_group) * per-group out channels.
int64_t group_out_channels(const Node& n, const PartialShape& data, const PartialShape& filt, size_t cin_idx,
                           size_t cout_idx) {
  if (filt.rank_dynamic) return kDyn;
  int64_t groups = filt[0];
  int64_t cin_g = filt[cin_idx];
  if (!data.rank_dynamic && cin_g > 0 && data[1] >= 0) {
    int64_t c = data[1];
    IRCONV_CHECK(c % cin_g == 0 && (groups < 0 || groups == c / cin_g),
                 n.describe() << ": data input channels (" << c << ") do not match filter groups ("
                              << dim_str(groups) << ") x input channels per group (" << cin_g << ")");
    groups = c / cin_g;
  }
  int64_t cout_g = filt[cout_idx];
  return (groups < 0 || cout_g < 0) ? kDyn : groups * cout_g;
}

void infer_conv_impl(Node& n, bool group) {
  const PartialShape& data = n.in_shape(0);
  const PartialShape& filt = n.in_shape(1);
  ET et = merge_et(n, n.in_type(0), n.in_type(1), "data", "filters");
  ConvAttrs a = read_conv_attrs(n, false);
  const int64_t fns = group ? 3 : 2;
  int64_t ns = num_spatial_of(a, data, filt, fns);
  if (ns < 0) { n.set_output(0, et, PartialShape::dynamic()); return; }
  validate_common(n, a, ns, data, false);
  if (!data.rank_dynamic && !filt.rank_dynamic)
    IRCONV_CHECK(data.rank() + fns - 2 == filt.rank(),
                 n.describe() << ": data rank " << data.rank() << " and filters rank " << filt.rank()
                              << " do not match (data " << data.to_string() << ", filters " << filt.to_string()
                              << ", expected filters rank " << data.rank() + fns - 2 << ")");
  std::vector<int64_t> out;
  out.push_back(data.rank_dynamic ? kDyn : data[0]);
  if (group) {
    out.push_back(group_out_channels(n, data, filt, 2, 1));
  } else {
    if (!data.rank_dynamic && !filt.rank_dynamic)
      IRCONV_CHECK(data[1] < 0 || filt[1] < 0 || data[1] == filt[1],
                   n.describe() << ": data input channels (" << data[1] << ") do not match filter input channels ("
                                << filt[1] << ")");
    out.push_back(filt.rank_dynamic ? kDyn : filt[0]);
  }
  append_fwd_spatial(n, a, ns, data, filt, out);
  n.set_output(0, et, PartialShape(out));
}

void infer_convolution(Node& n) { infer_conv_impl(n, false); }
void infer_group_convolution(Node& n) { infer_conv_impl(n, true); }

void infer_backprop_impl(Node& n, bool group) {
  const PartialShape& data = n.in_shape(0);
  const PartialShape& filt = n.in_shape(1);
  ET et = merge_et(n, n.in_type(0), n.in_type(1), "data", "filters");
  ConvAttrs a = read_conv_attrs(n, true);
  const int64_t fns = group ? 3 : 2;
  const bool has_out_shape = n.num_inputs() >= 3;

  PartialShape out_spatial = PartialShape(std::vector<int64_t>{});
  if (has_out_shape) {
    const PartialShape& os = n.in_shape(2);
    IRCONV_CHECK(os.rank_dynamic || os.rank() == 1,
                 n.describe() << ": output_shape input must be 1D, got " << os.to_string());
    ET ot = n.in_type(2);
    IRCONV_CHECK(ot == ET::dynamic || et_is_integral(ot),
                 n.describe() << ": output_shape input must be of an integer type, got " << et_name(ot));
    if (const Tensor* v = n.in_value(2)) {
      std::vector<int64_t> vals = v->to_i64();
      for (auto& x : vals) if (x < 0) x = kDyn;
      out_spatial = PartialShape(vals);
    } else if (os.is_static()) {
      out_spatial = PartialShape::dynamic_of_rank((size_t)os[0]);
    } else {
      out_spatial = PartialShape::dynamic();
    }
  }
  int64_t ns = num_spatial_of(a, data, filt, fns, &out_spatial);
  if (ns < 0) { n.set_output(0, et, PartialShape::dynamic()); return; }
  IRCONV_CHECK(!has_out_shape || out_spatial.rank_dynamic || (int64_t)out_spatial.size() == ns,
               n.describe() << ": output_shape has " << out_spatial.size() << " values, expected one per spatial axis ("
                            << ns << ")");
  validate_common(n, a, ns, data, true);
  if (!data.rank_dynamic && !filt.rank_dynamic)
    IRCONV_CHECK(data.rank() + fns - 2 == filt.rank(),
                 n.describe() << ": data rank " << data.rank() << " and filters rank " << filt.rank()
                              << " do not match (data " << data.to_string() << ", filters " << filt.to_string() << ")");
  std::vector<int64_t> out;
  out.push_back(data.rank_dynamic ? kDyn : data[0]);
  if (group) {
    // filters [G, Cin/G, Cout/G, k...]
    out.push_back(group_out_channels(n, data, filt, 1, 2));
  } else {
    // filters [Cin, Cout, k...]
    if (!data.rank_dynamic && !filt.rank_dynamic)
      IRCONV_CHECK(data[1] < 0 || filt[0] < 0 || data[1] == filt[0],
                   n.describe() << ": data input channels (" << data[1] << ") do not match filter input channels ("
                                << filt[0] << ")");
    out.push_back(filt.rank_dynamic ? kDyn : filt[1]);
  }
  if (has_out_shape) {
    // OpenVINO copies the output_shape values as they are (a dynamic-rank output_shape adds none).
    for (auto d : out_spatial.dims) out.push_back(d);
  } else {
    for (int64_t i = 0; i < ns; ++i) {
      int64_t d = data.rank_dynamic ? kDyn : data[(size_t)(data.rank() - ns + i)];
      int64_t k = filt.rank_dynamic ? kDyn : filt[(size_t)(filt.rank() - ns + i)];
      int64_t pb = 0, pe = 0;
      if (a.auto_pad == AutoPad::Explicit) { pb = a.pads_begin[(size_t)i]; pe = a.pads_end[(size_t)i]; }
      if (d < 0 || k < 0) { out.push_back(kDyn); continue; }
      int64_t v = dim_add(dim_add(dim_mul(d - 1, a.strides[(size_t)i]), dim_mul(a.dilations[(size_t)i], k - 1)), 1);
      v = dim_sub(dim_sub(dim_add(v, a.output_padding[(size_t)i]), pb), pe);
      out.push_back(v < 0 ? kDyn : v);
    }
  }
  n.set_output(0, et, PartialShape(out));
}

void infer_conv_backprop(Node& n) { infer_backprop_impl(n, false); }
void infer_group_conv_backprop(Node& n) { infer_backprop_impl(n, true); }

// DeformableConvolution-8 (2D only, like OpenVINO): data [N, C, H, W], offsets [N, 2*DG*kh*kw, Ho, Wo],
// filters [Cout, C/group, kh, kw], optional mask [N, DG*kh*kw, Ho, Wo].
void infer_deformable_conv(Node& n) {
  static const char* names[4] = {"data", "offsets", "filters", "mask"};
  const PartialShape& data = n.in_shape(0);
  const PartialShape& offs = n.in_shape(1);
  const PartialShape& filt = n.in_shape(2);
  ET et = merge_et(n, n.in_type(0), n.in_type(1), "data", "offsets");
  et = merge_et(n, et, n.in_type(2), "data", "filters");
  if (n.num_inputs() > 3) et = merge_et(n, et, n.in_type(3), "data", "mask");
  ConvAttrs a;
  a.strides = n.attr_ints("strides", {});
  a.dilations = n.attr_ints("dilations", {});
  a.pads_begin = n.attr_ints("pads_begin", {});
  a.pads_end = n.attr_ints("pads_end", {});
  a.auto_pad = parse_auto_pad(n);
  // OpenVINO's IR reader leaves group/deformable_group at 0 when they are missing: require them.
  const int64_t group = n.attr_i("group");
  const int64_t dgroup = n.attr_i("deformable_group");
  IRCONV_CHECK(group > 0, n.describe() << ": attribute group must be positive, got " << group);
  IRCONV_CHECK(dgroup > 0, n.describe() << ": attribute deformable_group must be positive, got " << dgroup);
  int64_t ns = -1;
  if (!data.rank_dynamic) ns = data.rank() - 2;
  else if (!filt.rank_dynamic) ns = filt.rank() - 2;
  else if (!offs.rank_dynamic) ns = offs.rank() - 2;
  if (ns < 0) { n.set_output(0, et, PartialShape::dynamic()); return; }
  if (a.strides.empty()) a.strides.assign((size_t)ns, 1);
  if (a.dilations.empty()) a.dilations.assign((size_t)ns, 1);
  for (size_t i = 0; i < n.num_inputs(); ++i) {
    const PartialShape& s = n.in_shape(i);
    IRCONV_CHECK(s.rank_dynamic || s.rank() == 4,
                 n.describe() << ": " << names[i] << " input must be of rank 4, got " << s.to_string());
  }
  validate_common(n, a, ns, data, false);
  int64_t kprod = kDyn;
  if (!filt.rank_dynamic && filt[2] >= 0 && filt[3] >= 0) kprod = filt[2] * filt[3];
  if (n.num_inputs() > 3) {
    const PartialShape& mask = n.in_shape(3);
    if (!mask.rank_dynamic) {
      if (kprod >= 0 && mask[1] >= 0)
        IRCONV_CHECK(mask[1] == kprod * dgroup,
                     n.describe() << ": mask channels (" << mask[1] << ") must be deformable_group (" << dgroup
                                  << ") * kernel size (" << kprod << ") = " << kprod * dgroup);
      IRCONV_CHECK(mask[1] < 0 || mask[1] % dgroup == 0,
                   n.describe() << ": mask channels (" << mask[1] << ") are not divisible by deformable_group ("
                                << dgroup << ")");
      IRCONV_CHECK(data.rank_dynamic || data[0] < 0 || mask[0] < 0 || data[0] == mask[0],
                   n.describe() << ": data batch (" << data[0] << ") and mask batch (" << mask[0] << ") differ");
    }
  }
  std::vector<int64_t> out;
  int64_t batch = kDyn;
  if (!data.rank_dynamic) {
    IRCONV_CHECK(data[1] < 0 || data[1] % group == 0,
                 n.describe() << ": data channels (" << data[1] << ") are not divisible by group (" << group << ")");
    batch = data[0];
  }
  if (!offs.rank_dynamic) {
    if (kprod >= 0 && offs[1] >= 0)
      IRCONV_CHECK(offs[1] == 2 * dgroup * kprod,
                   n.describe() << ": offsets channels (" << offs[1] << ") must be 2 * deformable_group (" << dgroup
                                << ") * kernel size (" << kprod << ") = " << 2 * dgroup * kprod);
    IRCONV_CHECK(offs[1] < 0 || offs[1] % dgroup == 0,
                 n.describe() << ": offsets channels (" << offs[1] << ") are not divisible by deformable_group ("
                              << dgroup << ")");
    IRCONV_CHECK(batch < 0 || offs[0] < 0 || batch == offs[0],
                 n.describe() << ": data batch (" << batch << ") and offsets batch (" << offs[0] << ") differ");
    if (batch < 0) batch = offs[0];
  }
  out.push_back(batch);
  if (!filt.rank_dynamic) {
    IRCONV_CHECK(filt[0] < 0 || filt[0] % group == 0,
                 n.describe() << ": filter output channels (" << filt[0] << ") are not divisible by group (" << group
                              << ")");
    IRCONV_CHECK(data.rank_dynamic || data[1] < 0 || filt[1] < 0 || data[1] == filt[1] * group,
                 n.describe() << ": data channels (" << data[1] << ") do not match filter input channels ("
                              << filt[1] << ") x group (" << group << ")");
    out.push_back(filt[0]);
  } else {
    out.push_back(kDyn);
  }
  append_fwd_spatial(n, a, ns, data, filt, out);
  for (size_t j = 1; j < n.num_inputs(); j += 2) {  // offsets (1) and mask (3)
    const PartialShape& s = n.in_shape(j);
    if (s.rank_dynamic) continue;
    for (int64_t i = 0; i < ns; ++i) {
      int64_t o = out[(size_t)(2 + i)], d = s[(size_t)(2 + i)];
      IRCONV_CHECK(o < 0 || d < 0 || o == d, n.describe() << ": spatial size of " << names[j] << " (" << d
                                                          << ") does not match the output spatial size (" << o << ")");
    }
  }
  n.set_output(0, et, PartialShape(out));
}

}  // namespace

IRCONV_OPS(convolution) {
  reg({"Convolution", "opset1", 2, 2, infer_convolution});
  reg({"GroupConvolution", "opset1", 2, 2, infer_group_convolution});
  reg({"ConvolutionBackpropData", "opset1", 2, 3, infer_conv_backprop, nullptr, {2}});
  reg({"GroupConvolutionBackpropData", "opset1", 2, 3, infer_group_conv_backprop, nullptr, {2}});
  reg({"DeformableConvolution", "opset8", 3, 4, infer_deformable_conv});
}

}  // namespace irconv
