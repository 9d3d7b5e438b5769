#include <algorithm>
#include <chrono>
#include <map>

#include "irconv/pass.hpp"

namespace irconv {

namespace {
std::map<std::string, Pass>& passes() {
  static std::map<std::string, Pass> p;
  return p;
}
}  // namespace

void reg_pass(Pass p) {
  std::string n = p.name;
  passes()[n] = std::move(p);
}

std::vector<const Pass*> all_passes() {
  std::vector<const Pass*> r;
  for (auto& kv : passes()) r.push_back(&kv.second);
  std::stable_sort(r.begin(), r.end(), [](const Pass* a, const Pass* b) { return a->order < b->order; });
  return r;
}

std::vector<PassTiming> run_pipeline(Graph& g, const PassContext& ctx, const std::vector<std::string>& disabled) {
  for (auto& d : disabled)
    IRCONV_CHECK(passes().count(d), "unknown pass '" << d << "' (see irconv --list_passes)");
  std::vector<PassTiming> times;
  for (const Pass* p : all_passes()) {
    if (std::find(disabled.begin(), disabled.end(), p->name) != disabled.end()) continue;
    auto t0 = std::chrono::steady_clock::now();
    bool changed = p->run(g, ctx);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    times.push_back({p->name, s, changed});
  }
  return times;
}

bool run_pass(Graph& g, const std::string& name, const PassContext& ctx) {
  auto it = passes().find(name);
  IRCONV_CHECK(it != passes().end(), "unknown pass '" << name << "'");
  return it->second.run(g, ctx);
}

}  // namespace irconv
