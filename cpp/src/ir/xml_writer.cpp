// IR v11 XML writer (layout facts: shared/notes/ir_v11.md).
#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <sstream>
#include <unistd.h>
#include <unordered_map>
#include <unordered_set>

#include "bin_writer.hpp"
#include "irconv/ir_writer.hpp"
#include "irconv/op_registry.hpp"

namespace irconv {

namespace {

std::string esc(const std::string& s) {
  std::string r;
  r.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': r += "&amp;"; break;
      case '<': r += "&lt;"; break;
      case '>': r += "&gt;"; break;
      case '"': r += "&quot;"; break;
      case '\'': r += "&apos;"; break;
      case '\n': r += "&#10;"; break;
      case '\t': r += "&#9;"; break;
      case '\r': r += "&#13;"; break;
      default:
        if ((unsigned char)c < 0x20) r += "&#" + std::to_string((int)(unsigned char)c) + ";";
        else r += c;
    }
  }
  return r;
}

std::string fmt_double(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);  // shortest round-trip
  return std::string(buf, res.ptr);
}

template <class T, class F> std::string join(const std::vector<T>& v, F f) {
  std::string r;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) r += ",";
    r += f(v[i]);
  }
  return r;
}

std::string fmt_attr(const AttrValue& a) {
  struct V {
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(int64_t i) const { return std::to_string(i); }
    std::string operator()(double d) const { return fmt_double(d); }
    std::string operator()(const std::string& s) const { return s; }
    std::string operator()(const std::vector<int64_t>& v) const { return join(v, [](int64_t x) { return std::to_string(x); }); }
    std::string operator()(const std::vector<double>& v) const { return join(v, fmt_double); }
    std::string operator()(const std::vector<std::string>& v) const { return join(v, [](const std::string& s) { return s; }); }
  };
  return std::visit(V{}, a);
}

std::string fmt_shape_attr(const PartialShape& s) {
  if (s.rank_dynamic) return "...";
  return join(s.dims, [](int64_t d) { return d < 0 ? std::string("?") : std::to_string(d); });
}

std::string fmt_names(const std::vector<std::string>& names) {
  std::vector<std::string> sorted(names);
  std::sort(sorted.begin(), sorted.end());
  std::string r;
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (i) r += ",";
    for (char c : sorted[i]) {
      if (c == ',') r += "\\,";
      else r += c;
    }
  }
  return r;
}

void write_rt(std::ostringstream& os, const std::vector<RtAttr>& rt, const char* indent);

void write_port(std::ostringstream& os, int id, ET et, const PartialShape& shape, const std::vector<std::string>* names,
                const char* indent, const std::vector<RtAttr>* rt = nullptr) {
  os << indent << "<port id=\"" << id << "\" precision=\"" << et_info(et).precision << "\"";
  if (names && !names->empty()) os << " names=\"" << esc(fmt_names(*names)) << "\"";
  // IR cannot express dynamic rank in <dim>; the reader re-infers shapes of regular ops anyway.
  bool dims = !shape.rank_dynamic && !shape.dims.empty();
  if (!dims && !(rt && !rt->empty())) {
    os << "/>\n";
    return;
  }
  os << ">\n";
  if (dims)
    for (auto d : shape.dims) os << indent << "\t<dim>" << (d < 0 ? -1 : d) << "</dim>\n";
  if (rt) write_rt(os, *rt, (std::string(indent) + "\t").c_str());
  os << indent << "</port>\n";
}

void write_rt(std::ostringstream& os, const std::vector<RtAttr>& rt, const char* indent) {
  if (rt.empty()) return;
  os << indent << "<rt_info>\n";
  for (auto& a : rt) {
    os << indent << "\t<attribute name=\"" << esc(a.name) << "\" version=\"" << esc(a.version) << "\"";
    for (auto& kv : a.fields) os << " " << kv.first << "=\"" << esc(kv.second) << "\"";
    os << "/>\n";
  }
  os << indent << "</rt_info>\n";
}

std::string tmp_name(const std::string& path) {
  return path + ".tmp-" + std::to_string((long)getpid());
}

}  // namespace

