// IR v11 writer: model.xml + model.bin, written to temporary files and renamed at the end.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "irconv/graph.hpp"

namespace irconv {

struct SaveOptions {
  bool compress_to_fp16 = true;
  // Model-level rt_info: "key" -> <key value=".."/>, "group/key" -> <group><key value=".."/></group>
  std::vector<std::pair<std::string, std::string>> rt_info;
};

struct SaveStats {
  uint64_t bin_bytes = 0;
  size_t layers = 0;
  size_t constants = 0;
  size_t compressed = 0;   // constants stored as f16 + Convert
  size_t deduplicated = 0; // constants sharing another constant's blob
};

SaveStats save_ir(const Graph& g, const std::string& xml_path, const std::string& bin_path, const SaveOptions& opt);

// Constants in shape sub-graphs (feeding shape inputs of ops, directly or through other ops) and
// on precise inputs (quantization ranges): kept in full precision by FP16 compression.
std::vector<const Node*> precision_sensitive_constants(const Graph& g);

}  // namespace irconv
