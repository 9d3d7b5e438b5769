// Pattern matcher and rewrite driver (see irconv/pattern.hpp).
#include "irconv/pattern.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>
#include <sstream>
#include <unordered_map>

#include "irconv/op_registry.hpp"

namespace irconv {
namespace pattern {

// ---------------------------------------------------------------- builders and predicates

static bool is_commutative(const std::string& t) {
  return t == "Add" || t == "Multiply" || t == "Minimum" || t == "Maximum";
}

P any(OutputPred pred) {
  auto p = std::make_shared<PNode>();
  p->kind = PNode::Kind::Any;
  p->out_pred = std::move(pred);
  return p;
}

P op_of(std::vector<std::string> types, std::vector<P> inputs, NodePred pred) {
  IRCONV_CHECK(!types.empty(), "pattern op: no node type given");
  auto p = std::make_shared<PNode>();
  p->kind = PNode::Kind::Op;
  bool comm = inputs.size() == 2;
  for (const auto& t : types) comm = comm && is_commutative(t);
  p->commutative = comm;
  p->types = std::move(types);
  p->children = std::move(inputs);
  p->node_pred = std::move(pred);
  for (const auto& c : p->children) IRCONV_CHECK(c != nullptr, "pattern op " << p->types[0] << ": null input");
  return p;
}

P op(const std::string& type, std::vector<P> inputs, NodePred pred) {
  return op_of(std::vector<std::string>{type}, std::move(inputs), std::move(pred));
}

P alt(std::vector<P> options) {
  IRCONV_CHECK(!options.empty(), "pattern alt: no alternatives given");
  auto p = std::make_shared<PNode>();
  p->kind = PNode::Kind::Alt;
  p->children = std::move(options);
  return p;
}

P constant(TensorPred pred) {
  auto p = std::make_shared<PNode>();
  p->kind = PNode::Kind::Const;
  p->tensor_pred = std::move(pred);
  return p;
}

bool is_float_type(ET t) { return t == ET::f16 || t == ET::bf16 || t == ET::f32 || t == ET::f64; }

bool near(double a, double v, double rtol) {
  if (!std::isfinite(a)) return false;
  double tol = v == 0.0 ? rtol : rtol * std::fabs(v);
  return std::fabs(a - v) <= tol;
}

bool uniform_value(const Tensor& t, double* v) {
  if (!is_float_type(t.et)) return false;
  uint64_t n = t.numel();
  if (n == 0 || t.data == nullptr) return false;
  size_t es = (size_t)et_info(t.et).bits / 8;
  if (t.nbytes < n * es) return false;
  for (uint64_t i = 1; i < n; ++i)
    if (std::memcmp(t.data, t.data + i * es, es) != 0) return false;
  if (v) *v = t.get_f64(0);
  return true;
}

P const_value(double v, double rtol) {
  return constant([v, rtol](const Tensor& t) {
    double c;
    if (!uniform_value(t, &c)) return false;
    // bf16 cannot hold e.g. 1/6 within 1e-3: allow its rounding error (2^-9, rounded up to 2^-8).
    double tol = t.et == ET::bf16 ? std::max(rtol, 1.0 / 256.0) : rtol;
    return near(c, v, tol);
  });
}

P uniform_const() {
  return constant([](const Tensor& t) { return uniform_value(t, nullptr); });
}

P shared(const P& p) {
  IRCONV_CHECK(p && p->kind == PNode::Kind::Op, "pattern shared(): expects an op pattern");
  auto c = std::make_shared<PNode>(*p);
  c->exclusive = false;
  return c;
}

OutputPred floating() {
  return [](Output o) { return is_float_type(o.node->outputs[(size_t)o.index].et); };
}

OutputPred consumers(size_t n) {
  return [n](Output o) { return o.node->outputs[(size_t)o.index].consumers.size() == n; };
}

NodePred attr_near(const std::string& name, double v, double def, double rtol) {
  return [name, v, def, rtol](const Node& n) {
    const AttrValue* a = n.find_attr(name);
    double x = def;
    if (a) {
      if (auto d = std::get_if<double>(a)) x = *d;
      else if (auto i = std::get_if<int64_t>(a)) x = (double)*i;
      else return false;
    }
    return near(x, v, rtol);
  };
}

Rewrite rewrite(std::string name, P root, Callback cb) {
  IRCONV_CHECK(root != nullptr, "rewrite " << name << ": null root pattern");
  return Rewrite{std::move(name), std::move(root), std::move(cb)};
}

// ---------------------------------------------------------------- traversal state

namespace detail {
// State of one traversal: which nodes are live (reachable from a result, or created by a
// rewrite, and not killed by a rewrite since).
struct RunState {
  std::unordered_set<const Node*> live;
  bool is_live(const Node* n) const { return live.count(n) != 0; }
  bool has_live_consumer(const Node* n) const {
    for (const auto& od : n->outputs)
      for (const auto& c : od.consumers)
        if (is_live(c.node)) return true;
    return false;
  }
};
}  // namespace detail

// ---------------------------------------------------------------- matcher

namespace {

// A non-owning reference to a `bool()` callable (continuations without allocation).
class Cont {
 public:
  template <class F>
  Cont(F& f) : obj_(&f), call_([](void* o) { return (*static_cast<F*>(o))(); }) {}  // NOLINT
  bool operator()() const { return call_(obj_); }

