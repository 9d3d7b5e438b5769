#include <cstring>

#include "common.hpp"

namespace irconv::bind {

std::shared_ptr<const void> keep_py(py::object o) {
  auto* keep = new py::object(std::move(o));
  return std::shared_ptr<const void>(keep, [](const void* p) {
    py::gil_scoped_acquire gil;
    delete static_cast<const py::object*>(p);
  });
}

static ET et_from_dtype(const py::dtype& dt) {
  char k = dt.kind();
  auto sz = dt.itemsize();
  if (k == 'b') return ET::boolean;
  if (k == 'f') {
    if (sz == 2) return ET::f16;
    if (sz == 4) return ET::f32;
    if (sz == 8) return ET::f64;
  }
  if (k == 'i') {
    if (sz == 1) return ET::i8;
    if (sz == 2) return ET::i16;
    if (sz == 4) return ET::i32;
    if (sz == 8) return ET::i64;
  }
  if (k == 'u') {
    if (sz == 1) return ET::u8;
    if (sz == 2) return ET::u16;
    if (sz == 4) return ET::u32;
    if (sz == 8) return ET::u64;
  }
  throw Error("numpy dtype " + std::string(py::str(dt)) + " has no OpenVINO element type");
}

static const char* dtype_of(ET et) {
  switch (et) {
    case ET::boolean: return "bool";
    case ET::f16: return "float16";
    case ET::f32: return "float32";
    case ET::f64: return "float64";
    case ET::i8: return "int8";
    case ET::i16: return "int16";
    case ET::i32: return "int32";
    case ET::i64: return "int64";
    case ET::u8: return "uint8";
    case ET::u16: return "uint16";
    case ET::u32: return "uint32";
    case ET::u64: return "uint64";
    default: return nullptr;
  }
}

// True when the array's memory comes from a read-only mmap.mmap (through views/memoryviews):
// a private (copy-on-write) or writable mapping could hold changes that dropping pages would lose.
static bool is_file_mapped(const py::array& arr) {
  static py::object mmap_type = py::module_::import("mmap").attr("mmap");
  if (arr.writeable()) return false;
  py::object b = arr.attr("base");
  for (int depth = 0; depth < 16 && !b.is_none(); ++depth) {
    if (py::isinstance(b, mmap_type)) return py::memoryview(b).attr("readonly").cast<bool>();
    if (PyMemoryView_Check(b.ptr())) {
      b = b.attr("obj");
      continue;
    }
    if (!py::hasattr(b, "base")) return false;
    b = b.attr("base");
  }
  return false;
}

Tensor tensor_from_array(py::handle obj) {
  py::module_ np = py::module_::import("numpy");
  py::array arr = py::array::ensure(obj);
  if (!arr) throw Error("constant value is not convertible to a numpy array");
  if (!(arr.flags() & py::array::c_style)) arr = np.attr("ascontiguousarray")(arr);
  Tensor t;
  t.et = et_from_dtype(arr.dtype());
  for (py::ssize_t i = 0; i < arr.ndim(); ++i) t.shape.push_back((int64_t)arr.shape(i));
  t.data = static_cast<const uint8_t*>(arr.data());
  t.nbytes = (uint64_t)arr.nbytes();
  t.file_mapped = is_file_mapped(arr);
  t.owner = keep_py(arr);
  return t;
}

py::object array_from_tensor(std::shared_ptr<const Tensor> t) {
  if (!t) return py::none();
  const char* dt = dtype_of(t->et);
  if (!dt) return py::none();
  std::vector<py::ssize_t> shape(t->shape.begin(), t->shape.end());
  auto* hold = new std::shared_ptr<const Tensor>(t);
  py::capsule base(hold, [](void* p) { delete static_cast<std::shared_ptr<const Tensor>*>(p); });
  py::array a(py::dtype(dt), shape, {}, t->data, base);
  a.attr("setflags")(py::arg("write") = false);
  return a;
}

AttrValue attr_from_py(py::handle v, const std::string& key) {
  if (py::isinstance<py::bool_>(v)) return v.cast<bool>();
  if (py::isinstance<py::int_>(v)) return v.cast<int64_t>();
  if (py::isinstance<py::float_>(v)) return v.cast<double>();
  if (py::isinstance<py::str>(v)) return v.cast<std::string>();
  if (py::hasattr(v, "dtype") && py::hasattr(v, "item") && !py::hasattr(v, "__len__"))
    return attr_from_py(v.attr("item")(), key);  // numpy scalar
  if (py::isinstance<py::sequence>(v) || py::hasattr(v, "tolist")) {
    py::object seq = py::hasattr(v, "tolist") ? v.attr("tolist")() : py::reinterpret_borrow<py::object>(v);
    if (py::isinstance<py::int_>(seq) || py::isinstance<py::float_>(seq)) return attr_from_py(seq, key);
    bool any_float = false, any_str = false;
    for (auto e : seq) {
      if (py::isinstance<py::str>(e)) any_str = true;
      else if (py::isinstance<py::float_>(e)) any_float = true;
      else if (!py::isinstance<py::int_>(e)) throw Error("attribute '" + key + "': unsupported list element type");
    }
    if (any_str) return seq.cast<std::vector<std::string>>();
    if (any_float) return seq.cast<std::vector<double>>();
    return seq.cast<std::vector<int64_t>>();
  }
  throw Error("attribute '" + key + "': unsupported value type " + std::string(py::str(py::type::handle_of(v))));
}

py::object attr_to_py(const AttrValue& v) {
  return std::visit([](const auto& x) -> py::object { return py::cast(x); }, v);
}

void bind_tensor(py::module_& m) {
  m.def("f32_to_f16_bits", [](float f) { return f32_to_f16(f); });
}

}  // namespace irconv::bind
