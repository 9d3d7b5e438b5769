// Dead code elimination: nodes no Result or sink depends on are dropped, in bodies too.
#include "irconv/pass.hpp"

namespace irconv {

namespace {
// The graph, then the bodies of its remaining nodes (a body keeps all its Parameters and
// Results: the port map refers to them by index).
bool remove_dead_recursive(Graph& g) {
  bool changed = g.remove_dead() > 0;
  for (Node* n : g.all_nodes())
    for (auto& b : n->bodies) changed |= remove_dead_recursive(*b);
  return changed;
}
}  // namespace

IRCONV_PASSES(dead_code) {
  // unreachable from every Result and sink -> removed (in bodies too)
  reg_pass({"DeadCodeElimination", kOrderCleanup, [](Graph& g, const PassContext&) { return remove_dead_recursive(g); }});
  reg_pass({"DeadCodeEliminationFinal", kOrderFinalCleanup, [](Graph& g, const PassContext&) { return remove_dead_recursive(g); }});
}

}  // namespace irconv
