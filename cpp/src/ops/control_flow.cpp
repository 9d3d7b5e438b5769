// Ops with bodies: TensorIterator (opset1), Loop (opset5), If (opset8).
// Shape/type inference follows OpenVINO's validate_and_infer_types: body Parameters take their
// types/shapes from the outer inputs (a sliced input's axis becomes part_size), the bodies are
// inferred, merged (back-edge) inputs whose shape changes across iterations become dynamic in
// those dimensions, concatenated outputs multiply the axis by the iteration count when it is
// known (else dynamic), and If merges the shapes of its two branches unless the condition is
// known. None of them is evaluated (never folded).
#include <algorithm>
#include <cstdlib>
#include <limits>

#include "irconv/op_registry.hpp"

namespace irconv {
namespace {

// Dims that differ become dynamic; different ranks give a dynamic rank.
PartialShape relax(const PartialShape& a, const PartialShape& b) {
  if (a.rank_dynamic || b.rank_dynamic || a.size() != b.size()) return PartialShape::dynamic();
  PartialShape r = a;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i]) r[i] = kDyn;
  return r;
}

Graph& body_of(const Node& n, int b) {
  IRCONV_CHECK(b >= 0 && (size_t)b < n.bodies.size() && n.bodies[b],
               n.describe() << ": the port map refers to body " << b << " but the node has " << n.bodies.size());
  return *n.bodies[b];
}

Node* body_param(const Node& n, int b, int64_t i) {
  Graph& g = body_of(n, b);
  IRCONV_CHECK(i >= 0 && (size_t)i < g.parameters().size(),
               n.describe() << ": the port map refers to Parameter " << i << " of body '" << g.name() << "' which has "
                            << g.parameters().size());
  return g.parameters()[i];
}

Node* body_result(const Node& n, int b, int64_t i) {
  Graph& g = body_of(n, b);
  IRCONV_CHECK(i >= 0 && (size_t)i < g.results().size(),
               n.describe() << ": the port map refers to Result " << i << " of body '" << g.name() << "' which has "
                            << g.results().size());
  return g.results()[i];
}

const OutputDesc& result_value(const Node* r) { return r->in_desc(0); }

void set_param(Node* p, ET et, PartialShape s) { p->set_output(0, et, std::move(s)); }

// Re-infers a body; errors are reported against the outer node.
void infer_body(const Node& n, Graph& g) {
  try {
    g.infer_all();
  } catch (const Error& e) {
    throw Error(n.describe() + ": in body '" + g.name() + "': " + e.what());
  }
}

// Checks the port map against the node's inputs/outputs; every outer input from `first_data`
// on must feed a body Parameter, every outer output must be described exactly once per body.
void check_port_map(const Node& n, size_t first_data, size_t n_bodies) {
  IRCONV_CHECK(n.bodies.size() == n_bodies, n.describe() << ": expected " << n_bodies << " bod"
                                                         << (n_bodies == 1 ? "y" : "ies") << ", got " << n.bodies.size());
  std::vector<int> fed(n.num_inputs(), 0);
  for (auto& d : n.body_inputs) {
    body_param(n, d.body, d.param);
    IRCONV_CHECK(d.outer >= -1 && d.outer < (int64_t)n.num_inputs(),
                 n.describe() << ": port map input refers to outer input " << d.outer << " (the node has "
                              << n.num_inputs() << " inputs)");
    if (d.outer >= 0) fed[d.outer] = 1;
    if (d.back_edge >= 0) body_result(n, d.body, d.back_edge);
    IRCONV_CHECK(d.purpose.empty() || d.purpose == "current_iteration",
                 n.describe() << ": unknown port map input purpose '" << d.purpose << "'");
    IRCONV_CHECK(!d.purpose.empty() || d.outer >= 0,
                 n.describe() << ": body Parameter " << d.param << " is in the port map without an outer input");
    IRCONV_CHECK(!d.sliced || d.part_size > 0, n.describe() << ": sliced input part_size must be positive");
    IRCONV_CHECK(!d.sliced || d.stride != 0, n.describe() << ": sliced input stride must not be 0");
  }
  for (size_t i = first_data; i < n.num_inputs(); ++i)
    IRCONV_CHECK(fed[i], n.describe() << ": outer input " << i << " feeds no body Parameter (port map)");
  for (auto& d : n.body_outputs) {
    body_result(n, d.body, d.result);
    IRCONV_CHECK(d.purpose.empty() || d.purpose == "execution_condition",
                 n.describe() << ": unknown port map output purpose '" << d.purpose << "'");
    IRCONV_CHECK(d.outer >= 0 || !d.purpose.empty(),
                 n.describe() << ": body Result " << d.result << " is in the port map without an outer output");
  }
  for (size_t b = 0; b < n_bodies; ++b) {
    std::vector<int> seen;
    for (auto& d : n.body_outputs) {
      if (d.body != (int)b || d.outer < 0) continue;
      if ((size_t)d.outer >= seen.size()) seen.resize(d.outer + 1, 0);
      IRCONV_CHECK(!seen[d.outer]++, n.describe() << ": outer output " << d.outer << " is described twice for body " << b);
    }
    for (size_t i = 0; i < seen.size(); ++i)
      IRCONV_CHECK(seen[i], n.describe() << ": outer output " << i << " has no body Result (port map, body " << b << ")");
  }
}

