// Elementwise fusions run before the activation fusions: Minimum/Maximum pairs -> Clamp, the
// decomposed hard sigmoid -> HardSigmoid (HSigmoid when it is x/6 + 1/2), the decompositions
// of PReLU / LeakyReLU that Keras and hand-written models produce -> PReLU.
//
//   Minimum(Maximum(x, lo), hi) / Maximum(Minimum(x, hi), lo)          -> Clamp(x, lo, hi)   (lo <= hi)
//   Clamp(x * a + b, 0, 1) / Clamp((x + c) / d, 0, 1)                  -> HardSigmoid(x, a, b)
//   ReLU(x) + ReLU(-x) * (-α) / ReLU(x) - α * ReLU(-x)                 -> PReLU(x, α)
//   ReLU(x) + α * Minimum(x, 0) / Maximum(x, 0) + α * Minimum(x, 0)    -> PReLU(x, α)
//   Select(x > 0 | x >= 0 | 0 < x, x, x * α)                                 -> PReLU(x, α)
//   Maximum(x, x * α)                                                  -> PReLU(x, α)        (0 <= α <= 1)
// x must be floating point; bounds and HardSigmoid coefficients uniform constants; α a constant
// that broadcasts to x without changing its shape (stored with x's rank: OpenVINO's PReLU reads a
// 1-D slope as per-channel).
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "fusion_util.hpp"
#include "irconv/pass.hpp"
#include "irconv/pattern.hpp"

