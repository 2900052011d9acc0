#include "view_buffer.hpp"

#include <new>

namespace py = pybind11;

namespace ipckit::python {

namespace {

struct ViewBufferObject {
  PyObject_HEAD std::byte* data;
  Py_ssize_t size;
  bool writable;
  bool open;
  Py_ssize_t exports;
  std::shared_ptr<void>* keep;  // heap-allocated so the C struct stays trivially constructible
};

PyTypeObject* g_type = nullptr;

void drop_keep_if_unused(ViewBufferObject* self) noexcept {
  if (!self->open && self->exports == 0 && self->keep != nullptr) {
    delete self->keep;
    self->keep = nullptr;
  }
}

int get_buffer(PyObject* obj, Py_buffer* view, int flags) {
  auto* self = reinterpret_cast<ViewBufferObject*>(obj);
  if (!self->open) {
    PyErr_SetString(PyExc_BufferError,
                    "this message or table was released: its memory may hold other data now");
    view->obj = nullptr;
    return -1;
  }
  if (PyBuffer_FillInfo(view, obj, self->data, self->size, self->writable ? 0 : 1, flags) != 0)
    return -1;
  ++self->exports;
  return 0;
}

void release_buffer(PyObject* obj, Py_buffer* /*view*/) {
  auto* self = reinterpret_cast<ViewBufferObject*>(obj);
  --self->exports;
  drop_keep_if_unused(self);
}

void dealloc(PyObject* obj) {
  auto* self = reinterpret_cast<ViewBufferObject*>(obj);
  delete self->keep;
  self->keep = nullptr;
  PyTypeObject* type = Py_TYPE(obj);
  type->tp_free(obj);
  Py_DECREF(type);
}

PyType_Slot g_slots[] = {
    {Py_tp_dealloc, reinterpret_cast<void*>(dealloc)},
    {Py_bf_getbuffer, reinterpret_cast<void*>(get_buffer)},
    {Py_bf_releasebuffer, reinterpret_cast<void*>(release_buffer)},
    {Py_tp_doc, const_cast<char*>("Shared memory lent to Python views (internal).")},
    {0, nullptr},
};

PyType_Spec g_spec = {
    "ipckit._ipckit._ViewBuffer",
    static_cast<int>(sizeof(ViewBufferObject)),
    0,
    Py_TPFLAGS_DEFAULT,
    g_slots,
};

ViewBufferObject* as_view(const py::object& o) noexcept {
  return reinterpret_cast<ViewBufferObject*>(o.ptr());
}

}  // namespace

void register_view_buffer(py::module_& m) {
  PyObject* type = PyType_FromSpec(&g_spec);
  if (type == nullptr) throw py::error_already_set();
  g_type = reinterpret_cast<PyTypeObject*>(type);
  m.add_object("_ViewBuffer", py::reinterpret_borrow<py::object>(type));
}

py::object make_view_buffer(std::span<std::byte> bytes, bool writable, std::shared_ptr<void> keep) {
  PyObject* obj = PyType_GenericAlloc(g_type, 0);
  if (obj == nullptr) throw py::error_already_set();
  auto* self = reinterpret_cast<ViewBufferObject*>(obj);
  self->data = bytes.data();
  self->size = static_cast<Py_ssize_t>(bytes.size());
  self->writable = writable;
  self->open = true;
  self->exports = 0;
  self->keep = keep ? new std::shared_ptr<void>(std::move(keep)) : nullptr;
  return py::reinterpret_steal<py::object>(obj);
}

py::object memoryview_of(const py::object& buffer) {
  PyObject* mv = PyMemoryView_FromObject(buffer.ptr());
  if (mv == nullptr) throw py::error_already_set();
  return py::reinterpret_steal<py::object>(mv);
}

std::ptrdiff_t exports(const py::object& buffer) noexcept {
  return as_view(buffer)->exports;
}

void close_view_buffer(const py::object& buffer) noexcept {
  auto* self = as_view(buffer);
  self->open = false;
  drop_keep_if_unused(self);
}

}  // namespace ipckit::python