int64_t num_outer_outputs(const Node& n) {
  int64_t k = 0;
  for (auto& d : n.body_outputs) k = std::max(k, d.outer + 1);
  return k;
}

// Iterations implied by a sliced input of static length, or -1.
int64_t slice_iterations(const BodyInput& d, int64_t len) {
  if (len < 0) return -1;
  int64_t s = d.start < 0 ? d.start + len : d.start;
  int64_t e = d.end < 0 ? d.end + len : d.end;
  return (std::llabs(e - s) + 1) / d.part_size;
}

// Sets the body Parameters of a TensorIterator/Loop from the outer inputs and infers the body,
// relaxing merged Parameters until the shapes are stable. Returns the iteration count implied by
// the sliced inputs (-1 = unknown).
int64_t infer_iterating_body(Node& n) {
  Graph& g = *n.bodies[0];
  int64_t iters = -1;
  for (auto& d : n.body_inputs) {
    if (d.outer < 0) continue;
    Node* p = body_param(n, 0, d.param);
    const OutputDesc& in = n.in_desc(d.outer);
    if (d.sliced) {
      if (in.shape.rank_dynamic) {
        set_param(p, in.et, PartialShape::dynamic());
        continue;
      }
      int64_t axis = norm_axis(d.axis, in.shape.rank(), "sliced input axis");
      PartialShape s = in.shape;
      int64_t k = slice_iterations(d, s[axis]);
      if (k >= 0) {
        IRCONV_CHECK(iters < 0 || iters == k, n.describe() << ": sliced inputs imply " << iters << " and " << k << " iterations");
        iters = k;
      }
      s[axis] = d.part_size;
      set_param(p, in.et, s);
    } else {
      set_param(p, in.et, in.shape);
    }
  }
  for (int round = 0;; ++round) {
    infer_body(n, g);
    bool changed = false;
    for (auto& d : n.body_inputs) {
      if (d.back_edge < 0 || d.outer < 0) continue;
      Node* p = body_param(n, 0, d.param);
      const OutputDesc& v = result_value(body_result(n, 0, d.back_edge));
      IRCONV_CHECK(v.et == p->outputs[0].et || v.et == ET::dynamic || p->outputs[0].et == ET::dynamic,
                   n.describe() << ": back edge from body Result " << d.back_edge << " (" << et_name(v.et)
                                << ") to Parameter " << d.param << " (" << et_name(p->outputs[0].et) << ")");
      const PartialShape& ps = p->outputs[0].shape;
      PartialShape r = round < 3 ? relax(ps, v.shape) : PartialShape::dynamic();
      if (r != ps) {
        p->outputs[0].shape = r;
        changed = true;
      }
    }
    if (!changed) break;
  }
  return iters;
}

