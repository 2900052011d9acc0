// ipckit.SharedStateWriter, SharedStateReader, Snapshot, Draft and SharedState (docs/python.md).
//
// A Snapshot's pin lives as long as its table can be read: the pin is owned by the ViewBuffer
// that exports the table, and dropped when the Snapshot is closed and its last view is gone.
// A Draft is published or abandoned only when no view of its table is left.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "bindings.hpp"
#include "blocking.hpp"
#include "errors.hpp"
#include "ipckit/shared_state.hpp"
#include "view_buffer.hpp"

namespace py = pybind11;
using namespace py::literals;

namespace ipckit::python {

namespace {

using shared_state::Draft;
using shared_state::SharedState;
using shared_state::SharedStateReader;
using shared_state::SharedStateWriter;
using shared_state::Snapshot;

shared_state::Prefill prefill_of(const std::string& p) {
  if (p == "current") return shared_state::Prefill::kCurrent;
  if (p == "none") return shared_state::Prefill::kNone;
  raise_value_error("prefill must be 'current' or 'none'");
}

// --- Writer and its Draft
// -------------------------------------------------------------------------

struct WriterBox {
  std::optional<SharedStateWriter> writer;
  // The open draft and the ViewBuffer lending its table (None: no draft).
  std::optional<Draft> draft;
  py::object table;
  bool busy = false;

  SharedStateWriter& get() {
    if (!writer) raise(Error(EBADF, "shared state", "", "the writer is closed"));
    return *writer;
  }
  // A draft whose table was still viewed when its block ended is abandoned once the views go.
  void settle() {
    if (!draft) return;
    if (table && exports(table) > 0)
      raise_buffer_error("views of the last draft's table are still alive: delete them first");
    draft.reset();
    table = py::object();
  }
};

class PyDraft {
 public:
  PyDraft(std::shared_ptr<WriterBox> box, std::uint64_t version)
      : box_(std::move(box)), version_(version) {
    view_ = memoryview_of(box_->table);
  }
  py::object enter() const {
    if (done_) raise_value_error("the draft was committed or abandoned");
    return view_;
  }
  std::uint64_t version() const noexcept { return version_; }
  // Publishes (commit) or abandons the draft. Either needs every view of the table gone: a
  // writable view kept past commit could change a published version under its readers.
  std::uint64_t finish(bool commit) {
    if (done_) raise_value_error("the draft was committed or abandoned");
    done_ = true;
    PyObject* released = PyObject_CallMethod(view_.ptr(), "release", nullptr);
    if (released == nullptr) PyErr_Clear();
    Py_XDECREF(released);
    view_ = py::object();
    close_view_buffer(box_->table);
    if (exports(box_->table) > 0)
      raise_buffer_error(
          "views of the draft's table are still alive: nothing published; the draft is "
          "abandoned once they are deleted");
    std::optional<Draft> draft = std::move(box_->draft);
    box_->draft.reset();
    box_->table = py::object();
    if (!commit) return 0;
    return value_or_raise(std::move(*draft).commit());
  }
  ~PyDraft() {
    if (done_) return;
    done_ = true;
    view_ = py::object();
    close_view_buffer(box_->table);
    if (exports(box_->table) == 0) {
      box_->draft.reset();
      box_->table = py::object();
    }
  }

 private:
  std::shared_ptr<WriterBox> box_;
  py::object view_;
  std::uint64_t version_;
  bool done_ = false;
};

struct PyWriter {
  std::shared_ptr<WriterBox> box = std::make_shared<WriterBox>();

  Draft begin_draft(const std::string& prefill, std::optional<double> timeout) {
    const Deadline deadline(timeout);
    SharedStateWriter& w = box->get();
    const auto p = prefill_of(prefill);
    auto d = w.begin(p, Timeout::zero());
    if (!d && d.error().code() == ETIMEDOUT && !deadline.zero())
      d = wait_sliced(deadline, [&](Timeout slice) { return w.begin(p, slice); });
    return value_or_raise(std::move(d));
  }

  std::unique_ptr<PyDraft> begin(const std::string& prefill, std::optional<double> timeout) {
    box->settle();
    InUse in_use(box->busy);
    Draft d = begin_draft(prefill, timeout);
    const std::uint64_t version = d.version();
    const auto table = d.table();
    box->draft = std::move(d);
    box->table = make_view_buffer(table, true);
    return std::make_unique<PyDraft>(box, version);
  }

