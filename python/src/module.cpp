// The compiled half of `import ipckit`: _ipckit (python/ipckit/__init__.py re-exports it).
#include <pybind11/pybind11.h>

#include <limits>

#include "bindings.hpp"
#include "errors.hpp"
#include "view_buffer.hpp"

namespace py = pybind11;

namespace ipckit::python {

BorrowedBuffer::BorrowedBuffer(const py::handle& obj, bool writable) {
  const int flags = writable ? (PyBUF_SIMPLE | PyBUF_WRITABLE) : PyBUF_SIMPLE;
  if (PyObject_GetBuffer(obj.ptr(), &view_, flags) != 0) throw py::error_already_set();
}

Target target_of(const std::optional<std::string>& name, const std::optional<long long>& key) {
  if (name.has_value() == key.has_value())
    raise_value_error("give exactly one of name (POSIX) or key= (System V)");
  if (key &&
      (*key < std::numeric_limits<int>::min() || *key > std::numeric_limits<unsigned>::max()))
    raise_value_error("a System V key is a 32-bit number");
  return {name, key};
}

InUse::InUse(bool& busy) : busy_(busy) {
  if (busy_) {
    PyErr_SetString(PyExc_RuntimeError,
                    "this handle is in use by another thread: take one handle per thread");
    throw py::error_already_set();
  }
  busy_ = true;
}

}  // namespace ipckit::python

PYBIND11_MODULE(_ipckit, m) {
  m.doc() = "ipckit: Linux IPC for Python (compiled part; use `import ipckit`).";
  m.attr("__version__") = IPCKIT_VERSION;
  ipckit::python::register_view_buffer(m);
  ipckit::python::register_channel(m);
  ipckit::python::register_shared_state(m);
  ipckit::python::register_listing(m);
}
