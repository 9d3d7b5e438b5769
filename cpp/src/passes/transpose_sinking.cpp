// Transpose sinking: layout Transposes (e.g. the NHWC<->NCHW pairs a TensorFlow graph gets around
// every convolution) are moved down through the layout-agnostic ops after them until they meet
// another Transpose, where the two merge or cancel.
//
//   Op(Transpose(x, p), c)            -> Transpose(Op(x, c'), p)        elementwise; c' = c permuted by p⁻¹
//   Op(Transpose(x, p), Transpose(z, p)) -> Transpose(Op(x, z), p)
//   Pad(Transpose(x, p), b, e)        -> Transpose(Pad(x, b∘p⁻¹, e∘p⁻¹), p)
//   Reduce(Transpose(x, p), axes)     -> Transpose(Reduce(x, p[axes]), q)   (q = identity: no Transpose)
//   SoftMax(Transpose(x, p), a)       -> Transpose(SoftMax(x, p[a]), p)
//   Concat(Transpose(xᵢ, p), a)       -> Transpose(Concat(xᵢ, p[a]), p)
//   Transpose(Transpose(x, p), p2)    -> Transpose(x, p[p2])  (or x when that is the identity)
// A Transpose moves only when every consumer can take it and the move does not add Transposes
// (one per consumer is created, one per absorbed/merged Transpose removed).
//
// Reshape(Transpose(Reshape(x, A→B), p), →D) -> Transpose(x, p') when the reshapes only merge and
// split whole groups of x's dimensions and D is x's shape permuted by p' (ReshapeTransposeFusion;
// torch's exporter writes a batched transpose of [B, H, L, E] as [B*H, L, E] -> swap -> [B, H, E, L]).
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "fusion_util.hpp"
#include "irconv/pass.hpp"

namespace irconv {
namespace {

using namespace fusion;  // NOLINT

const std::unordered_set<std::string>& elementwise_types() {
  static const std::unordered_set<std::string> s = {
      // unary (extra inputs must be single-element constants)
      "Abs", "Acos", "Acosh", "Asin", "Asinh", "Atan", "Atanh", "Ceiling", "Clamp", "Convert", "Cos", "Cosh",
      "Elu", "Erf", "Exp", "Floor", "Gelu", "HSigmoid", "HSwish", "HardSigmoid", "Log", "LogicalNot", "Mish",
      "Negative", "ReLU", "Round", "Selu", "Sigmoid", "Sign", "Sin", "Sinh", "SoftPlus", "SoftSign", "Sqrt",
      "Swish", "Tan", "Tanh", "IsFinite", "IsInf", "IsNaN",
      // n-ary with numpy broadcasting
      "Add", "Subtract", "Multiply", "Divide", "Maximum", "Minimum", "Power", "SquaredDifference", "FloorMod",
      "Mod", "Equal", "NotEqual", "Less", "LessEqual", "Greater", "GreaterEqual", "LogicalAnd", "LogicalOr",
      "LogicalXor", "Select"};
  return s;
}

const std::unordered_set<std::string>& reduce_types() {
  static const std::unordered_set<std::string> s = {"ReduceSum",  "ReduceMean",       "ReduceMax",
                                                    "ReduceMin",  "ReduceProd",       "ReduceL1",
                                                    "ReduceL2",   "ReduceLogicalAnd", "ReduceLogicalOr"};
  return s;
}

bool is_transpose(const Node* n) { return n->type == "Transpose" && n->inputs.size() == 2; }

struct Sinker {
  Graph& g;
  std::unordered_set<const Node*> dead;

  // Reduce output permutation: y = T(x, p) reduced over `axes` (of y) without keep_dims; the
  // result equals Transpose(Reduce(x, p[axes]), q). Returns q.
  static std::vector<int64_t> reduced_perm(const std::vector<int64_t>& p, const std::vector<int64_t>& axes) {
    size_t r = p.size();
    std::vector<bool> red_y(r, false), red_x(r, false);
    for (int64_t a : axes) {
      red_y[(size_t)a] = true;
      red_x[(size_t)p[(size_t)a]] = true;
    }
    std::vector<int64_t> pos(r, -1);  // x axis -> position among the kept x axes
    int64_t k = 0;
    for (size_t i = 0; i < r; ++i)
      if (!red_x[i]) pos[i] = k++;
    std::vector<int64_t> q;
    for (size_t i = 0; i < r; ++i)
      if (!red_y[i]) q.push_back(pos[(size_t)p[i]]);
    return q;
  }

