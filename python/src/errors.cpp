#include "errors.hpp"

#include <string>

namespace py = pybind11;

namespace ipckit::python {

void raise(const Error& error) {
  const py::object make = py::module_::import("ipckit._errors").attr("make");
  const py::object exc = make(error.code(), error.operation(), error.object(), error.message());
  PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(exc.ptr())), exc.ptr());
  throw py::error_already_set();
}

void raise_buffer_error(std::string_view message) {
  PyErr_SetString(PyExc_BufferError, std::string(message).c_str());
  throw py::error_already_set();
}

void raise_value_error(std::string_view message) {
  PyErr_SetString(PyExc_ValueError, std::string(message).c_str());
  throw py::error_already_set();
}

}  // namespace ipckit::python
