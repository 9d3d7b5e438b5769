// Recurrent family: LSTMCell-4, LSTMSequence-5, GRUCell-3, GRUSequence-5, RNNCell-0 (opset3),
// RNNSequence-5. Shape inference follows OpenVINO's rnn_base_shape_inference.hpp and
// lstm_cell_shape_inference.hpp: batch, hidden size and num_directions are merged across the
// inputs that carry them (the hidden_size attribute is not used for the output shape, as in
// OpenVINO); W/R/B sizes are checked against gates * hidden size once it is known.
//   cells:     X [batch, input], H (and C) [batch, hidden], W [G*hidden, input],
//              R [G*hidden, hidden], B [G*hidden] (GRU linear_before_reset: [4*hidden])
//              -> Ho (and Co) [batch, hidden]
//   sequences: X [batch, seq, input], H (and C) [batch, dirs, hidden], seq_lengths [batch],
//              W [dirs, G*hidden, input], R [dirs, G*hidden, hidden], B [dirs, G*hidden]
//              -> Y [batch, dirs, seq, hidden], Ho (and Co) [batch, dirs, hidden]
#include <cctype>
#include <string>
#include <vector>

#include "irconv/op_registry.hpp"
#include "ops_util.hpp"

namespace irconv {
namespace {

using namespace ops_detail;

struct Rnn {
  const char* name;                   // for messages
  int gates;                          // 4 LSTM, 3 GRU, 1 RNN
  int states;                         // 2 LSTM (H, C), 1 GRU/RNN
  std::vector<std::string> acts;      // default activations
};
const Rnn kLstm{"LSTM", 4, 2, {"sigmoid", "tanh", "tanh"}};
const Rnn kGru{"GRU", 3, 1, {"sigmoid", "tanh"}};
const Rnn kRnn{"RNN", 1, 1, {"tanh"}};

std::string lower(std::string s) {
  for (auto& c : s) c = (char)std::tolower((unsigned char)c);
  return s;
}

int64_t merge(const Node& n, int64_t a, int64_t b, const char* what) {
  IRCONV_CHECK(a == kDyn || b == kDyn || a == b,
               n.describe() << ": dimension `" << what << "` does not match between inputs (" << a << " vs " << b << ")");
  return a == kDyn ? b : a;
}

// A dim of input i (kDyn when the rank is dynamic).
int64_t dim(const Node& n, size_t i, size_t d) {
  const PartialShape& s = n.in_shape(i);
  return s.rank_dynamic ? kDyn : s.dims[d];
}

void check_rank(const Node& n, size_t i, int64_t r, const char* what) {
  const PartialShape& s = n.in_shape(i);
  IRCONV_CHECK(s.rank_dynamic || s.rank() == r, n.describe() << ": input " << i << " (" << what << ") must be " << r
                                                             << "D, got " << s.to_string());
}

// Common attributes of OpenVINO's RNNCellBase: hidden_size, activations, activations_alpha,
// activations_beta, clip. Writes the defaults the IR reader would otherwise leave unset.
void check_rnn_attrs(Node& n, const Rnn& r) {
  const int64_t hs = n.attr_i("hidden_size");
  IRCONV_CHECK(hs > 0, n.describe() << ": attribute hidden_size must be positive, got " << hs);
  default_attr(n, "activations", r.acts);
  default_attr(n, "activations_alpha", std::vector<double>{});
  default_attr(n, "activations_beta", std::vector<double>{});
  default_attr(n, "clip", 0.0);
  std::vector<std::string> acts;
  const AttrValue* a = n.find_attr("activations");
  if (auto* v = std::get_if<std::vector<std::string>>(a)) {
    acts = *v;
  } else if (auto* s = std::get_if<std::string>(a)) {
    std::string cur;
    for (char c : *s + ",") {
      if (c == ',') {
        if (!cur.empty()) acts.push_back(cur);
        cur.clear();
      } else if (c != ' ') {
        cur += c;
      }
    }
  } else if (auto* e = std::get_if<std::vector<int64_t>>(a); !(e && e->empty())) {
    IRCONV_CHECK(false, n.describe() << ": attribute activations must be a list of strings");
  }
  IRCONV_CHECK(acts.size() == r.acts.size(), n.describe() << ": " << r.name << " takes " << r.acts.size()
                                                          << " activations, got " << acts.size());
  for (auto& f : acts) {
    const std::string l = lower(f);
    IRCONV_CHECK(l == "sigmoid" || l == "tanh" || l == "relu" || l == "hardsigmoid",
                 n.describe() << ": activation '" << f << "' is not supported (sigmoid, tanh, relu, hardsigmoid)");
  }
  const double clip = n.attr_f("clip", 0.0);
  IRCONV_CHECK(clip >= 0, n.describe() << ": attribute clip must be non-negative, got " << clip);
  n.attr_floats("activations_alpha", {});
  n.attr_floats("activations_beta", {});
}

// Floating-point type shared by the data inputs `ports`.
ET merge_float_type(const Node& n, const std::vector<size_t>& ports) {
  ET et = ET::dynamic;
  for (size_t i : ports) {
    ET t = n.in_type(i);
    if (t == ET::dynamic) continue;
    IRCONV_CHECK(et == ET::dynamic || et == t, n.describe() << ": input " << i << " is " << et_name(t) << ", expected "
                                                            << et_name(et) << " like the other data inputs");
    et = t;
  }
  IRCONV_CHECK(et == ET::dynamic || et_info(et).is_float,
               n.describe() << ": data inputs must be floating-point, got " << et_name(et));
  return et;
}

int64_t dir_count(const Node& n) {
  const std::string d = lower(n.attr_s("direction"));
  if (d == "forward" || d == "reverse") return 1;
  IRCONV_CHECK(d == "bidirectional", n.describe() << ": attribute direction is '" << n.attr_s("direction")
                                                  << "', expected forward, reverse or bidirectional");
  return 2;
}

// ---- cells: X, H, [C], W, R, B ----
void infer_cell(Node& n, const Rnn& r) {
  check_rnn_attrs(n, r);
  const bool lbr = &r == &kGru && n.attr_b("linear_before_reset", false);
  const size_t S = (size_t)r.states, iw = 1 + S, ir = 2 + S, ib = 3 + S;
  std::vector<size_t> data_ports;
  for (size_t i = 0; i < n.num_inputs(); ++i) data_ports.push_back(i);
  const ET et = merge_float_type(n, data_ports);
  static const char* names[] = {"X", "initial_hidden_state", "initial_cell_state"};
  for (size_t i = 0; i <= S; ++i) check_rank(n, i, 2, names[i]);
  check_rank(n, iw, 2, "W");
  check_rank(n, ir, 2, "R");
  check_rank(n, ib, 1, "B");

  int64_t batch = dim(n, 0, 0);
  for (size_t i = 1; i <= S; ++i) batch = merge(n, batch, dim(n, i, 0), "batch_size");
  int64_t hidden = kDyn;
  for (size_t i = 1; i <= S; ++i) hidden = merge(n, hidden, dim(n, i, 1), "hidden_size");
  hidden = merge(n, hidden, dim(n, ir, 1), "hidden_size");
  const int64_t G = r.gates, GB = lbr ? G + 1 : G;
  if (hidden == kDyn) {
    for (size_t i : {iw, ir})
      if (dim(n, i, 0) != kDyn) hidden = merge(n, hidden, dim(n, i, 0) / G, "hidden_size");
    if (hidden == kDyn && dim(n, ib, 0) != kDyn) hidden = dim(n, ib, 0) / GB;
  }
  if (hidden != kDyn) {
    IRCONV_CHECK(dim(n, iw, 0) == kDyn || dim(n, iw, 0) == hidden * G,
                 n.describe() << ": W has " << dim(n, iw, 0) << " rows, expected " << G << " * hidden_size = " << hidden * G);
    IRCONV_CHECK(dim(n, ir, 0) == kDyn || dim(n, ir, 0) == hidden * G,
                 n.describe() << ": R has " << dim(n, ir, 0) << " rows, expected " << G << " * hidden_size = " << hidden * G);
    IRCONV_CHECK(dim(n, ib, 0) == kDyn || dim(n, ib, 0) == hidden * GB,
                 n.describe() << ": B has " << dim(n, ib, 0) << " elements, expected " << GB << " * hidden_size = "
                              << hidden * GB);
  }
  merge(n, dim(n, 0, 1), dim(n, iw, 1), "input_size");
  for (size_t i = 0; i < S; ++i) n.set_output(i, et, PartialShape({batch, hidden}));
}

void infer_lstm_cell(Node& n) { infer_cell(n, kLstm); }
void infer_gru_cell(Node& n) { infer_cell(n, kGru); }
void infer_rnn_cell(Node& n) { infer_cell(n, kRnn); }

// ---- sequences: X, H, [C], seq_lengths, W, R, B ----
void infer_sequence(Node& n, const Rnn& r) {
  check_rnn_attrs(n, r);
  const bool lbr = &r == &kGru && n.attr_b("linear_before_reset", false);
  const int64_t dirs = dir_count(n);
  const size_t S = (size_t)r.states, isl = 1 + S, iw = 2 + S, ir = 3 + S, ib = 4 + S;
  std::vector<size_t> data_ports;
  for (size_t i = 0; i < n.num_inputs(); ++i)
    if (i != isl) data_ports.push_back(i);
  const ET et = merge_float_type(n, data_ports);
  check_integral_input(n, isl, "sequence_lengths");
  static const char* names[] = {"X", "initial_hidden_state", "initial_cell_state"};
  for (size_t i = 0; i <= S; ++i) check_rank(n, i, 3, names[i]);
  check_rank(n, isl, 1, "sequence_lengths");
  check_rank(n, iw, 3, "W");
  check_rank(n, ir, 3, "R");
  check_rank(n, ib, 2, "B");

  int64_t batch = dim(n, 0, 0);
  for (size_t i = 1; i <= isl; ++i) batch = merge(n, batch, dim(n, i, 0), "batch_size");
  int64_t hidden = kDyn;
  for (size_t i = 1; i <= S; ++i) hidden = merge(n, hidden, dim(n, i, 2), "hidden_size");
  hidden = merge(n, hidden, dim(n, ir, 2), "hidden_size");
  int64_t nd = dirs;
  for (size_t i = 1; i <= S; ++i) {
    IRCONV_CHECK(dim(n, i, 1) == kDyn || dim(n, i, 1) == nd,
                 n.describe() << ": input " << i << " has " << dim(n, i, 1) << " directions, expected " << nd
                              << " for direction " << n.attr_s("direction"));
  }
  for (size_t i : {iw, ir, ib})
    IRCONV_CHECK(dim(n, i, 0) == kDyn || dim(n, i, 0) == nd,
                 n.describe() << ": input " << i << " has " << dim(n, i, 0) << " directions, expected " << nd
                              << " for direction " << n.attr_s("direction"));
  const int64_t G = r.gates, GB = lbr ? G + 1 : G;
  if (hidden == kDyn) {
    for (size_t i : {iw, ir})
      if (dim(n, i, 1) != kDyn) hidden = merge(n, hidden, dim(n, i, 1) / G, "hidden_size");
    if (hidden == kDyn && dim(n, ib, 1) != kDyn) hidden = dim(n, ib, 1) / GB;
  }
  if (hidden != kDyn) {
    IRCONV_CHECK(dim(n, iw, 1) == kDyn || dim(n, iw, 1) == hidden * G,
                 n.describe() << ": W has " << dim(n, iw, 1) << " rows per direction, expected " << G
                              << " * hidden_size = " << hidden * G);
    IRCONV_CHECK(dim(n, ir, 1) == kDyn || dim(n, ir, 1) == hidden * G,
                 n.describe() << ": R has " << dim(n, ir, 1) << " rows per direction, expected " << G
                              << " * hidden_size = " << hidden * G);
    IRCONV_CHECK(dim(n, ib, 1) == kDyn || dim(n, ib, 1) == hidden * GB,
                 n.describe() << ": B has " << dim(n, ib, 1) << " elements per direction, expected " << GB
                              << " * hidden_size = " << hidden * GB);
  }
  merge(n, dim(n, 0, 2), dim(n, iw, 2), "input_size");
  n.set_output(0, et, PartialShape({batch, nd, dim(n, 0, 1), hidden}));
  for (size_t i = 0; i < S; ++i) n.set_output(1 + i, et, PartialShape({batch, nd, hidden}));
}

void infer_lstm_sequence(Node& n) { infer_sequence(n, kLstm); }
void infer_gru_sequence(Node& n) { infer_sequence(n, kGru); }
void infer_rnn_sequence(Node& n) { infer_sequence(n, kRnn); }

}  // namespace

IRCONV_OPS(recurrent) {
  reg({"LSTMCell", "opset4", 6, 6, infer_lstm_cell});
  reg({"GRUCell", "opset3", 5, 5, infer_gru_cell});
  reg({"RNNCell", "opset3", 5, 5, infer_rnn_cell});
  reg({"LSTMSequence", "opset5", 7, 7, infer_lstm_sequence});
  reg({"GRUSequence", "opset5", 6, 6, infer_gru_sequence});
  reg({"RNNSequence", "opset5", 6, 6, infer_rnn_sequence});
}

}  // namespace irconv
