// ViewBuffer: a Python object that exports a span of shared memory through the buffer protocol
// and counts the views taken of it, so that memory is never given back while a view can still
// read or write it (docs/python.md, "Zero-copy views").
//
// A peeked channel message, a shared-state snapshot and a draft table are each exported by one
// ViewBuffer; the user sees memoryviews of it. close() makes new views impossible (getbuffer
// raises BufferError). The owner of the memory asks exports() before giving it back: 0 means no
// memoryview, slice of one, or numpy array can reach it any more.
//
// `keep` (optional) is dropped as soon as the buffer is closed and has no export left: a
// snapshot's pin lives exactly as long as the last view of its table.
#pragma once

#include <pybind11/pybind11.h>

#include <cstddef>
#include <memory>
#include <span>

namespace ipckit::python {

// Registers the type as ipckit._ipckit._ViewBuffer. Called once, from the module's init.
void register_view_buffer(pybind11::module_& m);

// A new, open ViewBuffer over `bytes` (read-only unless `writable`).
[[nodiscard]] pybind11::object make_view_buffer(std::span<std::byte> bytes, bool writable,
                                                std::shared_ptr<void> keep = {});
// A memoryview of the whole buffer.
[[nodiscard]] pybind11::object memoryview_of(const pybind11::object& buffer);
// Views alive now (memoryviews, their slices, numpy arrays built on them).
[[nodiscard]] std::ptrdiff_t exports(const pybind11::object& buffer) noexcept;
// No new views from now on; drops `keep` if no view is left (else when the last one goes).
void close_view_buffer(const pybind11::object& buffer) noexcept;

}  // namespace ipckit::python