namespace {
// Convert(integer) [-> Subtract(zero point)]: the start of a dequantization sub-graph.
bool is_dequant_source(const Output& o) {
  const Node* n = o.node;
  if (n->type == "Convert") return et_is_integral(n->in_type(0)) && n->outputs[0].et != ET::boolean;
  if (n->type == "Subtract") return is_dequant_source(n->inputs[0]);
  return false;
}

// The Const behind a zero point / scale input (through layout-only ops), or nullptr.
const Node* const_source(const Output& o) {
  const Node* n = o.node;
  for (int depth = 0; depth < 4; ++depth) {
    if (n->type == "Const") return n;
    if (n->type != "Convert" && n->type != "Reshape" && n->type != "Unsqueeze" && n->type != "Squeeze" &&
        n->type != "Broadcast")
      return nullptr;
    n = n->inputs[0].node;
  }
  return nullptr;
}
}  // namespace

std::vector<const Node*> precision_sensitive_constants(const Graph& g) {
  std::unordered_set<const Node*> seen;
  std::vector<const Node*> stack, consts;
  for (Node* n : g.topo_order()) {
    if (n->type == "Const" && n->find_rt("precise")) stack.push_back(n);
    if (n->type == "Parameter" || n->type == "Const" || n->type == "Result") continue;
    // (Convert(int) - zp) * scale: zero points and scales stay exact, like OpenVINO's
    // MarkDequantizationSubgraph does.
    if ((n->type == "Subtract" || n->type == "Multiply") && n->inputs.size() == 2) {
      const Node* c = nullptr;
      if (is_dequant_source(n->inputs[0])) c = const_source(n->inputs[1]);
      else if (is_dequant_source(n->inputs[1])) c = const_source(n->inputs[0]);
      if (c) stack.push_back(c);
    }
    const OpSchema* s = find_schema(n->type, n->version);
    if (!s) continue;
    for (int i : s->shape_inputs)
      if ((size_t)i < n->inputs.size()) stack.push_back(n->inputs[i].node);
    for (int i : s->precise_inputs)
      if ((size_t)i < n->inputs.size()) stack.push_back(n->inputs[i].node);
  }
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    if (!seen.insert(n).second) continue;
    if (n->type == "Const") { consts.push_back(n); continue; }
    if (n->type == "ShapeOf" || n->type == "Parameter") continue;  // the data path ends here
    for (auto& in : n->inputs) stack.push_back(in.node);
  }
  return consts;
}

namespace {

// Writes one net (the model or a body): <layers> and <edges> at nesting `depth` (tabs). Bodies
// are written recursively inside their node's layer, with their constants in the same .bin.
struct NetWriter {
  BinWriter& bin;
  const SaveOptions& opt;
  SaveStats& st;

  struct NetIds {
    std::vector<int> params, results;  // layer id of body Parameter i / Result i
  };

  static std::string tabs(int n) { return std::string((size_t)n, '\t'); }

