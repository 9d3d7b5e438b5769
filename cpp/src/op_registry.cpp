#include "irconv/op_registry.hpp"

#include <algorithm>
#include <map>

namespace irconv {

namespace {
struct Registry {
  std::map<std::string, std::vector<OpSchema>> by_type;  // first entry = default version
};
Registry& registry() {
  static Registry r;
  return r;
}
}  // namespace

void reg(OpSchema s) {
  auto& v = registry().by_type[s.type];
  for (auto& e : v)
    if (e.version == s.version) { e = std::move(s); return; }
  v.push_back(std::move(s));
}

const OpSchema* find_schema(const std::string& type, const std::string& version) {
  auto& m = registry().by_type;
  auto it = m.find(type);
  if (it == m.end() || it->second.empty()) return nullptr;
  if (version.empty()) return &it->second.front();
  for (auto& e : it->second)
    if (e.version == version) return &e;
  return nullptr;
}

std::vector<const OpSchema*> all_schemas() {
  std::vector<const OpSchema*> r;
  for (auto& kv : registry().by_type)
    for (auto& e : kv.second) r.push_back(&e);
  std::sort(r.begin(), r.end(), [](const OpSchema* a, const OpSchema* b) {
    if (a->type != b->type) return a->type < b->type;
    return a->version < b->version;
  });
  return r;
}

}  // namespace irconv
