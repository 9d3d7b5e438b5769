// Attention fusion: the scaled dot-product attention exporters write as MatMul/Softmax/MatMul
// -> one ScaledDotProductAttention-13, which the OpenVINO CPU plugin runs as a fused kernel.
//
//   Softmax((Q · Kᵀ) * s [+ mask]) · V   -> SDPA(Q, K, V, mask | 0, s)
//   Softmax((Q · Kᵀ) / d [+ mask]) · V   -> SDPA(Q, K, V, mask | 0, 1/d)
//   Softmax(((Q * s) · Kᵀ) [+ mask]) · V -> SDPA(Q, K, V, mask | 0, s)
//   Softmax((Q · Kᵀ) [+ mask]) · V       -> SDPA(Q, K, V, mask | 0, 1)
// Kᵀ is either MatMul's transpose_b or an explicit tensor whose last two axes are then swapped
// back by a Transpose (TransposeMerge folds it into the producer's Transpose).
// Requirements: Q, K, V floating point of one type and rank >= 3, Softmax over the last axis, the
// scale a uniform constant, an additive mask of Q's type or boolean.
#include <cmath>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "irconv/pass.hpp"
#include "irconv/pattern.hpp"

namespace irconv {
namespace {

using namespace pattern;  // NOLINT

bool softmax_last_axis(const Node& n) {
  const PartialShape& s = n.outputs[0].shape;
  if (s.rank_dynamic) return false;
  int64_t ax = n.attr_i("axis", n.version == "opset1" ? 1 : -1);
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

Output add_const(Graph& g, const std::string& name, Tensor t) { return Output{g.add_const(name, std::move(t)), 0}; }

std::vector<Rewrite> attention_rewrites() {
  auto q = any(float_rank3());
  auto kt = any(float_rank3());
  auto v = any(float_rank3());
  auto mask = any();
  auto s_mul = uniform_const();
  auto s_div = uniform_const();
  auto s_q = uniform_const();
  auto qk = op("MatMul", {alt({op("Multiply", {q, s_q}), q}), kt}, no_transpose_a);
  auto scaled = alt({op("Multiply", {qk, s_mul}), op("Divide", {qk, s_div}), qk});
  auto scores = alt({op("Add", {scaled, mask}), scaled});
  auto root = op("MatMul", {op("SoftMax", {scores}, softmax_last_axis), v}, plain_matmul);

  auto cb = [=](Match& m) {
    Graph& g = m.graph();
    Node* qk_node = m.node(qk);
    ET et = m[q].node->outputs[m[q].index].et;
    for (const P& t : {kt, v})
      if (m[t].node->outputs[m[t].index].et != et) return false;
    double scale = 1.0, s;
    if (m.has(s_mul)) {
      uniform_value(m.value(s_mul), &s);
      scale *= s;
    }
    if (m.has(s_div)) {
      uniform_value(m.value(s_div), &s);
      if (s == 0.0) return false;
      scale /= s;
    }
    if (m.has(s_q)) {
      uniform_value(m.value(s_q), &s);
      scale *= s;
    }
    const std::string base = m.root()->name;
    Output k = m[kt];
    if (!qk_node->attr_b("transpose_b", false)) {
      // K = swap the last two axes of Kᵀ
      size_t r = k.node->outputs[k.index].shape.dims.size();
      std::vector<int64_t> perm(r);
      std::iota(perm.begin(), perm.end(), 0);
      std::swap(perm[r - 1], perm[r - 2]);
      Output p = add_const(g, base + "/key_perm", Tensor::from_i64(ET::i64, {(int64_t)r}, perm));
      k = Output{g.add_op("Transpose", {k, p}, {}, base + "/key", ""), 0};
    }
    Output mk;
    if (m.has(mask)) {
      mk = m[mask];
      ET mt = mk.node->outputs[mk.index].et;
      if (mt != et && mt != ET::boolean) return false;
    } else {
      mk = add_const(g, base + "/mask", Tensor::from_f64(et, {}, {0.0}));
    }
    Output sc = add_const(g, base + "/scale", Tensor::from_f64(et, {}, {scale}));
    return m.replace("ScaledDotProductAttention", {m[q], k, m[v], mk, sc}, {{"causal", false}}, "opset13") != nullptr;
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
      t->name = n->name;      g.replace_uses(Output{n, 0}, Output{t, 0}, true);
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