  NetIds write(const Graph& g, std::ostringstream& os, int depth) {
    NetIds ids;
    std::vector<Node*> order = g.topo_order();
    std::unordered_set<const Node*> precise;
    if (opt.compress_to_fp16)
      for (const Node* c : precision_sensitive_constants(g)) precise.insert(c);
    std::unordered_map<const Node*, int> param_index, result_index;
    for (size_t i = 0; i < g.parameters().size(); ++i) param_index[g.parameters()[i]] = (int)i;
    for (size_t i = 0; i < g.results().size(); ++i) result_index[g.results()[i]] = (int)i;
    ids.params.assign(g.parameters().size(), -1);
    ids.results.assign(g.results().size(), -1);

    // node -> (layer id, id of its first output port) as written in the IR
    std::unordered_map<const Node*, std::pair<int, int>> layer_of;
    std::vector<std::array<int64_t, 4>> edges;  // from-layer, from-port, to-layer, to-port
    int next_id = 0;
    const std::string T = tabs(depth), L = tabs(depth + 1), D = tabs(depth + 2), P = tabs(depth + 3);
    os << T << "<layers>\n";

    for (Node* n : order) {
      if (n->type == "Const") {
        const Tensor& t = *n->value;
        bool f16 = opt.compress_to_fp16 && (t.et == ET::f32 || t.et == ET::f64) && !precise.count(n);
        auto blob = bin.write(t, f16);  // keeps the original type when the values do not fit f16
        f16 = blob.f16;
        ++st.constants;
        st.deduplicated += blob.dedup;
        ET stored = f16 ? ET::f16 : t.et;
        int cid = next_id++;
        os << L << "<layer id=\"" << cid << "\" name=\"" << esc(f16 ? n->name + "_compressed" : n->name)
           << "\" type=\"Const\" version=\"opset1\">\n";
        os << D << "<data element_type=\"" << et_name(stored) << "\" shape=\""
           << join(t.shape, [](int64_t d) { return std::to_string(d); }) << "\" offset=\"" << blob.offset
           << "\" size=\"" << blob.size << "\"/>\n";
        if (!f16) write_rt(os, n->rt_info, D.c_str());
        os << D << "<output>\n";
        write_port(os, 0, stored, PartialShape(t.shape), f16 ? nullptr : &n->outputs[0].names, P.c_str());
        os << D << "</output>\n" << L << "</layer>\n";
        if (f16) {
          ++st.compressed;
          int vid = next_id++;
          os << L << "<layer id=\"" << vid << "\" name=\"" << esc(n->name) << "\" type=\"Convert\" version=\"opset1\">\n";
          os << D << "<data destination_type=\"" << et_name(t.et) << "\"/>\n";
          std::vector<RtAttr> rt = n->rt_info;
          rt.push_back(RtAttr{"decompression", "0", {}});
          write_rt(os, rt, D.c_str());
          os << D << "<input>\n";
          write_port(os, 0, ET::f16, PartialShape(t.shape), nullptr, P.c_str());
          os << D << "</input>\n" << D << "<output>\n";
          write_port(os, 1, t.et, PartialShape(t.shape), &n->outputs[0].names, P.c_str());
          os << D << "</output>\n" << L << "</layer>\n";
          edges.push_back({cid, 0, vid, 0});
          layer_of[n] = {vid, 1};
        } else {
          layer_of[n] = {cid, 0};
        }
        continue;
      }

      int id = next_id++;
      layer_of[n] = {id, (int)n->inputs.size()};
      if (n->type == "Parameter") {
        auto it = param_index.find(n);
        if (it != param_index.end()) ids.params[it->second] = id;
      } else if (n->type == "Result") {
        auto it = result_index.find(n);
        if (it != result_index.end()) ids.results[it->second] = id;
      }
      os << L << "<layer id=\"" << id << "\" name=\"" << esc(n->name) << "\" type=\"" << n->type << "\" version=\""
         << n->version << "\">\n";
      if (n->type == "Parameter") {
        os << D << "<data shape=\"" << fmt_shape_attr(n->outputs[0].shape) << "\" element_type=\""
           << et_name(n->outputs[0].et) << "\"/>\n";
      } else if (!n->attrs.empty()) {
        os << D << "<data";
        for (auto& kv : n->attrs) os << " " << kv.first << "=\"" << esc(fmt_attr(kv.second)) << "\"";
        os << "/>\n";
      }
      write_rt(os, n->rt_info, D.c_str());
      // Bodies are written first (their layer ids are needed by the port map), placed after the ports.
      std::vector<std::string> body_xml;
      std::vector<NetIds> body_ids;
      for (auto& b : n->bodies) {
        std::ostringstream bs;
        body_ids.push_back(write(*b, bs, depth + 3));
        body_xml.push_back(bs.str());
      }
      if (!n->bodies.empty()) write_port_map(os, *n, body_ids, D);
      int port = 0;
      if (!n->inputs.empty()) {
        os << D << "<input>\n";
        for (size_t i = 0; i < n->inputs.size(); ++i) {
          const Output& src = n->inputs[i];
          const OutputDesc& d = src.node->outputs[src.index];
          write_port(os, port, d.et, d.shape, nullptr, P.c_str());
          auto it = layer_of.find(src.node);
          IRCONV_CHECK(it != layer_of.end(), "IR writer: " << n->describe() << " reads a node written after it");
          edges.push_back({it->second.first, it->second.second + src.index, id, port});
          ++port;
        }
        os << D << "</input>\n";
      }
      if (n->type != "Result" && !n->outputs.empty()) {
        os << D << "<output>\n";
        for (size_t o = 0; o < n->outputs.size(); ++o)
          write_port(os, port + (int)o, n->outputs[o].et, n->outputs[o].shape, &n->outputs[o].names, P.c_str(),
                     &n->outputs[o].rt_info);
        os << D << "</output>\n";
      }
      for (size_t b = 0; b < body_xml.size(); ++b) {
        const char* tag = n->type == "If" ? (b == 0 ? "then_body" : "else_body") : "body";
        os << D << "<" << tag << ">\n" << body_xml[b] << D << "\t<rt_info/>\n" << D << "</" << tag << ">\n";
      }
      os << L << "</layer>\n";
    }
    st.layers += (size_t)next_id;

    std::stable_sort(edges.begin(), edges.end(), [](const std::array<int64_t, 4>& a, const std::array<int64_t, 4>& b) {
      if (a[2] != b[2]) return a[2] < b[2];
      return a[3] < b[3];
    });
    os << T << "</layers>\n" << T << "<edges>\n";
    for (auto& e : edges)
      os << L << "<edge from-layer=\"" << e[0] << "\" from-port=\"" << e[1] << "\" to-layer=\"" << e[2] << "\" to-port=\""
         << e[3] << "\"/>\n";
    os << T << "</edges>\n";
    return ids;
  }

