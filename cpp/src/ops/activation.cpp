// Activation ops: ReLU, Elu, Selu, Clamp, PReLU, HardSigmoid, Swish, HSwish, HSigmoid, Mish,
// SoftPlus, SoftSign, Gelu, SoftMax, LogSoftmax. The pointwise ones share one table (a function of
// x and up to two parameters taken from attributes or scalar inputs) and one float eval; ReLU,
// Clamp and PReLU also fold integer tensors as OpenVINO does.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <vector>

#include "broadcast_util.hpp"
#include "irconv/op_registry.hpp"

namespace irconv {
namespace {

using Tensors = std::vector<const Tensor*>;

bool is_float_et(ET t) { return t != ET::dynamic && et_info(t).is_float; }

void check_numeric(const Node& n, ET et) {
  IRCONV_CHECK(et != ET::boolean, n.describe() << ": boolean input is not supported (expected a numeric element type)");
}
void check_float(const Node& n, ET et) {
  IRCONV_CHECK(et == ET::dynamic || is_float_et(et),
               n.describe() << ": input must be a floating-point tensor, got " << et_name(et));
}
void check_scalar(const Node& n, size_t i, const char* what) {
  const PartialShape& s = n.in_shape(i);
  IRCONV_CHECK(s.rank_dynamic || s.size() == 0,
               n.describe() << ": input " << i << " (" << what << ") must be a scalar, got " << s.to_string());
}

// Gelu approximation_mode: OpenVINO writes "ERF"/"TANH" and reads case-insensitively.
bool gelu_is_tanh(const Node& n) {
  std::string m = n.attr_s("approximation_mode", "erf");
  for (auto& c : m) c = (char)std::tolower((unsigned char)c);
  IRCONV_CHECK(m == "erf" || m == "tanh",
               n.describe() << ": approximation_mode='" << m << "' is not supported (expected ERF or TANH)");
  return m == "tanh";
}

// ---------------------------- infer functions ----------------------------

void infer_same(Node& n) { n.set_output(0, n.in_type(0), n.in_shape(0)); }
void infer_numeric(Node& n) { check_numeric(n, n.in_type(0)); infer_same(n); }
void infer_float(Node& n) { check_float(n, n.in_type(0)); infer_same(n); }

void infer_elu(Node& n) {
  n.attr_f("alpha");  // mandatory
  infer_same(n);
}

void infer_gelu(Node& n) {
  gelu_is_tanh(n);
  infer_float(n);
}

void infer_clamp(Node& n) {
  check_numeric(n, n.in_type(0));
  double lo = n.attr_f("min"), hi = n.attr_f("max");
  IRCONV_CHECK(lo <= hi, n.describe() << ": attribute min (" << lo << ") must be less or equal than max (" << hi << ")");
  infer_same(n);
}

void infer_selu(Node& n) {
  ET et = merge_input_types(n, 0, 1);
  ET et2 = merge_input_types(n, 0, 2);
  merge_input_types(n, 1, 2);
  if (et == ET::dynamic) et = et2;
  check_float(n, et);
  n.set_output(0, et, n.in_shape(0));
}

void infer_hard_sigmoid(Node& n) {
  ET et = merge_input_types(n, 0, 1);
  ET et2 = merge_input_types(n, 0, 2);
  merge_input_types(n, 1, 2);
  if (et == ET::dynamic) et = et2;
  check_scalar(n, 1, "alpha");
  check_scalar(n, 2, "beta");
  n.set_output(0, et, n.in_shape(0));
}

void infer_swish(Node& n) {
  check_float(n, n.in_type(0));
  ET et = n.in_type(0);
  if (n.num_inputs() > 1) {
    et = merge_input_types(n, 0, 1);
    check_scalar(n, 1, "beta");
  }
  n.set_output(0, et, n.in_shape(0));
}

// PReLU-1: output = data; the slope is validated only when folding (as OpenVINO does).
void infer_prelu(Node& n) { infer_same(n); }

int64_t softmax_axis(const Node& n, int64_t rank, bool allow_negative) {
  int64_t axis = n.attr_i("axis", 1);
  if (rank < 0) return axis;
  IRCONV_CHECK(allow_negative || axis >= 0, n.describe() << ": axis " << axis << " must be non-negative in this version");
  IRCONV_CHECK(axis >= -rank && axis < rank,
               n.describe() << ": axis " << axis << " is out of range [" << -rank << ", " << rank - 1 << "]");
  return axis < 0 ? axis + rank : axis;
}

void infer_softmax(Node& n) {
  softmax_axis(n, n.in_shape(0).rank(), n.version != "opset1");
  infer_same(n);
}

// ---------------------------- pointwise table ----------------------------

using ActFn = double (*)(double x, double p0, double p1);

struct ActDef {
  const char* type;
  const char* version;
  int min_in, max_in;
  InferFn infer;
  ActFn f;
};

double softplus(double x) { return x > 20.0 ? x : std::log1p(std::exp(x)); }
double hsigmoid(double x) { return std::min(std::max(x + 3.0, 0.0), 6.0) / 6.0; }
double gelu(double x, double tanh_mode, double) {
  if (tanh_mode != 0.0) {
    const double k = std::sqrt(2.0 / 3.14159265358979323846);
    return 0.5 * x * (1.0 + std::tanh(k * (x + 0.044715 * x * x * x)));
  }
  return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
}

const ActDef kAct[] = {
    {"ReLU", "opset1", 1, 1, infer_numeric, [](double x, double, double) { return x > 0 ? x : 0.0; }},
    {"Elu", "opset1", 1, 1, infer_elu,
     [](double x, double alpha, double) { return x > 0 ? x : alpha * (std::exp(x) - 1.0); }},
    {"Selu", "opset1", 3, 3, infer_selu,
     [](double x, double alpha, double lambda) { return x > 0 ? lambda * x : lambda * alpha * (std::exp(x) - 1.0); }},
    {"HardSigmoid", "opset1", 3, 3, infer_hard_sigmoid,
     [](double x, double alpha, double beta) { return std::max(0.0, std::min(1.0, alpha * x + beta)); }},
    {"Swish", "opset4", 1, 2, infer_swish, [](double x, double beta, double) { return x / (1.0 + std::exp(-beta * x)); }},
    {"HSwish", "opset4", 1, 1, infer_numeric, [](double x, double, double) { return x * hsigmoid(x); }},
    {"HSigmoid", "opset5", 1, 1, infer_numeric, [](double x, double, double) { return hsigmoid(x); }},
    {"Mish", "opset4", 1, 1, infer_float, [](double x, double, double) { return x * std::tanh(softplus(x)); }},
    {"SoftPlus", "opset4", 1, 1, infer_float, [](double x, double, double) { return softplus(x); }},
    {"SoftSign", "opset9", 1, 1, infer_float, [](double x, double, double) { return x / (1.0 + std::fabs(x)); }},
    {"Gelu", "opset7", 1, 1, infer_gelu, gelu},
    {"Gelu", "opset2", 1, 1, infer_float, gelu},  // Gelu-2: erf only, no attributes
};

const ActDef* find_act(const Node& n) {
  for (const auto& d : kAct)
    if (n.type == d.type) return &d;
  return nullptr;
}

// A parameter of the pointwise function: a constant, or element i % numel of an input tensor.
struct Param {
  const Tensor* t = nullptr;
  double c = 0.0;
  double at(uint64_t i) const { return t ? load_f64(t->et, t->data, i % t->numel()) : c; }
};

bool act_params(const Node& n, const Tensors& in, Param p[2]) {
  for (size_t k = 1; k < in.size() && k < 3; ++k) {
    if (!et_is_plain(in[k]->et) || in[k]->numel() == 0) return false;
    p[k - 1].t = in[k];
  }
  if (n.type == "Elu") p[0].c = n.attr_f("alpha");
  else if (n.type == "Swish" && in.size() == 1) p[0].c = 1.0;
  else if (n.type == "Gelu") p[0].c = (n.version != "opset2" && gelu_is_tanh(n)) ? 1.0 : 0.0;
  return true;
}

bool eval_act(const Node& n, const Tensors& in, std::vector<Tensor>& out) {
  const ActDef* d = find_act(n);
  const Tensor& x = *in[0];
  if (!d || !et_is_plain(x.et)) return false;
  const bool int_relu = n.type == "ReLU" && x.et != ET::boolean;
  if (!is_float_et(x.et) && !int_relu) return false;
  Param p[2];
  if (!act_params(n, in, p)) return false;
  Tensor r = Tensor::zeros(x.et, x.shape);
  uint8_t* dst = r.mutable_data();
  for (uint64_t i = 0; i < x.numel(); ++i) {
    if (!is_float_et(x.et)) {
      int64_t v = load_i64(x.et, x.data, i);
      store_i64(x.et, dst, i, v > 0 ? v : 0);
    } else {
      store_f64(x.et, dst, i, d->f(load_f64(x.et, x.data, i), p[0].at(i), p[1].at(i)));
    }
  }
  out[0] = std::move(r);
  return true;
}

// Clamp-1: the bounds are cast to the data type first (integers: ceil(min), floor(max)); NaN
// passes through.
bool eval_clamp(const Node& n, const Tensors& in, std::vector<Tensor>& out) {
  const Tensor& x = *in[0];
  if (!et_is_plain(x.et) || x.et == ET::boolean) return false;
  double lo = n.attr_f("min"), hi = n.attr_f("max");
  Tensor r = Tensor::zeros(x.et, x.shape);
  uint8_t* dst = r.mutable_data();
  if (is_float_et(x.et)) {
    // round the bounds through the element type
    Tensor b = Tensor::zeros(x.et, {2});
    store_f64(x.et, b.mutable_data(), 0, lo);
    store_f64(x.et, b.mutable_data(), 1, hi);
    lo = load_f64(x.et, b.data, 0);
    hi = load_f64(x.et, b.data, 1);
    for (uint64_t i = 0; i < x.numel(); ++i) {
      double v = load_f64(x.et, x.data, i);
      store_f64(x.et, dst, i, v < lo ? lo : (v > hi ? hi : v));
    }
  } else {
    int64_t ilo = float_to_int_like_ov(std::ceil(lo), ET::i64), ihi = float_to_int_like_ov(std::floor(hi), ET::i64);
    for (uint64_t i = 0; i < x.numel(); ++i) {
      int64_t v = load_i64(x.et, x.data, i);
      store_i64(x.et, dst, i, v < ilo ? ilo : (v > ihi ? ihi : v));
    }
  }
  out[0] = std::move(r);
  return true;
}

// PReLU-1: a 1-D slope whose length equals the channel dim (dim 1, or dim 0 for 1-D data) is
// applied per channel; otherwise the slope broadcasts to the data with numpy rules.
bool eval_prelu(const Node& n, const Tensors& in, std::vector<Tensor>& out) {
  const Tensor& x = *in[0];
  const Tensor& s = *in[1];
  if (!et_is_plain(x.et) || x.et != s.et || x.et == ET::boolean) return false;
  const size_t ch = x.shape.size() > 1 ? 1 : 0;
  int64_t offset;
  if (s.shape.size() == 1 && !x.shape.empty() && x.shape[ch] == s.shape[0]) {
    offset = (int64_t)ch;
  } else {
    std::vector<int64_t> shape, offs;
    if (!bcast::eval_layout({x.shape, s.shape}, bcast::Mode::numpy, shape, offs) || shape != x.shape) return false;
    offset = offs[1];
  }
  Tensor r = Tensor::zeros(x.et, x.shape);
  uint8_t* dst = r.mutable_data();
  bcast::BroadcastIter it(x.shape, {x.shape, s.shape}, {0, offset});
  const bool fl = is_float_et(x.et);
  for (uint64_t i = 0; i < it.count(); ++i, it.next()) {
    if (fl) {
      double v = load_f64(x.et, x.data, i);
      store_f64(x.et, dst, i, v < 0 ? v * load_f64(s.et, s.data, it.index(1)) : v);
    } else {
      int64_t v = load_i64(x.et, x.data, i);
      store_i64(x.et, dst, i, v < 0 ? (int64_t)((uint64_t)v * (uint64_t)load_i64(s.et, s.data, it.index(1))) : v);
    }
  }
  out[0] = std::move(r);
  return true;
}

// SoftMax / LogSoftmax along one axis (float types).
bool eval_softmax(const Node& n, const Tensors& in, std::vector<Tensor>& out) {
  const Tensor& x = *in[0];
  if (!et_is_plain(x.et) || !is_float_et(x.et) || x.shape.empty()) return false;
  const int64_t axis = softmax_axis(n, (int64_t)x.shape.size(), true);
  const bool log_mode = n.type == "LogSoftmax";
  uint64_t outer = 1, len = (uint64_t)x.shape[axis], inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= (uint64_t)x.shape[d];
  for (size_t d = (size_t)axis + 1; d < x.shape.size(); ++d) inner *= (uint64_t)x.shape[d];
  Tensor r = Tensor::zeros(x.et, x.shape);
  uint8_t* dst = r.mutable_data();
  for (uint64_t o = 0; o < outer; ++o) {
    for (uint64_t j = 0; j < inner; ++j) {
      const uint64_t base = o * len * inner + j;
      double mx = -INFINITY;
      for (uint64_t a = 0; a < len; ++a) mx = std::max(mx, load_f64(x.et, x.data, base + a * inner));
      double sum = 0.0;
      for (uint64_t a = 0; a < len; ++a) sum += std::exp(load_f64(x.et, x.data, base + a * inner) - mx);
      for (uint64_t a = 0; a < len; ++a) {
        const uint64_t k = base + a * inner;
        double e = load_f64(x.et, x.data, k) - mx;
        store_f64(x.et, dst, k, log_mode ? e - std::log(sum) : std::exp(e) / sum);
      }
    }
  }
  out[0] = std::move(r);
  return true;
}

}  // namespace

IRCONV_OPS(activation) {
  for (const auto& d : kAct) reg({d.type, d.version, d.min_in, d.max_in, d.infer, eval_act});
  reg({"Clamp", "opset1", 1, 1, infer_clamp, eval_clamp});
  reg({"PReLU", "opset1", 2, 2, infer_prelu, eval_prelu});
  reg({"SoftMax", "opset8", 1, 1, infer_softmax, eval_softmax});
  reg({"SoftMax", "opset1", 1, 1, infer_softmax, eval_softmax});
  reg({"LogSoftmax", "opset5", 1, 1, infer_softmax, eval_softmax});
}

}  // namespace irconv
