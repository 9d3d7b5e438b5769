// Linear-algebra fusions (the Model Optimizer's "fusing"): scales and shifts by constants are
// folded into the constant weights of the preceding Convolution / GroupConvolution / MatMul, so
// the IR runs one op where the source model had three.
//
//   BatchNormInference(y, γ, β, μ, σ², ε)  -> y * (γ/√(σ²+ε)) + (β - μγ/√(σ²+ε))   (BatchNormDecompose)
//   Subtract(y, c) / Divide(y, c)          -> Add(y, -c) / Multiply(y, 1/c)         (MulAddChains; y from
//                                             a Convolution/MatMul or Multiply/Add chain)
//   Multiply(Add(y, b), s)                 -> Add(Multiply(y, s), b*s)              (MulAddChains)
//   Multiply(Multiply(y, s1), s2)          -> Multiply(y, s1*s2)                    (MulAddChains)
//   Add(Add(y, b1), b2)                    -> Add(y, b1+b2)                         (MulAddChains)
//   Multiply(Conv(x, W), s[C_out])         -> Conv(x, W * s)                        (WeightsScaleFusion)
//   Multiply(MatMul(x, W), s[N])           -> MatMul(x, W * s)                      (WeightsScaleFusion)
//   Convolution(Pad(x, b, e, 0), W)        -> Convolution(x, W, pads + b, e)        (PadFusion)
//   MatMul(x, Transpose(W, swap last 2))   -> MatMul(x, W, transpose_b = !tb)        (MatMulTransposeFusion)
// Constants are combined in double precision and stored in the original element type; a rewrite
// is skipped when the combined constant would change the result's shape (broadcast it).
#include <cmath>
#include <algorithm>
#include <cstring>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "irconv/pass.hpp"

