#include "common.hpp"
#include "irconv/io.hpp"

namespace irconv::bind {

void bind_io(py::module_& m) {
  m.def("onnx_strip_raw_data", [](const std::string& path, const std::string& self_name, uint64_t min_bytes) {
    auto f = MappedFile::open(path);
    OnnxStripResult r;
    {
      py::gil_scoped_release nogil;
      r = onnx_strip_raw_data(f->data(), f->size(), path, self_name, min_bytes);
    }
    return py::make_tuple(py::bytes(r.model), r.tensors_moved, r.bytes_moved);
  }, py::arg("path"), py::arg("self_name"), py::arg("min_bytes") = 1024,
     "Re-serializes an ONNX model so that initializers of at least min_bytes are external data "
     "pointing into the model file itself (read later by mmap). Returns (model_bytes, n_tensors, n_bytes).");
}

}  // namespace irconv::bind
