// irconv._core: the C++ core as a Python module.
#include "common.hpp"
#include "irconv/op_registry.hpp"
#include "irconv/pass.hpp"

PYBIND11_MODULE(_core, m) {
  m.doc() = "irconv core: graph, shape inference, passes, IR writer";
  // C++ irconv::Error -> irconv.errors.IrconvError (one exception class for the whole package)
  static py::object err_cls = py::module_::import("irconv.errors").attr("IrconvError");
  m.attr("IrconvError") = err_cls;
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const irconv::Error& e) {
      PyErr_SetString(err_cls.ptr(), e.what());
    }
  });
  irconv::bind::bind_tensor(m);
  irconv::bind::bind_graph(m);
  irconv::bind::bind_io(m);
  m.def("registered_ops", [] {
    std::vector<std::pair<std::string, std::string>> r;
    for (auto* s : irconv::all_schemas()) r.emplace_back(s->type, s->version);
    return r;
  });
  m.def("passes", [] {
    std::vector<std::string> r;
    for (auto* p : irconv::all_passes()) r.push_back(p->name);
    return r;
  });
}