 private:
  void* obj_;
  bool (*call_)(void*);
};

struct Matcher {
  std::vector<std::pair<const PNode*, Output>> binds;

  const Output* bound(const PNode* p) const {
    for (const auto& b : binds)
      if (b.first == p) return &b.second;
    return nullptr;
  }

  bool bind_and(const PNode* p, Output o, Cont k) {
    binds.emplace_back(p, o);
    if (k()) return true;
    binds.pop_back();
    return false;
  }

  bool match(const PNode* p, Output o, Cont k) {
    if (o.node == nullptr) return false;
    if (const Output* b = bound(p)) return *b == o && k();
    switch (p->kind) {
      case PNode::Kind::Any:
        if (p->out_pred && !p->out_pred(o)) return false;
        return bind_and(p, o, k);
      case PNode::Kind::Const: {
        const Node* n = o.node;
        if (n->type != "Const" || !n->value) return false;
        if (p->tensor_pred && !p->tensor_pred(*n->value)) return false;
        return bind_and(p, o, k);
      }
      case PNode::Kind::Alt:
        for (const auto& c : p->children) {
          auto k2 = [&]() { return bind_and(p, o, k); };
          if (match(c.get(), o, Cont(k2))) return true;
        }
        return false;
      case PNode::Kind::Op: {
        Node* n = o.node;
        if (std::find(p->types.begin(), p->types.end(), n->type) == p->types.end()) return false;
        if (!p->children.empty() && n->inputs.size() != p->children.size()) return false;
        if (p->node_pred && !p->node_pred(*n)) return false;
        binds.emplace_back(p, o);
        static const int kIdentity[2] = {0, 1}, kSwapped[2] = {1, 0};
        if (match_inputs(p, n, kIdentity, 0, k)) return true;
        if (p->commutative && match_inputs(p, n, kSwapped, 0, k)) return true;
        binds.pop_back();
        return false;
      }
    }
    return false;
  }

