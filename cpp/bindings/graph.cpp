#include <algorithm>
#include <cstring>

#include "common.hpp"
#include "irconv/ir_writer.hpp"
#include "irconv/op_registry.hpp"
#include "irconv/pass.hpp"

namespace irconv::bind {

static PartialShape shape_from_py(py::handle s) {
  if (s.is_none()) return PartialShape::dynamic();
  std::vector<int64_t> d;
  for (auto e : s) {
    if (e.is_none()) { d.push_back(kDyn); continue; }
    int64_t v = py::cast<int64_t>(e);
    IRCONV_CHECK(v >= -1, "shape dimension " << v << " is invalid (use -1 for a dynamic dimension)");
    d.push_back(v);
  }
  return PartialShape(d);
}

static py::object shape_to_py(const PartialShape& s) {
  if (s.rank_dynamic) return py::none();
  return py::cast(s.dims);
}

static void check_output(const Output& o) {
  IRCONV_CHECK(o.node && o.index >= 0 && (size_t)o.index < o.node->outputs.size(), "invalid output handle");
}

static std::vector<std::pair<std::string, AttrValue>> attrs_from_py(py::handle d) {
  std::vector<std::pair<std::string, AttrValue>> attrs;
  if (d.is_none()) return attrs;
  for (auto kv : py::reinterpret_borrow<py::dict>(d)) {
    std::string k = py::cast<std::string>(kv.first);
    attrs.emplace_back(k, attr_from_py(kv.second, k));
  }
  return attrs;
}

// Packs strings the way the IR stores them: int32 N, int32 offsets[N+1], bytes.
static Tensor pack_strings(const std::vector<std::string>& v, std::vector<int64_t> shape) {
  uint64_t n = 1;
  for (auto d : shape) n *= (uint64_t)d;
  IRCONV_CHECK(n == v.size(), "string constant: " << v.size() << " strings for shape " << PartialShape(shape).to_string());
  std::vector<uint8_t> b(4 * (v.size() + 2));
  auto put32 = [&](size_t at, int32_t x) { std::memcpy(b.data() + at, &x, 4); };
  put32(0, (int32_t)v.size());
  put32(4, 0);
  int32_t off = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    off += (int32_t)v[i].size();
    put32(4 * (i + 2), off);
  }
  for (auto& s : v) b.insert(b.end(), s.begin(), s.end());
  return Tensor::owned(ET::string, std::move(shape), std::move(b));
}

// Handles to nodes and outputs keep their Graph's Python object alive (nodes are owned by the
// graph), whichever path they were reached by.
static py::object tie_to_graph(py::object handle, const Graph* g) {
  // Graphs are held by shared_ptr (bodies are shared with their node): tie to an owning wrapper.
  auto sp = std::const_pointer_cast<Graph>(g->weak_from_this().lock());
  py::object gw = sp ? py::cast(sp) : py::cast(g, py::return_value_policy::reference);
  py::detail::keep_alive_impl(handle, gw);
  return handle;
}
static py::object node_handle(Node* n) {
  return tie_to_graph(py::cast(n, py::return_value_policy::reference), n->graph);
}
static py::object output_handle(const Output& o) { return tie_to_graph(py::cast(o), o.node->graph); }
static py::list node_list(const std::vector<Node*>& v) {
  py::list l;
  for (Node* n : v) l.append(node_handle(n));
  return l;
}

// Port map entries from Python dicts (see Graph.op_with_bodies). "param"/"result"/"back_edge"
// accept an index or the body's Parameter/Result node.
static int64_t body_index_of(py::handle v, const std::vector<Node*>& list, const char* key, const Graph& body) {
  if (py::isinstance<Node>(v)) {
    Node* n = py::cast<Node*>(v);
    for (size_t i = 0; i < list.size(); ++i)
      if (list[i] == n) return (int64_t)i;
    IRCONV_CHECK(false, "port map '" << key << "': " << n->describe() << " is not a "
                                     << (std::string(key) == "param" ? "Parameter" : "Result") << " of body '" << body.name() << "'");
  }
  return py::cast<int64_t>(v);
}

static const std::vector<std::string> kSliceKeys = {"axis", "start", "stride", "part_size", "end"};

static void check_keys(py::dict d, std::vector<std::string> allowed, const char* what) {
  for (auto kv : d) {
    std::string k = py::cast<std::string>(kv.first);
    IRCONV_CHECK(std::find(allowed.begin(), allowed.end(), k) != allowed.end(), what << ": unknown key '" << k << "'");
  }
}

