// The pieces of the _ipckit module, each registered by its own file.
#pragma once

#include <pybind11/pybind11.h>

#include <optional>
#include <string>

#include "ipckit/core/error.hpp"

namespace ipckit::python {

void register_channel(pybind11::module_& m);
void register_shared_state(pybind11::module_& m);
void register_listing(pybind11::module_& m);

// A contiguous buffer borrowed from a Python object for one call (PEP 3118). Holding it keeps
// the exporter from resizing (a bytearray cannot grow while exported), so the bytes may be used
// with the GIL released. Raises TypeError/BufferError for objects without a contiguous buffer.
class BorrowedBuffer {
 public:
  BorrowedBuffer(const pybind11::handle& obj, bool writable);
  ~BorrowedBuffer() { PyBuffer_Release(&view_); }
  BorrowedBuffer(const BorrowedBuffer&) = delete;
  BorrowedBuffer& operator=(const BorrowedBuffer&) = delete;
  [[nodiscard]] std::byte* data() const noexcept { return static_cast<std::byte*>(view_.buf); }
  [[nodiscard]] std::size_t size() const noexcept { return static_cast<std::size_t>(view_.len); }

 private:
  Py_buffer view_{};
};

// A handle argument that names either a POSIX object (`name`) or a System V key (`key`):
// exactly one. Raises ValueError otherwise.
struct Target {
  std::optional<std::string> name;
  std::optional<long long> key;
};
[[nodiscard]] Target target_of(const std::optional<std::string>& name,
                               const std::optional<long long>& key);

// A Python object's call is running on this handle: a second thread calling into the same
// handle while the first waits with the GIL released gets RuntimeError instead of a data race.
class InUse {
 public:
  explicit InUse(bool& busy);
  ~InUse() { busy_ = false; }
  InUse(const InUse&) = delete;
  InUse& operator=(const InUse&) = delete;

 private:
  bool& busy_;
};

}  // namespace ipckit::python