// Outer outputs of a TensorIterator/Loop from the inferred body.
void set_iterating_outputs(Node& n, int64_t iters, bool zero_iterations) {
  int64_t k = num_outer_outputs(n);
  n.outputs.resize(k);
  for (auto& d : n.body_outputs) {
    if (d.outer < 0) continue;
    const OutputDesc& v = result_value(body_result(n, 0, d.result));
    PartialShape s = v.shape;
    if (d.concat) {
      if (!s.rank_dynamic) {
        if (s.rank() == 0) s = PartialShape({1});
        int64_t axis = norm_axis(d.axis, s.rank(), "concatenated output axis");
        if (zero_iterations) s[axis] = 0;
        else if (s[axis] >= 0 && iters >= 0) s[axis] = s[axis] * iters;
        else s[axis] = kDyn;
      }
    }
    n.set_output(d.outer, v.et, s);
  }
}

void infer_tensor_iterator(Node& n) {
  check_port_map(n, 0, 1);
  for (auto& d : n.body_inputs)
    IRCONV_CHECK(d.purpose.empty(), n.describe() << ": TensorIterator has no special body ports ('" << d.purpose << "')");
  for (auto& d : n.body_outputs)
    IRCONV_CHECK(d.purpose.empty(), n.describe() << ": TensorIterator has no special body ports ('" << d.purpose << "')");
  int64_t iters = infer_iterating_body(n);
  set_iterating_outputs(n, iters, false);
}

// A boolean value known at conversion time (Const or known value), or -1.
int known_bool(const Tensor* t) {
  if (!t || t->numel() != 1 || !et_is_plain(t->et)) return -1;
  return t->get_f64(0) != 0.0 ? 1 : 0;
}

void check_scalar_or_1(const Node& n, size_t i, const char* what) {
  const PartialShape& s = n.in_shape(i);
  IRCONV_CHECK(s.rank_dynamic || s.rank() == 0 || (s.rank() == 1 && s[0] <= 1),
               n.describe() << ": " << what << " must be a scalar or a 1-element 1D tensor, got " << s.to_string());
}

void infer_loop(Node& n) {
  IRCONV_CHECK(n.num_inputs() >= 2, n.describe() << ": Loop needs trip_count and execution_condition inputs");
  check_scalar_or_1(n, 0, "trip_count");
  check_scalar_or_1(n, 1, "execution_condition");
  IRCONV_CHECK(n.in_type(0) == ET::i64 || n.in_type(0) == ET::i32 || n.in_type(0) == ET::dynamic,
               n.describe() << ": trip_count must be i32 or i64, got " << et_name(n.in_type(0)));
  IRCONV_CHECK(n.in_type(1) == ET::boolean || n.in_type(1) == ET::dynamic,
               n.describe() << ": execution_condition must be boolean, got " << et_name(n.in_type(1)));
  check_port_map(n, 2, 1);
  int64_t cond_result = -1, iter_param = -1;
  for (auto& d : n.body_inputs)
    if (d.purpose == "current_iteration") {
      IRCONV_CHECK(iter_param < 0, n.describe() << ": two current_iteration Parameters");
      iter_param = d.param;
      const PartialShape& s = body_param(n, 0, d.param)->outputs[0].shape;
      IRCONV_CHECK(s.rank_dynamic || s.rank() <= 1, n.describe() << ": the current_iteration Parameter must have rank 0 or 1");
    }
  for (auto& d : n.body_outputs)
    if (d.purpose == "execution_condition") {
      IRCONV_CHECK(cond_result < 0, n.describe() << ": two execution_condition Results");
      cond_result = d.result;
    }
  IRCONV_CHECK(cond_result >= 0, n.describe() << ": the port map has no execution_condition body Result");

  int64_t slice_iters = infer_iterating_body(n);
  (void)slice_iters;

  Graph& g = *n.bodies[0];
  const Node* cres = body_result(n, 0, cond_result);
  const OutputDesc& cv = result_value(cres);
  IRCONV_CHECK(cv.et == ET::boolean || cv.et == ET::dynamic,
               n.describe() << ": the body's execution condition must be boolean, got " << et_name(cv.et));
  IRCONV_CHECK(cv.shape.rank_dynamic || cv.shape.rank() <= 1,
               n.describe() << ": the body's execution condition must be a scalar or 1D, got " << cv.shape.to_string());

  bool zero_iterations = known_bool(n.in_value(1)) == 0;
  int body_cond = known_bool(cres->in_value(0));
  if (body_cond < 0) {
    // condition passed through a Parameter fed by a known outer value
    const Node* src = cres->inputs[0].node;
    for (auto& d : n.body_inputs)
      if (d.outer >= 0 && src->type == "Parameter" && g.parameters()[d.param] == src) body_cond = known_bool(n.in_value(d.outer));
  }
  int64_t iters = -1;
  if (body_cond == 0) {
    iters = 1;  // do-while: the body runs once
  } else if (body_cond == 1) {
    const Tensor* tc = n.in_value(0);
    if (tc && tc->numel() == 1 && et_is_plain(tc->et)) {
      int64_t t = tc->get_i64(0);
      if (t >= 0 && t <= std::numeric_limits<int32_t>::max()) iters = t;
    }
  }
  set_iterating_outputs(n, iters, zero_iterations);
}

