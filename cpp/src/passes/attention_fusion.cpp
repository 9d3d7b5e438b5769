// Attention fusion: the scaled dot-product attention exporters write as MatMul/Softmax/MatMul
// -> one ScaledDotProductAttention-13, which the OpenVINO CPU plugin runs as a fused kernel.
//
//   Softmax(((Q [* sq]) · (Kᵀ [* sk])) [* s | / d] [+ mask]) · V   -> SDPA(Q, K, V, mask | 0, sq*sk*s/d)
//   Softmax(Select(c, fill, scores)) · V                             -> SDPA(.., mask = !c)   (fill <= -1e4)
//   Softmax(Select(c, scores, fill)) · V                             -> SDPA(.., mask = c)
//   Select(IsNaN(P), 0, P) · V with P = Softmax(..)                  -> same (torch's guard for rows
//                                                                       that are masked everywhere)
// Kᵀ is either MatMul's transpose_b or an explicit tensor whose last two axes are then swapped
// back by a Transpose (TransposeMerge folds it into the producer's Transpose).
// The scale factors are constants, or scalars computed from the query's shape the way torch writes
// 1/√E (Sqrt(1/Sqrt(Cast(Shape(q)[-1]))) on both Q and K, or once): a product equal to E^-½ is
// SDPA's default scale (no scale input, the IR stays reshapeable); other shape-computed values are
// used when known at conversion time.
// An additive or boolean mask that equals the causal (lower-triangular, top-left) mask for the
// model's shapes and is computed from shapes and constants only becomes causal = true.
// Requirements: Q, K, V floating point of one type and rank >= 3, Softmax over the last axis.
#include <cmath>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "fusion_util.hpp"
#include "irconv/pass.hpp"
#include "irconv/pattern.hpp"

