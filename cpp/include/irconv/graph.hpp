// The core graph: nodes of OpenVINO-opset ops, typed attributes, input edges, typed outputs.
// Every node is shape/type-inferred when created (see op_registry.hpp).
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "irconv/element_type.hpp"
#include "irconv/error.hpp"
#include "irconv/shape.hpp"
#include "irconv/tensor.hpp"

namespace irconv {

struct Node;
class Graph;

// `s` with every invalid UTF-8 sequence replaced by U+FFFD (names reach XML and Python as text).
std::string utf8_valid(const std::string& s);

// An output port of a node: (producer, output index).
struct Output {
  Node* node = nullptr;
  int index = 0;
  bool operator==(const Output& o) const { return node == o.node && index == o.index; }
  bool operator!=(const Output& o) const { return !(*this == o); }
  bool operator<(const Output& o) const;
};

// An input port of a node: (consumer, input index).
struct Input {
  Node* node = nullptr;
  int index = 0;
};

using AttrValue = std::variant<bool, int64_t, double, std::string, std::vector<int64_t>,
                               std::vector<double>, std::vector<std::string>>;

// One rt_info attribute: <attribute name=".." version=".." k="v" .../>
struct RtAttr {
  std::string name;
  std::string version = "0";
  std::vector<std::pair<std::string, std::string>> fields;  // e.g. {"value", "a,b"}
};

struct OutputDesc {
  ET et = ET::dynamic;
  PartialShape shape;
  std::vector<std::string> names;           // tensor names (kept unique, insertion order)
  std::vector<Input> consumers;             // maintained by Graph
  // A value known at conversion time without folding the producer (e.g. ShapeOf of a static
  // shape): lets shape inference of downstream ops see through shape sub-graphs.
  std::shared_ptr<const Tensor> known_value;
  std::vector<RtAttr> rt_info;              // port rt_info (e.g. an input's layout)
  void add_name(const std::string& n);
};

// Port map of an op with bodies (TensorIterator-1, Loop-5, If-8), like OpenVINO's input/output
// descriptions. The IR writer turns it into <port_map> (If: <then_port_map>/<else_port_map>) and
// <back_edges>; body Parameters/Results are referred to by their index in the body's
// parameters()/results().
struct BodyInput {
  int64_t outer = -1;     // outer input index (external_port_id); -1 = not fed from outside
  int body = 0;           // index into Node::bodies (If: 0 = then, 1 = else)
  int64_t param = 0;      // body Parameter index
  // Sliced input: iteration i sees part i of the outer input along `axis` (OpenVINO's
  // SliceInputDescription: start/end inclusive, negative = from the end, stride -1 = reversed).
  bool sliced = false;
  int64_t axis = 0, start = 0, stride = 1, part_size = 1, end = -1;
  // Merged input: body Result index whose value feeds this Parameter on the next iteration
  // (a back edge); -1 = invariant input (same value every iteration).
  int64_t back_edge = -1;
  std::string purpose;    // Loop: "current_iteration" (outer = -1): the iteration number
};

struct BodyOutput {
  int64_t outer = -1;     // outer output index; -1 = not an outer output (Loop's condition)
  int body = 0;
  int64_t result = 0;     // body Result index
  // Concatenated output: every iteration's value joined along `axis`; otherwise the value of the
  // last iteration.
  bool concat = false;
  int64_t axis = 0, start = 0, stride = 1, part_size = 1, end = -1;
  std::string purpose;    // Loop: "execution_condition" (outer = -1)
};

struct Node {
  uint64_t id = 0;           // creation order; stable, used for deterministic ordering
  std::string type;          // IR type name: "Convolution", "Const", "SoftMax", ...
  std::string version;       // "opset1", "opset8", ...
  std::string name;          // friendly name
  std::vector<std::pair<std::string, AttrValue>> attrs;  // in the order they are written
  std::vector<Output> inputs;
  std::vector<OutputDesc> outputs;
  std::shared_ptr<const Tensor> value;      // Const only
  std::vector<RtAttr> rt_info;
  Graph* graph = nullptr;
  // Sub-graphs (TensorIterator/Loop: one body; If: then, else) and their port map. Each body is
  // a complete Graph (its own Parameters/Results) owned by this node; see add_op_with_bodies.
  std::vector<std::shared_ptr<Graph>> bodies;
  std::vector<BodyInput> body_inputs;
  std::vector<BodyOutput> body_outputs;

  // ---- attributes ----
  const AttrValue* find_attr(const std::string& k) const;
  bool has_attr(const std::string& k) const { return find_attr(k) != nullptr; }
  void set_attr(const std::string& k, AttrValue v);  // replaces or appends
  // Typed getters: with a default, or throwing Error naming the node when missing/mistyped.
  int64_t attr_i(const std::string& k) const;
  int64_t attr_i(const std::string& k, int64_t def) const;
  double attr_f(const std::string& k) const;
  double attr_f(const std::string& k, double def) const;
  bool attr_b(const std::string& k, bool def) const;
  std::string attr_s(const std::string& k) const;
  std::string attr_s(const std::string& k, const std::string& def) const;
  std::vector<int64_t> attr_ints(const std::string& k) const;
  std::vector<int64_t> attr_ints(const std::string& k, const std::vector<int64_t>& def) const;
  std::vector<double> attr_floats(const std::string& k, const std::vector<double>& def) const;

