// Small helpers shared by the fusion passes (constants, permutations, consumers).
#pragma once
#include <algorithm>
#include <cstring>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "irconv/graph.hpp"

namespace irconv {
namespace fusion {

inline bool is_float_et(ET t) { return t == ET::f32 || t == ET::f16 || t == ET::bf16 || t == ET::f64; }

// The value of a Const node with a plain (whole-byte numeric) element type, or nullptr.
inline const Tensor* const_value(Output o) {
  Node* n = o.node;
  return n->type == "Const" && n->value && et_is_plain(n->value->et) ? n->value.get() : nullptr;
}

inline const OutputDesc& desc(Output o) { return o.node->outputs[(size_t)o.index]; }

inline Output new_const(Graph& g, const std::string& name, Tensor t) {
  return Output{g.add_const(name, std::move(t)), 0};
}

inline Output i64_const(Graph& g, const std::string& name, const std::vector<int64_t>& v) {
  return new_const(g, name, Tensor::from_i64(ET::i64, {(int64_t)v.size()}, v));
}

// A constant permutation of 0..r-1 read from a Const input, or empty.
inline std::vector<int64_t> const_perm(Output o) {
  const Tensor* t = const_value(o);
  if (!t || t->shape.size() > 1 || !et_is_integral(t->et)) return {};
  std::vector<int64_t> p = t->to_i64();
  std::vector<int64_t> seen(p.size(), 0);
  for (int64_t v : p) {
    if (v < 0 || v >= (int64_t)p.size() || seen[(size_t)v]++) return {};
  }
  return p;
}

inline std::vector<int64_t> inverse_perm(const std::vector<int64_t>& p) {
  std::vector<int64_t> q(p.size());
  for (size_t i = 0; i < p.size(); ++i) q[(size_t)p[i]] = (int64_t)i;
  return q;
}

inline bool is_identity_perm(const std::vector<int64_t>& p) {
  for (size_t i = 0; i < p.size(); ++i)
    if (p[i] != (int64_t)i) return false;
  return true;
}

// transpose(t, perm) (numpy semantics: out.shape[i] = t.shape[perm[i]]), for whole-byte types.
// `t` is first given rank perm.size() by prepending 1s (numpy broadcasting); false if impossible.
inline bool permute_tensor(const Tensor& t, const std::vector<int64_t>& perm, Tensor* out) {
  size_t r = perm.size();
  if (t.shape.size() > r || !et_is_plain(t.et)) return false;
  std::vector<int64_t> in_shape(r, 1);
  std::copy(t.shape.begin(), t.shape.end(), in_shape.begin() + (long)(r - t.shape.size()));
  std::vector<int64_t> out_shape(r);
  for (size_t i = 0; i < r; ++i) out_shape[i] = in_shape[(size_t)perm[i]];
  *out = Tensor::zeros(t.et, out_shape);
  size_t es = (size_t)et_info(t.et).bits / 8;
  uint64_t n = t.numel();
  if (n == 0) return true;
  std::vector<uint64_t> in_stride(r, 1);
  for (size_t i = r; i-- > 1;) in_stride[i - 1] = in_stride[i] * (uint64_t)in_shape[i];
  uint8_t* dst = out->mutable_data();
  std::vector<int64_t> idx(r, 0);
  for (uint64_t k = 0; k < n; ++k) {
    uint64_t src = 0;
    for (size_t i = 0; i < r; ++i) src += (uint64_t)idx[i] * in_stride[(size_t)perm[i]];
    std::memcpy(dst + k * es, t.data + src * es, es);
    for (size_t i = r; i-- > 0;) {
      if (++idx[i] < out_shape[i]) break;
      idx[i] = 0;
    }
  }
  return true;
}

// Distinct consumer nodes of an output, in first-use order, skipping those in `dead`.
template <class DeadSet>
std::vector<Node*> consumer_nodes(Output o, const DeadSet& dead) {
  std::vector<Node*> r;
  for (const Input& in : desc(o).consumers)
    if (!dead.count(in.node) && std::find(r.begin(), r.end(), in.node) == r.end()) r.push_back(in.node);
  return r;
}

}  // namespace fusion
}  // namespace irconv
