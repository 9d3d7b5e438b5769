// Helpers shared by the shape, movement and indexing op families (defined in shape.cpp):
// type-agnostic byte-copy kernels and partial values of shape sub-graphs.
#pragma once
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "irconv/graph.hpp"

namespace irconv::ops_detail {

using Dims = std::vector<int64_t>;
// An element of a partial value that is not known (a dynamic dimension).
constexpr int64_t kUnknownVal = std::numeric_limits<int64_t>::min();

// Bytes of one element for the byte-copy kernels; 0 for sub-byte, string and dynamic types.
size_t elem_bytes(ET et);
uint64_t prod(const Dims& d, size_t b, size_t e);
Dims row_strides(const Dims& shape);
// dst[i] = src[sum_k maps[k][idx_k] * src_strides[k]] over out_shape; a map entry < 0 writes `fill`.
void index_copy(const uint8_t* src, uint8_t* dst, size_t esz, const Dims& out_shape, const std::vector<Dims>& maps,
                const Dims& src_strides, const uint8_t* fill);
Dims iota_dims(int64_t n, int64_t start = 0, int64_t step = 1);
// The same bytes under another shape (no copy).
Tensor reshaped(const Tensor& t, Dims shape);
// Values of a small integer tensor seen through shape sub-graphs; kUnknownVal for unknown elements.
std::optional<Dims> partial_value(const Output& o);
std::optional<Dims> partial_ints(const Node& n, size_t i);
// Fully known integer values of input i (constant, known value or a fully known partial value).
std::optional<Dims> known_ints(const Node& n, size_t i);

// Common checks of the op families (messages name the node and the input).
// Writes OpenVINO's default for an optional attribute the node lacks, so the IR states it (the IR
// reader leaves some members unset when an attribute is missing, e.g. ShapeOf's output_type).
void default_attr(Node& n, const char* k, AttrValue v);
// An index element type attribute: i32 or i64.
ET index_type_attr(const Node& n, const char* attr, const char* def);
void check_integral_input(const Node& n, size_t i, const char* what);
void check_rank_le1(const Node& n, size_t i, const char* what);  // scalar or 1D
void check_rank_eq(const Node& n, size_t i, int64_t r, const char* what);
// Elements of a scalar/1D input if its shape says, else -1.
int64_t static_len(const Node& n, size_t i);
// axis in [-rank, rank) -> [0, rank), or an error naming the node.
int64_t normalize(const Node& n, int64_t axis, int64_t rank, const char* what);

}  // namespace irconv::ops_detail
