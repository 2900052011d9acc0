// How an ipckit::Error becomes a Python exception (docs/python.md, "Errors").
//
// The exception is built by ipckit._errors.make (Python): OSError's own errno mapping gives
// FileNotFoundError, FileExistsError, PermissionError, TimeoutError, BrokenPipeError,
// ConnectionResetError...; bad arguments (EINVAL, EMSGSIZE, ENAMETOOLONG, EBADF) give
// ipckit.InvalidArgumentError, which is both an OSError and a ValueError. Every one carries
// errno, `operation` and `object`.
#pragma once

#include <pybind11/pybind11.h>

#include <string_view>

#include "ipckit/core/error.hpp"

namespace ipckit::python {

// Sets the Python error for `error` and throws pybind11::error_already_set. REQUIRES: the GIL.
[[noreturn]] void raise(const Error& error);

// The value of a Result, or raise(its error).
template <class T>
T value_or_raise(Result<T>&& r) {
  if (!r) raise(r.error());
  if constexpr (!std::is_void_v<T>) return std::move(*r);
}

// Raises BufferError / ValueError / RuntimeError with `message`.
[[noreturn]] void raise_buffer_error(std::string_view message);
[[noreturn]] void raise_value_error(std::string_view message);

}  // namespace ipckit::python