  // Normalized, sorted axes of a constant axes input; false when not constant / out of range.
  static bool const_axes(Output o, size_t r, std::vector<int64_t>* axes) {
    const Tensor* t = const_value(o);
    if (!t || !et_is_integral(t->et) || t->shape.size() > 1) return false;
    axes->clear();
    for (int64_t a : t->to_i64()) {
      if (a < 0) a += (int64_t)r;
      if (a < 0 || a >= (int64_t)r) return false;
      if (std::find(axes->begin(), axes->end(), a) == axes->end()) axes->push_back(a);
    }
    std::sort(axes->begin(), axes->end());
    return true;
  }

  bool same_perm_transpose(Output o, const std::vector<int64_t>& p) const {
    Node* n = o.node;
    return is_transpose(n) && !dead.count(n) && const_perm(n->inputs[1]) == p;
  }

  bool single_live_consumer(Node* n) const { return consumer_nodes(n->out(0), dead).size() == 1; }

  // Can consumer c of t = Transpose(x, p) take the transpose below it? Counts the Transposes the
  // move creates and removes.
  bool plan(Node* c, Node* t, const std::vector<int64_t>& p, int* created, int* removed) const {
    size_t r = p.size();
    if (c->outputs.size() != 1 || c->type == "Result" || !c->bodies.empty()) return false;
    const OutputDesc& cd = c->outputs[0];
    if (cd.shape.rank_dynamic) return false;
    if (is_transpose(c)) {
      if (c->inputs[0].node != t) return false;
      std::vector<int64_t> p2 = const_perm(c->inputs[1]);
      if (p2.size() != r) return false;
      std::vector<int64_t> comp(r);
      for (size_t i = 0; i < r; ++i) comp[i] = p[(size_t)p2[i]];
      *removed += 1;
      *created += is_identity_perm(comp) ? 0 : 1;
      return true;
    }
    if (elementwise_types().count(c->type)) {
      if (cd.shape.dims.size() != r) return false;
      if (c->has_attr("auto_broadcast") && c->attr_s("auto_broadcast", "numpy") != "numpy") return false;
      std::vector<Node*> absorbed;
      for (size_t i = 0; i < c->inputs.size(); ++i) {
        Output in = c->inputs[i];
        if (in.node == t) continue;
        if (const Tensor* v = const_value(in)) {
          if (v->shape.size() > r) return false;
          continue;
        }
        if (same_perm_transpose(in, p)) {
          if (single_live_consumer(in.node) &&
              std::find(absorbed.begin(), absorbed.end(), in.node) == absorbed.end())
            absorbed.push_back(in.node);
          continue;
        }
        return false;
      }
      *created += 1;
      *removed += (int)absorbed.size();
      return true;
    }
    if (c->type == "Pad") {
      if (c->inputs[0].node != t || c->inputs.size() < 3) return false;
      for (size_t i = 1; i < 3; ++i) {
        const Tensor* v = const_value(c->inputs[i]);
        if (!v || v->numel() != r || !et_is_integral(v->et)) return false;
      }
      for (size_t i = 3; i < c->inputs.size(); ++i)
        if (c->inputs[i].node == t) return false;
      *created += 1;
      return true;
    }
    if (reduce_types().count(c->type)) {
      std::vector<int64_t> axes;
      if (c->inputs[0].node != t || !const_axes(c->inputs[1], r, &axes)) return false;
      bool keep = c->attr_b("keep_dims", false);
      *created += keep || !is_identity_perm(reduced_perm(p, axes)) ? 1 : 0;
      return true;
    }
    if (c->type == "SoftMax" || c->type == "LogSoftmax") {
      *created += 1;
      return c->inputs[0].node == t;
    }
    if (c->type == "Concat") {
      std::vector<Node*> absorbed;
      for (const Output& in : c->inputs) {
        if (in.node == t) continue;
        if (!same_perm_transpose(in, p)) return false;
        if (single_live_consumer(in.node) && std::find(absorbed.begin(), absorbed.end(), in.node) == absorbed.end())
          absorbed.push_back(in.node);
      }
      *created += 1;
      *removed += (int)absorbed.size();
      return true;
    }
    return false;
  }