  // The whole update in one call: `data` at `offset`, the rest of the table as published.
  std::uint64_t publish(const py::handle& data, std::size_t offset, std::optional<double> timeout) {
    box->settle();
    InUse in_use(box->busy);
    const BorrowedBuffer buffer(data, false);
    const std::size_t size = box->get().table_size();
    if (offset > size || buffer.size() > size - offset)
      raise(Error(EINVAL, "publish", box->get().name(),
                  "data does not fit: " + std::to_string(buffer.size()) + " bytes at offset " +
                      std::to_string(offset) + " of a " + std::to_string(size) + "-byte table"));
    const bool whole = offset == 0 && buffer.size() == size;
    Draft d = begin_draft(whole ? "none" : "current", timeout);
    std::memcpy(d.table().data() + offset, buffer.data(), buffer.size());
    return value_or_raise(std::move(d).commit());
  }

  void close() {
    box->settle();
    box->writer.reset();
  }
};

// --- Reader and its Snapshot
// ----------------------------------------------------------------------

struct ReaderBox {
  std::optional<SharedStateReader> reader;
  bool busy = false;
  SharedStateReader& get() {
    if (!reader) raise(Error(EBADF, "shared state", "", "the reader is closed"));
    return *reader;
  }
};

class PySnapshot {
 public:
  PySnapshot(Snapshot snapshot) : version_(snapshot.version()) {
    auto pin = std::make_shared<Snapshot>(std::move(snapshot));
    const auto table = pin->table();
    buffer_ = make_view_buffer({const_cast<std::byte*>(table.data()), table.size()}, false, pin);
    view_ = memoryview_of(buffer_);
  }
  ~PySnapshot() { close(); }
  py::object table() const {
    if (!view_) raise_value_error("the snapshot was released");
    return view_;
  }
  std::uint64_t version() const noexcept { return version_; }
  // Unpins (now, or when the last view of the table goes).
  void close() noexcept {
    if (!view_) return;
    PyObject* released = PyObject_CallMethod(view_.ptr(), "release", nullptr);
    if (released == nullptr) PyErr_Clear();
    Py_XDECREF(released);
    view_ = py::object();
    close_view_buffer(buffer_);
  }

 private:
  std::uint64_t version_;
  py::object buffer_;
  py::object view_;
};

struct PyReader {
  std::shared_ptr<ReaderBox> box = std::make_shared<ReaderBox>();