  // Matches children i.. of op pattern p against n's inputs (child j -> input order[j] for the
  // two-input commutative case, child j -> input j otherwise).
  bool match_inputs(const PNode* p, Node* n, const int* order, size_t i, Cont k) {
    if (i == p->children.size()) return k();
    size_t in = p->children.size() == 2 ? (size_t)order[i] : i;
    auto k2 = [&]() { return match_inputs(p, n, order, i + 1, k); };
    return match(p->children[i].get(), n->inputs[in], Cont(k2));
  }
};

bool binds_op_node(const std::vector<std::pair<const PNode*, Output>>& binds, const Node* n) {
  for (const auto& b : binds)
    if (b.first->kind == PNode::Kind::Op && b.second.node == n) return true;
  return false;
}

// Every exclusive op node of the match except the root has only consumers inside the match.
bool exclusive_ok(const std::vector<std::pair<const PNode*, Output>>& binds, const Node* root,
                  const detail::RunState& st) {
  for (const auto& b : binds) {
    if (b.first->kind != PNode::Kind::Op || !b.first->exclusive) continue;
    const Node* n = b.second.node;
    if (n == root) continue;
    for (const auto& od : n->outputs)
      for (const auto& c : od.consumers)
        if (st.is_live(c.node) && !binds_op_node(binds, c.node)) return false;
  }
  return true;
}

void collect_root_types(const PNode* p, std::vector<std::string>& out) {
  if (p->kind == PNode::Kind::Op) {
    out.insert(out.end(), p->types.begin(), p->types.end());
  } else if (p->kind == PNode::Kind::Alt) {
    for (const auto& c : p->children) collect_root_types(c.get(), out);
  } else {
    throw Error("pattern: a rewrite's root must be an op (or alternatives of ops)");
  }
}

void split_names(const std::string& s, std::set<std::string>& out) {
  size_t start = 0;
  while (start <= s.size()) {
    size_t e = s.find(',', start);
    if (e == std::string::npos) e = s.size();
    if (e > start) out.insert(s.substr(start, e - start));
    start = e + 1;
  }
}

// A constant of shape `c` cannot change the shape of an elementwise result of shape `s`.
bool broadcast_neutral(const std::vector<int64_t>& c, const PartialShape& s) {
  if (s.rank_dynamic) return c.empty();
  if (c.size() > s.size()) return false;
  size_t off = s.size() - c.size();
  for (size_t i = 0; i < c.size(); ++i) {
    int64_t d = s.dims[off + i];
    if (c[i] != 1 && c[i] != d) return false;  // d == kDyn never equals a static c[i] > 1
  }
  return true;
}

}  // namespace

// ---------------------------------------------------------------- Match

const Output* Match::find(const PNode* p) const {
  for (const auto& b : binds_)
    if (b.first == p) return &b.second;
  return nullptr;
}

bool Match::has(const P& p) const { return find(p.get()) != nullptr; }

Output Match::operator[](const P& p) const {
  const Output* o = find(p.get());
  IRCONV_CHECK(o != nullptr, "pattern match at " << root_->describe()
                                                 << ": the requested pattern node is not part of the match");
  return *o;
}

const Tensor& Match::value(const P& p) const {
  Output o = (*this)[p];
  IRCONV_CHECK(o.node->type == "Const" && o.node->value,
               "pattern match at " << root_->describe() << ": expected a Const, got " << o.node->describe());
  return *o.node->value;
}

std::vector<Node*> Match::matched_ops() const {
  std::vector<Node*> r;
  for (const auto& b : binds_)
    if (b.first->kind == PNode::Kind::Op && std::find(r.begin(), r.end(), b.second.node) == r.end())
      r.push_back(b.second.node);
  std::sort(r.begin(), r.end(), [](const Node* a, const Node* b) { return a->id < b->id; });
  return r;
}

Output Match::scalar_of(const P& p) {
  Output o = (*this)[p];
  const Tensor& t = value(p);
  if (t.shape.empty()) return o;
  IRCONV_CHECK(t.numel() >= 1 && et_is_plain(t.et),
               "pattern match at " << root_->describe() << ": " << o.node->describe()
                                   << " has no element to make a scalar from");
  size_t es = (size_t)et_info(t.et).bits / 8;
  std::vector<uint8_t> bytes(t.data, t.data + es);
  Node* c = g_->add_const(g_->unique_name(o.node->name + "/scalar"), Tensor::owned(t.et, {}, std::move(bytes)));
  st_->live.insert(c);
  return c->out(0);
}

Node* Match::replace(const std::string& type, const std::vector<Output>& inputs,
                     std::vector<std::pair<std::string, AttrValue>> attrs, const std::string& version) {
  return replace_impl(root_p_, type, inputs, std::move(attrs), version);
}

Node* Match::replace(const P& target, const std::string& type, const std::vector<Output>& inputs,
                     std::vector<std::pair<std::string, AttrValue>> attrs, const std::string& version) {
  return replace_impl(target.get(), type, inputs, std::move(attrs), version);
}

Node* Match::replace_impl(const PNode* target, const std::string& type, const std::vector<Output>& inputs,
                          std::vector<std::pair<std::string, AttrValue>> attrs, const std::string& version) {
  const Output* fp = find(target);
  IRCONV_CHECK(fp != nullptr, "pattern match at " << root_->describe()
                                                  << ": the node to replace is not part of the match");
  const Output from = *fp;
  Node* old = from.node;
  const OutputDesc& od = old->outputs[(size_t)from.index];
  if (!find_schema(type, version)) return nullptr;

  // Matched constants must not broadcast the replaced output.
  for (const auto& b : binds_)
    if (b.first->kind == PNode::Kind::Const && !broadcast_neutral(b.second.node->value->shape, od.shape))
      return nullptr;

  Node* nn = nullptr;
  try {
    nn = g_->add_op(type, inputs, std::move(attrs), old->name, version);
  } catch (const Error&) {
    return nullptr;  // the fused op does not accept these inputs: leave the graph as it is
  }
  if (nn->outputs.empty() || nn->outputs[0].et != od.et || nn->outputs[0].shape != od.shape)
    return nullptr;  // unused new node (not live), dropped by dead-code elimination
  st_->live.insert(nn);

  nn->name = old->name;
  std::set<std::string> names;
  for (Node* n : matched_ops()) {
    names.insert(n->name);
    if (const RtAttr* fa = n->find_rt("fused_names"))
      for (const auto& kv : fa->fields)
        if (kv.first == "value") split_names(kv.second, names);
  }
  for (const auto& a : old->rt_info)
    if (a.name != "fused_names") nn->add_rt(a);
  std::string joined;
  for (const auto& s : names) {
    if (!joined.empty()) joined += ',';
    joined += s;
  }
  nn->add_rt(RtAttr{"fused_names", "0", {{"value", joined}}});

  g_->replace_uses(from, nn->out(0), /*move_names=*/true);

  // The replaced node and the matched nodes that fed only dead nodes are dead now.
  st_->live.erase(old);
  std::vector<Node*> ops = matched_ops();
  for (bool changed = true; changed;) {
    changed = false;
    for (Node* n : ops)
      if (st_->is_live(n) && n != nn && !st_->has_live_consumer(n)) {
        st_->live.erase(n);
        changed = true;
      }
  }
  return nn;
}

// ---------------------------------------------------------------- RewriteSet

RewriteSet::RewriteSet(std::vector<Rewrite> rewrites) : rewrites_(std::move(rewrites)) {
  for (size_t i = 0; i < rewrites_.size(); ++i) {
    std::vector<std::string> types;
    collect_root_types(rewrites_[i].root.get(), types);
    std::sort(types.begin(), types.end());
    types.erase(std::unique(types.begin(), types.end()), types.end());
    for (const auto& t : types) by_type_[t].push_back(i);
  }
}

bool RewriteSet::apply(Graph& g) const {
  if (by_type_.empty()) return false;
  std::vector<Node*> order = g.topo_order();
  detail::RunState st;
  st.live.reserve(order.size() * 2);
  for (Node* n : order) st.live.insert(n);

  bool changed = false;
  for (Node* n : order) {
    auto it = by_type_.find(n->type);
    if (it == by_type_.end() || !st.is_live(n) || n->outputs.empty()) continue;
    for (size_t ri : it->second) {
      const Rewrite& r = rewrites_[ri];
      Matcher m;
      const PNode* rp = r.root.get();
      auto fin = [&]() { return exclusive_ok(m.binds, n, st); };
      if (!m.match(rp, n->out(0), Cont(fin))) continue;
      Match match(g, st, n, rp, m.binds);
      if (r.callback && r.callback(match)) {
        changed = true;
        break;
      }
    }
  }
  return changed;
}

}  // namespace pattern
}  // namespace irconv