  // Replaces c's output by Transpose(out, perm) (perm given by the const output `perm_c`), or by
  // `out` itself when `perm_c` is null.
  void finish(Node* c, Node* nc, Output perm_c) {
    nc->name = c->name;
    for (const auto& a : c->rt_info) nc->add_rt(a);
    Output res = nc->out(0);
    if (perm_c.node) {
      Node* tr = g.add_op("Transpose", {res, perm_c}, {}, c->name + "/transpose", "");
      res = tr->out(0);
    }
    g.replace_uses(c->out(0), res, true);
    dead.insert(c);
  }

  void apply(Node* c, Node* t, const std::vector<int64_t>& p) {
    size_t r = p.size();
    Output x = t->inputs[0];
    Output perm_c = t->inputs[1];
    std::vector<int64_t> pinv = inverse_perm(p);
    if (is_transpose(c)) {
      std::vector<int64_t> p2 = const_perm(c->inputs[1]);
      std::vector<int64_t> comp(r);
      for (size_t i = 0; i < r; ++i) comp[i] = p[(size_t)p2[i]];
      if (is_identity_perm(comp)) {
        g.replace_uses(c->out(0), x, true);
      } else {
        Node* nt = g.add_op("Transpose", {x, i64_const(g, c->name + "/perm", comp)}, {}, c->name, "");
        nt->name = c->name;
        g.replace_uses(c->out(0), nt->out(0), true);
      }
      dead.insert(c);
      return;
    }
    std::vector<Output> ins = c->inputs;
    auto attrs = c->attrs;
    Output out_perm = perm_c;
    if (elementwise_types().count(c->type)) {
      for (auto& in : ins) {
        if (in.node == t) {
          in = x;
        } else if (const Tensor* v = const_value(in)) {
          bool neutral = true;
          for (int64_t d : v->shape) neutral &= d == 1;
          if (neutral) continue;  // a single element (rank <= r): no layout
          Tensor pt;
          if (!permute_tensor(*v, pinv, &pt)) throw Error("TransposeSinking: cannot permute " + in.node->describe());
          in = new_const(g, in.node->name + "/transposed", std::move(pt));
        } else {
          in = in.node->inputs[0];  // same-perm Transpose
        }
      }
    } else if (c->type == "Pad") {
      ins[0] = x;
      for (size_t i = 1; i < 3; ++i) {
        std::vector<int64_t> v = const_value(c->inputs[i])->to_i64(), nv(r);
        for (size_t k = 0; k < r; ++k) nv[(size_t)p[k]] = v[k];
        ins[i] = i64_const(g, c->inputs[i].node->name + "/transposed", nv);
      }
    } else if (reduce_types().count(c->type)) {
      std::vector<int64_t> axes, nax;
      const_axes(c->inputs[1], r, &axes);
      for (int64_t a : axes) nax.push_back(p[(size_t)a]);
      std::sort(nax.begin(), nax.end());
      ins[0] = x;
      ins[1] = i64_const(g, c->inputs[1].node->name + "/transposed", nax);
      if (!c->attr_b("keep_dims", false)) {
        std::vector<int64_t> q = reduced_perm(p, axes);
        out_perm = is_identity_perm(q) ? Output{} : i64_const(g, c->name + "/perm", q);
      }
    } else if (c->type == "SoftMax" || c->type == "LogSoftmax") {
      int64_t a = c->attr_i("axis", 1);
      if (a < 0) a += (int64_t)r;
      ins[0] = x;
      for (auto& kv : attrs)
        if (kv.first == "axis") kv.second = p[(size_t)a];
      if (!c->has_attr("axis")) attrs.emplace_back("axis", p[(size_t)a]);
    } else if (c->type == "Concat") {
      int64_t a = c->attr_i("axis");
      if (a < 0) a += (int64_t)r;
      for (auto& in : ins) in = in.node == t ? x : in.node->inputs[0];
      for (auto& kv : attrs)
        if (kv.first == "axis") kv.second = p[(size_t)a];
    }
    Node* nc = g.add_op(c->type, ins, attrs, c->name, c->version);
    finish(c, nc, out_perm);
  }

