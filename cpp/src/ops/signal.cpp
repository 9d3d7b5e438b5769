// Signal-processing ops: DFT, IDFT (opset7), RDFT, IRDFT (opset9), STFT (opset15), ISTFT (opset16).
// Shape inference follows OpenVINO's fft_base / rdft / irdft / stft / istft shape_infer: complex
// tensors are real tensors with a trailing dimension of 2; axes and signal sizes are read when
// known at conversion time (constants or shape sub-graphs), otherwise the affected dimensions
// become dynamic. No eval kernels (these ops are not found in shape sub-graphs).
#include <algorithm>
#include <optional>
#include <set>
#include <vector>

#include "irconv/op_registry.hpp"
#include "ops_util.hpp"

namespace irconv {

namespace {

using namespace ops_detail;

void check_float_input(const Node& n, size_t i, const char* what) {
  ET t = n.in_type(i);
  IRCONV_CHECK(t == ET::dynamic || et_info(t).is_float,
               n.describe() << ": input " << i << " (" << what << ") must have a floating-point element type, got "
                            << et_name(t));
}

void check_rank_compatible(const Node& n, size_t i, int64_t r, const char* what) {
  const PartialShape& s = n.in_shape(i);
  IRCONV_CHECK(s.rank_dynamic || (int64_t)s.size() == r,
               n.describe() << ": input " << i << " (" << what << ") must have rank " << r << ", got shape "
                            << s.to_string());
}

// Number of axes from the axes input's shape (-1 if unknown).
int64_t axes_count(const Node& n) {
  const PartialShape& s = n.in_shape(1);
  return (!s.rank_dynamic && s.size() == 1) ? s.dims[0] : -1;
}

// Common validation of the FFT family. `complex_input`: data is [..., 2] (DFT, IDFT, IRDFT);
// otherwise real (RDFT). Returns the normalized axes when they are known.
std::optional<Dims> fft_validate(const Node& n, bool complex_input) {
  check_float_input(n, 0, "data");
  check_integral_input(n, 1, "axes");
  check_rank_compatible(n, 1, 1, "axes");
  if (n.num_inputs() > 2) {
    check_integral_input(n, 2, "signal_size");
    check_rank_compatible(n, 2, 1, "signal_size");
    const PartialShape& ss = n.in_shape(2);
    int64_t na = axes_count(n);
    if (na != kDyn && !ss.rank_dynamic && ss.dims[0] != kDyn)
      IRCONV_CHECK(na == ss.dims[0], n.describe() << ": inputs 'axes' (" << na << " elements) and 'signal_size' ("
                                                  << ss.dims[0] << " elements) must have the same size");
  }
  const PartialShape& in = n.in_shape(0);
  auto axes = known_ints(n, 1);
  if (in.rank_dynamic) return axes;
  const int64_t r = (int64_t)in.size();
  const int64_t min_rank = complex_input ? 2 : 1;
  IRCONV_CHECK(r >= min_rank, n.describe() << ": the input rank must be at least " << min_rank << ", got "
                                           << in.to_string());
  if (complex_input)
    IRCONV_CHECK(in.dims.back() == kDyn || in.dims.back() == 2,
                 n.describe() << ": the last dimension of the data must be 2 (real, imaginary), got " << in.to_string());
  const int64_t na = axes_count(n);
  if (na != kDyn)
    IRCONV_CHECK(complex_input ? r >= na + 1 : r >= na,
                 n.describe() << ": the input rank " << r << " is too small for " << na << " axes");
  if (axes) {
    // complex data [n_0..n_{r-2}, 2] is a complex tensor of rank r-1: axes are in [-(r-1), r-2]
    const int64_t ar = complex_input ? r - 1 : r;
    std::set<int64_t> seen;
    for (auto& a : *axes) {
      a = normalize(n, a, ar, "axis");
      IRCONV_CHECK(seen.insert(a).second, n.describe() << ": axes must be unique");
    }
  }
  return axes;
}

// DFT / IDFT: output = input, with the transformed axes resized by signal_size.
void infer_dft(Node& n) {
  auto axes = fft_validate(n, true);
  PartialShape out = n.in_shape(0);
  if (n.num_inputs() > 2 && !out.rank_dynamic) {
    if (axes) {
      auto ss = partial_ints(n, 2);
      for (size_t i = 0; i < axes->size(); ++i) {
        int64_t& d = out.dims[(size_t)(*axes)[i]];
        if (!ss || i >= ss->size() || (*ss)[i] == kUnknownVal) {
          d = kDyn;
        } else if ((*ss)[i] != -1) {
          d = (*ss)[i];
        }
      }
    } else {
      for (size_t i = 0; i + 1 < out.size(); ++i) out.dims[i] = kDyn;
    }
  }
  n.set_output(0, n.in_type(0), out);
}

int64_t rdft_half(int64_t d) { return d == kDyn ? kDyn : (d <= 0 ? d : d / 2 + 1); }

// RDFT: real input -> complex output [..., 2]; the last transformed axis keeps d/2+1 values.
void infer_rdft(Node& n) {
  auto axes = fft_validate(n, false);
  const PartialShape& in = n.in_shape(0);
  if (in.rank_dynamic) {
    n.set_output(0, n.in_type(0), PartialShape::dynamic());
    return;
  }
  PartialShape out = in;
  out.dims.push_back(2);
  if (!axes) {
    for (size_t i = 0; i < in.size(); ++i) out.dims[i] = kDyn;
  } else if (!axes->empty()) {
    const size_t last = (size_t)axes->back();
    if (n.num_inputs() == 2) {
      out.dims[last] = rdft_half(in.dims[last]);
    } else {
      auto ss = known_ints(n, 2);
      if (!ss || ss->size() != axes->size()) {
        out.dims[last] = kDyn;
      } else {
        for (size_t i = 0; i < axes->size(); ++i)
          if ((*ss)[i] != -1) out.dims[(size_t)(*axes)[i]] = (*ss)[i];
        out.dims[last] = rdft_half(out.dims[last]);
      }
    }
  }
  n.set_output(0, n.in_type(0), out);
}

int64_t irdft_full(int64_t d) { return d == kDyn ? kDyn : std::max<int64_t>(2 * (d - 1), 0); }

// IRDFT: complex (Hermitian half) input -> real output; the last axis becomes 2*(d-1) unless sized.
void infer_irdft(Node& n) {
  auto axes = fft_validate(n, true);
  const PartialShape& in = n.in_shape(0);
  if (in.rank_dynamic) {
    n.set_output(0, n.in_type(0), PartialShape::dynamic());
    return;
  }
  PartialShape out = in;
  out.dims.pop_back();
  if (!axes) {
    for (auto& d : out.dims) d = kDyn;
  } else if (!axes->empty()) {
    const size_t last = (size_t)axes->back();
    if (n.num_inputs() == 2) {
      out.dims[last] = irdft_full(in.dims[last]);
    } else {
      auto ss = known_ints(n, 2);
      if (!ss || ss->size() != axes->size()) {
        out.dims[last] = kDyn;
      } else {
        for (size_t i = 0; i < axes->size(); ++i)
          if ((*ss)[i] != -1) out.dims[(size_t)(*axes)[i]] = (*ss)[i];
        if (ss->back() == -1) out.dims[last] = irdft_full(in.dims[last]);
      }
    }
  }
  n.set_output(0, n.in_type(0), out);
}

std::optional<int64_t> known_scalar(const Node& n, size_t i) {
  auto v = known_ints(n, i);
  if (!v || v->size() != 1) return std::nullopt;
  return (*v)[0];
}

void check_scalar(const Node& n, size_t i, const char* what) {
  const PartialShape& s = n.in_shape(i);
  IRCONV_CHECK(s.rank_dynamic || s.size() == 0,
               n.describe() << ": input " << i << " (" << what << ") must be a scalar, got shape " << s.to_string());
}

// STFT-15: signal [batch, length] or [length], window [w], frame_size, frame_step (scalars)
// -> [batch, frames, fft_samples, 2] (transpose_frames: [batch, fft_samples, frames, 2]).
void infer_stft(Node& n) {
  default_attr(n, "transpose_frames", false);
  check_float_input(n, 0, "signal");
  check_float_input(n, 1, "window");
  check_integral_input(n, 2, "frame_size");
  check_integral_input(n, 3, "frame_step");
  const PartialShape& sig = n.in_shape(0);
  const PartialShape& win = n.in_shape(1);
  IRCONV_CHECK(sig.rank_dynamic || sig.size() == 1 || sig.size() == 2,
               n.describe() << ": the signal must be 1D [length] or 2D [batch, length], got " << sig.to_string());
  check_rank_compatible(n, 1, 1, "window");
  check_scalar(n, 2, "frame_size");
  check_scalar(n, 3, "frame_step");
  const bool transpose = n.attr_b("transpose_frames", false);
  auto fs = known_scalar(n, 2), step = known_scalar(n, 3);
  if (sig.rank_dynamic) {
    n.set_output(0, n.in_type(0), PartialShape::dynamic());
    return;
  }
  const bool batched = sig.size() == 2;
  const int64_t len = sig.dims.back();
  Dims out;
  if (batched) out.push_back(sig.dims[0]);
  if (!fs || !step) {
    out.insert(out.end(), {kDyn, kDyn, 2});
    n.set_output(0, n.in_type(0), PartialShape(out));
    return;
  }
  IRCONV_CHECK(*fs > 0 && (len == kDyn || *fs <= len),
               n.describe() << ": frame_size " << *fs << " must be in [1, " << len << "] (the signal length)");
  IRCONV_CHECK(*step > 0, n.describe() << ": frame_step must be positive, got " << *step);
  if (!win.rank_dynamic && win.dims[0] != kDyn)
    IRCONV_CHECK(win.dims[0] > 0 && win.dims[0] <= *fs,
                 n.describe() << ": the window length " << win.dims[0] << " must be in [1, " << *fs << "]");
  const int64_t frames = len == kDyn ? kDyn : (len - *fs) / *step + 1;
  const int64_t bins = *fs / 2 + 1;
  if (transpose) {
    out.push_back(bins);
    out.push_back(frames);
  } else {
    out.push_back(frames);
    out.push_back(bins);
  }
  out.push_back(2);
  n.set_output(0, n.in_type(0), PartialShape(out));
}

// ISTFT-16: data [fft_samples, frames, 2] or [batch, fft_samples, frames, 2], window, frame_size,
// frame_step[, signal_length] -> [length] or [batch, length].
void infer_istft(Node& n) {
  default_attr(n, "center", false);
  default_attr(n, "normalized", false);
  check_float_input(n, 0, "data");
  check_float_input(n, 1, "window");
  check_integral_input(n, 2, "frame_size");
  check_integral_input(n, 3, "frame_step");
  const PartialShape& data = n.in_shape(0);
  const PartialShape& win = n.in_shape(1);
  IRCONV_CHECK(data.rank_dynamic || data.size() == 3 || data.size() == 4,
               n.describe() << ": the data must be 3D or 4D, got " << data.to_string());
  check_rank_compatible(n, 1, 1, "window");
  check_scalar(n, 2, "frame_size");
  check_scalar(n, 3, "frame_step");
  auto fs = known_scalar(n, 2), step = known_scalar(n, 3);
  if (fs) {
    IRCONV_CHECK(*fs > 0, n.describe() << ": frame_size must be positive, got " << *fs);
    if (!win.rank_dynamic && win.dims[0] != kDyn)
      IRCONV_CHECK(win.dims[0] > 0 && win.dims[0] <= *fs,
                   n.describe() << ": the window length " << win.dims[0] << " must be in [1, " << *fs << "]");
    if (data.is_static())
      IRCONV_CHECK(data.dims[data.size() - 3] == *fs / 2 + 1,
                   n.describe() << ": data dimension -3 must be frame_size / 2 + 1 = " << *fs / 2 + 1 << ", got "
                                << data.to_string());
  }
  if (step) IRCONV_CHECK(*step > 0, n.describe() << ": frame_step must be positive, got " << *step);
  if (data.rank_dynamic) {
    n.set_output(0, n.in_type(0), PartialShape::dynamic());
    return;
  }
  const bool d3 = data.size() == 3;
  int64_t length = kDyn;
  if (n.num_inputs() == 5) {
    const PartialShape& ls = n.in_shape(4);
    check_integral_input(n, 4, "signal_length");
    IRCONV_CHECK(ls.rank_dynamic || ls.size() == 0 || (ls.size() == 1 && (ls.dims[0] == kDyn || ls.dims[0] == 1)),
                 n.describe() << ": signal_length must be a scalar or a 1-element 1D tensor, got " << ls.to_string());
    auto l = partial_ints(n, 4);
    if (l && l->size() == 1 && (*l)[0] != kUnknownVal) length = (*l)[0];
  } else if (fs && step) {
    const int64_t frames = data.dims[d3 ? 1 : 2];
    if (frames != kDyn) {
      length = (frames - 1) * *step + *fs;
      if (n.attr_b("center", false)) length -= (*fs & ~int64_t(1));
    }
  }
  Dims out;
  if (!d3) out.push_back(data.dims[0]);
  out.push_back(length);
  n.set_output(0, n.in_type(0), PartialShape(out));
}

}  // namespace

IRCONV_OPS(signal) {
  reg({"DFT", "opset7", 2, 3, infer_dft, nullptr, {1, 2}});
  reg({"IDFT", "opset7", 2, 3, infer_dft, nullptr, {1, 2}});
  reg({"RDFT", "opset9", 2, 3, infer_rdft, nullptr, {1, 2}});
  reg({"IRDFT", "opset9", 2, 3, infer_irdft, nullptr, {1, 2}});
  reg({"STFT", "opset15", 4, 4, infer_stft, nullptr, {2, 3}});
  reg({"ISTFT", "opset16", 4, 5, infer_istft, nullptr, {2, 3, 4}});
}

}  // namespace irconv
