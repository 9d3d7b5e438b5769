// Constant folding: a node whose inputs are all constants is evaluated with its C++ reference
// kernel and replaced by a Const. ShapeOf of a non-constant input is NOT folded by default (the
// shape sub-graph stays so the IR remains reshapeable); with --static_shape every node whose value
// is known at conversion time (static shapes) is folded too.
#include "irconv/op_registry.hpp"
#include "irconv/pass.hpp"

namespace irconv {

namespace {

// Folding must not blow a small constant up into a huge one (Broadcast/Tile of a scalar).
constexpr uint64_t kMaxGrowthBytes = 1 << 20;
// Nor materialize a huge result (checkpoint shards concatenated into one matrix, lm_1b's 3.2 GB
// softmax): the IR keeps the op over the stored pieces (OpenVINO folds it when it compiles the
// model), and the converter's memory stays near its largest input instead of the folded copies.
constexpr uint64_t kMaxFoldBytes = 512ull << 20;

bool fold_node(Graph& g, Node* n, const PassContext& ctx) {
  if (n->type == "Parameter" || n->type == "Const" || n->type == "Result") return false;
  // Compressed weights stay compressed: Convert(u8/i4/f16 const) marked as decompression.
  if (n->find_rt("decompression")) return false;
  const OpSchema* s = find_schema(n->type, n->version);
  if (!s || !s->eval) return false;
  bool all_const = true;
  for (size_t i = 0; i < n->inputs.size(); ++i) all_const = all_const && n->in_is_const(i);

  std::vector<Tensor> out(n->outputs.size());
  if (all_const || (ctx.static_shape && s->eval_from_shapes)) {
    std::vector<const Tensor*> in(n->inputs.size());
    uint64_t in_bytes = 0;
    for (size_t i = 0; i < n->inputs.size(); ++i) {
      if (s->eval_from_shapes) {
        if (!n->in_shape(i).is_static()) return false;
        continue;
      }
      in[i] = n->in_value(i);
      if (!et_is_plain(in[i]->et)) return false;
      in_bytes += in[i]->nbytes;
    }
    for (auto& o : n->outputs) {
      if (!o.shape.is_static() || !et_is_plain(o.et)) return false;
      uint64_t b = et_bytes(o.et, (uint64_t)o.shape.numel());
      if (b > kMaxGrowthBytes && b > 4 * in_bytes + kMaxGrowthBytes) return false;
      if (b > kMaxFoldBytes) return false;
    }
    bool ok = false;
    try {
      ok = s->eval(*n, in, out);
    } catch (const Error&) {
      ok = false;
    }
    if (!ok) return false;
  } else if (ctx.static_shape) {
    for (size_t i = 0; i < n->outputs.size(); ++i) {
      if (!n->outputs[i].known_value) return false;
      out[i] = *n->outputs[i].known_value;
    }
  } else {
    return false;
  }
  for (size_t i = 0; i < out.size(); ++i) {
    IRCONV_CHECK(out[i].et == n->outputs[i].et && PartialShape(out[i].shape) == n->outputs[i].shape,
                 n->describe() << ": folded output " << i << " is " << et_name(out[i].et) << " "
                               << PartialShape(out[i].shape).to_string() << ", inferred "
                               << et_name(n->outputs[i].et) << " " << n->outputs[i].shape.to_string());
    std::string name = out.size() == 1 ? n->name : n->name + "." + std::to_string(i);
    Node* c = g.add_const(name, std::move(out[i]));
    if (out.size() == 1) c->name = n->name;
    g.replace_uses(n->out((int)i), c->out(0), true);
  }
  return true;
}

bool constant_folding(Graph& g, const PassContext& ctx) {
  bool changed = false;
  for (Node* n : g.topo_order()) {
    // Ops with bodies (Loop, TensorIterator, If) are never folded; their bodies are folded inside.
    if (!n->bodies.empty()) {
      for (auto& b : n->bodies) changed |= constant_folding(*b, ctx);
      continue;
    }
    changed |= fold_node(g, n, ctx);
  }
  if (changed) g.remove_dead();
  return changed;
}

}  // namespace

IRCONV_PASSES(constant_folding) {
  // const-only sub-graph -> Const  (ShapeOf(non-const) kept unless --static_shape)
  reg_pass({"ConstantFolding", kOrderFold, constant_folding});
  // fusions may expose new constant sub-graphs
  reg_pass({"ConstantFoldingFinal", kOrderFinalFold, constant_folding});
}

}  // namespace irconv