  bool sink(Node* t) {
    if (dead.count(t) || !is_transpose(t)) return false;
    std::vector<int64_t> p = const_perm(t->inputs[1]);
    const OutputDesc& yd = t->outputs[0];
    if (p.empty() || yd.shape.rank_dynamic || yd.shape.dims.size() != p.size()) return false;
    std::vector<Node*> cons = consumer_nodes(t->out(0), dead);
    if (cons.empty()) return false;
    int created = 0, removed = 1;
    for (Node* c : cons)
      if (!plan(c, t, p, &created, &removed)) return false;
    if (created > removed) return false;
    for (Node* c : cons) apply(c, t, p);
    dead.insert(t);
    return true;
  }
};

bool transpose_sinking(Graph& g) {
  bool any = false;
  for (int round = 0; round < 1000; ++round) {
    g.remove_dead();
    Sinker s{g, {}};
    bool changed = false;
    for (Node* n : g.topo_order())
      if (is_transpose(n)) changed |= s.sink(n);
    if (!changed) break;
    any = true;
  }
  g.remove_dead();
  return any;
}

// ---------------------------------------------------------------- ReshapeTransposeFusion
// Groups of x's dims forming each dim of `to` (contiguous, products equal), or false.
bool group_dims(const std::vector<int64_t>& from, const std::vector<int64_t>& to,
                std::vector<std::vector<int64_t>>* groups) {
  for (int64_t d : from)
    if (d <= 0) return false;
  groups->assign(to.size(), {});
  size_t i = 0;
  for (size_t j = 0; j < to.size(); ++j) {
    int64_t prod = 1;
    while (prod < to[j]) {
      if (i >= from.size()) return false;
      prod *= from[i];
      (*groups)[j].push_back((int64_t)i++);
    }
    if (prod != to[j]) return false;
  }
  // trailing 1-dims of `from` join the last group
  while (i < from.size()) {
    if (from[i] != 1 || to.empty()) return false;
    (*groups)[to.size() - 1].push_back((int64_t)i++);
  }
  return true;
}

bool reshape_transpose_fusion(Graph& g) {
  bool changed = false;
  g.remove_dead();
  for (Node* r2 : g.topo_order()) {
    if (r2->type != "Reshape") continue;
    Node* t = r2->inputs[0].node;
    if (!is_transpose(t) || t->outputs[0].consumers.size() != 1) continue;
    Node* r1 = t->inputs[0].node;
    if (r1->type != "Reshape" || r1->outputs[0].consumers.size() != 1) continue;
    Output x = r1->inputs[0];
    const PartialShape &xs = desc(x).shape, &bs = r1->outputs[0].shape, &ds = r2->outputs[0].shape;
    if (!xs.is_static() || !bs.is_static() || !ds.is_static()) continue;
    std::vector<int64_t> p = const_perm(t->inputs[1]);
    if (p.size() != bs.dims.size()) continue;
    std::vector<std::vector<int64_t>> groups;
    if (!group_dims(xs.dims, bs.dims, &groups)) continue;
    std::vector<int64_t> perm;
    for (int64_t j : p) perm.insert(perm.end(), groups[(size_t)j].begin(), groups[(size_t)j].end());
    if (perm.size() != xs.dims.size()) continue;
    std::vector<int64_t> permuted;
    for (int64_t a : perm) permuted.push_back(xs.dims[(size_t)a]);
    if (permuted != ds.dims) continue;
    Output res = x;
    if (!is_identity_perm(perm)) {
      Node* nt = g.add_op("Transpose", {x, i64_const(g, r2->name + "/perm", perm)}, {}, r2->name, "");
      nt->name = r2->name;
      res = nt->out(0);
    }
    g.replace_uses(r2->out(0), res, true);
    changed = true;
  }
  if (changed) g.remove_dead();
  return changed;
}

}  // namespace

IRCONV_PASSES(transpose_sinking) {
  // Reshape(Transpose(Reshape(x), p), D) -> Transpose(x, p') when the reshapes move whole dim groups
  reg_pass({"ReshapeTransposeFusion", kOrderFusion + 15,
            [](Graph& g, const PassContext&) { return reshape_transpose_fusion(g); }});
  // Op(Transpose(x, p), ...) -> Transpose(Op(x, ...), p) until Transposes meet and cancel
  reg_pass({"TransposeSinking", kOrderFusion + 25, [](Graph& g, const PassContext&) { return transpose_sinking(g); }});
}

}  // namespace irconv
