// Eliminations: ops that compute nothing new, and repeated computations.
//
//   CommonSubexpressionElimination: two ops of one type/version/attributes on the same inputs -> one;
//     identical small constants (<= 4 KiB) -> one
//   RedundantOpElimination:
//     Multiply(x, 1), Divide(x, 1), Add(x, 0), Subtract(x, 0), Power(x, 1)   -> x   (the constant
//       neither broadcasts x nor changes its type)
//     Op(x, Broadcast(y, shape)) -> Op(x, y)   elementwise Op whose result keeps its shape without
//       the Broadcast (torch's F.normalize writes Expand before Div)
//     Convert(x, x's type) -> x
//     Reshape / Squeeze / Unsqueeze whose output shape is its (static) input shape -> x
//     Reshape(Reshape|Squeeze|Unsqueeze(x), s) -> Reshape(x, s)   (s constant, no 0 copies)
//   ConstDeduplication: identical small constants created by the fusions -> one (runs last)
#include <map>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "fusion_util.hpp"
#include "irconv/pass.hpp"

namespace irconv {
namespace {

using namespace fusion;  // NOLINT

constexpr uint64_t kSmallConstBytes = 4096;

bool same_rt(const Node* a, const Node* b) {
  if (a->rt_info.size() != b->rt_info.size()) return false;
  for (size_t i = 0; i < a->rt_info.size(); ++i)
    if (a->rt_info[i].name != b->rt_info[i].name || a->rt_info[i].fields != b->rt_info[i].fields) return false;
  return true;
}

void replace_all_outputs(Graph& g, Node* from, Node* to) {
  for (size_t i = 0; i < from->outputs.size(); ++i) g.replace_uses(from->out((int)i), to->out((int)i), true);
}

// Small Consts with equal type, shape and bytes -> the first one.
bool dedupe_consts(Graph& g) {
  bool changed = false;
  std::unordered_map<std::string, Node*> seen;
  for (Node* n : g.topo_order()) {
    if (n->type != "Const" || !n->value || n->value->nbytes > kSmallConstBytes || !n->rt_info.empty()) continue;
    if (n->outputs.empty() || n->outputs[0].consumers.empty()) continue;
    const Tensor& t = *n->value;
    std::string key(et_name(t.et));
    for (int64_t d : t.shape) key += "," + std::to_string(d);
    key += "|";
    key.append(reinterpret_cast<const char*>(t.data), (size_t)t.nbytes);
    auto it = seen.find(key);
    if (it == seen.end()) {
      seen.emplace(std::move(key), n);
      continue;
    }
    g.replace_uses(n->out(0), it->second->out(0), true);
    changed = true;
  }
  if (changed) g.remove_dead();
  return changed;
}

bool cse(Graph& g) {
  static const std::unordered_set<std::string> kNever = {"Parameter", "Result",     "Const",  "RandomUniform",
                                                         "Multinomial", "ReadValue", "Assign"};
  bool changed = dedupe_consts(g);
  std::unordered_map<std::string, std::vector<Node*>> seen;
  for (Node* n : g.topo_order()) {
    if (kNever.count(n->type) || !n->bodies.empty() || n->outputs.empty()) continue;
    std::string key = n->type + "|" + n->version;
    for (const Output& in : n->inputs) key += "|" + std::to_string(in.node->id) + ":" + std::to_string(in.index);
    auto& cands = seen[key];
    Node* same = nullptr;
    for (Node* c : cands)
      if (c->attrs == n->attrs && c->outputs.size() == n->outputs.size() && same_rt(c, n)) {
        same = c;
        break;
      }
    if (!same) {
      cands.push_back(n);
      continue;
    }
    replace_all_outputs(g, n, same);
    changed = true;
  }
  if (changed) g.remove_dead();
  return changed;
}

// ---------------------------------------------------------------- RedundantOpElimination

const std::unordered_set<std::string>& binary_elementwise() {
  static const std::unordered_set<std::string> s = {
      "Add",   "Subtract", "Multiply", "Divide",    "Maximum",      "Minimum",      "Power",
      "SquaredDifference", "FloorMod", "Mod", "Equal", "NotEqual", "Less", "LessEqual", "Greater",
      "GreaterEqual", "LogicalAnd", "LogicalOr", "LogicalXor"};
  return s;
}

bool all_equal_to(const Tensor& t, double v) {
  uint64_t n = t.numel();
  if (n == 0 || !et_is_plain(t.et)) return false;
  for (uint64_t i = 0; i < n; ++i)
    if (t.get_f64(i) != v) return false;
  return true;
}

// y = Op(x, c) equals x: c is the neutral element and changes neither x's shape nor its type.
bool neutral_binary(Node* n, Output* x) {
  if (n->inputs.size() != 2 || n->attr_s("auto_broadcast", "numpy") != "numpy") return false;
  double neutral;
  bool commutative = n->type == "Add" || n->type == "Multiply";
  if (n->type == "Add" || n->type == "Subtract") neutral = 0.0;
  else if (n->type == "Multiply" || n->type == "Divide" || n->type == "Power") neutral = 1.0;
  else return false;
  for (int i = 0; i < (commutative ? 2 : 1); ++i) {
    Output data = n->inputs[(size_t)i];
    const Tensor* c = const_value(n->inputs[(size_t)(1 - i)]);
    if (!c || !all_equal_to(*c, neutral)) continue;
    const OutputDesc& dd = desc(data);
    if (dd.et != n->outputs[0].et || dd.shape != n->outputs[0].shape || !dd.shape.is_static()) continue;
    *x = data;
    return true;
  }
  return false;
}

bool broadcast_removable(Node* n, size_t i) {
  Node* b = n->inputs[i].node;
  if (b->type != "Broadcast" || b->attr_s("mode", "numpy") == "explicit" || n->inputs.size() != 2) return false;
  if (n->attr_s("auto_broadcast", "numpy") != "numpy") return false;
  Output y = b->inputs[0];
  Output other = n->inputs[1 - i];
  const PartialShape& out = n->outputs[0].shape;
  // target = ShapeOf(other): y broadcast against other is what the op does anyway
  Node* tgt = b->inputs[1].node;
  if (tgt->type == "ShapeOf" && tgt->inputs[0] == other && desc(y).et == desc(n->inputs[i]).et) {
    try {
      return broadcast_numpy(desc(y).shape, desc(other).shape) == out;
    } catch (const Error&) {
      return false;
    }
  }
  if (!out.is_static()) return false;
  try {
    return broadcast_numpy(desc(y).shape, desc(other).shape) == out;
  } catch (const Error&) {
    return false;
  }
}

bool reshape_like(const Node* n) { return n->type == "Reshape" || n->type == "Squeeze" || n->type == "Unsqueeze"; }

bool redundant_ops(Graph& g) {
  bool changed = false;
  g.remove_dead();
  for (Node* n : g.topo_order()) {
    if (n->outputs.size() != 1 || n->type == "Result" || n->type == "Parameter") continue;
    Output x;
    if (binary_elementwise().count(n->type)) {
      if (neutral_binary(n, &x)) {
        g.replace_uses(n->out(0), x, true);
        changed = true;
        continue;
      }
      for (size_t i = 0; i < n->inputs.size(); ++i)
        if (broadcast_removable(n, i)) {
          g.set_input(n, (int)i, n->inputs[i].node->inputs[0]);
          changed = true;
        }
      continue;
    }
    if (n->type == "Convert") {
      if (desc(n->inputs[0]).et == n->outputs[0].et && !n->find_rt("decompression")) {
        g.replace_uses(n->out(0), n->inputs[0], true);
        changed = true;
      }
      continue;
    }
    if (reshape_like(n)) {
      Output in = n->inputs[0];
      const PartialShape& is = desc(in).shape;
      if (is.is_static() && is == n->outputs[0].shape && desc(in).et == n->outputs[0].et) {
        g.replace_uses(n->out(0), in, true);
        changed = true;
        continue;
      }
      // Reshape(Reshape|Squeeze|Unsqueeze(x), s) -> Reshape(x, s)
      if (n->type == "Reshape" && reshape_like(in.node) && n->inputs.size() == 2) {
        const Tensor* s = const_value(n->inputs[1]);
        if (!s) continue;
        bool zero_copy = false;
        if (n->attr_b("special_zero", false))
          for (int64_t v : s->to_i64()) zero_copy |= v == 0;
        if (zero_copy) continue;
        Node* r = g.add_op("Reshape", {in.node->inputs[0], n->inputs[1]}, n->attrs, n->name, n->version);
        r->name = n->name;
        if (r->outputs[0].shape != n->outputs[0].shape) continue;  // left dead
        g.replace_uses(n->out(0), r->out(0), true);
        changed = true;
      }
    }
  }
  if (changed) g.remove_dead();
  return changed;
}

}  // namespace

IRCONV_PASSES(eliminations) {
  // the same op on the same inputs twice -> once; identical small constants -> one
  reg_pass({"CommonSubexpressionElimination", kOrderFusion - 11,
            [](Graph& g, const PassContext&) { return cse(g); }});
  // x * 1, x + 0, Broadcast before an elementwise op, Convert to the same type, no-op reshapes -> x
  reg_pass({"RedundantOpElimination", kOrderFusion - 10,
            [](Graph& g, const PassContext&) { return redundant_ops(g); }});
  // identical small constants (the fusions' scalars and axes) -> one
  reg_pass({"ConstDeduplication", kOrderFinalFold + 10, [](Graph& g, const PassContext&) {
              bool c = dedupe_consts(g);
              return c;
            }});
}

}  // namespace irconv
