// Declarative pattern matching for graph rewrites (fusions).
//
// A pattern is a small graph of real ops:
//   auto x = any(floating());
//   auto root = op("Multiply", {x, op("Sigmoid", {x})});     // x twice = the same tensor
//   Rewrite r = rewrite("x*Sigmoid(x)", root, [=](Match& m) {
//     return m.replace("Swish", {m[x]}, {}, "opset4") != nullptr;
//   });
//   RewriteSet set({r, ...});
//   bool changed = set.apply(g);     // one topological traversal for the whole group
//
// Matching starts only at nodes whose type is a root type of some rewrite of the set (type-indexed
// dispatch) and walks the pattern downwards through the node's inputs; there is no whole-graph
// search. Rules:
// - A pattern node object (P) that appears several times must bind to the same Output every time.
// - Add, Multiply, Minimum and Maximum are commutative: both input orders are tried (with full
//   backtracking, so nested commutative nodes and shared bindings work together).
// - Op pattern nodes other than the root are "exclusive" by default: every consumer of the matched
//   node must itself be part of the match (or be dead). Wrap a sub-pattern with shared() to allow
//   other consumers.
// - Const pattern nodes match Const nodes only, with an optional predicate on the tensor.
//
// Match::replace creates the fused node, keeps the replaced node's friendly name and tensor names,
// records fused_names rt_info, and re-points every consumer. The matched nodes become dead and are
// left for dead-code elimination (Graph::remove_dead / the cleanup pass).
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "irconv/graph.hpp"

namespace irconv {
namespace pattern {

struct PNode;
using P = std::shared_ptr<const PNode>;
using OutputPred = std::function<bool(Output)>;
using NodePred = std::function<bool(const Node&)>;
using TensorPred = std::function<bool(const Tensor&)>;

struct PNode {
  enum class Kind { Any, Op, Const, Alt };
  Kind kind = Kind::Any;
  std::vector<std::string> types;  // Op: accepted node types (IR spelling)
  std::vector<P> children;         // Op: inputs in port order (empty = inputs not checked);
                                   // Alt: the alternatives, tried in order
  OutputPred out_pred;             // Any: predicate on the bound output
  NodePred node_pred;              // Op: predicate on the matched node
  TensorPred tensor_pred;          // Const: predicate on the constant's value
  bool commutative = false;        // Op with two children: also try the swapped input order
  bool exclusive = true;           // Op, not the root: no consumers outside the match
};

// ---- pattern builders ----
// Any tensor, optionally satisfying `pred`.
P any(OutputPred pred = {});
// A node of type `type` whose inputs match `inputs` (exactly that many inputs; an empty list
// leaves the inputs unchecked). Add/Multiply/Minimum/Maximum are matched commutatively.
P op(const std::string& type, std::vector<P> inputs = {}, NodePred pred = {});
// Same with several accepted types (e.g. {"Divide", "Multiply"}).
P op_of(std::vector<std::string> types, std::vector<P> inputs = {}, NodePred pred = {});
// Matches when one of the alternatives matches (first successful one wins, with backtracking).
P alt(std::vector<P> options);
// A Const node (optionally satisfying `pred` on its value).
P constant(TensorPred pred = {});
// A floating-point Const whose elements are all equal (exactly) and within `rtol` of v
// (relative; absolute `rtol` when v == 0; at least 2^-8 for bf16 constants, whose rounding error
// is larger than 1e-3). Scalars, [1] and all-equal tensors qualify.
P const_value(double v, double rtol = 1e-3);
// A floating-point Const whose elements are all equal (any value).
P uniform_const();
// A copy of op pattern `p` whose matched node may have consumers outside the match.
// (Use the returned P everywhere: identity decides "same tensor".)
P shared(const P& p);

// ---- predicates ----
bool is_float_type(ET t);  // f16, bf16, f32, f64
// Output predicate: element type f16/bf16/f32/f64.
OutputPred floating();
// Output predicate: the output has exactly n consumers.
OutputPred consumers(size_t n);
// If `t` is a floating-point tensor with at least one element, all elements equal: stores that
// value in *v (when v != nullptr) and returns true.
bool uniform_value(const Tensor& t, double* v = nullptr);
// |a - v| <= rtol * |v|  (or <= rtol when v == 0)
bool near(double a, double v, double rtol = 1e-3);
// Node predicate: float attribute `name` (with default `def` when absent) is near(v, rtol).
NodePred attr_near(const std::string& name, double v, double def, double rtol = 1e-3);

namespace detail { struct RunState; }

// A successful match: the bound outputs/nodes, and the replacement helper.
class Match {
 public:
  Graph& graph() const { return *g_; }
  // The node the pattern's root matched.
  Node* root() const { return root_; }
  bool has(const P& p) const;
  // The output bound to pattern node p (throws Error if p is not part of the match).
  Output operator[](const P& p) const;
  Node* node(const P& p) const { return (*this)[p].node; }
  // The value of the Const bound to p.
  const Tensor& value(const P& p) const;
  // Matched op nodes (Op pattern nodes), unique, by node id.
  std::vector<Node*> matched_ops() const;

