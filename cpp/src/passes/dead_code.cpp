// Dead code elimination: nodes no Result depends on are dropped.
#include "irconv/pass.hpp"

namespace irconv {

IRCONV_PASSES(dead_code) {
  // unreachable from every Result -> removed
  reg_pass({"DeadCodeElimination", kOrderCleanup, [](Graph& g, const PassContext&) { return g.remove_dead() > 0; }});
  reg_pass({"DeadCodeEliminationFinal", kOrderFinalCleanup, [](Graph& g, const PassContext&) { return g.remove_dead() > 0; }});
}

}  // namespace irconv
