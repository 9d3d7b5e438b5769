// Elementwise ops: binary arithmetic, comparison, logical and bitwise ops (with auto_broadcast),
// unary math, Round, IsNaN/IsInf/IsFinite. Each family is one table plus one infer and one eval
// function that look the op up by type name. Eval: float types compute in double, integer types
// in int64 with OpenVINO's integer semantics (floor division, wrap-around, rounding rules).
#include <cmath>
#include <cstring>
#include <vector>

#include "broadcast_util.hpp"
#include "irconv/op_registry.hpp"

namespace irconv {
namespace {

using Tensors = std::vector<const Tensor*>;

bool is_float_et(ET t) { return t != ET::dynamic && et_info(t).is_float; }
bool is_int_et(ET t) { return t != ET::dynamic && t != ET::boolean && et_is_integral(t); }
uint64_t u(int64_t v) { return (uint64_t)v; }
int64_t wrap_add(int64_t a, int64_t b) { return (int64_t)(u(a) + u(b)); }
int64_t wrap_sub(int64_t a, int64_t b) { return (int64_t)(u(a) - u(b)); }
int64_t wrap_mul(int64_t a, int64_t b) { return (int64_t)(u(a) * u(b)); }

void check_not_boolean(const Node& n, ET et) {
  IRCONV_CHECK(et != ET::boolean, n.describe() << ": boolean inputs are not supported (expected a numeric element type)");
}

// ============================== binary ops ==============================

enum class BinKind { kArith, kCompare, kLogical, kBitwise, kShift };
using F2 = double (*)(double, double);
// Integer kernel; returns false when the result is not defined (integer division by zero).
using I2 = bool (*)(int64_t a, int64_t b, ET et, int64_t& r);

struct BinaryDef {
  const char* type;
  const char* version;
  BinKind kind;
  F2 f;  // float element types
  I2 i;  // integer and boolean element types
};

bool i_floordiv(int64_t a, int64_t b, ET, int64_t& r) {
  if (b == 0) return false;
  if (b == -1) { r = wrap_sub(0, a); return true; }
  int64_t q = a / b;
  if (a % b != 0 && ((a < 0) != (b < 0))) --q;
  r = q;
  return true;
}
bool i_truncdiv(int64_t a, int64_t b, ET, int64_t& r) {
  if (b == 0) return false;
  r = b == -1 ? wrap_sub(0, a) : a / b;
  return true;
}
bool i_floormod(int64_t a, int64_t b, ET, int64_t& r) {
  if (b == 0) return false;
  if (b == -1) { r = 0; return true; }
  int64_t m = a % b;
  if (m != 0 && ((m < 0) != (b < 0))) m += b;
  r = m;
  return true;
}
bool i_mod(int64_t a, int64_t b, ET, int64_t& r) {
  if (b == 0) return false;
  r = b == -1 ? 0 : a % b;
  return true;
}
bool i_pow(int64_t a, int64_t b, ET et, int64_t& r) {
  r = float_to_int_like_ov(std::pow((double)a, (double)b), et);
  return true;
}
int shift_mask(ET et) { return et_info(et).bits == 64 ? 63 : 31; }  // x86 shift-count masking
bool i_shl(int64_t a, int64_t b, ET et, int64_t& r) {
  r = (int64_t)(u(a) << (b & shift_mask(et)));
  return true;
}
bool i_shr(int64_t a, int64_t b, ET et, int64_t& r) {
  int s = (int)(b & shift_mask(et));
  r = et == ET::u64 ? (int64_t)(u(a) >> s) : (a >> s);
  return true;
}

const BinaryDef kBinary[] = {
    {"Add", "opset1", BinKind::kArith, [](double a, double b) { return a + b; },
     [](int64_t a, int64_t b, ET, int64_t& r) { r = wrap_add(a, b); return true; }},
    {"Subtract", "opset1", BinKind::kArith, [](double a, double b) { return a - b; },
     [](int64_t a, int64_t b, ET, int64_t& r) { r = wrap_sub(a, b); return true; }},
    {"Multiply", "opset1", BinKind::kArith, [](double a, double b) { return a * b; },
     [](int64_t a, int64_t b, ET, int64_t& r) { r = wrap_mul(a, b); return true; }},
    // m_pythondiv=false switches the integer kernel to i_truncdiv (see eval_binary).
    {"Divide", "opset1", BinKind::kArith, [](double a, double b) { return a / b; }, i_floordiv},
    {"Power", "opset1", BinKind::kArith, [](double a, double b) { return std::pow(a, b); }, i_pow},
    // std::max / std::min argument order: a NaN in the first input propagates, in the second not.
    {"Maximum", "opset1", BinKind::kArith, [](double a, double b) { return a < b ? b : a; },
     [](int64_t a, int64_t b, ET, int64_t& r) { r = a < b ? b : a; return true; }},
    {"Minimum", "opset1", BinKind::kArith, [](double a, double b) { return b < a ? b : a; },
     [](int64_t a, int64_t b, ET, int64_t& r) { r = b < a ? b : a; return true; }},
    {"SquaredDifference", "opset1", BinKind::kArith, [](double a, double b) { return (a - b) * (a - b); },
     [](int64_t a, int64_t b, ET, int64_t& r) { r = wrap_mul(wrap_sub(a, b), wrap_sub(a, b)); return true; }},
    {"FloorMod", "opset1", BinKind::kArith, [](double a, double b) { return a - b * std::floor(a / b); }, i_floormod},
    {"Mod", "opset1", BinKind::kArith, [](double a, double b) { return std::fmod(a, b); }, i_mod},

    {"Equal", "opset1", BinKind::kCompare, [](double a, double b) { return (double)(a == b); },
     [](int64_t a, int64_t b, ET, int64_t& r) { r = a == b; return true; }},
    {"NotEqual", "opset1", BinKind::kCompare, [](double a, double b) { return (double)(a != b); },
     [](int64_t a, int64_t b, ET, int64_t& r) { r = a != b; return true; }},
    {"Less", "opset1", BinKind::kCompare, [](double a, double b) { return (double)(a < b); },
     [](int64_t a, int64_t b, ET, int64_t& r) { r = a < b; return true; }},
    {"LessEqual", "opset1", BinKind::kCompare, [](double a, double b) { return (double)(a <= b); },
     [](int64_t a, int64_t b, ET, int64_t& r) { r = a <= b; return true; }},
    {"Greater", "opset1", BinKind::kCompare, [](double a, double b) { return (double)(a > b); },
     [](int64_t a, int64_t b, ET, int64_t& r) { r = a > b; return true; }},
    {"GreaterEqual", "opset1", BinKind::kCompare, [](double a, double b) { return (double)(a >= b); },
     [](int64_t a, int64_t b, ET, int64_t& r) { r = a >= b; return true; }},

    {"LogicalAnd", "opset1", BinKind::kLogical, nullptr,
     [](int64_t a, int64_t b, ET, int64_t& r) { r = (a != 0) && (b != 0); return true; }},
    {"LogicalOr", "opset1", BinKind::kLogical, nullptr,
     [](int64_t a, int64_t b, ET, int64_t& r) { r = (a != 0) || (b != 0); return true; }},
    // The spec page is LogicalXor-1; OpenVINO's serializer labels it "opset2", both read back.
    {"LogicalXor", "opset1", BinKind::kLogical, nullptr,
     [](int64_t a, int64_t b, ET, int64_t& r) { r = (a != 0) != (b != 0); return true; }},

    {"BitwiseAnd", "opset13", BinKind::kBitwise, nullptr,
     [](int64_t a, int64_t b, ET, int64_t& r) { r = a & b; return true; }},
    {"BitwiseOr", "opset13", BinKind::kBitwise, nullptr,
     [](int64_t a, int64_t b, ET, int64_t& r) { r = a | b; return true; }},
    {"BitwiseXor", "opset13", BinKind::kBitwise, nullptr,
     [](int64_t a, int64_t b, ET, int64_t& r) { r = a ^ b; return true; }},
    {"BitwiseLeftShift", "opset15", BinKind::kShift, nullptr, i_shl},
    {"BitwiseRightShift", "opset15", BinKind::kShift, nullptr, i_shr},
};

const BinaryDef* find_binary(const std::string& type) {
  for (const auto& d : kBinary)
    if (type == d.type) return &d;
  return nullptr;
}

void infer_binary(Node& n) {
  const BinaryDef* d = find_binary(n.type);
  IRCONV_CHECK(d, n.describe() << ": not a binary elementwise op");
  if (d->kind == BinKind::kLogical) {
    for (size_t i = 0; i < 2; ++i)
      IRCONV_CHECK(n.in_type(i) == ET::boolean || n.in_type(i) == ET::dynamic,
                   n.describe() << ": input " << i << " must be boolean, got " << et_name(n.in_type(i)));
  }
  ET et = merge_input_types(n, 0, 1);
  switch (d->kind) {
    case BinKind::kArith: check_not_boolean(n, et); break;
    case BinKind::kBitwise:
      IRCONV_CHECK(et == ET::dynamic || et == ET::boolean || is_int_et(et),
                   n.describe() << ": inputs must be integer or boolean, got " << et_name(et));
      break;
    case BinKind::kShift:
      IRCONV_CHECK(et == ET::dynamic || is_int_et(et), n.describe() << ": inputs must be integer, got " << et_name(et));
      break;
    default: break;
  }
  ET out_et = (d->kind == BinKind::kCompare || d->kind == BinKind::kLogical) ? ET::boolean : et;
  n.set_output(0, out_et, bcast::infer_binary(n, n.in_shape(0), n.in_shape(1), bcast::read_mode(n)));
}

bool eval_binary(const Node& n, const Tensors& in, std::vector<Tensor>& out) {
  const BinaryDef* d = find_binary(n.type);
  const Tensor& a = *in[0];
  const Tensor& b = *in[1];
  if (!d || a.et != b.et || !et_is_plain(a.et)) return false;
  const bool fl = is_float_et(a.et);
  I2 ifn = d->i;
  if (n.type == "Divide" && !n.attr_b("m_pythondiv", true)) ifn = i_truncdiv;
  if ((fl && !d->f) || (!fl && !ifn)) return false;
  std::vector<int64_t> shape, offs;
  if (!bcast::eval_layout({a.shape, b.shape}, bcast::read_mode(n), shape, offs)) return false;
  const bool to_bool = d->kind == BinKind::kCompare || d->kind == BinKind::kLogical;
  Tensor r = Tensor::zeros(to_bool ? ET::boolean : a.et, shape);
  uint8_t* dst = r.mutable_data();
  bcast::BroadcastIter it(shape, {a.shape, b.shape}, offs);
  for (uint64_t k = 0; k < it.count(); ++k, it.next()) {
    if (fl) {
      double v = d->f(load_f64(a.et, a.data, it.index(0)), load_f64(b.et, b.data, it.index(1)));
      if (to_bool) dst[k] = v != 0.0;
      else store_f64(a.et, dst, k, v);
    } else {
      int64_t v = 0;
      if (!ifn(load_i64(a.et, a.data, it.index(0)), load_i64(b.et, b.data, it.index(1)), a.et, v)) return false;
      if (to_bool || a.et == ET::boolean) dst[k] = v != 0;
      else store_i64(a.et, dst, k, v);
    }
  }
  out[0] = std::move(r);
  return true;
}

// ============================== unary math ==============================

// How OpenVINO's reference kernels produce integer results: static_cast of the double result
// (kTrunc), std::round of it (kRound), or an exact integer function (kExact).
enum class IntRule { kTrunc, kRound, kExact };

struct UnaryDef {
  const char* type;
  const char* version;
  double (*f)(double);
  IntRule ir;
  int64_t (*i)(int64_t);  // kExact only
};

int64_t i_sigmoid(int64_t x) {  // OV: e = T(exp(-x)); 1 / (1 + e) in integers
  double e = std::exp(-(double)x);
  if (e >= 9.0e18) return 0;
  return 1 / (1 + (int64_t)e);
}

const UnaryDef kUnary[] = {
    {"Abs", "opset1", [](double x) { return std::fabs(x); }, IntRule::kExact, [](int64_t x) { return x < 0 ? wrap_sub(0, x) : x; }},
    {"Acos", "opset1", [](double x) { return std::acos(x); }, IntRule::kRound, nullptr},
    {"Asin", "opset1", [](double x) { return std::asin(x); }, IntRule::kTrunc, nullptr},
    {"Atan", "opset1", [](double x) { return std::atan(x); }, IntRule::kRound, nullptr},
    {"Cos", "opset1", [](double x) { return std::cos(x); }, IntRule::kRound, nullptr},
    {"Cosh", "opset1", [](double x) { return std::cosh(x); }, IntRule::kRound, nullptr},
    {"Sin", "opset1", [](double x) { return std::sin(x); }, IntRule::kTrunc, nullptr},
    {"Sinh", "opset1", [](double x) { return std::sinh(x); }, IntRule::kRound, nullptr},
    {"Tan", "opset1", [](double x) { return std::tan(x); }, IntRule::kRound, nullptr},
    {"Tanh", "opset1", [](double x) { return std::tanh(x); }, IntRule::kRound, nullptr},
    {"Ceiling", "opset1", [](double x) { return std::ceil(x); }, IntRule::kExact, [](int64_t x) { return x; }},
    {"Floor", "opset1", [](double x) { return std::floor(x); }, IntRule::kExact, [](int64_t x) { return x; }},
    {"Exp", "opset1", [](double x) { return std::exp(x); }, IntRule::kTrunc, nullptr},
    {"Log", "opset1", [](double x) { return std::log(x); }, IntRule::kTrunc, nullptr},
    {"Sqrt", "opset1", [](double x) { return std::sqrt(x); }, IntRule::kRound, nullptr},
    {"Negative", "opset1", [](double x) { return -x; }, IntRule::kExact, [](int64_t x) { return wrap_sub(0, x); }},
    {"Sign", "opset1", [](double x) { return std::isnan(x) ? x : (double)((x > 0) - (x < 0)); }, IntRule::kExact,
     [](int64_t x) { return (int64_t)((x > 0) - (x < 0)); }},
    {"Erf", "opset1", [](double x) { return std::erf(x); }, IntRule::kRound, nullptr},
    {"Sigmoid", "opset1", [](double x) { return 1.0 / (1.0 + std::exp(-x)); }, IntRule::kExact, i_sigmoid},
    {"Acosh", "opset4", [](double x) { return std::acosh(x); }, IntRule::kRound, nullptr},
    {"Asinh", "opset4", [](double x) { return std::asinh(x); }, IntRule::kRound, nullptr},
    {"Atanh", "opset4", [](double x) { return std::atanh(x); }, IntRule::kRound, nullptr},
};

const UnaryDef* find_unary(const std::string& type) {
  for (const auto& d : kUnary)
    if (type == d.type) return &d;
  return nullptr;
}

void infer_unary(Node& n) {
  check_not_boolean(n, n.in_type(0));
  n.set_output(0, n.in_type(0), n.in_shape(0));
}

bool eval_unary(const Node& n, const Tensors& in, std::vector<Tensor>& out) {
  const UnaryDef* d = find_unary(n.type);
  const Tensor& x = *in[0];
  if (!d || !et_is_plain(x.et) || x.et == ET::boolean) return false;
  Tensor r = Tensor::zeros(x.et, x.shape);
  uint8_t* dst = r.mutable_data();
  const uint64_t cnt = x.numel();
  if (is_float_et(x.et)) {
    for (uint64_t k = 0; k < cnt; ++k) store_f64(x.et, dst, k, d->f(load_f64(x.et, x.data, k)));
  } else {
    for (uint64_t k = 0; k < cnt; ++k) {
      int64_t v = load_i64(x.et, x.data, k);
      int64_t res;
      if (d->ir == IntRule::kExact) res = d->i(v);
      else {
        double y = d->f((double)v);
        res = float_to_int_like_ov(d->ir == IntRule::kRound ? std::round(y) : y, x.et);
      }
      store_i64(x.et, dst, k, res);
    }
  }
  out[0] = std::move(r);
  return true;
}

// ============================== other unary ops ==============================

// Round-5: mode half_to_even (default) / half_away_from_zero; integers and booleans unchanged.
bool round_half_to_even(const Node& n) {
  std::string m = n.attr_s("mode", "half_to_even");
  for (auto& c : m) c = (char)std::tolower((unsigned char)c);
  IRCONV_CHECK(m == "half_to_even" || m == "half_away_from_zero",
               n.describe() << ": mode='" << m << "' is not supported (expected half_to_even or half_away_from_zero)");
  return m == "half_to_even";
}

void infer_round(Node& n) {
  round_half_to_even(n);
  n.set_output(0, n.in_type(0), n.in_shape(0));
}

bool eval_round(const Node& n, const Tensors& in, std::vector<Tensor>& out) {
  const Tensor& x = *in[0];
  if (!et_is_plain(x.et)) return false;
  if (!is_float_et(x.et)) {
    out[0] = Tensor::owned(x.et, x.shape, std::vector<uint8_t>(x.data, x.data + x.nbytes));
    return true;
  }
  const bool even = round_half_to_even(n);
  Tensor r = Tensor::zeros(x.et, x.shape);
  uint8_t* dst = r.mutable_data();
  for (uint64_t k = 0; k < x.numel(); ++k) {
    double v = load_f64(x.et, x.data, k);
    store_f64(x.et, dst, k, even ? std::nearbyint(v) : std::round(v));
  }
  out[0] = std::move(r);
  return true;
}

// IsNaN / IsInf / IsFinite (opset10): floating-point input, boolean output.
void infer_is_class(Node& n) {
  ET et = n.in_type(0);
  IRCONV_CHECK(et == ET::dynamic || is_float_et(et),
               n.describe() << ": input must be a floating-point tensor, got " << et_name(et));
  n.set_output(0, ET::boolean, n.in_shape(0));
}

bool eval_is_class(const Node& n, const Tensors& in, std::vector<Tensor>& out) {
  const Tensor& x = *in[0];
  if (!et_is_plain(x.et) || !is_float_et(x.et)) return false;
  const bool neg = n.attr_b("detect_negative", true), pos = n.attr_b("detect_positive", true);
  Tensor r = Tensor::zeros(ET::boolean, x.shape);
  uint8_t* dst = r.mutable_data();
  for (uint64_t k = 0; k < x.numel(); ++k) {
    double v = load_f64(x.et, x.data, k);
    bool res;
    if (n.type == "IsNaN") res = std::isnan(v);
    else if (n.type == "IsFinite") res = std::isfinite(v);
    else res = std::isinf(v) && ((v > 0 && pos) || (v < 0 && neg));
    dst[k] = res;
  }
  out[0] = std::move(r);
  return true;
}

// LogicalNot-1: output has the input's element type (OpenVINO does not restrict it to boolean).
void infer_logical_not(Node& n) { n.set_output(0, n.in_type(0), n.in_shape(0)); }

// BitwiseNot-13: integer or boolean input.
void infer_bitwise_not(Node& n) {
  ET et = n.in_type(0);
  IRCONV_CHECK(et == ET::dynamic || et == ET::boolean || is_int_et(et),
               n.describe() << ": input must be integer or boolean, got " << et_name(et));
  n.set_output(0, et, n.in_shape(0));
}

bool eval_not(const Node& n, const Tensors& in, std::vector<Tensor>& out) {
  const Tensor& x = *in[0];
  if (!et_is_plain(x.et)) return false;
  const bool logical = n.type == "LogicalNot";
  Tensor r = Tensor::zeros(x.et, x.shape);
  uint8_t* dst = r.mutable_data();
  for (uint64_t k = 0; k < x.numel(); ++k) {
    if (x.et == ET::boolean) dst[k] = x.data[k] == 0;
    else if (is_float_et(x.et)) store_f64(x.et, dst, k, load_f64(x.et, x.data, k) == 0.0 ? 1.0 : 0.0);
    else {
      int64_t v = load_i64(x.et, x.data, k);
      store_i64(x.et, dst, k, logical ? (int64_t)(v == 0) : ~v);
    }
  }
  out[0] = std::move(r);
  return true;
}

}  // namespace

IRCONV_OPS(elementwise) {
  for (const auto& d : kBinary) reg({d.type, d.version, 2, 2, infer_binary, eval_binary});
  for (const auto& d : kUnary) reg({d.type, d.version, 1, 1, infer_unary, eval_unary});
  reg({"Round", "opset5", 1, 1, infer_round, eval_round});
  reg({"IsNaN", "opset10", 1, 1, infer_is_class, eval_is_class});
  reg({"IsInf", "opset10", 1, 1, infer_is_class, eval_is_class});
  reg({"IsFinite", "opset10", 1, 1, infer_is_class, eval_is_class});
  reg({"LogicalNot", "opset1", 1, 1, infer_logical_not, eval_not});
  reg({"BitwiseNot", "opset13", 1, 1, infer_bitwise_not, eval_not});
}

}  // namespace irconv
