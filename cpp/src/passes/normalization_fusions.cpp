// Normalization fusions: decomposed mean/variance normalizations -> MVN-6, L2 normalizations ->
// NormalizeL2-1 (LayerNorm, InstanceNorm and GroupNorm exports all reduce to the MVN form; their
// affine scale/bias stays as Multiply/Add, which the CPU plugin fuses).
//
//   d = x - ReduceMean(x, axes);  d / Sqrt(ReduceMean(d², axes) + eps)        -> MVN(x, axes, eps, inside_sqrt)
//   ... d * Power(ReduceMean(d², axes) + eps, -0.5) / d * (1 / Sqrt(..))      -> same
//   x * (γ/√(var+eps)) + (β - mean * γ/√(var+eps))                          -> MVN(x) * γ + β
//     (TensorFlow's batch_normalization / Keras LayerNormalization and GroupNormalization: the
//      "constants inside" form; γ and β optional)
//   x / Sqrt(ReduceSum(x², axes) + eps)  /  x / Sqrt(Max(ReduceSum(x², axes), eps)) -> NormalizeL2(x, axes, eps, add|max)
//   x / Max(ReduceL2(x, axes), eps)  (torch F.normalize)                      -> NormalizeL2(x, axes, eps², max)
//   x * Min(ReduceSum(x², axes)^-½, 1/eps)  (Keras UnitNormalization)         -> NormalizeL2(x, axes, eps², max)
// Requirements: x floating point with a static rank, constant axes, keep_dims=true, a scalar eps.
#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "irconv/pass.hpp"
#include "irconv/pattern.hpp"