namespace irconv {
namespace {

bool is_float(ET t) { return t == ET::f32 || t == ET::f16 || t == ET::bf16 || t == ET::f64; }

const Tensor* const_of(Output o) {
  Node* n = o.node;
  return n->type == "Const" && n->value && et_is_plain(n->value->et) ? n->value.get() : nullptr;
}

bool single_use(Output o) { return o.node->outputs[o.index].consumers.size() == 1; }

// a (op) b with numpy broadcasting, in double; nullopt-like (empty shape + false) when the shapes
// do not broadcast.
bool broadcast_binary(const Tensor& a, const Tensor& b, bool mul, ET out_et, Tensor* out) {
  size_t r = std::max(a.shape.size(), b.shape.size());
  std::vector<int64_t> sa(r, 1), sb(r, 1), so(r);
  std::copy(a.shape.begin(), a.shape.end(), sa.begin() + (long)(r - a.shape.size()));
  std::copy(b.shape.begin(), b.shape.end(), sb.begin() + (long)(r - b.shape.size()));
  for (size_t i = 0; i < r; ++i) {
    if (sa[i] != sb[i] && sa[i] != 1 && sb[i] != 1) return false;
    so[i] = std::max(sa[i], sb[i]);
  }
  *out = Tensor::zeros(out_et, so);
  uint64_t n = out->numel();
  uint8_t* dst = out->mutable_data();
  std::vector<int64_t> idx(r, 0);
  for (uint64_t k = 0; k < n; ++k) {
    uint64_t ia = 0, ib = 0;
    for (size_t i = 0; i < r; ++i) {
      ia = ia * (uint64_t)sa[i] + (uint64_t)(sa[i] == 1 ? 0 : idx[i]);
      ib = ib * (uint64_t)sb[i] + (uint64_t)(sb[i] == 1 ? 0 : idx[i]);
    }
    double va = a.get_f64(ia), vb = b.get_f64(ib);
    store_f64(out_et, dst, k, mul ? va * vb : va + vb);
    for (size_t i = r; i-- > 0;) {
      if (++idx[i] < so[i]) break;
      idx[i] = 0;
    }
  }
  return true;
}

// The constant `c` may not make the output of `y (op) c` larger than y.
bool keeps_shape(const PartialShape& y, const std::vector<int64_t>& c) {
  if (y.rank_dynamic) return c.empty() || (c.size() == 1 && c[0] == 1);
  if (c.size() > y.dims.size()) return false;
  size_t off = y.dims.size() - c.size();
  for (size_t i = 0; i < c.size(); ++i)
    if (c[i] != 1 && c[i] != y.dims[off + i]) return false;
  return true;
}

// The (data, constant) operands of a binary op, or false.
bool split_const(Node* n, Output* data, const Tensor** c, Output* c_out) {
  if (n->inputs.size() != 2 || n->attr_s("auto_broadcast", "numpy") != "numpy") return false;
  for (int i = 0; i < 2; ++i) {
    const Tensor* t = const_of(n->inputs[(size_t)i]);
    if (t && !const_of(n->inputs[(size_t)(1 - i)])) {
      *data = n->inputs[(size_t)(1 - i)];
      *c = t;
      if (c_out) *c_out = n->inputs[(size_t)i];
      return true;
    }
  }
  return false;
}

Output make_const(Graph& g, const std::string& name, Tensor t) { return Output{g.add_const(name, std::move(t)), 0}; }

Node* make_binary(Graph& g, const std::string& type, Output a, Output b, const std::string& name) {
  Node* n = g.add_op(type, {a, b}, {{"auto_broadcast", std::string("numpy")}}, name, "");
  n->name = name;
  return n;
}

// ---------------------------------------------------------------- BatchNormDecompose
bool batchnorm_decompose(Graph& g) {
  bool changed = false;
  for (Node* n : g.topo_order()) {
    if (n->type != "BatchNormInference" || n->inputs.size() != 5) continue;
    const OutputDesc& out = n->outputs[0];
    if (!is_float(out.et) || out.shape.rank_dynamic || out.shape.dims.size() < 2) continue;
    // opset5: data, gamma, beta, mean, variance
    const Tensor *ga = const_of(n->inputs[1]), *be = const_of(n->inputs[2]), *mu = const_of(n->inputs[3]),
                 *va = const_of(n->inputs[4]);
    if (!ga || !be || !mu || !va) continue;
    uint64_t C = ga->numel();
    if (be->numel() != C || mu->numel() != C || va->numel() != C) continue;
    double eps = n->attr_f("epsilon", 0.0);
    size_t rank = out.shape.dims.size();
    std::vector<int64_t> cshape(rank - 1, 1);
    cshape[0] = (int64_t)C;  // [C, 1, 1, ...] broadcasts against [N, C, ...]
    Tensor scale = Tensor::zeros(out.et, cshape), shift = Tensor::zeros(out.et, cshape);
    for (uint64_t i = 0; i < C; ++i) {
      double s = ga->get_f64(i) / std::sqrt(va->get_f64(i) + eps);
      store_f64(out.et, scale.mutable_data(), i, s);
      store_f64(out.et, shift.mutable_data(), i, be->get_f64(i) - mu->get_f64(i) * s);
    }
    Output sc = make_const(g, n->name + "/scale", std::move(scale));
    Output sh = make_const(g, n->name + "/shift", std::move(shift));
    Node* mul = make_binary(g, "Multiply", n->inputs[0], sc, n->name + "/mul");
    Node* add = make_binary(g, "Add", Output{mul, 0}, sh, n->name);
    g.replace_uses(Output{n, 0}, Output{add, 0}, true);
    changed = true;
  }
  return changed;
}

// ---------------------------------------------------------------- MulAddSwap + chains
// Subtract(y, c) -> Add(y, -c) and Divide(y, c) -> Multiply(y, 1/c) for float constants c when y
// comes from a Convolution/MatMul or an op by a constant: they can then fold like the others.
bool sub_div_to_add_mul(Graph& g) {
  static const char* kChain[] = {"Convolution", "GroupConvolution", "MatMul", "Add", "Multiply", "Subtract", "Divide"};
  bool changed = false;
  for (Node* n : g.topo_order()) {
    if ((n->type != "Subtract" && n->type != "Divide") || !is_float(n->outputs[0].et) || n->inputs.size() != 2) continue;
    if (n->attr_s("auto_broadcast", "numpy") != "numpy") continue;
    const Tensor* c = const_of(n->inputs[1]);
    Node* p = n->inputs[0].node;
    if (!c || const_of(n->inputs[0]) || !is_float(c->et)) continue;
    if (std::find(std::begin(kChain), std::end(kChain), p->type) == std::end(kChain)) continue;
    bool weighted = p->type == "Convolution" || p->type == "GroupConvolution" || p->type == "MatMul";
    if (!weighted && !(p->inputs.size() == 2 && (const_of(p->inputs[0]) || const_of(p->inputs[1])))) continue;
    bool div = n->type == "Divide";
    Tensor nc = Tensor::zeros(c->et, c->shape);
    bool ok = true;
    for (uint64_t i = 0; i < c->numel(); ++i) {
      double v = c->get_f64(i);
      if (div && v == 0.0) ok = false;
      store_f64(c->et, nc.mutable_data(), i, div ? 1.0 / v : -v);
    }
    if (!ok) continue;
    Output cc = make_const(g, n->inputs[1].node->name + (div ? "/reciprocal" : "/negated"), std::move(nc));
    Node* r = make_binary(g, div ? "Multiply" : "Add", n->inputs[0], cc, n->name);
    g.replace_uses(Output{n, 0}, Output{r, 0}, true);
    changed = true;
  }
  return changed;
}

bool mul_add_chains(Graph& g) {
  bool changed = false;
  g.remove_dead();
  for (Node* n : g.topo_order()) {
    if ((n->type != "Multiply" && n->type != "Add") || !is_float(n->outputs[0].et)) continue;
    Output y;
    const Tensor* c2;
    if (!split_const(n, &y, &c2, nullptr)) continue;
    Node* p = y.node;
    if (!single_use(y)) continue;
    Output inner;
    const Tensor* c1;
    if ((p->type != "Multiply" && p->type != "Add") || !split_const(p, &inner, &c1, nullptr)) continue;
    const PartialShape& yshape = n->outputs[0].shape;
    ET et = n->outputs[0].et;
    Tensor combined;
    if (p->type == n->type) {
      // Multiply(Multiply(y, s1), s2) -> Multiply(y, s1*s2); Add(Add(y, b1), b2) -> Add(y, b1+b2)
      if (!broadcast_binary(*c1, *c2, n->type == "Multiply", et, &combined) || !keeps_shape(yshape, combined.shape))
        continue;
      Output c = make_const(g, n->name + "/combined", std::move(combined));
      Node* r = make_binary(g, n->type, inner, c, n->name);
      g.replace_uses(Output{n, 0}, Output{r, 0}, true);
      changed = true;
    } else if (n->type == "Multiply" && p->type == "Add") {
      // Multiply(Add(y, b), s) -> Add(Multiply(y, s), b*s)
      if (!keeps_shape(yshape, c2->shape)) continue;
      if (!broadcast_binary(*c1, *c2, true, et, &combined) || !keeps_shape(yshape, combined.shape)) continue;
      Output s = make_const(g, n->name + "/scale", Tensor::owned(c2->et, c2->shape,
                                                                  std::vector<uint8_t>(c2->data, c2->data + c2->nbytes)));
      Node* mul = make_binary(g, "Multiply", inner, s, n->name + "/mul");
      Output b = make_const(g, n->name + "/shift", std::move(combined));
      Node* add = make_binary(g, "Add", Output{mul, 0}, b, n->name);
      g.replace_uses(Output{n, 0}, Output{add, 0}, true);
      changed = true;
    }
  }
  return changed;
}

// ---------------------------------------------------------------- WeightsScaleFusion
// Per-output-channel scale vector of `c` for an output of `rank` whose channel axis is `axis` and
// has `C` channels; false if c varies along any other axis.
bool channel_scale(const Tensor& c, size_t rank, size_t axis, int64_t C, std::vector<double>* s) {
  if (c.shape.size() > rank) return false;
  size_t off = rank - c.shape.size();
  int64_t cdim = 1;
  for (size_t i = 0; i < c.shape.size(); ++i) {
    if (off + i == axis) cdim = c.shape[i];
    else if (c.shape[i] != 1) return false;
  }
  if (cdim != 1 && cdim != C) return false;
  s->resize((size_t)C);
  for (int64_t i = 0; i < C; ++i) (*s)[(size_t)i] = c.get_f64(cdim == 1 ? 0 : (uint64_t)i);
  return true;
}

bool weights_scale_fusion(Graph& g) {
  bool changed = false;
  g.remove_dead();
  for (Node* n : g.topo_order()) {
    if (n->type != "Multiply" || !is_float(n->outputs[0].et)) continue;
    Output y;
    const Tensor* c;
    if (!split_const(n, &y, &c, nullptr) || !single_use(y)) continue;
    Node* p = y.node;
    const PartialShape& ys = p->outputs[0].shape;
    if (ys.rank_dynamic || ys.dims.size() < 2) continue;
    bool conv = p->type == "Convolution" || p->type == "GroupConvolution";
    bool mm = p->type == "MatMul";
    if (!conv && !mm) continue;
    const Tensor* w = const_of(p->inputs[1]);
    if (!w || w->et != p->outputs[0].et || !single_use(p->inputs[1])) continue;
    size_t rank = ys.dims.size();
    size_t axis = conv ? 1 : rank - 1;
    int64_t C = ys.dims[axis];
    if (C <= 0) continue;
    std::vector<double> s;
    if (!channel_scale(*c, rank, axis, C, &s)) continue;
    if (!keeps_shape(ys, c->shape)) continue;
    Tensor nw = Tensor::zeros(w->et, w->shape);
    uint64_t total = w->numel();
    uint8_t* dst = nw.mutable_data();
    if (conv) {
      // Convolution W [C_out, C_in, k...]; GroupConvolution W [G, C_out/G, C_in/G, k...]
      bool group = p->type == "GroupConvolution";
      if (w->shape.size() < (group ? 3u : 2u)) continue;
      int64_t outs = group ? w->shape[0] * w->shape[1] : w->shape[0];
      if (outs != C) continue;
      uint64_t per = total / (uint64_t)C;
      for (uint64_t i = 0; i < total; ++i) store_f64(w->et, dst, i, w->get_f64(i) * s[(size_t)(i / per)]);
    } else {
      if (w->shape.size() != 2 || p->attr_b("transpose_a", false)) continue;
      bool tb = p->attr_b("transpose_b", false);
      int64_t N = tb ? w->shape[0] : w->shape[1];
      if (N != C) continue;
      uint64_t cols = (uint64_t)w->shape[1];
      for (uint64_t i = 0; i < total; ++i)
        store_f64(w->et, dst, i, w->get_f64(i) * s[(size_t)(tb ? i / cols : i % cols)]);
    }
    Output nwc = make_const(g, p->inputs[1].node->name, std::move(nw));
    std::vector<Output> ins = p->inputs;
    ins[1] = nwc;
    Node* q = g.add_op(p->type, ins, p->attrs, n->name, p->version);
    q->name = n->name;
    q->add_rt(RtAttr{"fused_names", "0", {{"value", p->name + "," + n->name}}});
    g.replace_uses(Output{n, 0}, Output{q, 0}, true);
    changed = true;
  }
  return changed;
}

// ---------------------------------------------------------------- PadFusion
// Zero constant padding of the spatial axes before a convolution becomes the convolution's own
// explicit padding.
bool pad_fusion(Graph& g) {
  bool changed = false;
  g.remove_dead();
  for (Node* n : g.topo_order()) {
    if (n->type != "Convolution" && n->type != "GroupConvolution") continue;
    Node* p = n->inputs[0].node;
    if (p->type != "Pad" || p->inputs.size() < 3 || !single_use(n->inputs[0])) continue;
    if (p->attr_s("pad_mode", "constant") != "constant") continue;
    const PartialShape& xs = p->outputs[0].shape;
    if (xs.rank_dynamic || xs.dims.size() < 3) continue;
    size_t r = xs.dims.size();
    const Tensor *pb = const_of(p->inputs[1]), *pe = const_of(p->inputs[2]);
    if (!pb || !pe || pb->numel() != r || pe->numel() != r) continue;
    if (p->inputs.size() > 3) {
      const Tensor* v = const_of(p->inputs[3]);
      if (!v || v->numel() != 1 || v->get_f64(0) != 0.0) continue;
    }
    std::vector<int64_t> b = pb->to_i64(), e = pe->to_i64();
    bool ok = b[0] == 0 && b[1] == 0 && e[0] == 0 && e[1] == 0;
    for (size_t i = 2; i < r; ++i) ok &= b[i] >= 0 && e[i] >= 0;
    std::string ap = n->attr_s("auto_pad", "explicit");
    if (!ok || (ap != "explicit" && ap != "notset" && ap != "valid")) continue;
    std::vector<int64_t> cb = n->attr_ints("pads_begin", std::vector<int64_t>(r - 2, 0));
    std::vector<int64_t> ce = n->attr_ints("pads_end", std::vector<int64_t>(r - 2, 0));
    if (cb.size() != r - 2 || ce.size() != r - 2) continue;
    if (ap == "valid") std::fill(cb.begin(), cb.end(), 0), std::fill(ce.begin(), ce.end(), 0);
    for (size_t i = 2; i < r; ++i) {
      cb[i - 2] += b[i];
      ce[i - 2] += e[i];
    }
    auto attrs = n->attrs;
    for (auto& kv : attrs) {
      if (kv.first == "pads_begin") kv.second = cb;
      else if (kv.first == "pads_end") kv.second = ce;
      else if (kv.first == "auto_pad") kv.second = std::string("explicit");
    }
    std::vector<Output> ins = n->inputs;
    ins[0] = p->inputs[0];
    Node* q = g.add_op(n->type, ins, attrs, n->name, n->version);
    q->name = n->name;
    if (q->outputs[0].shape != n->outputs[0].shape) continue;  // left dead
    q->add_rt(RtAttr{"fused_names", "0", {{"value", p->name + "," + n->name}}});
    g.replace_uses(Output{n, 0}, Output{q, 0}, true);
    changed = true;
  }
  return changed;
}

// ---------------------------------------------------------------- MatMulTransposeFusion
// A Transpose that swaps the last two axes of a MatMul input is the MatMul's own transpose_a /
// transpose_b. Runs before constant folding, so a constant weight written as Transpose(W) is
// neither copied into a transposed constant nor (when too large to fold) transposed at run time.
bool swaps_last_two(Node* t) {
  if (t->type != "Transpose" || t->inputs.size() != 2) return false;
  const Tensor* pc = const_of(t->inputs[1]);
  if (!pc || !et_is_integral(pc->et)) return false;
  std::vector<int64_t> p = pc->to_i64();
  size_t r = p.size();
  if (r < 2) return false;
  for (size_t i = 0; i + 2 < r; ++i)
    if (p[i] != (int64_t)i) return false;
  return p[r - 2] == (int64_t)r - 1 && p[r - 1] == (int64_t)r - 2;
}

bool matmul_transpose_fusion(Graph& g) {
  bool changed = false;
  g.remove_dead();
  for (Node* n : g.topo_order()) {
    if (n->type != "MatMul" || n->inputs.size() != 2) continue;
    std::vector<Output> ins = n->inputs;
    auto attrs = n->attrs;
    bool any = false;
    for (int i = 0; i < 2; ++i) {
      Node* t = ins[(size_t)i].node;
      if (!swaps_last_two(t)) continue;
      const char* key = i == 0 ? "transpose_a" : "transpose_b";
      bool cur = n->attr_b(key, false);
      bool has = false;
      for (auto& kv : attrs)
        if (kv.first == key) kv.second = !cur, has = true;
      if (!has) attrs.emplace_back(key, !cur);
      ins[(size_t)i] = t->inputs[0];
      any = true;
    }
    if (!any) continue;
    Node* q = g.add_op("MatMul", ins, attrs, n->name, n->version);
    q->name = n->name;
    if (q->outputs[0].shape != n->outputs[0].shape || q->outputs[0].et != n->outputs[0].et) continue;  // left dead
    for (const auto& a : n->rt_info) q->add_rt(a);
    g.replace_uses(Output{n, 0}, Output{q, 0}, true);
    changed = true;
  }
  if (changed) g.remove_dead();
  return changed;
}

}  // namespace

IRCONV_PASSES(linear_fusions) {
  // BatchNormInference(y, γ, β, μ, σ², ε) -> y * (γ/√(σ²+ε)) + (β - μγ/√(σ²+ε))
  reg_pass({"BatchNormDecompose", kOrderFusion + 30, [](Graph& g, const PassContext&) { return batchnorm_decompose(g); }});
  // Multiply(Add(y, b), s) -> Add(Multiply(y, s), b*s); Mul/Mul and Add/Add chains combined
  reg_pass({"MulAddChains", kOrderFusion + 31, [](Graph& g, const PassContext&) {
              bool any = sub_div_to_add_mul(g);
              for (int i = 0; i < 16 && mul_add_chains(g); ++i) any = true;
              return any;
            }});
  // Multiply(Conv|MatMul(x, W), s) -> Conv|MatMul(x, W * s)
  reg_pass({"WeightsScaleFusion", kOrderFusion + 32, [](Graph& g, const PassContext&) { return weights_scale_fusion(g); }});
  // Convolution(Pad(x, b, e, 0), W) -> Convolution(x, W, pads_begin + b, pads_end + e)
  reg_pass({"PadFusion", kOrderFusion + 29, [](Graph& g, const PassContext&) { return pad_fusion(g); }});
  // MatMul(Transpose(a, ..., swap last two), b) -> MatMul(a, b, transpose_a = !transpose_a) (and for b)
  reg_pass({"MatMulTransposeFusion", kOrderFold - 5,
            [](Graph& g, const PassContext&) { return matmul_transpose_fusion(g); }});
}

}  // namespace irconv
