// CTC family: CTCGreedyDecoder-1, CTCGreedyDecoderSeqLen-6, CTCLoss-4. Shape inference follows
// OpenVINO's ctc_*_shape_inference.hpp: the batch (and time) dimensions are merged across the
// inputs that carry them.
//   CTCGreedyDecoder:       data [T, N, C], seq_mask [T, N]            -> [N, T, 1, 1] (data type)
//   CTCGreedyDecoderSeqLen: data [N, T, C], seq_len [N], [blank_index] -> [N, T], [N] (index types)
//   CTCLoss:                logits [N, T, C], logit_length [N], labels [N, T], label_length [N],
//                           [blank_index]                              -> [N] (logits type)
#include <string>
#include <vector>

#include "irconv/op_registry.hpp"
#include "ops_util.hpp"

namespace irconv {
namespace {

using namespace ops_detail;

int64_t merge(const Node& n, int64_t a, int64_t b, const char* what) {
  IRCONV_CHECK(a == kDyn || b == kDyn || a == b,
               n.describe() << ": " << what << " do not match between inputs (" << a << " vs " << b << ")");
  return a == kDyn ? b : a;
}

int64_t dim(const Node& n, size_t i, size_t d) {
  const PartialShape& s = n.in_shape(i);
  return s.rank_dynamic ? kDyn : s.dims[d];
}

void check_float_input(const Node& n, size_t i, const char* what) {
  ET t = n.in_type(i);
  IRCONV_CHECK(t == ET::dynamic || et_info(t).is_float,
               n.describe() << ": input " << i << " (" << what << ") must be floating-point, got " << et_name(t));
}

// ---- CTCGreedyDecoder-1: data [T, N, C], seq_mask [T, N] ----
void infer_ctc_greedy_decoder(Node& n) {
  n.attr_b("ctc_merge_repeated", true);
  check_float_input(n, 0, "data");
  check_rank_eq(n, 0, 3, "data");
  check_rank_eq(n, 1, 2, "sequence mask");
  const ET t0 = n.in_type(0), t1 = n.in_type(1);
  IRCONV_CHECK(t0 == ET::dynamic || t1 == ET::dynamic || t0 == t1,
               n.describe() << ": data and sequence mask must have the same element type, got " << et_name(t0)
                            << " and " << et_name(t1));
  const int64_t T = merge(n, dim(n, 0, 0), dim(n, 1, 0), "time dimensions");
  const int64_t N = merge(n, dim(n, 0, 1), dim(n, 1, 1), "batch dimensions");
  n.set_output(0, t0 == ET::dynamic ? t1 : t0, PartialShape({N, T, 1, 1}));
}

// ---- CTCGreedyDecoderSeqLen-6: data [N, T, C], sequence_length [N], blank_index ----
void infer_ctc_greedy_decoder_seq_len(Node& n) {
  default_attr(n, "merge_repeated", true);
  default_attr(n, "classes_index_type", std::string("i32"));
  default_attr(n, "sequence_length_type", std::string("i32"));
  n.attr_b("merge_repeated", true);
  const ET cls = index_type_attr(n, "classes_index_type", "i32");
  const ET len = index_type_attr(n, "sequence_length_type", "i32");
  check_float_input(n, 0, "data");
  check_integral_input(n, 1, "sequence_length");
  check_rank_eq(n, 0, 3, "data");
  check_rank_eq(n, 1, 1, "sequence_length");
  if (n.num_inputs() > 2) {
    check_integral_input(n, 2, "blank_index");
    check_rank_le1(n, 2, "blank_index");
    IRCONV_CHECK(static_len(n, 2) == kDyn || static_len(n, 2) == 1,
                 n.describe() << ": blank_index must hold one value, got shape " << n.in_shape(2).to_string());
  }
  const int64_t N = merge(n, dim(n, 0, 0), dim(n, 1, 0), "batch dimensions");
  n.set_output(0, cls, PartialShape({N, dim(n, 0, 1)}));
  n.set_output(1, len, PartialShape({N}));
}

// ---- CTCLoss-4: logits, logit_length, labels, label_length, [blank_index] ----
void infer_ctc_loss(Node& n) {
  n.attr_b("preprocess_collapse_repeated", false);
  n.attr_b("ctc_merge_repeated", true);
  n.attr_b("unique", false);
  check_float_input(n, 0, "logits");
  static const char* names[] = {"logits", "logit_length", "labels", "label_length", "blank_index"};
  for (size_t i = 1; i < n.num_inputs(); ++i) check_integral_input(n, i, names[i]);
  check_rank_eq(n, 0, 3, "logits");
  check_rank_eq(n, 1, 1, "logit_length");
  check_rank_eq(n, 2, 2, "labels");
  check_rank_eq(n, 3, 1, "label_length");
  if (n.num_inputs() > 4) check_rank_eq(n, 4, 0, "blank_index");
  int64_t N = dim(n, 0, 0);
  for (size_t i = 1; i < 4; ++i) N = merge(n, N, dim(n, i, 0), "batch dimensions");
  merge(n, dim(n, 0, 1), dim(n, 2, 1), "time dimensions of logits and labels");
  n.set_output(0, n.in_type(0), PartialShape({N}));
}

}  // namespace

IRCONV_OPS(ctc) {
  reg({"CTCGreedyDecoder", "opset1", 2, 2, infer_ctc_greedy_decoder});
  reg({"CTCGreedyDecoderSeqLen", "opset6", 2, 3, infer_ctc_greedy_decoder_seq_len});
  reg({"CTCLoss", "opset4", 4, 5, infer_ctc_loss});
}

}  // namespace irconv