  static void slice_attrs(std::ostringstream& os, int64_t axis, int64_t start, int64_t end, int64_t stride, int64_t part) {
    os << " start=\"" << start << "\" end=\"" << end << "\" stride=\"" << stride << "\" part_size=\"" << part << "\"";
    (void)axis;
  }

  // <port_map> / <then_port_map> + <else_port_map> and <back_edges>, as OpenVINO's serializer
  // writes them: external_port_id = outer input index, or (number of inputs + outer output index)
  // for outputs; internal_layer_id = the body layer id of the Parameter / Result.
  static void write_port_map(std::ostringstream& os, const Node& n, const std::vector<NetIds>& ids, const std::string& D) {
    const std::string E = D + "\t";
    auto pid = [&](int b, int64_t i) {
      IRCONV_CHECK(i >= 0 && (size_t)i < ids[b].params.size() && ids[b].params[i] >= 0,
                   "IR writer: " << n.describe() << ": port map refers to a missing body Parameter " << i);
      return ids[b].params[i];
    };
    auto rid = [&](int b, int64_t i) {
      IRCONV_CHECK(i >= 0 && (size_t)i < ids[b].results.size() && ids[b].results[i] >= 0,
                   "IR writer: " << n.describe() << ": port map refers to a missing body Result " << i);
      return ids[b].results[i];
    };
    int64_t n_in = (int64_t)n.inputs.size();
    for (size_t b = 0; b < n.bodies.size(); ++b) {
      const char* tag = n.type == "If" ? (b == 0 ? "then_port_map" : "else_port_map") : "port_map";
      os << D << "<" << tag << ">\n";
      for (int pass = 0; pass < 2; ++pass) {  // regular entries first, special body ports last
        if (pass == 1) {
          for (auto& d : n.body_inputs)
            if (d.body == (int)b && !d.purpose.empty())
              os << E << "<input external_port_id=\"-1\" internal_layer_id=\"" << pid(d.body, d.param) << "\" purpose=\""
                 << esc(d.purpose) << "\"/>\n";
          for (auto& d : n.body_outputs)
            if (d.body == (int)b && !d.purpose.empty())
              os << E << "<output external_port_id=\"-1\" internal_layer_id=\"" << rid(d.body, d.result) << "\" purpose=\""
                 << esc(d.purpose) << "\"/>\n";
          continue;
        }
        for (auto& d : n.body_inputs) {
          if (d.body != (int)b || !d.purpose.empty()) continue;
          os << E << "<input";
          if (d.sliced) os << " axis=\"" << d.axis << "\"";
          os << " external_port_id=\"" << d.outer << "\" internal_layer_id=\"" << pid(d.body, d.param) << "\"";
          if (d.sliced) slice_attrs(os, d.axis, d.start, d.end, d.stride, d.part_size);
          os << "/>\n";
        }
        for (auto& d : n.body_outputs) {
          if (d.body != (int)b || !d.purpose.empty()) continue;
          os << E << "<output";
          if (d.concat) os << " axis=\"" << d.axis << "\"";
          os << " external_port_id=\"" << (d.outer < 0 ? -1 : n_in + d.outer) << "\" internal_layer_id=\""
             << rid(d.body, d.result) << "\"";
          if (d.concat) slice_attrs(os, d.axis, d.start, d.end, d.stride, d.part_size);
          os << "/>\n";
        }
      }
      os << D << "</" << tag << ">\n";
    }
    bool any_back = false;
    for (auto& d : n.body_inputs) any_back = any_back || d.back_edge >= 0;
    if (any_back) {
      os << D << "<back_edges>\n";
      for (auto& d : n.body_inputs)
        if (d.back_edge >= 0)
          os << E << "<edge from-layer=\"" << rid(d.body, d.back_edge) << "\" to-layer=\"" << pid(d.body, d.param) << "\"/>\n";
      os << D << "</back_edges>\n";
    }
  }
};

}  // namespace