  // ---- inputs / outputs (for shape inference) ----
  size_t num_inputs() const { return inputs.size(); }
  const OutputDesc& in_desc(size_t i) const;
  ET in_type(size_t i) const { return in_desc(i).et; }
  const PartialShape& in_shape(size_t i) const { return in_desc(i).shape; }
  // Value of input i if it is a Const or has a known_value; nullptr otherwise.
  const Tensor* in_value(size_t i) const;
  bool in_is_const(size_t i) const;
  Output out(int i = 0) { return Output{this, i}; }
  void set_output(size_t i, ET et, PartialShape shape);  // grows outputs as needed

  // "Convolution 'conv1'" for messages
  std::string describe() const;
  bool is(const char* t) const { return type == t; }
  const RtAttr* find_rt(const std::string& name) const;
  void add_rt(RtAttr a);
};

// Output precision names / ordering helpers used by writer and passes
class Graph : public std::enable_shared_from_this<Graph> {
 public:
  explicit Graph(const std::string& name = "model") : name_(utf8_valid(name)) {}
  ~Graph();
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;

  const std::string& name() const { return name_; }
  void set_name(const std::string& n) { name_ = utf8_valid(n); }

  Node* add_parameter(const std::string& name, ET et, PartialShape shape);
  Node* add_const(const std::string& name, Tensor t);
  Node* add_const(const std::string& name, std::shared_ptr<const Tensor> t);
  // Creates an op node, checks it against the registry and runs its shape inference.
  // version "" = the registry's default version for `type`.
  Node* add_op(const std::string& type, const std::vector<Output>& inputs,
               std::vector<std::pair<std::string, AttrValue>> attrs = {},
               const std::string& name = "", const std::string& version = "");
  Node* add_result(Output src, const std::string& name = "");
  // Creates an op with sub-graphs (TensorIterator, Loop, If): the bodies (each attached to one
  // node only) and the port map are set before shape inference, which sets the body Parameters'
  // types/shapes from the outer inputs and infers the bodies.
  Node* add_op_with_bodies(const std::string& type, const std::vector<Output>& inputs,
                           std::vector<std::shared_ptr<Graph>> bodies, std::vector<BodyInput> body_inputs,
                           std::vector<BodyOutput> body_outputs,
                           std::vector<std::pair<std::string, AttrValue>> attrs = {},
                           const std::string& name = "", const std::string& version = "");
  // The node whose body this graph is (nullptr for a top-level graph).
  Node* parent() const { return parent_; }
  void detach_from_parent() { parent_ = nullptr; }
  // Sinks: nodes with side effects that no Result consumes (Assign) but that the model keeps,
  // like ov::Model's sinks. add_op registers every "Assign" as a sink automatically; add_sink is
  // for other sink types. Sinks are roots for topo_order / remove_dead and are written to the IR
  // after the other ops, before the Results.
  void add_sink(Node* n);
  void remove_sink(Node* n);
  const std::vector<Node*>& sinks() const { return sinks_; }

  const std::vector<Node*>& parameters() const { return params_; }
  const std::vector<Node*>& results() const { return results_; }
  // Reorders / replaces the parameter and result lists (used by cutting, --input order).
  void set_parameters(std::vector<Node*> p) { params_ = std::move(p); }
  void set_results(std::vector<Node*> r) { results_ = std::move(r); }
  void remove_result(Node* r);

  // Re-points input `idx` of `n` to `src` (maintains consumer lists).
  void set_input(Node* n, int idx, Output src);
  // Every consumer of `from` now reads `to`. If move_names, tensor names move from `from` to `to`.
  void replace_uses(Output from, Output to, bool move_names = true);
  // Re-runs shape inference of `n` (after its inputs changed).
  void infer(Node* n);
  // Re-runs shape inference of every node in topological order.
  void infer_all();

  // Nodes reachable from results and sinks (and all parameters), inputs before consumers;
  // Parameters in parameter order first, then ops, then sinks, Results in result order last.
  // Deterministic.
  std::vector<Node*> topo_order() const;
  // Drops nodes that no result or sink depends on. Returns how many were removed.
  size_t remove_dead();
  size_t node_count() const { return nodes_.size(); }
  std::vector<Node*> all_nodes() const;
  // A unique friendly name based on `base` ("" -> type).
  std::string unique_name(const std::string& base);

 private:
  Node* new_node(const std::string& type, const std::string& version, const std::string& name);
  std::string name_;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<Node*> params_, results_, sinks_;
  uint64_t next_id_ = 0;
  std::map<std::string, int> name_counts_;
  Node* parent_ = nullptr;
};

}  // namespace irconv
