// Shared helpers of the pybind11 glue.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "irconv/graph.hpp"

namespace py = pybind11;

namespace irconv::bind {

// numpy array -> Tensor that borrows the array's buffer (copies only if not C-contiguous).
Tensor tensor_from_array(py::handle obj);
// Tensor -> numpy array viewing the tensor's bytes (read-only); None for types numpy lacks.
py::object array_from_tensor(std::shared_ptr<const Tensor> t);
AttrValue attr_from_py(py::handle v, const std::string& key);
py::object attr_to_py(const AttrValue& v);
// keeps a Python object alive from C++ (GIL-safe release)
std::shared_ptr<const void> keep_py(py::object o);

void bind_tensor(py::module_& m);
void bind_graph(py::module_& m);
void bind_io(py::module_& m);

}  // namespace irconv::bind