template <class D>
static void read_slice(py::dict d, D& e, bool& flag) {
  flag = d.contains("axis");
  if (!flag) return;
  e.axis = py::cast<int64_t>(d["axis"]);
  if (d.contains("start")) e.start = py::cast<int64_t>(d["start"]);
  if (d.contains("stride")) e.stride = py::cast<int64_t>(d["stride"]);
  if (d.contains("part_size")) e.part_size = py::cast<int64_t>(d["part_size"]);
  if (d.contains("end")) e.end = py::cast<int64_t>(d["end"]);
}

static const Graph& body_at(const std::vector<std::shared_ptr<Graph>>& bodies, int b) {
  IRCONV_CHECK(b >= 0 && (size_t)b < bodies.size() && bodies[b], "port map refers to body " << b << " of " << bodies.size());
  return *bodies[b];
}

static std::vector<BodyInput> body_inputs_from_py(py::handle l, const std::vector<std::shared_ptr<Graph>>& bodies) {
  std::vector<BodyInput> r;
  if (l.is_none()) return r;
  for (auto item : l) {
    py::dict d = py::reinterpret_borrow<py::dict>(item);
    std::vector<std::string> keys = {"outer", "body", "param", "back_edge", "purpose"};
    keys.insert(keys.end(), kSliceKeys.begin(), kSliceKeys.end());
    check_keys(d, keys, "input_map entry");
    BodyInput e;
    if (d.contains("outer") && !d["outer"].is_none()) e.outer = py::cast<int64_t>(d["outer"]);
    if (d.contains("body")) e.body = py::cast<int>(d["body"]);
    const Graph& b = body_at(bodies, e.body);
    IRCONV_CHECK(d.contains("param"), "input_map entry: 'param' is required");
    e.param = body_index_of(d["param"], b.parameters(), "param", b);
    if (d.contains("back_edge") && !d["back_edge"].is_none()) e.back_edge = body_index_of(d["back_edge"], b.results(), "back_edge", b);
    if (d.contains("purpose")) e.purpose = py::cast<std::string>(d["purpose"]);
    read_slice(d, e, e.sliced);
    r.push_back(e);
  }
  return r;
}

static std::vector<BodyOutput> body_outputs_from_py(py::handle l, const std::vector<std::shared_ptr<Graph>>& bodies) {
  std::vector<BodyOutput> r;
  if (l.is_none()) return r;
  for (auto item : l) {
    py::dict d = py::reinterpret_borrow<py::dict>(item);
    std::vector<std::string> keys = {"outer", "body", "result", "purpose"};
    keys.insert(keys.end(), kSliceKeys.begin(), kSliceKeys.end());
    check_keys(d, keys, "output_map entry");
    BodyOutput e;
    if (d.contains("outer") && !d["outer"].is_none()) e.outer = py::cast<int64_t>(d["outer"]);
    if (d.contains("body")) e.body = py::cast<int>(d["body"]);
    const Graph& b = body_at(bodies, e.body);
    IRCONV_CHECK(d.contains("result"), "output_map entry: 'result' is required");
    e.result = body_index_of(d["result"], b.results(), "result", b);
    if (d.contains("purpose")) e.purpose = py::cast<std::string>(d["purpose"]);
    read_slice(d, e, e.concat);
    r.push_back(e);
  }
  return r;
}

template <class D>
static void slice_to_py(py::dict& d, const D& e, bool flag) {
  if (!flag) return;
  d["axis"] = e.axis;
  d["start"] = e.start;
  d["stride"] = e.stride;
  d["part_size"] = e.part_size;
  d["end"] = e.end;
}

static const char* kOpWithBodiesDoc = R"doc(Creates an op with sub-graphs: TensorIterator (opset1), Loop (opset5) or If (opset8).

bodies: list of Graph objects built like any graph (body.parameter(...), body.op(...), body.result(...)).
  TensorIterator/Loop: [body]; If: [then_body, else_body]. A body belongs to one node only; it refers to no
  outer value directly: pass every outer value in as an input. Body Parameter types/shapes are (re)set from the
  outer inputs by shape inference (sliced inputs get part_size on their axis).
input_map: list of dicts, one per fed body Parameter:
  {"outer": i, "param": p}                     invariant input: outer input i -> body Parameter p
  {"outer": i, "param": p, "back_edge": r}     merged input: initial value outer i, then body Result r of the
                                               previous iteration (TensorIterator/Loop)
  {"outer": i, "param": p, "axis": a, "start": 0, "stride": 1, "part_size": 1, "end": -1}
                                               sliced input: iteration k sees slice k along axis a (stride -1 =
                                               reversed; start/end inclusive, negative from the end)
  {"param": p, "purpose": "current_iteration"} Loop only: the iteration number (i64/i32 scalar or [1])
  "body": b selects the body (If: 0 = then, 1 = else; default 0). "param"/"back_edge" take an index into
  body.parameters / body.results, or the Parameter / Result node itself.
