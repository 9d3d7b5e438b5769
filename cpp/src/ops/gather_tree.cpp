// GatherTree-1: the beam-search back-tracking step (TF's GatherTree, GNMT's last op).
//   step_ids [T, B, W], parent_ids [T, B, W], max_seq_len [B], end_token [] -> [T, B, W]
// All four inputs have one element type (OpenVINO's gather_tree_shape_inference.hpp); the output
// has the shape of step_ids merged with parent_ids.
#include <string>
#include <vector>

#include "irconv/op_registry.hpp"
#include "ops_util.hpp"

namespace irconv {
namespace {

using namespace ops_detail;

void infer_gather_tree(Node& n) {
  ET t = ET::dynamic;
  const char* names[] = {"step_ids", "parent_ids", "max_seq_len", "end_token"};
  for (size_t i = 0; i < 4; ++i) {
    const ET ti = n.in_type(i);
    IRCONV_CHECK(t == ET::dynamic || ti == ET::dynamic || ti == t,
                 n.describe() << ": " << names[i] << " has element type " << et_name(ti) << ", expected "
                              << et_name(t) << " like the other inputs");
    if (t == ET::dynamic) t = ti;
  }
  check_rank_eq(n, 0, 3, "step_ids");
  check_rank_eq(n, 1, 3, "parent_ids");
  check_rank_eq(n, 2, 1, "max_seq_len");
  check_rank_eq(n, 3, 0, "end_token");
  const PartialShape& a = n.in_shape(0);
  const PartialShape& b = n.in_shape(1);
  PartialShape out = a.rank_dynamic ? b : a;
  if (!a.rank_dynamic && !b.rank_dynamic) {
    for (size_t d = 0; d < 3; ++d) {
      IRCONV_CHECK(a.dims[d] == kDyn || b.dims[d] == kDyn || a.dims[d] == b.dims[d],
                   n.describe() << ": step_ids and parent_ids differ in dimension " << d << " (" << a.dims[d]
                                << " vs " << b.dims[d] << ")");
      out.dims[d] = a.dims[d] == kDyn ? b.dims[d] : a.dims[d];
    }
  }
  const PartialShape& m = n.in_shape(2);
  if (!out.rank_dynamic && !m.rank_dynamic) {
    IRCONV_CHECK(out.dims[1] == kDyn || m.dims[0] == kDyn || out.dims[1] == m.dims[0],
                 n.describe() << ": max_seq_len has " << m.dims[0] << " entries, the batch is " << out.dims[1]);
    if (out.dims[1] == kDyn) out.dims[1] = m.dims[0];
  }
  n.set_output(0, t, out);
}

}  // namespace

IRCONV_OPS(gather_tree) {
  reg({"GatherTree", "opset1", 4, 4, infer_gather_tree});
}

}  // namespace irconv