namespace irconv {
namespace {

using namespace pattern;  // NOLINT

bool keep_dims(const Node& n) { return n.attr_b("keep_dims", false); }

OutputPred float_ranked() {
  return [](Output o) {
    const OutputDesc& d = o.node->outputs[o.index];
    return is_float_type(d.et) && !d.shape.rank_dynamic;
  };
}

// Sorted, non-negative axes of a reduction node's constant axes input, or empty.
std::vector<int64_t> norm_axes(const Node* red, size_t rank) {
  const Tensor* t = red->in_value(1);
  if (!t) return {};
  std::vector<int64_t> ax = t->to_i64();
  for (auto& a : ax) {
    if (a < 0) a += (int64_t)rank;
    if (a < 0 || a >= (int64_t)rank) return {};
  }
  std::sort(ax.begin(), ax.end());
  ax.erase(std::unique(ax.begin(), ax.end()), ax.end());
  return ax;
}

Output i64_const(Graph& g, const std::string& name, const std::vector<int64_t>& v) {
  return Output{g.add_const(name, Tensor::from_i64(ET::i64, {(int64_t)v.size()}, v)), 0};
}

std::vector<Rewrite> mvn_rewrites() {
  auto x = any(float_ranked());
  // axes inputs are bound as any(): Match::replace treats matched Consts as elementwise operands
  // (it refuses ones that could broadcast the result); norm_axes() checks they are constant
  auto mean = op("ReduceMean", {x, any()}, keep_dims);
  auto d = alt({shared(op("Subtract", {x, mean})), shared(op("Add", {x, op("Negative", {mean})}))});
  auto sq = alt({op("Power", {d, const_value(2.0)}), op("Multiply", {d, d}), op("SquaredDifference", {x, mean})});
  auto var = op("ReduceMean", {sq, any()}, keep_dims);
  auto eps = uniform_const();
  auto var_eps = op("Add", {var, eps});
  auto sqrt = op("Sqrt", {var_eps});
  auto roots = std::vector<P>{
      op("Divide", {d, sqrt}),
      op("Multiply", {d, op("Power", {var_eps, const_value(-0.5)})}),
      op("Multiply", {d, op("Divide", {const_value(1.0), sqrt})}),
  };
  auto cb = [=](Match& m) {
    size_t rank = m[x].node->outputs[m[x].index].shape.dims.size();
    auto a1 = norm_axes(m.node(mean), rank), a2 = norm_axes(m.node(var), rank);
    if (a1.empty() || a1 != a2) return false;
    double e = 0;
    uniform_value(m.value(eps), &e);
    if (e < 0) return false;
    Output axes = i64_const(m.graph(), m.root()->name + "/axes", a1);
    return m.replace("MVN", {m[x], axes},
                     {{"eps", e}, {"normalize_variance", true}, {"eps_mode", std::string("inside_sqrt")}},
                     "opset6") != nullptr;
  };
  std::vector<Rewrite> rs;
  for (auto& r : roots) rs.push_back(rewrite("(x-mean)/sqrt(var+eps)", r, cb));
  return rs;
}

// x * (γ/√(var+eps)) + (β - mean * γ/√(var+eps)) and its variants -> MVN(x) [* γ] [+ β]
std::vector<Rewrite> mvn_inside_rewrites() {
  auto x = any(float_ranked());
  auto mean = shared(op("ReduceMean", {x, any()}, keep_dims));
  auto sq = alt({op("SquaredDifference", {x, mean}), op("Power", {op("Subtract", {x, mean}), const_value(2.0)})});
  auto var = op("ReduceMean", {sq, any()}, keep_dims);
  auto eps = uniform_const();
  auto ve = op("Add", {var, eps});
  auto inv = alt({op("Power", {ve, const_value(-0.5)}), op("Divide", {const_value(1.0), op("Sqrt", {ve})})});
  auto gamma = constant(), beta1 = constant(), beta2 = constant();
  auto inv_g = alt({op("Multiply", {inv, gamma}), inv});
  auto xi = op("Multiply", {x, inv_g});
  auto mi = op("Multiply", {mean, inv_g});
  auto neg_mi = op("Multiply", {op("Negative", {mean}), inv_g});
  auto shift = alt({op("Add", {neg_mi, beta1}), op("Subtract", {beta2, mi}), neg_mi, op("Negative", {mi})});
  auto roots = std::vector<P>{op("Add", {xi, shift}), op("Subtract", {xi, mi})};
  auto cb = [=](Match& m) {
    size_t rank = m[x].node->outputs[m[x].index].shape.dims.size();
    auto a1 = norm_axes(m.node(mean), rank), a2 = norm_axes(m.node(var), rank);
    if (a1.empty() || a1 != a2) return false;
    double e = 0;
    uniform_value(m.value(eps), &e);
    if (e < 0) return false;
    ET et = m[x].node->outputs[m[x].index].et;
    for (const P& c : {gamma, beta1, beta2})
      if (m.has(c) && m.value(c).et != et) return false;
    Graph& g = m.graph();
    const std::string base = m.root()->name;
    Output axes = i64_const(g, base + "/axes", a1);
    std::vector<std::pair<std::string, AttrValue>> attrs = {
        {"eps", e}, {"normalize_variance", true}, {"eps_mode", std::string("inside_sqrt")}};
    P b = m.has(beta1) ? beta1 : m.has(beta2) ? beta2 : P();
    if (!m.has(gamma) && !b) return m.replace("MVN", {m[x], axes}, attrs, "opset6") != nullptr;
    Output y{g.add_op("MVN", {m[x], axes}, attrs, base + "/mvn", "opset6"), 0};
    if (!b) return m.replace("Multiply", {y, m[gamma]}, {{"auto_broadcast", std::string("numpy")}}) != nullptr;
    if (m.has(gamma))
      y = Output{g.add_op("Multiply", {y, m[gamma]}, {{"auto_broadcast", std::string("numpy")}}, base + "/scale", ""), 0};
    return m.replace("Add", {y, m[b]}, {{"auto_broadcast", std::string("numpy")}}) != nullptr;
  };
  std::vector<Rewrite> rs;
  for (auto& r : roots) rs.push_back(rewrite("x*g/sqrt(var+eps)+(b-mean*g/sqrt(var+eps))", r, cb));
  return rs;
}

std::vector<Rewrite> l2_rewrites() {
  auto x = any(float_ranked());
  // x², its sum and the norm may be shared (the same tensor normalized twice): each fused op
  // recomputes them
  auto sq = alt({shared(op("Power", {x, const_value(2.0)})), shared(op("Multiply", {x, x}))});
  auto sum = shared(op("ReduceSum", {sq, any()}, keep_dims));
  auto eps_add = uniform_const();
  auto eps_max = uniform_const();
  auto inner = alt({op("Add", {sum, eps_add}), op("Maximum", {sum, eps_max}), sum});
  auto sqrt = op("Sqrt", {inner});
  auto roots = std::vector<P>{
      op("Divide", {x, sqrt}),
      op("Multiply", {x, op("Power", {inner, const_value(-0.5)})}),
  };
  auto cb = [=](Match& m) {
    size_t rank = m[x].node->outputs[m[x].index].shape.dims.size();
    auto ax = norm_axes(m.node(sum), rank);
    if (ax.empty()) return false;
    double e = 0;
    std::string mode = "add";
    if (m.has(eps_add)) uniform_value(m.value(eps_add), &e);
    if (m.has(eps_max)) {
      uniform_value(m.value(eps_max), &e);
      mode = "max";
    }
    if (e < 0) return false;
    Output axes = i64_const(m.graph(), m.root()->name + "/axes", ax);
    return m.replace("NormalizeL2", {m[x], axes}, {{"eps", e}, {"eps_mode", mode}}, "opset1") != nullptr;
  };
  std::vector<Rewrite> rs;
  for (auto& r : roots) rs.push_back(rewrite("x/sqrt(sum(x^2)+eps)", r, cb));

  // x / Max(ReduceL2(x), eps) -> NormalizeL2(x, eps², max); x * Min(ReduceSum(x²)^-½, 1/eps) -> same
  auto l2 = shared(op("ReduceL2", {x, any()}, keep_dims));
  auto eps_l2 = uniform_const();
  auto inv_eps = uniform_const();
  auto sum2 = shared(op("ReduceSum", {sq, any()}, keep_dims));
  auto cb2 = [=](Match& m) {
    size_t rank = m[x].node->outputs[m[x].index].shape.dims.size();
    auto ax = norm_axes(m.has(l2) ? m.node(l2) : m.node(sum2), rank);
    if (ax.empty()) return false;
    double e = 0;
    if (m.has(eps_l2)) {
      uniform_value(m.value(eps_l2), &e);
    } else {
      double c = 0;
      uniform_value(m.value(inv_eps), &c);
      if (!(c > 0)) return false;
      e = 1.0 / c;
    }
    if (!(e >= 0) || !std::isfinite(e * e)) return false;
    Output axes = i64_const(m.graph(), m.root()->name + "/axes", ax);
    return m.replace("NormalizeL2", {m[x], axes}, {{"eps", e * e}, {"eps_mode", std::string("max")}}, "opset1") != nullptr;
  };
  rs.push_back(rewrite("x/max(L2(x),eps)", op("Divide", {x, op("Maximum", {l2, eps_l2})}), cb2));
  rs.push_back(rewrite("x*min(sum(x^2)^-0.5,1/eps)",
                       op("Multiply", {x, op("Minimum", {op("Power", {sum2, const_value(-0.5)}), inv_eps})}), cb2));
  return rs;
}

}  // namespace

IRCONV_PASSES(normalization_fusions) {
  // (x - mean) / Sqrt(var + eps) -> MVN(x, axes, eps, inside_sqrt)
  reg_pass({"MVNFusion", kOrderFusion + 10, [](Graph& g, const PassContext&) {
              static const RewriteSet set(mvn_rewrites());
              return set.apply(g);
            }});
  // x * γ/√(var+eps) + (β - mean * γ/√(var+eps)) -> MVN(x) * γ + β
  reg_pass({"MVNConstantsInsideFusion", kOrderFusion + 12, [](Graph& g, const PassContext&) {
              static const RewriteSet set(mvn_inside_rewrites());
              return set.apply(g);
            }});
  // x / Sqrt(ReduceSum(x²) + eps) -> NormalizeL2(x, axes, eps)
  reg_pass({"NormalizeL2Fusion", kOrderFusion + 11, [](Graph& g, const PassContext&) {
              static const RewriteSet set(l2_rewrites());
              return set.apply(g);
            }});
}

}  // namespace irconv
