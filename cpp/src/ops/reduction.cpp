// Reductions (ReduceSum/Mean/Max/Min/Prod/L1/L2/LogicalAnd/LogicalOr) and CumSum.
// Axes come from input 1 (a shape input). Eval accumulates floats in double and integers in
// int64; Max/Min start from the type's lowest/highest value, as OpenVINO's reference does.
#include <cfloat>
#include <cmath>
#include <limits>
#include <vector>

#include "broadcast_util.hpp"
#include "irconv/op_registry.hpp"

namespace irconv {
namespace {

using Tensors = std::vector<const Tensor*>;

bool is_float_et(ET t) { return t != ET::dynamic && et_info(t).is_float; }
bool is_int_et(ET t) { return t != ET::dynamic && t != ET::boolean && et_is_integral(t); }

enum class RKind { kSum, kMean, kMax, kMin, kProd, kL1, kL2, kAnd, kOr };

struct ReduceDef {
  const char* type;
  const char* version;
  RKind kind;
};

const ReduceDef kReduce[] = {
    {"ReduceSum", "opset1", RKind::kSum},        {"ReduceMean", "opset1", RKind::kMean},
    {"ReduceMax", "opset1", RKind::kMax},        {"ReduceMin", "opset1", RKind::kMin},
    {"ReduceProd", "opset1", RKind::kProd},      {"ReduceLogicalAnd", "opset1", RKind::kAnd},
    {"ReduceLogicalOr", "opset1", RKind::kOr},   {"ReduceL1", "opset4", RKind::kL1},
    {"ReduceL2", "opset4", RKind::kL2},
};

const ReduceDef* find_reduce(const std::string& type) {
  for (const auto& d : kReduce)
    if (type == d.type) return &d;
  return nullptr;
}

// Marks the reduced axes of a rank-r tensor; throws naming the node for an axis out of range
// (a scalar accepts axis 0 / -1, as OpenVINO does).
std::vector<bool> reduced_axes(const Node& n, const Tensor& axes, int64_t r) {
  std::vector<bool> red((size_t)r, false);
  const int64_t rr = r > 0 ? r : 1;
  for (int64_t a : axes.to_i64()) {
    IRCONV_CHECK(a >= -rr && a < rr,
                 n.describe() << ": axis " << a << " is out of range [" << -rr << ", " << rr - 1 << "] for rank " << r);
    if (r > 0) red[(size_t)(a < 0 ? a + r : a)] = true;
  }
  return red;
}

PartialShape reduce_shape(const Node& n, bool keep) {
  const PartialShape& data = n.in_shape(0);
  if (data.rank_dynamic) return PartialShape::dynamic();
  const int64_t r = data.rank();
  if (const Tensor* axes = n.in_value(1)) {
    std::vector<bool> red = reduced_axes(n, *axes, r);
    std::vector<int64_t> dims;
    for (int64_t i = 0; i < r; ++i) {
      if (!red[(size_t)i]) dims.push_back(data[(size_t)i]);
      else if (keep) dims.push_back(1);
    }
    return PartialShape(dims);
  }
  if (keep) return PartialShape::dynamic_of_rank((size_t)r);
  // Unknown axes: the rank is known only when exactly one axis is given.
  const PartialShape& as = n.in_shape(1);
  const bool one_axis = !as.rank_dynamic && (as.size() == 0 || (as.size() == 1 && as[0] == 1));
  return one_axis && r > 0 ? PartialShape::dynamic_of_rank((size_t)r - 1) : PartialShape::dynamic();
}

void check_axes_input(const Node& n, size_t i) {
  ET at = n.in_type(i);
  IRCONV_CHECK(at == ET::dynamic || is_int_et(at),
               n.describe() << ": input " << i << " (axes) must be i32 or i64, got " << et_name(at));
  const PartialShape& as = n.in_shape(i);
  IRCONV_CHECK(as.rank_dynamic || as.size() <= 1,
               n.describe() << ": input " << i << " (axes) must be a scalar or 1-D, got " << as.to_string());
}

void infer_reduce(Node& n) {
  const ReduceDef* d = find_reduce(n.type);
  IRCONV_CHECK(d, n.describe() << ": not a reduction");
  ET et = n.in_type(0);
  if (d->kind == RKind::kAnd || d->kind == RKind::kOr)
    IRCONV_CHECK(et == ET::boolean || et == ET::dynamic, n.describe() << ": data must be boolean, got " << et_name(et));
  else
    IRCONV_CHECK(et != ET::boolean, n.describe() << ": data must be numeric, got boolean");
  check_axes_input(n, 1);
  n.set_output(0, et, reduce_shape(n, n.attr_b("keep_dims", false)));
}

// Lowest / highest finite value of a plain type, as double (floats) or int64 (integers).
double float_limit(ET et, bool highest) {
  double v = et == ET::f16 ? 65504.0 : et == ET::bf16 ? 3.38953138925153547590470800371487866880e38
           : et == ET::f32 ? (double)FLT_MAX : DBL_MAX;
  return highest ? v : -v;
}
int64_t int_limit(ET et, bool highest) {
  const int bits = et_info(et).bits;
  if (et_info(et).is_signed) {
    const int64_t hi = bits == 64 ? std::numeric_limits<int64_t>::max() : (int64_t)((1ULL << (bits - 1)) - 1);
    return highest ? hi : -hi - 1;
  }
  return highest ? (int64_t)((1ULL << bits) - 1) : 0;  // u64 is excluded by the caller
}

bool eval_reduce(const Node& n, const Tensors& in, std::vector<Tensor>& out) {
  const ReduceDef* d = find_reduce(n.type);
  const Tensor& x = *in[0];
  if (!d || !et_is_plain(x.et)) return false;
  const bool fl = is_float_et(x.et);
  if (!fl && d->kind == RKind::kL2) return false;  // OpenVINO does not define integer L2
  if (x.et == ET::u64 && (d->kind == RKind::kMax || d->kind == RKind::kMin)) return false;
  const int64_t r = (int64_t)x.shape.size();
  std::vector<bool> red = reduced_axes(n, *in[1], r);
  std::vector<int64_t> keep_shape, out_shape;
  for (int64_t i = 0; i < r; ++i) {
    keep_shape.push_back(red[(size_t)i] ? 1 : x.shape[(size_t)i]);
    if (!red[(size_t)i]) out_shape.push_back(x.shape[(size_t)i]);
  }
  if (n.attr_b("keep_dims", false)) out_shape = keep_shape;
  uint64_t n_out = 1;
  for (int64_t v : keep_shape) n_out *= (uint64_t)v;
  const uint64_t group = n_out ? x.numel() / n_out : 0;  // elements reduced into each output

  const bool is_max = d->kind == RKind::kMax, is_min = d->kind == RKind::kMin;
  const bool mult = d->kind == RKind::kProd || d->kind == RKind::kAnd;
  std::vector<double> accf;
  std::vector<int64_t> acci;
  if (fl) accf.assign(n_out, is_max ? float_limit(x.et, false) : is_min ? float_limit(x.et, true) : mult ? 1.0 : 0.0);
  else acci.assign(n_out, is_max ? int_limit(x.et, false) : is_min ? int_limit(x.et, true) : mult ? 1 : 0);

  bcast::BroadcastIter it(x.shape, {keep_shape}, {0});
  for (uint64_t k = 0; k < it.count(); ++k, it.next()) {
    const uint64_t o = it.index(0);
    if (fl) {
      double v = load_f64(x.et, x.data, k);
      double& a = accf[o];
      switch (d->kind) {
        case RKind::kMax: a = v > a ? v : a; break;
        case RKind::kMin: a = v < a ? v : a; break;
        case RKind::kProd: a *= v; break;
        case RKind::kL1: a += std::fabs(v); break;
        case RKind::kL2: a += v * v; break;
        default: a += v; break;
      }
    } else {
      int64_t v = load_i64(x.et, x.data, k);
      int64_t& a = acci[o];
      switch (d->kind) {
        case RKind::kMax: a = v > a ? v : a; break;
        case RKind::kMin: a = v < a ? v : a; break;
        case RKind::kProd: a = (int64_t)((uint64_t)a * (uint64_t)v); break;
        case RKind::kAnd: a = a && v; break;
        case RKind::kOr: a = a || v; break;
        case RKind::kL1: a = (int64_t)((uint64_t)a + (uint64_t)(v < 0 ? -v : v)); break;
        default: a = (int64_t)((uint64_t)a + (uint64_t)v); break;
      }
    }
  }

  Tensor res = Tensor::zeros(x.et, out_shape);
  uint8_t* dst = res.mutable_data();
  for (uint64_t o = 0; o < n_out; ++o) {
    if (fl) {
      double a = accf[o];
      if (d->kind == RKind::kMean) a = group ? a / (double)group : 0.0;
      if (d->kind == RKind::kL2) a = std::sqrt(a);
      store_f64(x.et, dst, o, a);
    } else {
      int64_t a = acci[o];
      store_i64(x.et, dst, o, a);
      if (d->kind == RKind::kMean) {  // the sum lives in the data type, then integer division
        a = load_i64(x.et, dst, o);
        store_i64(x.et, dst, o, group ? a / (int64_t)group : 0);
      }
    }
  }
  out[0] = std::move(res);
  return true;
}

// ------------------------------- CumSum -------------------------------

void infer_cumsum(Node& n) {
  ET at = n.in_type(1);
  IRCONV_CHECK(at == ET::dynamic || at == ET::i32 || at == ET::i64,
               n.describe() << ": input 1 (axis) must be i32 or i64, got " << et_name(at));
  const PartialShape& as = n.in_shape(1);
  IRCONV_CHECK(as.rank_dynamic || as.size() <= 1,
               n.describe() << ": input 1 (axis) must be a scalar, got " << as.to_string());
  n.set_output(0, n.in_type(0), n.in_shape(0));
}

bool eval_cumsum(const Node& n, const Tensors& in, std::vector<Tensor>& out) {
  const Tensor& x = *in[0];
  if (!et_is_plain(x.et) || x.et == ET::boolean || x.shape.empty()) return false;
  const int64_t r = (int64_t)x.shape.size();
  if (in[1]->numel() != 1) return false;
  int64_t axis = in[1]->get_i64(0);
  if (axis < -r || axis >= r) return false;
  if (axis < 0) axis += r;
  const bool exclusive = n.attr_b("exclusive", false), reverse = n.attr_b("reverse", false);
  uint64_t outer = 1, len = (uint64_t)x.shape[(size_t)axis], inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= (uint64_t)x.shape[(size_t)i];
  for (int64_t i = axis + 1; i < r; ++i) inner *= (uint64_t)x.shape[(size_t)i];
  const bool fl = is_float_et(x.et);
  Tensor res = Tensor::zeros(x.et, x.shape);
  uint8_t* dst = res.mutable_data();
  for (uint64_t o = 0; o < outer; ++o) {
    for (uint64_t j = 0; j < inner; ++j) {
      double sf = 0.0;
      int64_t si = 0;
      for (uint64_t t = 0; t < len; ++t) {
        const uint64_t k = o * len * inner + (reverse ? len - 1 - t : t) * inner + j;
        if (fl) {
          double v = load_f64(x.et, x.data, k);
          if (!exclusive) sf += v;
          store_f64(x.et, dst, k, sf);
          if (exclusive) sf += v;
        } else {
          int64_t v = load_i64(x.et, x.data, k);
          if (!exclusive) si = (int64_t)((uint64_t)si + (uint64_t)v);
          store_i64(x.et, dst, k, si);
          if (exclusive) si = (int64_t)((uint64_t)si + (uint64_t)v);
        }
      }
    }
  }
  out[0] = std::move(res);
  return true;
}

}  // namespace

IRCONV_OPS(reduction) {
  for (const auto& d : kReduce) reg({d.type, d.version, 2, 2, infer_reduce, eval_reduce, {1}});
  // The spec calls axis optional, but OpenVINO's own one-input constructor adds an axis-0 Const
  // and its IR reader fails on a one-input CumSum: require both inputs.
  reg({"CumSum", "opset3", 2, 2, infer_cumsum, eval_cumsum, {1}});
}

}  // namespace irconv
