// Passes: named graph rewrites run by a pass manager in a declared order.
#pragma once
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "irconv/graph.hpp"
#include "irconv/op_registry.hpp"

namespace irconv {

struct PassContext {
  bool static_shape = false;   // fold ShapeOf of static shapes and shape sub-graphs
};

struct Pass {
  std::string name;
  int order;                                         // pipeline position (ascending)
  std::function<bool(Graph&, const PassContext&)> run;  // returns true if it changed the graph
};

void reg_pass(Pass p);
std::vector<const Pass*> all_passes();  // sorted by order, then name

struct PassTiming { std::string name; double seconds; bool changed; };
// Runs every registered pass in order except those named in `disabled`.
std::vector<PassTiming> run_pipeline(Graph& g, const PassContext& ctx,
                                     const std::vector<std::string>& disabled = {});
// Runs one pass by name (throws Error if unknown).
bool run_pass(Graph& g, const std::string& name, const PassContext& ctx);

// Pipeline positions
enum PassOrder : int {
  kOrderCleanup = 100,        // dead code
  kOrderFold = 200,           // constant folding
  kOrderFusion = 300,         // activation fusions etc.
  kOrderFinalFold = 800,
  kOrderFinalCleanup = 900,
};

#define IRCONV_PASSES(family) IRCONV_OPS(passes_##family)

}  // namespace irconv
