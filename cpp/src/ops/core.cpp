// Parameter, Const and Result are created by dedicated Graph methods; they are registered here so
// the registry (and the README's op table) knows them.
#include "irconv/op_registry.hpp"

namespace irconv {

static void infer_keep(Node&) {}

IRCONV_OPS(core) {
  reg({"Parameter", "opset1", 0, 0, infer_keep});
  reg({"Const", "opset1", 0, 0, infer_keep});
  reg({"Result", "opset1", 1, 1, infer_keep});
}

}  // namespace irconv
