// File input: read-only memory maps, and a protobuf wire-format pass over ONNX models that lets
// large initializers be read from an mmap of the model file instead of being parsed into memory.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

namespace irconv {

// A read-only mmap of a whole file; the mapping lives as long as the object.
class MappedFile {
 public:
  static std::shared_ptr<MappedFile> open(const std::string& path);  // throws Error
  ~MappedFile();
  const uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  MappedFile() = default;
  const uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
  std::string path_;
};

struct OnnxStripResult {
  std::string model;          // the re-serialized ModelProto
  uint64_t tensors_moved = 0; // initializers whose raw_data now points into the model file
  uint64_t bytes_moved = 0;
};

// Re-serializes the ModelProto in `bytes` with the raw_data of every top-level graph initializer of
// at least `min_bytes` replaced by external_data {location=self_name, offset, length} into the
// model file itself (data_location=EXTERNAL). Checks every length and offset; throws Error naming
// `path` and the byte offset when the file is not a well-formed protobuf.
OnnxStripResult onnx_strip_raw_data(const uint8_t* bytes, uint64_t size, const std::string& path,
                                    const std::string& self_name, uint64_t min_bytes);

}  // namespace irconv