namespace irconv {
namespace {

using namespace pattern;  // NOLINT

double uval(const Match& m, const P& p) {
  double v = 0;
  uniform_value(m.value(p), &v);
  return v;
}

// ---------------------------------------------------------------- Clamp
std::vector<Rewrite> clamp_rewrites() {
  auto x = any(floating());
  auto lo1 = uniform_const(), hi1 = uniform_const(), lo2 = uniform_const(), hi2 = uniform_const();
  auto cb = [=](const P& lo, const P& hi) {
    return [=](Match& m) {
      double l = uval(m, lo), h = uval(m, hi);
      if (!(l <= h)) return false;
      return m.replace("Clamp", {m[x]}, {{"min", l}, {"max", h}}, "opset1") != nullptr;
    };
  };
  return {
      // Minimum(Maximum(x, lo), hi) -> Clamp(x, lo, hi)
      rewrite("Min(Max(x,lo),hi)", op("Minimum", {op("Maximum", {x, lo1}), hi1}), cb(lo1, hi1)),
      // Maximum(Minimum(x, hi), lo) -> Clamp(x, lo, hi)
      rewrite("Max(Min(x,hi),lo)", op("Maximum", {op("Minimum", {x, hi2}), lo2}), cb(lo2, hi2)),
  };
}

// ---------------------------------------------------------------- HardSigmoid
bool clamp_0_1(const Node& n) {
  return near(n.attr_f("min", NAN), 0.0, 1e-6) && near(n.attr_f("max", NAN), 1.0, 1e-6);
}

std::vector<Rewrite> hard_sigmoid_rewrites() {
  auto x = any(floating());
  auto a = uniform_const(), b = uniform_const(), c = uniform_const(), d = uniform_const();
  auto make = [x](Match& m, double alpha, double beta) {
    if (near(alpha, 1.0 / 6.0, 1e-5) && near(beta, 0.5, 1e-6))
      return m.replace("HSigmoid", {m[x]}, {}, "opset5") != nullptr;
    ET et = fusion::desc(m[x]).et;
    Graph& g = m.graph();
    Output al = fusion::new_const(g, m.root()->name + "/alpha", Tensor::from_f64(et, {}, {alpha}));
    Output be = fusion::new_const(g, m.root()->name + "/beta", Tensor::from_f64(et, {}, {beta}));
    return m.replace("HardSigmoid", {m[x], al, be}, {}, "opset1") != nullptr;
  };
  return {
      // Clamp(x * a + b, 0, 1) -> HardSigmoid(x, a, b)
      rewrite("Clamp(x*a+b,0,1)", op("Clamp", {op("Add", {op("Multiply", {x, a}), b})}, clamp_0_1),
              [=](Match& m) { return make(m, uval(m, a), uval(m, b)); }),
      // Clamp((x + c) / d, 0, 1) -> HardSigmoid(x, 1/d, c/d)
      rewrite("Clamp((x+c)/d,0,1)", op("Clamp", {op("Divide", {op("Add", {x, c}), d})}, clamp_0_1),
              [=](Match& m) {
                double dv = uval(m, d);
                return dv != 0.0 && make(m, 1.0 / dv, uval(m, c) / dv);
              }),
  };
}

// ---------------------------------------------------------------- PReLU
// The slope α (bound to `p`, a Const) as PReLU's slope input: [1] when uniform, else α with x's
// rank (numpy broadcasting kept). `negate`: the graph holds -α.
bool make_prelu(Match& m, const P& x, const P& p, bool negate, double lo = -INFINITY, double hi = INFINITY) {
  const Tensor& t = m.value(p);
  const OutputDesc& xd = fusion::desc(m[x]);
  if (xd.shape.rank_dynamic || t.et != xd.et || !et_is_plain(t.et)) return false;
  size_t r = xd.shape.dims.size();
  if (t.shape.size() > r) return false;
  std::vector<int64_t> shape;
  double u;
  if (uniform_value(t, &u)) {
    shape = {1};
  } else {
    shape.assign(r - t.shape.size(), 1);
    shape.insert(shape.end(), t.shape.begin(), t.shape.end());
  }
  uint64_t n = uniform_value(t, nullptr) ? 1 : t.numel();
  Tensor s = Tensor::zeros(t.et, shape);
  for (uint64_t i = 0; i < n; ++i) {
    double v = t.get_f64(i);
    if (negate) v = -v;
    if (!(v >= lo && v <= hi)) return false;
    store_f64(t.et, s.mutable_data(), i, v);
  }
  Output slope = fusion::new_const(m.graph(), m.root()->name + "/slope", std::move(s));
  return m.replace("PReLU", {m[x], slope}, {}, "opset1") != nullptr;
}

std::vector<Rewrite> prelu_rewrites() {
  auto x = any(floating());
  auto al1 = constant(), al2 = constant(), al3 = constant(), al4 = constant(), al5 = constant(), al6 = constant();
  auto relu_neg = op("ReLU", {op("Negative", {x})});
  auto relu_x = alt({op("ReLU", {x}), op("Maximum", {x, const_value(0.0)})});
  auto min_x0 = op("Minimum", {x, const_value(0.0)});
  auto x_pos = alt({op_of({"Greater", "GreaterEqual"}, {x, const_value(0.0)}),
                    op_of({"Less", "LessEqual"}, {const_value(0.0), x})});
  return {
      // ReLU(x) + ReLU(-x) * (-α) -> PReLU(x, α)   (Keras PReLU with -α folded)
      rewrite("ReLU(x)+ReLU(-x)*(-a)", op("Add", {relu_x, op("Multiply", {relu_neg, al1})}),
              [=](Match& m) { return make_prelu(m, x, al1, true); }),
      // ReLU(x) - α * ReLU(-x) -> PReLU(x, α)
      rewrite("ReLU(x)-a*ReLU(-x)", op("Subtract", {relu_x, op("Multiply", {relu_neg, al2})}),
              [=](Match& m) { return make_prelu(m, x, al2, false); }),
      // ReLU(x) + α * Minimum(x, 0) -> PReLU(x, α)
      rewrite("ReLU(x)+a*Min(x,0)", op("Add", {relu_x, op("Multiply", {min_x0, al3})}),
              [=](Match& m) { return make_prelu(m, x, al3, false); }),
      // ReLU(x) + Negative(α * ReLU(-x)) -> PReLU(x, α)
      rewrite("ReLU(x)+-(a*ReLU(-x))", op("Add", {relu_x, op("Negative", {op("Multiply", {relu_neg, al4})})}),
              [=](Match& m) { return make_prelu(m, x, al4, false); }),
      // Select(x > 0, x, x * α) -> PReLU(x, α)
      rewrite("Select(x>0,x,x*a)", op("Select", {x_pos, x, op("Multiply", {x, al5})}),
              [=](Match& m) { return make_prelu(m, x, al5, false); }),
      // Maximum(x, x * α) -> PReLU(x, α)  (0 <= α <= 1)
      rewrite("Max(x,x*a)", op("Maximum", {x, op("Multiply", {x, al6})}),
              [=](Match& m) { return make_prelu(m, x, al6, false, 0.0, 1.0); }),
  };
}

}  // namespace

IRCONV_PASSES(elementwise_fusions) {
  // Minimum(Maximum(x, lo), hi) -> Clamp(x, lo, hi)
  reg_pass({"ClampFusion", kOrderFusion - 3, [](Graph& g, const PassContext&) {
              static const RewriteSet set(clamp_rewrites());
              return set.apply(g);
            }});
  // Clamp(x * a + b, 0, 1) -> HardSigmoid(x, a, b)
  reg_pass({"HardSigmoidFusion", kOrderFusion - 2, [](Graph& g, const PassContext&) {
              static const RewriteSet set(hard_sigmoid_rewrites());
              return set.apply(g);
            }});
  // ReLU(x) - α * ReLU(-x) -> PReLU(x, α)
  reg_pass({"PReLUFusion", kOrderFusion - 1, [](Graph& g, const PassContext&) {
              static const RewriteSet set(prelu_rewrites());
              return set.apply(g);
            }});
}

}  // namespace irconv