void infer_if(Node& n) {
  IRCONV_CHECK(n.num_inputs() >= 1, n.describe() << ": If needs a condition input");
  check_scalar_or_1(n, 0, "the condition");
  IRCONV_CHECK(n.in_type(0) == ET::boolean || n.in_type(0) == ET::dynamic,
               n.describe() << ": the condition must be boolean, got " << et_name(n.in_type(0)));
  check_port_map(n, 1, 2);
  for (auto& d : n.body_inputs) {
    IRCONV_CHECK(d.purpose.empty() && !d.sliced && d.back_edge < 0,
                 n.describe() << ": If inputs are plain (no slicing, back edges or special ports)");
    IRCONV_CHECK(d.outer >= 1, n.describe() << ": the condition (input 0) cannot feed a body");
    const OutputDesc& in = n.in_desc(d.outer);
    set_param(body_param(n, d.body, d.param), in.et, in.shape);
  }
  for (auto& d : n.body_outputs)
    IRCONV_CHECK(d.purpose.empty() && !d.concat, n.describe() << ": If outputs are plain (no concatenation or special ports)");
  infer_body(n, *n.bodies[0]);
  infer_body(n, *n.bodies[1]);
  int cond = known_bool(n.in_value(0));
  int64_t k = num_outer_outputs(n);
  n.outputs.resize(k);
  std::vector<const OutputDesc*> then_v(k), else_v(k);
  for (auto& d : n.body_outputs) (d.body == 0 ? then_v : else_v)[d.outer] = &result_value(body_result(n, d.body, d.result));
  for (int64_t i = 0; i < k; ++i) {
    const OutputDesc* t = then_v[i];
    const OutputDesc* e = else_v[i];
    if (cond == 1) { n.set_output(i, t->et, t->shape); continue; }
    if (cond == 0) { n.set_output(i, e->et, e->shape); continue; }
    IRCONV_CHECK(t->et == e->et || t->et == ET::dynamic || e->et == ET::dynamic,
                 n.describe() << ": output " << i << " is " << et_name(t->et) << " in the then-branch and "
                              << et_name(e->et) << " in the else-branch");
    n.set_output(i, t->et == ET::dynamic ? e->et : t->et, relax(t->shape, e->shape));
  }
}

}  // namespace

IRCONV_OPS(control_flow) {
  reg({"TensorIterator", "opset1", 0, -1, infer_tensor_iterator});
  reg({"Loop", "opset5", 2, -1, infer_loop});
  reg({"If", "opset8", 1, -1, infer_if});
}

}  // namespace irconv
