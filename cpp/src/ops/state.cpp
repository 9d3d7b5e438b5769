// Stateful ops: ReadValue (opset3, opset6) and Assign (opset3, opset6).
// A variable (variable_id) is read by ReadValue and written by Assign; its value lives between
// inference calls. Assign nodes are graph sinks (Graph::add_op registers them): no Result reads
// them, yet they are kept and written to the IR, where the reader rebuilds the model's sinks from
// the Assign layers and pairs them with their ReadValue by variable_id.
#include <sstream>

#include "irconv/op_registry.hpp"

namespace irconv {
namespace {

// OpenVINO's PartialShape attribute text: "1,3,?,224", "-1" dims, "1..10" intervals, "..." =
// dynamic rank, "" = scalar.
PartialShape parse_shape_attr(const Node& n, const std::string& s) {
  auto trim = [](std::string t) {
    size_t a = t.find_first_not_of(" \t[]{}"), b = t.find_last_not_of(" \t[]{}");
    return a == std::string::npos ? std::string() : t.substr(a, b - a + 1);
  };
  std::string body = trim(s);
  if (body == "...") return PartialShape::dynamic();
  std::vector<int64_t> dims;
  if (body.empty()) return PartialShape(dims);
  std::stringstream ss(body);
  std::string tok;
  while (std::getline(ss, tok, ',')) {
    tok = trim(tok);
    if (tok == "?" || tok == "-1" || tok.find("..") != std::string::npos) {
      auto dd = tok.find("..");
      if (dd != std::string::npos && dd > 0 && tok.substr(0, dd) == tok.substr(dd + 2)) {
        dims.push_back(std::stoll(tok.substr(0, dd)));  // "4..4"
        continue;
      }
      dims.push_back(kDyn);
      continue;
    }
    size_t used = 0;
    int64_t v = -2;
    try {
      v = std::stoll(tok, &used);
    } catch (...) {
      used = 0;
    }
    IRCONV_CHECK(used == tok.size() && v >= 0,
                 n.describe() << ": variable_shape '" << s << "' is not a shape (dimension '" << tok << "')");
    dims.push_back(v);
  }
  return PartialShape(dims);
}

std::string shape_attr_text(const PartialShape& p) {
  if (p.rank_dynamic) return "...";
  std::string r;
  for (size_t i = 0; i < p.dims.size(); ++i) {
    if (i) r += ",";
    r += p.dims[i] < 0 ? std::string("?") : std::to_string(p.dims[i]);
  }
  return r;
}

bool shapes_compatible(const PartialShape& a, const PartialShape& b) {
  if (a.rank_dynamic || b.rank_dynamic) return true;
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i] >= 0 && b[i] >= 0 && a[i] != b[i]) return false;
  return true;
}

void check_variable_id(const Node& n) {
  std::string id = n.attr_s("variable_id");
  IRCONV_CHECK(!id.empty(), n.describe() << ": variable_id must not be empty");
}

// ReadValue-3: the variable takes the type and shape of the initial value (input 0).
void infer_read_value3(Node& n) {
  check_variable_id(n);
  n.set_output(0, n.in_type(0), n.in_shape(0));
}

// ReadValue-6: the variable is declared by variable_type / variable_shape; the optional input
// is the initial value and must be compatible with them. Missing declarations are taken from
// the initial value and written to the node, so the IR states them (the reader builds the
// variable from these attributes).
void infer_read_value6(Node& n) {
  check_variable_id(n);
  bool has_init = n.num_inputs() == 1;
  ET et = ET::dynamic;
  if (n.has_attr("variable_type")) {
    std::string t = n.attr_s("variable_type");
    try {
      et = et_from_string(t);
    } catch (const Error&) {
      IRCONV_CHECK(false, n.describe() << ": variable_type='" << t << "' is not an element type");
    }
  }
  PartialShape shape = PartialShape::dynamic();
  bool has_shape = n.has_attr("variable_shape");
  if (has_shape) {
    const AttrValue* a = n.find_attr("variable_shape");
    if (auto* v = std::get_if<std::vector<int64_t>>(a)) {
      for (auto d : *v)
        IRCONV_CHECK(d >= -1, n.describe() << ": variable_shape dimension " << d << " is invalid (-1 = dynamic)");
      shape = PartialShape(*v);
    } else if (auto* i = std::get_if<int64_t>(a)) {
      shape = PartialShape(std::vector<int64_t>{*i});
    } else {
      shape = parse_shape_attr(n, n.attr_s("variable_shape"));
    }
  }
  if (has_init) {
    ET it = n.in_type(0);
    if (et == ET::dynamic) et = it;
    IRCONV_CHECK(it == ET::dynamic || it == et, n.describe() << ": the initial value is " << et_name(it)
                                                             << " but variable_type is " << et_name(et));
    if (!has_shape) shape = n.in_shape(0);
    IRCONV_CHECK(shapes_compatible(n.in_shape(0), shape),
                 n.describe() << ": the initial value's shape " << n.in_shape(0).to_string()
                              << " does not fit variable_shape " << shape.to_string());
  } else {
    IRCONV_CHECK(et != ET::dynamic, n.describe() << ": without an initial value, variable_type is required");
  }
  n.set_attr("variable_type", std::string(et_name(et)));
  n.set_attr("variable_shape", shape_attr_text(shape));
  n.set_output(0, et, shape);
}

// The ReadValue of this graph declaring `id`, or nullptr.
const Node* find_read_value(const Node& n, const std::string& id) {
  if (!n.graph) return nullptr;
  for (const Node* r : n.graph->all_nodes())
    if (r->type == "ReadValue" && r->attr_s("variable_id", "") == id) return r;
  return nullptr;
}

// Assign: writes input 0 into the variable; its output mirrors the input (nothing reads it).
void infer_assign(Node& n) {
  check_variable_id(n);
  std::string id = n.attr_s("variable_id");
  const Node* rv = find_read_value(n, id);
  IRCONV_CHECK(rv, n.describe() << ": no ReadValue declares variable '" << id
                                << "' (create the ReadValue first; the IR reader pairs them by variable_id)");
  const OutputDesc& v = rv->outputs.at(0);
  IRCONV_CHECK(n.in_type(0) == ET::dynamic || v.et == ET::dynamic || n.in_type(0) == v.et,
               n.describe() << ": writes " << et_name(n.in_type(0)) << " into variable '" << id << "' of type "
                            << et_name(v.et));
  IRCONV_CHECK(shapes_compatible(n.in_shape(0), v.shape),
               n.describe() << ": writes shape " << n.in_shape(0).to_string() << " into variable '" << id
                            << "' of shape " << v.shape.to_string());
  n.set_output(0, n.in_type(0), n.in_shape(0));
}

}  // namespace

IRCONV_OPS(state) {
  reg({"ReadValue", "opset6", 0, 1, infer_read_value6});
  reg({"ReadValue", "opset3", 1, 1, infer_read_value3});
  reg({"Assign", "opset6", 1, 1, infer_assign});
  reg({"Assign", "opset3", 1, 1, infer_assign});
}

}  // namespace irconv
