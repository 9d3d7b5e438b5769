// Op schemas: IR type name, opset version, input counts, shape/type inference, and optionally a
// reference evaluator used by constant folding and known-value propagation.
//
// Registering an op (in cpp/src/ops/<family>.cpp):
//   static void infer_relu(Node& n) { n.set_output(0, n.in_type(0), n.in_shape(0)); }
//   IRCONV_OPS(activation) {
//     reg({"ReLU", "opset1", 1, 1, infer_relu, eval_relu});
//   }
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "irconv/graph.hpp"

namespace irconv {

// Sets n's outputs (n.set_output) from its inputs/attributes; throws Error on invalid input.
using InferFn = void (*)(Node& n);
// Computes outputs from input tensors (all non-null). Returns false if this case is not supported
// (the node is then simply not folded). `out` has one entry per output.
using EvalFn = bool (*)(const Node& n, const std::vector<const Tensor*>& in, std::vector<Tensor>& out);

struct OpSchema {
  std::string type;        // IR spelling
  std::string version;     // "opset1", ...
  int min_inputs = 0;
  int max_inputs = 0;      // -1 = unbounded
  InferFn infer = nullptr;
  EvalFn eval = nullptr;
  // Input ports that carry shapes/axes/indices (not data): constants feeding them are kept in
  // full precision by FP16 compression and are "shape sub-graph" inputs.
  std::vector<int> shape_inputs = {};
  // eval needs only the static shapes of its inputs, not their values (ShapeOf).
  bool eval_from_shapes = false;
  // Data inputs whose constants must stay in full precision too (FakeQuantize ranges: rounding
  // them to f16 moves quantization boundaries).
  std::vector<int> precise_inputs = {};
};

void reg(OpSchema s);
// The schema for (type, version); version "" = the default (the first registered for type).
const OpSchema* find_schema(const std::string& type, const std::string& version = "");
std::vector<const OpSchema*> all_schemas();  // sorted by type, version

namespace detail {
struct Registrar { explicit Registrar(void (*f)()) { f(); } };
}
// Defines a registration function that runs at load time.
#define IRCONV_OPS(family)                                              \
  static void irconv_register_##family();                               \
  static ::irconv::detail::Registrar irconv_registrar_##family(&irconv_register_##family); \
  static void irconv_register_##family()

}  // namespace irconv
