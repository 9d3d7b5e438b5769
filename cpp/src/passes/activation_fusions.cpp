// Activation fusions: decomposed activations (as exporters write them) -> one OpenVINO op.
// Every rewrite requires x to be a floating-point tensor; constants match with a relative
// tolerance of 1e-3 and must be scalars or tensors whose elements are all equal (and must not
// broadcast the result, see Match::replace).
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "irconv/pass.hpp"
#include "irconv/pattern.hpp"

namespace irconv {
namespace {

using namespace pattern;  // NOLINT
using Attrs = std::vector<std::pair<std::string, AttrValue>>;

// Callback: replace the root with `type`(x) (x = the tensor bound to `x`).
Callback unary(const std::string& type, const std::string& version, const P& x, Attrs attrs = {}) {
  return [type, version, x, attrs](Match& m) { return m.replace(type, {m[x]}, attrs, version) != nullptr; };
}

bool run(const RewriteSet& set, Graph& g) { return set.apply(g); }

// Relu6(t): Clamp(t, 0, 6), Minimum(ReLU(t), 6), Minimum(Maximum(t, 0), 6) or Maximum(Minimum(t, 6), 0)
P relu6(const P& t) {
  NodePred min_0 = attr_near("min", 0.0, NAN), max_6 = attr_near("max", 6.0, NAN);
  NodePred clamp_0_6 = [min_0, max_6](const Node& n) { return min_0(n) && max_6(n); };
  return alt({op("Clamp", {t}, clamp_0_6),
              op("Minimum", {op("ReLU", {t}), const_value(6.0)}),
              op("Minimum", {op("Maximum", {t, const_value(0.0)}), const_value(6.0)}),
              op("Maximum", {op("Minimum", {t, const_value(6.0)}), const_value(0.0)})});
}

// Relu6(x + 3)
P relu6_x_plus_3(const P& x) { return relu6(op("Add", {x, const_value(3.0)})); }

// HardSigmoid(x; alpha = 1/6, beta = 0.5)
P hard_sigmoid_1_6(const P& x) { return op("HardSigmoid", {x, const_value(1.0 / 6.0), const_value(0.5)}); }

// ---------------------------------------------------------------- SoftPlus
std::vector<Rewrite> softplus_rewrites() {
  auto x = any(floating());
  return {
      // Log(Exp(x) + 1) -> SoftPlus(x)
      rewrite("Log(Exp(x)+1)", op("Log", {op("Add", {op("Exp", {x}), const_value(1.0)})}),
              unary("SoftPlus", "opset4", x)),
  };
}

// ---------------------------------------------------------------- Mish
std::vector<Rewrite> mish_rewrites() {
  auto x = any(floating());
  auto softplus = alt({op("SoftPlus", {x}), op("Log", {op("Add", {op("Exp", {x}), const_value(1.0)})})});
  return {
      // x * Tanh(SoftPlus(x)) -> Mish(x);  x * Tanh(Log(Exp(x) + 1)) -> Mish(x)
      rewrite("x*Tanh(SoftPlus(x))", op("Multiply", {x, op("Tanh", {softplus})}), unary("Mish", "opset4", x)),
  };
}

// ---------------------------------------------------------------- Swish
std::vector<Rewrite> swish_rewrites() {
  auto x = any(floating());
  auto beta = uniform_const();
  return {
      // x * Sigmoid(x) -> Swish(x)
      rewrite("x*Sigmoid(x)", op("Multiply", {x, op("Sigmoid", {x})}), unary("Swish", "opset4", x)),
      // x * Sigmoid(x * beta) -> Swish(x, beta)
      rewrite("x*Sigmoid(x*beta)", op("Multiply", {x, op("Sigmoid", {op("Multiply", {x, beta})})}),
              [x, beta](Match& m) {
                return m.replace("Swish", {m[x], m.scalar_of(beta)}, {}, "opset4") != nullptr;
              }),
      // x / (1 + Exp(-x)) -> Swish(x)
      rewrite("x/(1+Exp(-x))", op("Divide", {x, op("Add", {op("Exp", {op("Negative", {x})}), const_value(1.0)})}),
              unary("Swish", "opset4", x)),
  };
}

// ---------------------------------------------------------------- HSigmoid
std::vector<Rewrite> hsigmoid_rewrites() {
  auto x = any(floating());
  auto r6 = relu6_x_plus_3(x);
  return {
      // Relu6(x + 3) / 6 -> HSigmoid(x)
      rewrite("Relu6(x+3)/6", op("Divide", {r6, const_value(6.0)}), unary("HSigmoid", "opset5", x)),
      // Relu6(x + 3) * (1/6) -> HSigmoid(x)
      rewrite("Relu6(x+3)*(1/6)", op("Multiply", {r6, const_value(1.0 / 6.0)}), unary("HSigmoid", "opset5", x)),
      // HardSigmoid(x; 1/6, 0.5) -> HSigmoid(x)
      rewrite("HardSigmoid(x;1/6,0.5)", hard_sigmoid_1_6(x), unary("HSigmoid", "opset5", x)),
  };
}

// ---------------------------------------------------------------- HSwish
std::vector<Rewrite> hswish_rewrites() {
  auto x = any(floating());
  auto r6 = relu6_x_plus_3(x);
  auto sixth = const_value(1.0 / 6.0);
  auto six = const_value(6.0);
  return {
      // x * Relu6(x + 3) / 6 -> HSwish(x)
      rewrite("x*Relu6(x+3)/6", op("Divide", {op("Multiply", {x, r6}), six}), unary("HSwish", "opset4", x)),
      // (x * Relu6(x + 3)) * (1/6) -> HSwish(x)
      rewrite("(x*Relu6(x+3))*(1/6)", op("Multiply", {op("Multiply", {x, r6}), sixth}),
              unary("HSwish", "opset4", x)),
      // x * (Relu6(x + 3) / 6) -> HSwish(x);  x * (Relu6(x + 3) * (1/6)) -> HSwish(x)
      rewrite("x*(Relu6(x+3)/6)",
              op("Multiply", {x, alt({op("Divide", {r6, six}), op("Multiply", {r6, sixth})})}),
              unary("HSwish", "opset4", x)),
      // x * HardSigmoid(x; 1/6, 0.5) -> HSwish(x);  x * HSigmoid(x) -> HSwish(x)
      rewrite("x*HSigmoid(x)", op("Multiply", {x, alt({hard_sigmoid_1_6(x), op("HSigmoid", {x})})}),
              unary("HSwish", "opset4", x)),
  };
}

// ---------------------------------------------------------------- Gelu
// The ways exporters write x * 0.5 * (1 + f) (f = Erf(..) or Tanh(..)).
std::vector<P> gelu_roots(const P& x, const P& f) {
  auto one_plus_f = op("Add", {f, const_value(1.0)});
  return {
      op("Multiply", {op("Multiply", {x, const_value(0.5)}), one_plus_f}),  // (x * 0.5) * (1 + f)
      op("Multiply", {x, op("Multiply", {one_plus_f, const_value(0.5)})}),  // x * ((1 + f) * 0.5)
      op("Multiply", {op("Multiply", {x, one_plus_f}), const_value(0.5)}),  // (x * (1 + f)) * 0.5
      op("Divide", {op("Multiply", {x, one_plus_f}), const_value(2.0)}),    // x * (1 + f) / 2
      op("Multiply", {x, op("Divide", {one_plus_f, const_value(2.0)})}),    // x * ((1 + f) / 2)
      // x * (0.5 + 0.5 * f)
      op("Multiply", {x, op("Add", {op("Multiply", {f, const_value(0.5)}), const_value(0.5)})}),
  };
}

std::vector<Rewrite> gelu_rewrites() {
  auto x = any(floating());
  std::vector<Rewrite> rs;
  Attrs erf_mode = {{"approximation_mode", std::string("ERF")}};
  Attrs tanh_mode = {{"approximation_mode", std::string("TANH")}};

  // 0.5 * x * (1 + Erf(x / sqrt(2))) -> Gelu(x, ERF)   (x / sqrt(2) also as x * (1/sqrt(2)))
  auto x_div_sqrt2 =
      alt({op("Divide", {x, const_value(std::sqrt(2.0))}), op("Multiply", {x, const_value(std::sqrt(0.5))})});
  for (auto& r : gelu_roots(x, op("Erf", {x_div_sqrt2})))
    rs.push_back(rewrite("Gelu(ERF)", r, unary("Gelu", "opset7", x, erf_mode)));

  // 0.5 * x * (1 + Tanh(sqrt(2/pi) * (x + 0.044715 * x^3))) -> Gelu(x, TANH)   (x^3 = Power(x, 3) or x*x*x)
  auto cube = alt({op("Power", {x, const_value(3.0)}), op("Multiply", {op("Multiply", {x, x}), x})});
  auto inner = op("Add", {x, op("Multiply", {cube, const_value(0.044715)})});
  auto t = op("Tanh", {op("Multiply", {inner, const_value(std::sqrt(2.0 / M_PI))})});
  for (auto& r : gelu_roots(x, t)) rs.push_back(rewrite("Gelu(TANH)", r, unary("Gelu", "opset7", x, tanh_mode)));
  return rs;
}

}  // namespace

IRCONV_PASSES(activation_fusions) {
  // Log(Exp(x) + 1) -> SoftPlus(x)
  reg_pass({"SoftPlusFusion", kOrderFusion + 0, [](Graph& g, const PassContext&) {
              static const RewriteSet set(softplus_rewrites());
              return run(set, g);
            }});
  // x * Tanh(SoftPlus(x)) -> Mish(x)
  reg_pass({"MishFusion", kOrderFusion + 1, [](Graph& g, const PassContext&) {
              static const RewriteSet set(mish_rewrites());
              return run(set, g);
            }});
  // x * Sigmoid(x * beta) -> Swish(x, beta)
  reg_pass({"SwishFusion", kOrderFusion + 2, [](Graph& g, const PassContext&) {
              static const RewriteSet set(swish_rewrites());
              return run(set, g);
            }});
  // Relu6(x + 3) / 6 -> HSigmoid(x)
  reg_pass({"HSigmoidFusion", kOrderFusion + 3, [](Graph& g, const PassContext&) {
              static const RewriteSet set(hsigmoid_rewrites());
              return run(set, g);
            }});
  // x * Relu6(x + 3) / 6 -> HSwish(x)
  reg_pass({"HSwishFusion", kOrderFusion + 4, [](Graph& g, const PassContext&) {
              static const RewriteSet set(hswish_rewrites());
              return run(set, g);
            }});
  // x * 0.5 * (1 + Erf(x / sqrt(2))) -> Gelu(x)
  reg_pass({"GeluFusion", kOrderFusion + 5, [](Graph& g, const PassContext&) {
              static const RewriteSet set(gelu_rewrites());
              return run(set, g);
            }});
}

}  // namespace irconv