SaveStats save_ir(const Graph& g, const std::string& xml_path, const std::string& bin_path, const SaveOptions& opt) {
  SaveStats st;
  std::string bin_tmp = tmp_name(bin_path), xml_tmp = tmp_name(xml_path);
  try {
    BinWriter bin(bin_tmp);
    std::ostringstream os;
    os << "<?xml version=\"1.0\"?>\n<net name=\"" << esc(g.name()) << "\" version=\"11\">\n";
    NetWriter{bin, opt, st}.write(g, os, 1);
    // model rt_info, one level of grouping by "group/key"
    if (opt.rt_info.empty()) {
      os << "\t<rt_info/>\n";
    } else {
      os << "\t<rt_info>\n";
      std::string open_group;
      for (auto& kv : opt.rt_info) {
        auto slash = kv.first.find('/');
        std::string group = slash == std::string::npos ? "" : kv.first.substr(0, slash);
        std::string key = slash == std::string::npos ? kv.first : kv.first.substr(slash + 1);
        if (group != open_group) {
          if (!open_group.empty()) os << "\t\t</" << open_group << ">\n";
          if (!group.empty()) os << "\t\t<" << group << ">\n";
          open_group = group;
        }
        os << (group.empty() ? "\t\t<" : "\t\t\t<") << key << " value=\"" << esc(kv.second) << "\"/>\n";
      }
      if (!open_group.empty()) os << "\t\t</" << open_group << ">\n";
      os << "\t</rt_info>\n";
    }
    os << "</net>\n";
    bin.close();
    st.bin_bytes = bin.size();

    std::string xml = os.str();
    std::FILE* f = std::fopen(xml_tmp.c_str(), "wb");
    IRCONV_CHECK(f, "cannot create '" << xml_tmp << "': " << std::strerror(errno));
    size_t w = std::fwrite(xml.data(), 1, xml.size(), f);
    int c = std::fclose(f);
    IRCONV_CHECK(w == xml.size() && c == 0, "write to '" << xml_tmp << "' failed: " << std::strerror(errno));
    IRCONV_CHECK(std::rename(bin_tmp.c_str(), bin_path.c_str()) == 0,
                 "cannot rename '" << bin_tmp << "' to '" << bin_path << "': " << std::strerror(errno));
    IRCONV_CHECK(std::rename(xml_tmp.c_str(), xml_path.c_str()) == 0,
                 "cannot rename '" << xml_tmp << "' to '" << xml_path << "': " << std::strerror(errno));
  } catch (...) {
    std::remove(bin_tmp.c_str());
    std::remove(xml_tmp.c_str());
    throw;
  }
  return st;
}

}  // namespace irconv