output_map: list of dicts:
  {"outer": j, "result": r}                    outer output j = body Result r of the last iteration
                                               (If: of the branch taken; give one entry per body)
  {"outer": j, "result": r, "axis": a, ...}    concatenation of every iteration's value along axis a
  {"result": r, "purpose": "execution_condition"}  Loop only: the body's continue condition (boolean)
Loop inputs: [trip_count (i64/i32 scalar, -1 = unbounded), execution_condition (boolean), data...];
If inputs: [cond, data...]; TensorIterator: [data...]. Every data input must appear in input_map.
Read back with node.bodies, node.input_map, node.output_map (indices).)doc";

void bind_graph(py::module_& m) {
  py::class_<Output>(m, "Output")
      .def_property_readonly("node", [](const Output& o) { return node_handle(o.node); })
      .def_property_readonly("index", [](const Output& o) { return o.index; })
      .def_property_readonly("element_type", [](const Output& o) { check_output(o); return std::string(et_name(o.node->outputs[o.index].et)); })
      .def_property_readonly("shape", [](const Output& o) { check_output(o); return shape_to_py(o.node->outputs[o.index].shape); })
      .def_property_readonly("names", [](const Output& o) { check_output(o); return o.node->outputs[o.index].names; })
      .def("add_names", [](const Output& o, const std::vector<std::string>& n) {
        check_output(o);
        for (auto& s : n) o.node->outputs[o.index].add_name(s);
      })
      .def("set_names", [](const Output& o, const std::vector<std::string>& n) {
        check_output(o);
        o.node->outputs[o.index].names.clear();
        for (auto& s : n) o.node->outputs[o.index].add_name(s);
      })
      .def_property_readonly("is_const", [](const Output& o) { return o.node->type == "Const"; })
      .def("value", [](const Output& o) -> py::object {
        check_output(o);
        if (o.node->type == "Const") return array_from_tensor(o.node->value);
        return array_from_tensor(o.node->outputs[o.index].known_value);
      }, "The value if it is a constant or known at conversion time, else None.")
      .def("add_rt_info", [](const Output& o, const std::string& name, const std::string& version,
                             const std::vector<std::pair<std::string, std::string>>& fields) {
        check_output(o);
        auto& rt = o.node->outputs[o.index].rt_info;
        for (auto& a : rt)
          if (a.name == name) { a = RtAttr{name, version, fields}; return; }
        rt.push_back(RtAttr{name, version, fields});
      }, py::arg("name"), py::arg("version") = "0",
         py::arg("fields") = std::vector<std::pair<std::string, std::string>>{},
         "Sets a port rt_info attribute (written inside the output <port>), replacing one of the same name.")
      .def("consumers", [](const Output& o) {
        check_output(o);
        py::list r;
        for (auto& c : o.node->outputs[o.index].consumers) r.append(py::make_tuple(node_handle(c.node), c.index));
        return r;
      })
      .def("__eq__", [](const Output& a, const Output& b) { return a == b; })
      .def("__hash__", [](const Output& o) { return std::hash<const void*>()(o.node) ^ (size_t)o.index; })
      .def("__repr__", [](const Output& o) {
        return "<Output " + o.node->describe() + ":" + std::to_string(o.index) + " " + et_name(o.node->outputs[o.index].et) +
               o.node->outputs[o.index].shape.to_string() + ">";
      });

  py::class_<Node>(m, "Node")
      .def_property_readonly("type", [](const Node& n) { return n.type; })
      .def_property_readonly("version", [](const Node& n) { return n.version; })
      .def_property_readonly("id", [](const Node& n) { return n.id; })
      .def_property("name", [](const Node& n) { return n.name; }, [](Node& n, const std::string& s) { n.name = utf8_valid(s); })
      .def_property_readonly("num_outputs", [](const Node& n) { return n.outputs.size(); })
      .def("output", [](Node& n, int i) {
        IRCONV_CHECK(i >= 0 && (size_t)i < n.outputs.size(), n.describe() << " has no output " << i << " (it has " << n.outputs.size() << ")");
        return Output{&n, i};
      }, py::arg("i") = 0, py::keep_alive<0, 1>())
      .def("outputs", [](Node& n) {
        std::vector<Output> r;
        for (size_t i = 0; i < n.outputs.size(); ++i) r.push_back(Output{&n, (int)i});
        return r;
      }, py::keep_alive<0, 1>())
      .def_property_readonly("inputs", [](const Node& n) {
        py::list l;
        for (auto& o : n.inputs) l.append(output_handle(o));
        return l;
      })
      .def_property_readonly("attrs", [](const Node& n) {
        py::dict d;
        for (auto& kv : n.attrs) d[py::str(kv.first)] = attr_to_py(kv.second);
        return d;
      })
      .def("set_attr", [](Node& n, const std::string& k, py::handle v) { n.set_attr(k, attr_from_py(v, k)); })
      .def_property_readonly("value", [](const Node& n) { return array_from_tensor(n.value); })
      .def_property_readonly("rt_info", [](const Node& n) {
        std::vector<std::pair<std::string, std::vector<std::pair<std::string, std::string>>>> r;
        for (auto& a : n.rt_info) r.emplace_back(a.name, a.fields);
        return r;
      })
      .def("add_rt_info", [](Node& n, const std::string& name, const std::string& version,
                             const std::vector<std::pair<std::string, std::string>>& fields) {
        n.add_rt(RtAttr{name, version, fields});
      }, py::arg("name"), py::arg("version") = "0", py::arg("fields") = std::vector<std::pair<std::string, std::string>>{})
      .def_property_readonly("bodies", [](const Node& n) {
        py::list l;
        for (auto& b : n.bodies) l.append(py::cast(b));
        return l;
      }, "Sub-graphs (TensorIterator/Loop: [body]; If: [then, else]).")
      .def_property_readonly("input_map", [](const Node& n) {
        py::list l;
        for (auto& e : n.body_inputs) {
          py::dict d;
          d["outer"] = e.outer;
          d["body"] = e.body;
          d["param"] = e.param;
          if (e.back_edge >= 0) d["back_edge"] = e.back_edge;
          if (!e.purpose.empty()) d["purpose"] = e.purpose;
          slice_to_py(d, e, e.sliced);
          l.append(d);
        }
        return l;
      })
      .def_property_readonly("output_map", [](const Node& n) {
        py::list l;
        for (auto& e : n.body_outputs) {
          py::dict d;
          d["outer"] = e.outer;
          d["body"] = e.body;
          d["result"] = e.result;
          if (!e.purpose.empty()) d["purpose"] = e.purpose;
          slice_to_py(d, e, e.concat);
          l.append(d);
        }
        return l;
      })
      .def("__repr__", [](const Node& n) { return "<Node " + n.describe() + ">"; });

  py::class_<Graph, std::shared_ptr<Graph>>(m, "Graph")
      .def(py::init<std::string>(), py::arg("name") = "model")
      .def_property("name", &Graph::name, &Graph::set_name)
      .def("parameter", [](Graph& g, const std::string& name, const std::string& et, py::handle shape) {
        return g.add_parameter(name, et_from_string(et), shape_from_py(shape));
      }, py::arg("name"), py::arg("element_type"), py::arg("shape"), py::return_value_policy::reference_internal)
      .def("constant", [](Graph& g, py::handle value, const std::string& name) {
        return g.add_const(name.empty() ? "Constant" : name, tensor_from_array(value));
      }, py::arg("value"), py::arg("name") = "", py::return_value_policy::reference_internal)
      .def("constant_bytes", [](Graph& g, py::buffer buf, const std::string& et, const std::vector<int64_t>& shape,
                                const std::string& name) {
        py::buffer_info info = buf.request();
        Tensor t;
        t.et = et_from_string(et);
        t.shape = shape;
        t.data = static_cast<const uint8_t*>(info.ptr);
        t.nbytes = (uint64_t)(info.size * info.itemsize);
        t.owner = keep_py(py::reinterpret_borrow<py::object>(buf));
        return g.add_const(name.empty() ? "Constant" : name, std::move(t));
      }, py::arg("buffer"), py::arg("element_type"), py::arg("shape"), py::arg("name") = "",
         py::return_value_policy::reference_internal)
      .def("constant_strings", [](Graph& g, const std::vector<std::string>& v, const std::vector<int64_t>& shape,
                                  const std::string& name) {
        return g.add_const(name.empty() ? "Constant" : name, pack_strings(v, shape));
      }, py::arg("values"), py::arg("shape"), py::arg("name") = "", py::return_value_policy::reference_internal)
      .def("op", [](Graph& g, const std::string& type, const std::vector<Output>& inputs, py::handle attrs,
                    const std::string& name, const std::string& version) {
        return g.add_op(type, inputs, attrs_from_py(attrs), name, version);
      }, py::arg("type"), py::arg("inputs"), py::arg("attrs") = py::none(), py::arg("name") = "",
         py::arg("version") = "", py::return_value_policy::reference_internal)
      .def("op_with_bodies", [](Graph& g, const std::string& type, const std::vector<Output>& inputs,
                                const std::vector<std::shared_ptr<Graph>>& bodies, py::handle input_map,
                                py::handle output_map, py::handle attrs, const std::string& name, const std::string& version) {
        auto bi = body_inputs_from_py(input_map, bodies);
        auto bo = body_outputs_from_py(output_map, bodies);
        return g.add_op_with_bodies(type, inputs, bodies, std::move(bi), std::move(bo), attrs_from_py(attrs), name, version);
      }, py::arg("type"), py::arg("inputs"), py::arg("bodies"), py::arg("input_map"), py::arg("output_map"),
         py::arg("attrs") = py::none(), py::arg("name") = "", py::arg("version") = "",
         py::return_value_policy::reference_internal, kOpWithBodiesDoc)
      .def_property_readonly("parent", [](const Graph& g) -> py::object {
        if (!g.parent()) return py::none();
        return node_handle(g.parent());
      }, "The node whose body this graph is, or None.")
      .def("result", [](Graph& g, const Output& src, const std::string& name) { return g.add_result(src, name); },
           py::arg("output"), py::arg("name") = "", py::return_value_policy::reference_internal)
      .def("add_sink", [](Graph& g, Node* n) { g.add_sink(n); }, py::arg("node"),
           "Registers a node with side effects that no Result reads as a model sink (kept by\n"
           "remove_dead/topo_order, written to the IR). g.op('Assign', ...) does this by itself.")
      .def("remove_sink", [](Graph& g, Node* n) { g.remove_sink(n); }, py::arg("node"))
      .def_property_readonly("sinks", [](const Graph& g) { return node_list(g.sinks()); })
      .def_property_readonly("parameters", [](const Graph& g) { return node_list(g.parameters()); })
      .def_property_readonly("results", [](const Graph& g) { return node_list(g.results()); })
      .def("set_parameters", &Graph::set_parameters)
      .def("set_results", &Graph::set_results)
      .def("remove_result", &Graph::remove_result)
      .def("set_input", [](Graph& g, Node* n, int idx, const Output& src) { g.set_input(n, idx, src); g.infer(n); })
      .def("replace_uses", &Graph::replace_uses, py::arg("old"), py::arg("new"), py::arg("move_names") = true)
      .def("infer_all", &Graph::infer_all)
      .def("topo_order", [](const Graph& g) { return node_list(g.topo_order()); })
      .def("remove_dead", &Graph::remove_dead)
      .def_property_readonly("node_count", &Graph::node_count)
      .def("run_passes", [](Graph& g, bool static_shape, const std::vector<std::string>& disabled) {
        PassContext ctx;
        ctx.static_shape = static_shape;
        std::vector<PassTiming> t;
        {
          py::gil_scoped_release nogil;
          t = run_pipeline(g, ctx, disabled);
        }
        std::vector<std::tuple<std::string, double, bool>> r;
        for (auto& e : t) r.emplace_back(e.name, e.seconds, e.changed);
        return r;
      }, py::arg("static_shape") = false, py::arg("disabled") = std::vector<std::string>{})
      .def("run_pass", [](Graph& g, const std::string& name, bool static_shape) {
        PassContext ctx;
        ctx.static_shape = static_shape;
        py::gil_scoped_release nogil;
        return run_pass(g, name, ctx);
      }, py::arg("name"), py::arg("static_shape") = false)
      .def("save", [](const Graph& g, const std::string& xml, const std::string& bin, bool fp16,
                      const std::vector<std::pair<std::string, std::string>>& rt_info) {
        SaveOptions o;
        o.compress_to_fp16 = fp16;
        o.rt_info = rt_info;
        SaveStats s;
        {
          py::gil_scoped_release nogil;
          s = save_ir(g, xml, bin, o);
        }
        py::dict d;
        d["bin_bytes"] = s.bin_bytes;
        d["layers"] = s.layers;
        d["constants"] = s.constants;
        d["compressed"] = s.compressed;
        d["deduplicated"] = s.deduplicated;
        return d;
      }, py::arg("xml_path"), py::arg("bin_path"), py::arg("compress_to_fp16") = true,
         py::arg("rt_info") = std::vector<std::pair<std::string, std::string>>{});
}

}  // namespace irconv::bind
