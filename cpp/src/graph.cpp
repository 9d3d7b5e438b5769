#include "irconv/graph.hpp"

#include <algorithm>
#include <sstream>
#include <unordered_set>

#include "irconv/op_registry.hpp"

namespace irconv {

// Known values are propagated only for small tensors (shape sub-graphs), never for weights.
static constexpr uint64_t kMaxKnownValueElems = 1 << 16;

std::string utf8_valid(const std::string& s) {
  std::string r;
  r.reserve(s.size());
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t n = s.size(), i = 0;
  while (i < n) {
    unsigned char c = p[i];
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    bool ok = len > 0 && i + len <= n;
    for (size_t k = 1; ok && k < len; ++k) ok = (p[i + k] & 0xc0) == 0x80;
    if (ok && len > 1) {  // reject overlong forms, surrogates and code points past U+10FFFF
      uint32_t cp = len == 2 ? (c & 0x1f) : len == 3 ? (c & 0x0f) : (c & 0x07);
      for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (p[i + k] & 0x3f);
      ok = !(len == 2 && cp < 0x80) && !(len == 3 && cp < 0x800) && !(len == 4 && cp < 0x10000) &&
           !(cp >= 0xd800 && cp <= 0xdfff) && cp <= 0x10ffff;
    }
    if (ok) {
      r.append(s, i, len);
      i += len;
    } else {
      r += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return r;
}

bool Output::operator<(const Output& o) const {
  if (node != o.node) return node->id < o.node->id;
  return index < o.index;
}

void OutputDesc::add_name(const std::string& n_in) {
  std::string n = utf8_valid(n_in);
  if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
}

// ---------------- Node ----------------

const AttrValue* Node::find_attr(const std::string& k) const {
  for (auto& kv : attrs)
    if (kv.first == k) return &kv.second;
  return nullptr;
}

void Node::set_attr(const std::string& k, AttrValue v) {
  for (auto& kv : attrs)
    if (kv.first == k) { kv.second = std::move(v); return; }
  attrs.emplace_back(k, std::move(v));
}

std::string Node::describe() const {
  std::ostringstream os;
  os << type << " '" << name << "'";
  return os.str();
}

namespace {
[[noreturn]] void attr_error(const Node& n, const std::string& k, const char* want, bool missing) {
  std::ostringstream os;
  os << n.describe() << ": attribute '" << k << "' " << (missing ? "is required" : "has the wrong type")
     << " (expected " << want << ")";
  throw Error(os.str());
}
}  // namespace

int64_t Node::attr_i(const std::string& k) const {
  auto* a = find_attr(k);
  if (!a) attr_error(*this, k, "an integer", true);
  if (auto* v = std::get_if<int64_t>(a)) return *v;
  if (auto* b = std::get_if<bool>(a)) return *b;
  if (auto* d = std::get_if<double>(a)) return (int64_t)*d;
  attr_error(*this, k, "an integer", false);
}
int64_t Node::attr_i(const std::string& k, int64_t def) const { return has_attr(k) ? attr_i(k) : def; }

double Node::attr_f(const std::string& k) const {
  auto* a = find_attr(k);
  if (!a) attr_error(*this, k, "a number", true);
  if (auto* d = std::get_if<double>(a)) return *d;
  if (auto* v = std::get_if<int64_t>(a)) return (double)*v;
  attr_error(*this, k, "a number", false);
}
double Node::attr_f(const std::string& k, double def) const { return has_attr(k) ? attr_f(k) : def; }

bool Node::attr_b(const std::string& k, bool def) const {
  auto* a = find_attr(k);
  if (!a) return def;
  if (auto* b = std::get_if<bool>(a)) return *b;
  if (auto* v = std::get_if<int64_t>(a)) return *v != 0;
  if (auto* s = std::get_if<std::string>(a)) return *s == "true" || *s == "1";
  attr_error(*this, k, "a boolean", false);
}

std::string Node::attr_s(const std::string& k) const {
  auto* a = find_attr(k);
  if (!a) attr_error(*this, k, "a string", true);
  if (auto* s = std::get_if<std::string>(a)) return *s;
  attr_error(*this, k, "a string", false);
}
std::string Node::attr_s(const std::string& k, const std::string& def) const { return has_attr(k) ? attr_s(k) : def; }

std::vector<int64_t> Node::attr_ints(const std::string& k) const {
  auto* a = find_attr(k);
  if (!a) attr_error(*this, k, "a list of integers", true);
  if (auto* v = std::get_if<std::vector<int64_t>>(a)) return *v;
  if (auto* i = std::get_if<int64_t>(a)) return {*i};
  if (auto* d = std::get_if<std::vector<double>>(a)) {
    std::vector<int64_t> r;
    for (double x : *d) r.push_back((int64_t)x);
    return r;
  }
  attr_error(*this, k, "a list of integers", false);
}
std::vector<int64_t> Node::attr_ints(const std::string& k, const std::vector<int64_t>& def) const {
  return has_attr(k) ? attr_ints(k) : def;
}

std::vector<double> Node::attr_floats(const std::string& k, const std::vector<double>& def) const {
  auto* a = find_attr(k);
  if (!a) return def;
  if (auto* v = std::get_if<std::vector<double>>(a)) return *v;
  if (auto* v = std::get_if<std::vector<int64_t>>(a)) return std::vector<double>(v->begin(), v->end());
  if (auto* d = std::get_if<double>(a)) return {*d};
  attr_error(*this, k, "a list of numbers", false);
}

const OutputDesc& Node::in_desc(size_t i) const {
  IRCONV_CHECK(i < inputs.size(), describe() << ": input " << i << " does not exist (" << inputs.size() << " inputs)");
  const Output& o = inputs[i];
  return o.node->outputs[o.index];
}

const Tensor* Node::in_value(size_t i) const {
  if (i >= inputs.size()) return nullptr;
  const Output& o = inputs[i];
  if (o.node->type == "Const") return o.node->value.get();
  return o.node->outputs[o.index].known_value.get();
}

bool Node::in_is_const(size_t i) const {
  return i < inputs.size() && inputs[i].node->type == "Const";
}

void Node::set_output(size_t i, ET et, PartialShape shape) {
  if (outputs.size() <= i) outputs.resize(i + 1);
  outputs[i].et = et;
  outputs[i].shape = std::move(shape);
}

const RtAttr* Node::find_rt(const std::string& n) const {
  for (auto& a : rt_info)
    if (a.name == n) return &a;
  return nullptr;
}

void Node::add_rt(RtAttr a) {
  for (auto& e : rt_info)
    if (e.name == a.name) { e = std::move(a); return; }
  rt_info.push_back(std::move(a));
}

// ---------------- Graph ----------------

// Bodies may outlive their node (shared with Python): they are detached when it goes.
static void detach_bodies(Node& n) {
  for (auto& b : n.bodies)
    if (b) b->detach_from_parent();
}

Graph::~Graph() {
  for (auto& n : nodes_) detach_bodies(*n);
}

std::string Graph::unique_name(const std::string& base_in) {
  std::string base = base_in.empty() ? "node" : utf8_valid(base_in);
  if (name_counts_.emplace(base, 0).second) return base;
  for (;;) {
    std::string n = base + "_" + std::to_string(++name_counts_[base]);
    if (name_counts_.emplace(n, 0).second) return n;
  }
}

Node* Graph::new_node(const std::string& type, const std::string& version, const std::string& name) {
  auto n = std::make_unique<Node>();
  n->id = next_id_++;
  n->type = type;
  n->version = version;
  n->name = unique_name(name.empty() ? type : name);
  n->graph = this;
  nodes_.push_back(std::move(n));
  return nodes_.back().get();
}

Node* Graph::add_parameter(const std::string& name, ET et, PartialShape shape) {
  Node* n = new_node("Parameter", "opset1", name);
  n->set_output(0, et, std::move(shape));
  params_.push_back(n);
  return n;
}

Node* Graph::add_const(const std::string& name, Tensor t) {
  return add_const(name, std::make_shared<const Tensor>(std::move(t)));
}

Node* Graph::add_const(const std::string& name, std::shared_ptr<const Tensor> t) {
  IRCONV_CHECK(t, "add_const: null tensor");
  for (auto d : t->shape) IRCONV_CHECK(d >= 0, "constant '" << name << "' has a negative dimension");
  if (t->et != ET::string) {
    uint64_t need = et_bytes(t->et, t->numel());
    IRCONV_CHECK(t->nbytes >= need, "constant '" << name << "': " << t->nbytes << " bytes given, "
                                                  << need << " needed for " << et_name(t->et) << " "
                                                  << PartialShape(t->shape).to_string());
  }
  Node* n = new_node("Const", "opset1", name);
  n->value = std::move(t);
  n->set_output(0, n->value->et, PartialShape(n->value->shape));
  return n;
}

static void propagate_known(Node* n, const OpSchema* s) {
  if (!s->eval) return;
  std::vector<const Tensor*> in(n->inputs.size());
  for (size_t i = 0; i < n->inputs.size(); ++i) {
    if (s->eval_from_shapes) {
      if (!n->in_shape(i).is_static()) return;
      in[i] = nullptr;
      continue;
    }
    in[i] = n->in_value(i);
    if (!in[i] || in[i]->numel() > kMaxKnownValueElems || !et_is_plain(in[i]->et)) return;
  }
  for (auto& o : n->outputs)
    if (!o.shape.is_static() || (uint64_t)o.shape.numel() > kMaxKnownValueElems) return;
  std::vector<Tensor> out(n->outputs.size());
  bool ok = false;
  try {
    ok = s->eval(*n, in, out);
  } catch (const Error&) {
    ok = false;
  }
  if (!ok) return;
  for (size_t i = 0; i < out.size(); ++i) n->outputs[i].known_value = std::make_shared<const Tensor>(std::move(out[i]));
}

void Graph::infer(Node* n) {
  if (n->type == "Parameter" || n->type == "Const") return;
  if (n->type == "Result") {
    n->outputs.clear();
    return;
  }
  const OpSchema* s = find_schema(n->type, n->version);
  IRCONV_CHECK(s, "operation " << n->type << " (" << (n->version.empty() ? "any version" : n->version)
                               << ") is not known to the irconv core (node '" << n->name << "')");
  n->version = s->version;
  int ni = (int)n->inputs.size();
  IRCONV_CHECK(ni >= s->min_inputs && (s->max_inputs < 0 || ni <= s->max_inputs),
               n->describe() << ": " << ni << " inputs given, expected "
                             << (s->min_inputs == s->max_inputs ? std::to_string(s->min_inputs)
                                 : std::to_string(s->min_inputs) + ".." + (s->max_inputs < 0 ? std::string("n") : std::to_string(s->max_inputs))));
  for (auto& o : n->outputs) o.known_value.reset();
  s->infer(*n);
  propagate_known(n, s);
}

Node* Graph::add_op(const std::string& type, const std::vector<Output>& inputs,
                    std::vector<std::pair<std::string, AttrValue>> attrs, const std::string& name,
                    const std::string& version) {
  return add_op_with_bodies(type, inputs, {}, {}, {}, std::move(attrs), name, version);
}

Node* Graph::add_op_with_bodies(const std::string& type, const std::vector<Output>& inputs,
                                std::vector<std::shared_ptr<Graph>> bodies, std::vector<BodyInput> body_inputs,
                                std::vector<BodyOutput> body_outputs,
                                std::vector<std::pair<std::string, AttrValue>> attrs, const std::string& name,
                                const std::string& version) {
  for (size_t b = 0; b < bodies.size(); ++b) {
    IRCONV_CHECK(bodies[b], type << " '" << name << "': body " << b << " is null");
    IRCONV_CHECK(bodies[b].get() != this && !bodies[b]->parent_,
                 type << " '" << name << "': body " << b << " ('" << bodies[b]->name()
                      << "') already belongs to another node (a body graph is attached to one node only)");
    for (size_t c = 0; c < b; ++c)
      IRCONV_CHECK(bodies[c] != bodies[b], type << " '" << name << "': the same graph is given as body " << c << " and " << b);
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Output& o = inputs[i];
    IRCONV_CHECK(o.node && o.node->graph == this, type << " '" << name << "': input " << i << " is not a node of this graph");
    IRCONV_CHECK(o.index >= 0 && (size_t)o.index < o.node->outputs.size(),
                 type << " '" << name << "': input " << i << " refers to output " << o.index << " of "
                      << o.node->describe() << " which has " << o.node->outputs.size() << " outputs");
    IRCONV_CHECK(o.node->type != "Result", type << " '" << name << "': a Result cannot be an input");
  }
  const OpSchema* s = find_schema(type, version);
  IRCONV_CHECK(s, "operation " << type << (version.empty() ? "" : " " + version) << " is not known to the irconv core (node '" << name << "')");
  Node* n = new_node(type, s->version, name.empty() ? type : name);
  n->attrs = std::move(attrs);
  n->inputs = inputs;
  n->bodies = std::move(bodies);
  n->body_inputs = std::move(body_inputs);
  n->body_outputs = std::move(body_outputs);
  for (auto& b : n->bodies) b->parent_ = n;
  try {
    infer(n);
  } catch (...) {
    // keep the graph consistent: the failed node is not connected and its bodies are free again
    n->inputs.clear();
    detach_bodies(*n);
    n->bodies.clear();
    throw;
  }
  for (size_t i = 0; i < inputs.size(); ++i)
    inputs[i].node->outputs[inputs[i].index].consumers.push_back(Input{n, (int)i});
  if (n->type == "Assign") add_sink(n);
  return n;
}

void Graph::add_sink(Node* n) {
  IRCONV_CHECK(n && n->graph == this, "add_sink: the node is not a node of this graph");
  IRCONV_CHECK(n->type != "Parameter" && n->type != "Const" && n->type != "Result",
               "add_sink: " << n->describe() << " cannot be a sink");
  if (std::find(sinks_.begin(), sinks_.end(), n) == sinks_.end()) sinks_.push_back(n);
}

void Graph::remove_sink(Node* n) {
  sinks_.erase(std::remove(sinks_.begin(), sinks_.end(), n), sinks_.end());
}

Node* Graph::add_result(Output src, const std::string& name) {
  IRCONV_CHECK(src.node && src.node->graph == this && (size_t)src.index < src.node->outputs.size(),
               "result '" << name << "': source is not an output of this graph");
  Node* n = new_node("Result", "opset1", name.empty() ? src.node->name + "/sink_port_" + std::to_string(src.index) : name);
  n->inputs = {src};
  src.node->outputs[src.index].consumers.push_back(Input{n, 0});
  results_.push_back(n);
  return n;
}

void Graph::remove_result(Node* r) {
  results_.erase(std::remove(results_.begin(), results_.end(), r), results_.end());
}

static void drop_consumer(OutputDesc& d, Node* n, int idx) {
  auto& c = d.consumers;
  for (size_t i = 0; i < c.size(); ++i)
    if (c[i].node == n && c[i].index == idx) { c.erase(c.begin() + (long)i); return; }
}

void Graph::set_input(Node* n, int idx, Output src) {
  IRCONV_CHECK(idx >= 0 && (size_t)idx < n->inputs.size(), n->describe() << ": no input " << idx);
  Output old = n->inputs[idx];
  drop_consumer(old.node->outputs[old.index], n, idx);
  n->inputs[idx] = src;
  src.node->outputs[src.index].consumers.push_back(Input{n, idx});
}

void Graph::replace_uses(Output from, Output to, bool move_names) {
  if (from == to) return;
  auto consumers = from.node->outputs[from.index].consumers;
  for (auto& c : consumers) {
    if (c.node == to.node) continue;  // don't create a self-loop
    set_input(c.node, c.index, to);
  }
  if (move_names) {
    auto& fd = from.node->outputs[from.index];
    for (auto& nm : fd.names) to.node->outputs[to.index].add_name(nm);
    fd.names.clear();
  }
}

std::vector<Node*> Graph::topo_order() const {
  std::vector<Node*> order;
  std::unordered_set<const Node*> done;
  std::unordered_set<const Node*> sink_set(sinks_.begin(), sinks_.end());
  // Iterative DFS: inputs before consumers, inputs visited in port order.
  auto visit = [&](Node* root) {
    if (done.count(root)) return;
    std::vector<std::pair<Node*, size_t>> stack{{root, 0}};
    std::unordered_set<const Node*> on_stack{root};
    while (!stack.empty()) {
      auto& [n, i] = stack.back();
      if (i < n->inputs.size()) {
        Node* in = n->inputs[i++].node;
        if (!done.count(in)) {
          IRCONV_CHECK(!on_stack.count(in), "the graph has a cycle through " << in->describe());
          on_stack.insert(in);
          stack.emplace_back(in, 0);
        }
        continue;
      }
      done.insert(n);
      on_stack.erase(n);
      if (n->type != "Parameter" && n->type != "Result" && !sink_set.count(n)) order.push_back(n);
      stack.pop_back();
    }
  };
  for (Node* r : results_) visit(r);
  for (Node* s : sinks_) visit(s);
  // Sinks after the other ops (a sink read by another op stays before its reader).
  for (Node* s : sinks_) {
    bool read = false;
    for (auto& o : s->outputs)
      for (auto& c : o.consumers) read = read || done.count(c.node);
    if (read) order.insert(std::find_if(order.begin(), order.end(), [&](Node* x) {
                             for (auto& in : x->inputs) if (in.node == s) return true;
                             return false;
                           }), s);
    else order.push_back(s);
  }
  std::vector<Node*> out(params_.begin(), params_.end());
  out.insert(out.end(), order.begin(), order.end());
  out.insert(out.end(), results_.begin(), results_.end());
  return out;
}

size_t Graph::remove_dead() {
  auto live_list = topo_order();
  std::unordered_set<const Node*> live(live_list.begin(), live_list.end());
  size_t before = nodes_.size();
  // Unhook dead nodes from their producers' consumer lists, then free them.
  for (auto& n : nodes_) {
    if (live.count(n.get())) continue;
    for (size_t i = 0; i < n->inputs.size(); ++i) {
      Output o = n->inputs[i];
      if (live.count(o.node)) drop_consumer(o.node->outputs[o.index], n.get(), (int)i);
    }
  }
  for (auto& n : nodes_)
    if (!live.count(n.get())) detach_bodies(*n);
  nodes_.erase(std::remove_if(nodes_.begin(), nodes_.end(), [&](const std::unique_ptr<Node>& n) { return !live.count(n.get()); }),
               nodes_.end());
  return before - nodes_.size();
}

void Graph::infer_all() {
  for (Node* n : topo_order()) infer(n);
}

std::vector<Node*> Graph::all_nodes() const {
  std::vector<Node*> r;
  for (auto& n : nodes_) r.push_back(n.get());
  return r;
}

}  // namespace irconv