  std::unique_ptr<PySnapshot> snapshot() {
    InUse in_use(box->busy);
    return std::make_unique<PySnapshot>(value_or_raise(box->get().snapshot()));
  }
  py::tuple read() {
    InUse in_use(box->busy);
    auto s = value_or_raise(box->get().snapshot());
    const auto t = s.table();
    return py::make_tuple(s.version(),
                          py::bytes(reinterpret_cast<const char*>(t.data()), t.size()));
  }
  std::uint64_t wait_newer(std::uint64_t version, std::optional<double> timeout) {
    const Deadline deadline(timeout);
    InUse in_use(box->busy);
    const SharedStateReader& r = box->get();
    auto v = r.wait_newer(version, Timeout::zero());
    if (!v && v.error().code() == ETIMEDOUT && !deadline.zero())
      v = wait_sliced(deadline, [&](Timeout slice) { return r.wait_newer(version, slice); });
    return value_or_raise(std::move(v));
  }
};

py::object info_to_python(const shared_state::SharedStateInfo& i) {
  return py::module_::import("ipckit._types")
      .attr("SharedStateInfo")(
          "name"_a = i.name, "table_size"_a = i.table_size, "buffers"_a = i.buffers,
          "max_readers"_a = i.max_readers, "version"_a = i.version, "writer_pid"_a = i.writer_pid,
          "writer_alive"_a = i.writer_alive, "readers"_a = i.readers, "pinned"_a = i.pinned,
          "creator_pid"_a = i.creator_pid, "creator_uid"_a = i.creator_uid,
          "created_unix_ns"_a = i.created_unix_ns);
}

}  // namespace

void register_shared_state(py::module_& m) {
  py::class_<SharedState>(m, "SharedState", "Operations on a shared state by name.")
      .def_static(
          "unlink", [](const std::string& name) { value_or_raise(SharedState::unlink(name)); },
          "name"_a, "Remove the name after checking it is a shared state.")
      .def_static(
          "inspect",
          [](const std::string& name) {
            return info_to_python(value_or_raise(SharedState::inspect(name)));
          },
          "name"_a, "Read the header without registering: a SharedStateInfo.");

  py::class_<PyDraft>(m, "Draft", R"doc(
The next version of the table, writable in place: `with writer.begin() as table:` gives a
writable memoryview; leaving the block normally publishes it, an exception abandons it.)doc")
      .def("__enter__", &PyDraft::enter)
      .def("__exit__",
           [](PyDraft& d, const py::object& type, const py::object&, const py::object&) {
             d.finish(type.is_none());
             return false;
           })
      .def_property_readonly("version", &PyDraft::version, "The version commit() publishes.")
      .def_property_readonly("table", &PyDraft::enter)
      .def(
          "commit", [](PyDraft& d) { return d.finish(true); }, "Publish; return the version.")
      .def(
          "abandon", [](PyDraft& d) { (void)d.finish(false); }, "Publish nothing.");

  py::class_<PyWriter>(m, "SharedStateWriter", R"doc(
The one writer of a shared state: a table of bytes that readers snapshot without locks while
the writer publishes new versions (docs/shared-state.md).)doc")
      .def_static(
          "create",
          [](const std::string& name, std::size_t table_size, std::size_t buffers,
             std::size_t max_readers, unsigned mode) {
            shared_state::SharedStateOptions o;
            o.buffers = buffers;
            o.max_readers = max_readers;
            if (mode > 07777) raise_value_error("mode must be permission bits, 0 to 0o7777");
            o.mode = static_cast<mode_t>(mode);
            PyWriter w;
            w.box->writer = value_or_raise(SharedStateWriter::create(name, table_size, o));
            return w;
          },
          "name"_a, "table_size"_a, py::kw_only(), "buffers"_a = 3, "max_readers"_a = 128,
          "mode"_a = 0600, "Create the object and take the writer role.")
      .def_static(
          "open",
          [](const std::string& name) {
            PyWriter w;
            w.box->writer = value_or_raise(SharedStateWriter::open(name));
            return w;
          },
          "name"_a, "Take the writer role of an existing shared state (from a dead holder too).")
      .def("begin", &PyWriter::begin, py::kw_only(), "prefill"_a = "current",
           "timeout"_a = py::none(),
           "Start the next version: a Draft (prefill 'current' copies the published table).")
      .def("publish", &PyWriter::publish, "data"_a, "offset"_a = 0, py::kw_only(),
           "timeout"_a = py::none(), "Write `data` at `offset` and publish; return the version.")
      .def_property_readonly("version", [](PyWriter& w) { return w.box->get().version(); })
      .def_property_readonly("table_size", [](PyWriter& w) { return w.box->get().table_size(); })
      .def_property_readonly("buffers", [](PyWriter& w) { return w.box->get().buffers(); })
      .def_property_readonly("name", [](PyWriter& w) { return w.box->get().name(); })
      .def("close", &PyWriter::close)
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](PyWriter& w, const py::args&) { w.close(); });

  py::class_<PySnapshot>(m, "Snapshot", R"doc(
One published version, pinned: `table` is a read-only memoryview of it in shared memory. The
writer never reuses a pinned buffer; the pin lasts until the Snapshot is released (leaving its
`with` block) and the last view of its table is gone.)doc")
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](PySnapshot& s, const py::args&) { s.close(); })
      .def("release", &PySnapshot::close)
      .def_property_readonly("table", &PySnapshot::table)
      .def_property_readonly("version", &PySnapshot::version);

  py::class_<PyReader>(m, "SharedStateReader", "A reader of a shared state.")
      .def_static(
          "open",
          [](const std::string& name) {
            PyReader r;
            r.box->reader = value_or_raise(SharedStateReader::open(name));
            return r;
          },
          "name"_a, "Map a shared state and register a reader slot.")
      .def("snapshot", &PyReader::snapshot, "Pin the published version: a Snapshot.")
      .def("read", &PyReader::read, "(version, a copy of the table as bytes).")
      .def("wait_newer", &PyReader::wait_newer, "version"_a, "timeout"_a = py::none(),
           "Wait until the published version is greater than `version`; return it.")
      .def_property_readonly("version", [](PyReader& r) { return r.box->get().version(); })
      .def_property_readonly("writer_alive",
                             [](PyReader& r) { return r.box->get().writer_alive(); })
      .def_property_readonly("table_size", [](PyReader& r) { return r.box->get().table_size(); })
      .def_property_readonly("name", [](PyReader& r) { return r.box->get().name(); })
      .def("close", [](PyReader& r) { r.box->reader.reset(); })
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](PyReader& r, const py::args&) { r.box->reader.reset(); });
}

}  // namespace ipckit::python
