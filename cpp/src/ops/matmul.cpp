// MatMul (opset1) with a reference kernel, Einsum (opset7, inference only).
// MatMul shape rules (OpenVINO matmul_shape_inference.hpp): transposes swap the two last dims of
// inputs of rank >= 2; a 1-D A is [1,K], a 1-D B is [K,1] (that axis is removed again from the
// output); batch dims broadcast numpy-style.
#include <algorithm>
#include <cctype>
#include <map>
#include <string>
#include <vector>

#include "irconv/op_registry.hpp"

namespace irconv {
namespace {


// Output shape of MatMul for (partial) shapes a, b. Throws naming n on incompatible static dims.
PartialShape matmul_shape(const Node& n, const PartialShape& a_in, const PartialShape& b_in, bool ta, bool tb) {
  if (a_in.rank_dynamic || b_in.rank_dynamic) return PartialShape::dynamic();
  IRCONV_CHECK(a_in.rank() > 0 && b_in.rank() > 0, n.describe() << ": scalars are not supported as MatMul inputs (A "
                                                               << a_in.to_string() << ", B " << b_in.to_string() << ")");
  std::vector<int64_t> a = a_in.dims, b = b_in.dims;
  if (ta && a.size() > 1) std::swap(a[a.size() - 2], a[a.size() - 1]);
  if (tb && b.size() > 1) std::swap(b[b.size() - 2], b[b.size() - 1]);
  if (a.size() == 1) a.insert(a.begin(), 1);
  if (b.size() == 1) b.push_back(1);
  int64_t ka = a.back(), kb = b[b.size() - 2];
  IRCONV_CHECK(ka < 0 || kb < 0 || ka == kb,
               n.describe() << ": incompatible MatMul matrix dimensions: A " << a_in.to_string()
                            << (ta ? " (transposed)" : "") << " has K=" << ka << ", B " << b_in.to_string()
                            << (tb ? " (transposed)" : "") << " has K=" << kb);
  if (a.size() < b.size()) a.insert(a.begin(), b.size() - a.size(), 1);
  if (b.size() < a.size()) b.insert(b.begin(), a.size() - b.size(), 1);
  const size_t r = a.size();
  std::vector<int64_t> out(r);
  for (size_t i = 0; i + 2 < r; ++i) {
    int64_t x = a[i], y = b[i];
    if (x == 1) out[i] = y;
    else if (y == 1) out[i] = x;
    else if (x < 0) out[i] = y;
    else if (y < 0) out[i] = x;
    else {
      IRCONV_CHECK(x == y, n.describe() << ": incompatible MatMul batch dimensions " << x << " and " << y
                                        << " at index " << i << " (A " << a_in.to_string() << ", B "
                                        << b_in.to_string() << ")");
      out[i] = x;
    }
  }
  out[r - 2] = a[r - 2];
  out[r - 1] = b[r - 1];
  if (a_in.rank() == 1) out.erase(out.begin() + (long)(out.size() - 2));
  if (b_in.rank() == 1) out.pop_back();
  return PartialShape(out);
}

ET merge_types(const Node& n) {
  ET a = n.in_type(0), b = n.in_type(1);
  if (a == ET::dynamic) return b;
  if (b == ET::dynamic) return a;
  IRCONV_CHECK(a == b, n.describe() << ": inputs have different element types (" << et_name(a) << " and "
                                    << et_name(b) << ")");
  return a;
}

void infer_matmul(Node& n) {
  ET et = merge_types(n);
  bool ta = n.attr_b("transpose_a", false), tb = n.attr_b("transpose_b", false);
  n.set_output(0, et, matmul_shape(n, n.in_shape(0), n.in_shape(1), ta, tb));
}

// Reference MatMul: inputs are loaded once as double (floats) or int64 (integers), products are
// accumulated in that type and stored in the output type.
template <class Acc>
void matmul_kernel(const std::vector<Acc>& A, const std::vector<Acc>& B, std::vector<Acc>& C,
                   const std::vector<int64_t>& a_batch, const std::vector<int64_t>& b_batch,
                   const std::vector<int64_t>& o_batch, int64_t M, int64_t K, int64_t N, bool ta, bool tb) {
  const size_t rb = o_batch.size();
  int64_t nbatch = 1;
  for (auto d : o_batch) nbatch *= d;
  // row-major strides (in matrices) of the broadcast batch dims of A and B
  std::vector<int64_t> sa(rb, 0), sb(rb, 0);
  {
    int64_t acc_a = 1, acc_b = 1;
    for (size_t i = rb; i-- > 0;) {
      sa[i] = a_batch[i] == 1 ? 0 : acc_a;
      sb[i] = b_batch[i] == 1 ? 0 : acc_b;
      acc_a *= a_batch[i];
      acc_b *= b_batch[i];
    }
  }
  // element strides inside one matrix
  const int64_t a_m = ta ? 1 : K, a_k = ta ? M : 1;
  const int64_t b_k = tb ? 1 : N, b_n = tb ? K : 1;
  std::vector<int64_t> idx(rb, 0);
  for (int64_t bt = 0; bt < nbatch; ++bt) {
    int64_t ia = 0, ib = 0;
    for (size_t i = 0; i < rb; ++i) { ia += idx[i] * sa[i]; ib += idx[i] * sb[i]; }
    const Acc* pa = A.data() + ia * M * K;
    const Acc* pb = B.data() + ib * K * N;
    Acc* pc = C.data() + bt * M * N;
    for (int64_t m = 0; m < M; ++m) {
      for (int64_t j = 0; j < N; ++j) {
        Acc s = 0;
        for (int64_t k = 0; k < K; ++k) s += pa[m * a_m + k * a_k] * pb[k * b_k + j * b_n];
        pc[m * N + j] = s;
      }
    }
    for (size_t i = rb; i-- > 0;) {
      if (++idx[i] < o_batch[i]) break;
      idx[i] = 0;
    }
  }
}

bool eval_matmul(const Node& n, const std::vector<const Tensor*>& in, std::vector<Tensor>& out) {
  const Tensor& ta_t = *in[0];
  const Tensor& tb_t = *in[1];
  const ET et = ta_t.et;
  if (tb_t.et != et || !et_is_plain(et) || et == ET::boolean) return false;
  const bool ta = n.attr_b("transpose_a", false), tb = n.attr_b("transpose_b", false);
  PartialShape os = matmul_shape(n, PartialShape(ta_t.shape), PartialShape(tb_t.shape), ta, tb);
  // Normalized 3-part views: batch dims, [M,K] / [K,N] with the transposes kept as strides.
  std::vector<int64_t> a = ta_t.shape, b = tb_t.shape;
  bool tra = ta && a.size() > 1, trb = tb && b.size() > 1;
  if (a.size() == 1) a.insert(a.begin(), 1);
  if (b.size() == 1) b.push_back(1);
  const int64_t M = tra ? a[a.size() - 1] : a[a.size() - 2];
  const int64_t K = tra ? a[a.size() - 2] : a[a.size() - 1];
  const int64_t N = trb ? b[b.size() - 2] : b[b.size() - 1];
  std::vector<int64_t> a_batch(a.begin(), a.end() - 2), b_batch(b.begin(), b.end() - 2);
  const size_t rb = std::max(a_batch.size(), b_batch.size());
  a_batch.insert(a_batch.begin(), rb - a_batch.size(), 1);
  b_batch.insert(b_batch.begin(), rb - b_batch.size(), 1);
  std::vector<int64_t> o_batch(rb);
  for (size_t i = 0; i < rb; ++i) o_batch[i] = std::max(a_batch[i], b_batch[i]);

  Tensor res = Tensor::zeros(et, os.dims);
  uint8_t* dst = res.mutable_data();
  const uint64_t na = ta_t.numel(), nb = tb_t.numel(), nc = res.numel();
  if (et_info(et).is_float) {
    std::vector<double> A(na), B(nb), C(nc);
    for (uint64_t i = 0; i < na; ++i) A[i] = load_f64(et, ta_t.data, i);
    for (uint64_t i = 0; i < nb; ++i) B[i] = load_f64(et, tb_t.data, i);
    matmul_kernel<double>(A, B, C, a_batch, b_batch, o_batch, M, K, N, tra, trb);
    for (uint64_t i = 0; i < nc; ++i) store_f64(et, dst, i, C[i]);
  } else {
    std::vector<int64_t> A(na), B(nb), C(nc);
    for (uint64_t i = 0; i < na; ++i) A[i] = load_i64(et, ta_t.data, i);
    for (uint64_t i = 0; i < nb; ++i) B[i] = load_i64(et, tb_t.data, i);
    matmul_kernel<int64_t>(A, B, C, a_batch, b_batch, o_batch, M, K, N, tra, trb);
    for (uint64_t i = 0; i < nc; ++i) store_i64(et, dst, i, C[i]);
  }
  out[0] = std::move(res);
  return true;
}

// ---------------- Einsum-7 ----------------

bool subscript_ok(const std::string& s, bool& ellipsis) {
  ellipsis = false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (!ellipsis && s.size() - i > 2 && s.compare(i, 3, "...") == 0) {
      ellipsis = true;
      i += 2;
    } else if (!std::isalpha((unsigned char)s[i])) {
      return false;
    }
  }
  return true;
}

std::vector<std::string> extract_labels(const Node& n, const std::string& s) {
  std::vector<std::string> labels;
  for (size_t i = 0; i < s.size(); ++i) {
    if (std::isalpha((unsigned char)s[i])) {
      labels.push_back(s.substr(i, 1));
    } else if (s.size() - i > 2 && s.compare(i, 3, "...") == 0) {
      labels.push_back("...");
      i += 2;
    } else {
      IRCONV_CHECK(false, n.describe() << ": Einsum equation has an invalid label in '" << s << "'");
    }
  }
  return labels;
}

void infer_einsum(Node& n) {
  IRCONV_CHECK(n.num_inputs() > 0, n.describe() << ": Einsum needs at least one input");
  ET et = n.in_type(0);
  IRCONV_CHECK(et == ET::dynamic || (et != ET::boolean && et != ET::string),
               n.describe() << ": Einsum inputs must be numeric, got " << et_name(et));
  for (size_t i = 1; i < n.num_inputs(); ++i)
    IRCONV_CHECK(n.in_type(i) == et, n.describe() << ": Einsum inputs must have the same element type (input 0 is "
                                                  << et_name(et) << ", input " << i << " is "
                                                  << et_name(n.in_type(i)) << ")");
  // Like OpenVINO's Einsum constructor, white-space is dropped from the equation. The node keeps
  // the normalized form: OpenVINO's IR reader does not normalize and rejects spaces.
  const std::string raw = n.attr_s("equation");
  std::string eq;
  for (char c : raw)
    if (!std::isspace((unsigned char)c)) eq += c;
  if (eq != raw) n.set_attr("equation", eq);

  // split into input subscripts and the output subscript (implicit mode recovers it)
  const size_t arrow = eq.find("->");
  std::vector<std::string> ins;
  {
    std::string lhs = eq.substr(0, arrow);
    size_t start = 0;
    while (true) {
      size_t comma = lhs.find(',', start);
      ins.push_back(lhs.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  bool any_ellipsis = false;
  for (auto& s : ins) {
    bool e = false;
    IRCONV_CHECK(subscript_ok(s, e), n.describe() << ": Einsum input subscript '" << s
                                                  << "' must be letters with at most one ellipsis");
    any_ellipsis = any_ellipsis || e;
  }
  std::string out_sub;
  if (arrow == std::string::npos) {
    for (size_t i = 0; i < ins.size(); ++i) {
      for (auto& l : extract_labels(n, ins[i])) {
        if (l == "...") continue;
        bool elsewhere = false;
        for (size_t j = 0; j < ins.size(); ++j)
          if (j != i && ins[j].find(l) != std::string::npos) elsewhere = true;
        if (!elsewhere) out_sub += l;
      }
    }
    std::sort(out_sub.begin(), out_sub.end());
    if (any_ellipsis) out_sub = "..." + out_sub;
  } else {
    out_sub = eq.substr(arrow + 2);
    bool e = false;
    IRCONV_CHECK(subscript_ok(out_sub, e), n.describe() << ": Einsum output subscript '" << out_sub
                                                        << "' must be letters with at most one ellipsis");
    IRCONV_CHECK(e == any_ellipsis, n.describe() << ": Einsum output subscript must contain an ellipsis exactly "
                                                 << "when an input subscript does (equation '" << eq << "')");
  }
  IRCONV_CHECK(ins.size() == n.num_inputs(), n.describe() << ": equation '" << eq << "' has " << ins.size()
                                                          << " input subscripts for " << n.num_inputs() << " inputs");

  std::map<std::string, std::vector<int64_t>> dims;  // label -> dims ("..." may hold several)
  for (size_t ii = 0; ii < ins.size(); ++ii) {
    const PartialShape& ps = n.in_shape(ii);
    auto labels = extract_labels(n, ins[ii]);
    if (ps.rank_dynamic) {
      for (auto& l : labels) {
        IRCONV_CHECK(l != "...", n.describe() << ": the subscript of dynamic-rank input " << ii
                                              << " must not contain an ellipsis");
        if (!dims.count(l)) dims[l] = {kDyn};
      }
      continue;
    }
    const size_t rank = ps.size();
    IRCONV_CHECK(rank >= labels.size(), n.describe() << ": input " << ii << " " << ps.to_string() << " has fewer dims than "
                                                     << "labels in subscript '" << ins[ii] << "'");
    size_t di = 0;
    for (size_t li = 0; li < labels.size() && di < rank; ++li) {
      const std::string& l = labels[li];
      if (l == "...") {
        size_t nb = rank - labels.size() + 1;
        std::vector<int64_t> cur(ps.dims.begin() + (long)di, ps.dims.begin() + (long)(di + nb));
        auto it = dims.find(l);
        if (it == dims.end()) {
          dims[l] = cur;
        } else {
          std::vector<int64_t>& acc = it->second;
          size_t r = std::max(acc.size(), cur.size());
          std::vector<int64_t> res(r);
          for (size_t k = 0; k < r; ++k) {
            int64_t x = k < r - acc.size() ? 1 : acc[k - (r - acc.size())];
            int64_t y = k < r - cur.size() ? 1 : cur[k - (r - cur.size())];
            if (x == 1) res[k] = y;
            else if (y == 1) res[k] = x;
            else if (x < 0) res[k] = y;
            else if (y < 0) res[k] = x;
            else {
              IRCONV_CHECK(x == y, n.describe() << ": dims labeled with ellipsis must be broadcastable (" << x
                                                << " vs " << y << ")");
              res[k] = x;
            }
          }
          acc = res;
        }
        di += nb;
      } else {
        int64_t d = ps[di];
        auto it = dims.find(l);
        if (it == dims.end()) {
          dims[l] = {d};
        } else {
          int64_t& e = it->second[0];
          IRCONV_CHECK(e < 0 || d < 0 || e == d, n.describe() << ": label '" << l << "' has dims " << e << " and "
                                                              << d << " in equation '" << eq << "'");
          if (e < 0) e = d;
        }
        ++di;
      }
    }
  }
  std::vector<int64_t> out;
  for (auto& l : extract_labels(n, out_sub)) {
    auto it = dims.find(l);
    IRCONV_CHECK(it != dims.end(), n.describe() << ": output label '" << l << "' of equation '" << eq
                                                << "' is not in any input subscript");
    out.insert(out.end(), it->second.begin(), it->second.end());
  }
  n.set_output(0, et, PartialShape(out));
}

}  // namespace

IRCONV_OPS(matmul) {
  reg({"MatMul", "opset1", 2, 2, infer_matmul, eval_matmul});
  reg({"Einsum", "opset7", 1, -1, infer_einsum});
}

}  // namespace irconv