namespace irconv {
namespace {

using namespace pattern;  // NOLINT

bool softmax_last_axis(const Node& n) {
  const PartialShape& s = n.outputs[0].shape;
  if (s.rank_dynamic) return false;
  int64_t ax = n.attr_i("axis", 1);  // Softmax-1 and -8 both default to axis 1
  if (ax < 0) ax += (int64_t)s.dims.size();
  return ax == (int64_t)s.dims.size() - 1;
}

bool plain_matmul(const Node& n) { return !n.attr_b("transpose_a", false) && !n.attr_b("transpose_b", false); }
bool no_transpose_a(const Node& n) { return !n.attr_b("transpose_a", false); }

OutputPred float_rank3() {
  return [](Output o) {
    const OutputDesc& d = o.node->outputs[o.index];
    return is_float_type(d.et) && !d.shape.rank_dynamic && d.shape.dims.size() >= 3;
  };
}

// A floating-point tensor of one element (static shape of 1s), or a uniform floating-point Const.
OutputPred scale_like() {
  return [](Output o) {
    const OutputDesc& d = o.node->outputs[o.index];
    if (!is_float_type(d.et) || d.shape.rank_dynamic) return false;
    if (o.node->type == "Const" && o.node->value) return uniform_value(*o.node->value, nullptr);
    for (int64_t x : d.shape.dims)
      if (x != 1) return false;
    return true;
  };
}

Output add_const(Graph& g, const std::string& name, Tensor t) { return Output{g.add_const(name, std::move(t)), 0}; }

// value = coef * E^pow, E = the query's last dimension.
struct ScaleExpr {
  double coef = 1.0;
  double pow = 0.0;
};

// A 1-element integer tensor holding dimension -1 of one of `sources` (Gather/Slice/StridedSlice
// /Squeeze/Reshape of ShapeOf(source)).
bool is_last_dim_of(Output o, const std::vector<Output>& sources, int depth = 0) {
  Node* n = o.node;
  if (depth > 4) return false;
  if (n->type == "Squeeze" || n->type == "Unsqueeze" || n->type == "Reshape" || n->type == "Convert")
    return is_last_dim_of(n->inputs[0], sources, depth + 1);
  if (n->type != "Gather" && n->type != "Slice" && n->type != "StridedSlice") return false;
  Node* sh = n->inputs[0].node;
  if (sh->type != "ShapeOf") return false;
  Output src = sh->inputs[0];
  if (std::find(sources.begin(), sources.end(), src) == sources.end()) return false;
  const PartialShape& ss = fusion::desc(src).shape;
  if (ss.rank_dynamic) return false;
  int64_t r = (int64_t)ss.dims.size();
  const Tensor* idx = n->in_value(1);
  if (!idx || idx->numel() != 1) return false;
  int64_t i = idx->get_i64(0);
  if (i < 0) i += r;
  if (i != r - 1) return false;
  if (n->type == "Gather") {
    const Tensor* ax = n->in_value(2);
    return ax && ax->numel() == 1 && ax->get_i64(0) == 0;
  }
  // Slice(start = -1 / r-1, stop >= r, step 1) over axis 0
  const Tensor* stop = n->in_value(2);
  const Tensor* step = n->inputs.size() > 3 ? n->in_value(3) : nullptr;
  if (!stop || stop->numel() != 1 || stop->get_i64(0) < r) return false;
  if (n->type == "StridedSlice") return true;
  return step && step->numel() == 1 && step->get_i64(0) == 1;
}

bool analyze_scale(Output o, const std::vector<Output>& sources, ScaleExpr* r, int depth = 0) {
  if (depth > 12) return false;
  Node* n = o.node;
  if (n->type == "Const") {
    double v;
    if (!n->value) return false;
    if (is_float_type(n->value->et)) {
      if (!uniform_value(*n->value, &v)) return false;
    } else if (et_is_integral(n->value->et) && n->value->numel() == 1) {
      v = (double)n->value->get_i64(0);
    } else {
      return false;
    }
    *r = ScaleExpr{v, 0.0};
    return true;
  }
  if (n->type == "Convert") {
    if (is_last_dim_of(n->inputs[0], sources)) {
      *r = ScaleExpr{1.0, 1.0};
      return true;
    }
    return analyze_scale(n->inputs[0], sources, r, depth + 1);
  }
  if (n->type == "Squeeze" || n->type == "Unsqueeze" || n->type == "Reshape")
    return analyze_scale(n->inputs[0], sources, r, depth + 1);
  if (n->type == "Sqrt") {
    if (!analyze_scale(n->inputs[0], sources, r, depth + 1) || r->coef < 0) return false;
    r->coef = std::sqrt(r->coef);
    r->pow /= 2;
    return true;
  }
  if (n->type == "Multiply" || n->type == "Divide") {
    ScaleExpr a, b;
    if (!analyze_scale(n->inputs[0], sources, &a, depth + 1) || !analyze_scale(n->inputs[1], sources, &b, depth + 1))
      return false;
    if (n->type == "Multiply") {
      *r = ScaleExpr{a.coef * b.coef, a.pow + b.pow};
    } else {
      if (b.coef == 0) return false;
      *r = ScaleExpr{a.coef / b.coef, a.pow - b.pow};
    }
    return true;
  }
  if (n->type == "Power") {
    const Tensor* e = n->in_value(1);
    double ev;
    if (!e || !uniform_value(*e, &ev) || !analyze_scale(n->inputs[0], sources, r, depth + 1) || r->coef < 0) return false;
    r->coef = std::pow(r->coef, ev);
    r->pow *= ev;
    return true;
  }
  return false;
}

// The value of a 1-element or uniform tensor known at conversion time.
bool known_scalar(Output o, double* v) {
  const Tensor* t = o.node->type == "Const" ? o.node->value.get() : fusion::desc(o).known_value.get();
  return t && uniform_value(*t, v);
}

// Does `mask` (broadcast against [.., L, S]) equal the causal mask: attend where j <= i?
// It must be computed from constants and shapes only (its value known at conversion time).
bool is_causal_mask(Output mask, int64_t L, int64_t S) {
  const Tensor* t = mask.node->type == "Const" ? mask.node->value.get() : fusion::desc(mask).known_value.get();
  if (!t || t->shape.size() < 2 || L <= 1 || S <= 1 || !et_is_plain(t->et)) return false;
  size_t r = t->shape.size();
  if (t->shape[r - 2] != L || t->shape[r - 1] != S) return false;
  for (size_t i = 0; i + 2 < r; ++i)
    if (t->shape[i] != 1) return false;
  bool boolean = t->et == ET::boolean;
  for (int64_t i = 0; i < L; ++i)
    for (int64_t j = 0; j < S; ++j) {
      double v = t->get_f64((uint64_t)(i * S + j));
      bool attend = j <= i;
      if (boolean ? (v != 0.0) != attend : attend ? v != 0.0 : !(v <= -1e4)) return false;
    }
  return true;
}

std::vector<Rewrite> attention_rewrites() {
  auto q = any(float_rank3());
  auto kt = any(float_rank3());
  auto v = any(float_rank3());
  auto mask = any();
  auto s_mul = any(scale_like());
  auto s_div = any(scale_like());
  auto s_q = any(scale_like());
  auto s_k = any(scale_like());
  auto cond = any([](Output o) { return fusion::desc(o).et == ET::boolean; });
  auto fill_a = constant([](const Tensor& t) { double x; return uniform_value(t, &x) && x <= -1e4; });
  auto fill_b = constant([](const Tensor& t) { double x; return uniform_value(t, &x) && x <= -1e4; });
  // the scaled Q/K, Q·Kᵀ and its scaling may be shared with other consumers (several attentions
  // over the same Q and K after common-subexpression elimination): the SDPA recomputes them
  auto q_side = alt({shared(op("Multiply", {q, s_q})), q});
  auto k_side = alt({shared(op("Multiply", {kt, s_k})), kt});
  auto qk = shared(op("MatMul", {q_side, k_side}, no_transpose_a));
  auto scaled = alt({shared(op("Multiply", {qk, s_mul})), shared(op("Divide", {qk, s_div})), qk});
  auto sel_fill_first = op("Select", {cond, fill_a, scaled});   // masked where cond
  auto sel_fill_last = op("Select", {cond, scaled, fill_b});    // attend where cond
  auto scores = alt({op("Add", {scaled, mask}), sel_fill_first, sel_fill_last, scaled});
  auto sm = shared(op("SoftMax", {scores}, softmax_last_axis));
  auto probs = alt({op("Select", {op("IsNaN", {sm}), const_value(0.0), sm}), sm});
  auto root = op("MatMul", {probs, v}, plain_matmul);

  auto cb = [=](Match& m) {
    Graph& g = m.graph();
    Node* qk_node = m.node(qk);
    ET et = m[q].node->outputs[m[q].index].et;
    for (const P& t : {kt, v})
      if (m[t].node->outputs[m[t].index].et != et) return false;
    // the SoftMax may be shared only with the NaN guard of this match
    std::vector<Node*> inside = m.matched_ops();
    for (const Input& in : fusion::desc(m[sm]).consumers) {
      if (std::find(inside.begin(), inside.end(), in.node) != inside.end()) continue;
      bool live = in.node->type == "Result" || in.node->outputs.empty();
      for (const auto& od : in.node->outputs) live |= !od.consumers.empty();
      if (live) return false;
    }
    Output k = m[kt];
    bool tb = qk_node->attr_b("transpose_b", false);
    // shape sources whose last dimension is E: Q, and K (before the swap)
    std::vector<Output> sources = {m[q]};
    if (tb) sources.push_back(k);
    else if (k.node->type == "Transpose" && fusion::const_perm(k.node->inputs[1]).size() == fusion::desc(k).shape.dims.size())
      sources.push_back(k.node->inputs[0]);
    ScaleExpr total;
    double numeric = 1.0;
    bool numeric_ok = true;
    for (const P& sp : {s_q, s_k, s_mul, s_div}) {
      if (!m.has(sp)) continue;
      ScaleExpr e;
      double val = 0;
      bool kn = known_scalar(m[sp], &val);
      if (analyze_scale(m[sp], sources, &e)) {
        if (sp == s_div) {
          if (e.coef == 0) return false;
          e = ScaleExpr{1.0 / e.coef, -e.pow};
        }
        total.coef *= e.coef;
        total.pow += e.pow;
      } else if (kn) {
        total.coef *= sp == s_div ? 1.0 / val : val;
      } else {
        return false;
      }
      if (kn && (sp != s_div || val != 0)) numeric *= sp == s_div ? 1.0 / val : val;
      else numeric_ok = false;
    }
    bool default_scale = std::fabs(total.pow + 0.5) < 1e-9 && std::fabs(total.coef - 1.0) < 1e-6;
    double scale = total.coef;
    if (!default_scale && std::fabs(total.pow) > 1e-9) {
      if (!numeric_ok) return false;
      scale = numeric;
    }
    const std::string base = m.root()->name;
    if (!tb) {
      // K = swap the last two axes of Kᵀ
      size_t r = k.node->outputs[k.index].shape.dims.size();
      std::vector<int64_t> perm(r);
      std::iota(perm.begin(), perm.end(), 0);
      std::swap(perm[r - 1], perm[r - 2]);
      Output p = add_const(g, base + "/key_perm", Tensor::from_i64(ET::i64, {(int64_t)r}, perm));
      k = Output{g.add_op("Transpose", {k, p}, {}, base + "/key", ""), 0};
    }
    Output mk;
    bool has_mask = false, causal = false;
    const PartialShape& ss = fusion::desc(m[sm]).shape;
    int64_t L = ss.dims.size() >= 2 ? ss.dims[ss.dims.size() - 2] : -1, S = ss.dims.empty() ? -1 : ss.dims.back();
    if (m.has(mask)) {
      mk = m[mask];
      // Select(attend, 0, fill <= -1e4) as an additive mask is the boolean mask `attend`
      Node* mn = mk.node;
      double a, b;
      if (mn->type == "Select" && fusion::desc(mn->inputs[0]).et == ET::boolean &&
          mn->inputs[1].node->type == "Const" && mn->inputs[2].node->type == "Const" &&
          known_scalar(mn->inputs[1], &a) && known_scalar(mn->inputs[2], &b) && a == 0.0 && b <= -1e4)
        mk = mn->inputs[0];
      ET mt = mk.node->outputs[mk.index].et;
      if (mt != et && mt != ET::boolean) return false;
      has_mask = true;
    } else if (m.has(cond)) {
      mk = m[cond];
      if (m.has(fill_a)) mk = Output{g.add_op("LogicalNot", {mk}, {}, base + "/attend", ""), 0};
      has_mask = true;
    }
    // a mask computed from shapes and constants that is the causal mask: causal = true
    if (has_mask) causal = is_causal_mask(mk, L, S);
    std::vector<Output> ins = {m[q], k, m[v]};
    if (causal) has_mask = false;
    if (has_mask || !default_scale) {
      if (!has_mask) mk = add_const(g, base + "/mask", Tensor::from_f64(et, {}, {0.0}));
      ins.push_back(mk);
    }
    if (!default_scale) ins.push_back(add_const(g, base + "/scale", Tensor::from_f64(et, {}, {scale})));
    return m.replace("ScaledDotProductAttention", ins, {{"causal", causal}}, "opset13") != nullptr;
  };
  return {rewrite("Softmax(Q*K^T*s+mask)*V", root, cb)};
}

// Transpose(Transpose(x, p1), p2) -> Transpose(x, p1[p2]) (or x when that is the identity), for
// constant permutations.
bool transpose_merge(Graph& g) {
  bool changed = false;
  g.remove_dead();  // consumer counts must not include nodes earlier rewrites left dead
  for (Node* n : g.topo_order()) {
    if (n->type != "Transpose" || n->inputs.size() != 2) continue;
    Node* inner = n->inputs[0].node;
    if (inner->type != "Transpose" || inner->outputs[0].consumers.size() != 1) continue;
    Node* c1 = inner->inputs[1].node;
    Node* c2 = n->inputs[1].node;
    if (c1->type != "Const" || c2->type != "Const" || !c1->value || !c2->value) continue;
    std::vector<int64_t> p1 = c1->value->to_i64(), p2 = c2->value->to_i64();
    if (p1.size() != p2.size() || p1.empty()) continue;
    std::vector<int64_t> p(p1.size());
    bool ok = true, ident = true;
    for (size_t i = 0; i < p.size(); ++i) {
      if (p2[i] < 0 || (size_t)p2[i] >= p1.size()) { ok = false; break; }
      p[i] = p1[(size_t)p2[i]];
      ident &= p[i] == (int64_t)i;
    }
    if (!ok) continue;
    Output src = inner->inputs[0];
    if (ident) {
      if (src.node->outputs[src.index].shape.dims != n->outputs[0].shape.dims ||
          src.node->outputs[src.index].shape.rank_dynamic != n->outputs[0].shape.rank_dynamic)
        continue;
      g.replace_uses(Output{n, 0}, src, true);
    } else {
      Output pc{g.add_const(n->name + "/merged_perm", Tensor::from_i64(ET::i64, {(int64_t)p.size()}, p)), 0};
      Node* t = g.add_op("Transpose", {src, pc}, {}, n->name, "");
      t->name = n->name;
      g.replace_uses(Output{n, 0}, Output{t, 0}, true);
    }
    changed = true;
  }
  return changed;
}

}  // namespace

IRCONV_PASSES(attention_fusion) {
  // Softmax(Q·Kᵀ·s + mask)·V -> ScaledDotProductAttention(Q, K, V, mask, s)
  reg_pass({"AttentionFusion", kOrderFusion + 20, [](Graph& g, const PassContext&) {
              static const RewriteSet set(attention_rewrites());
              return set.apply(g);
            }});
  // Transpose(Transpose(x, p1), p2) -> Transpose(x, p1[p2])
  reg_pass({"TransposeMerge", kOrderFusion + 21, [](Graph& g, const PassContext&) { return transpose_merge(g); }});
}

}  // namespace irconv