  // Creates `type` (version "" = registry default) from `inputs` and `attrs`, and replaces the
  // output bound to `target` with it: the new node gets the replaced node's friendly name, its
  // tensor names and rt_info, plus fused_names = sorted friendly names of all matched op nodes.
  // Returns nullptr (graph semantics unchanged) when the op is not registered, its inference
  // fails, or the result would differ in element type or shape from the replaced output, or a
  // matched constant would broadcast the result (constants must have rank <= the output rank and
  // dims 1 or equal to the output's static dims; rank 0 when the output rank is dynamic).
  Node* replace(const P& target, const std::string& type, const std::vector<Output>& inputs,
                std::vector<std::pair<std::string, AttrValue>> attrs = {},
                const std::string& version = "");
  // Same, replacing the root.
  Node* replace(const std::string& type, const std::vector<Output>& inputs,
                std::vector<std::pair<std::string, AttrValue>> attrs = {},
                const std::string& version = "");
  // The Const bound to p as a rank-0 Const (p itself if already rank 0, else a new Const with
  // its first element).
  Output scalar_of(const P& p);

 private:
  friend struct detail::RunState;
  friend class RewriteSet;
  Match(Graph& g, detail::RunState& st, Node* root, const PNode* root_p,
        std::vector<std::pair<const PNode*, Output>> binds)
      : g_(&g), st_(&st), root_(root), root_p_(root_p), binds_(std::move(binds)) {}
  const Output* find(const PNode* p) const;
  Node* replace_impl(const PNode* target, const std::string& type, const std::vector<Output>& inputs,
                     std::vector<std::pair<std::string, AttrValue>> attrs, const std::string& version);
  Graph* g_;
  detail::RunState* st_;
  Node* root_;
  const PNode* root_p_;
  std::vector<std::pair<const PNode*, Output>> binds_;
};

// Called on a match; returns true if it rewrote the graph (false = not applicable after all).
using Callback = std::function<bool(Match&)>;

struct Rewrite {
  std::string name;
  P root;
  Callback callback;
};
Rewrite rewrite(std::string name, P root, Callback cb);

// A group of rewrites applied in one topological traversal: each live node is tried against the
// rewrites whose root type equals its type, in the order given; the first that rewrites wins.
// Nodes created by a rewrite are not visited as roots in the same traversal, but later rewrites
// see them as inputs.
class RewriteSet {
 public:
  explicit RewriteSet(std::vector<Rewrite> rewrites);
  bool apply(Graph& g) const;
  const std::vector<Rewrite>& rewrites() const { return rewrites_; }

 private:
  std::vector<Rewrite> rewrites_;
  std::map<std::string, std::vector<size_t>> by_type_;
};

}  // namespace pattern
}  // namespace irconv
