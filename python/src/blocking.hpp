// Blocking calls from Python: the GIL is released while ipckit waits, and Python's signal
// handlers run at least every kSlice, so Ctrl-C raises KeyboardInterrupt within ~20 ms.
//
// A wait is cut into slices: each slice is one ipckit call with a timeout of at most kSlice,
// which either completes, fails, or times out having done nothing (every blocking ipckit call
// guarantees that: nothing sent, nothing taken). Between slices the GIL is taken back and
// PyErr_CheckSignals runs; an exception from a handler (KeyboardInterrupt) ends the wait with
// nothing done. So an interrupted call never leaves a message half sent or half read.
#pragma once

#include <pybind11/pybind11.h>

#include <chrono>
#include <optional>

#include "ipckit/core/error.hpp"
#include "ipckit/core/timeout.hpp"

namespace ipckit::python {

inline constexpr std::chrono::milliseconds kSlice{20};

// A Python timeout argument: None (wait as long as it takes) or seconds >= 0.
// Raises ValueError for a negative or NaN value.
class Deadline {
 public:
  explicit Deadline(std::optional<double> seconds);
  [[nodiscard]] bool forever() const noexcept { return forever_; }
  [[nodiscard]] bool zero() const noexcept { return zero_; }
  // What is left, at most kSlice; zero once the deadline has passed.
  [[nodiscard]] Timeout next_slice() const;
  [[nodiscard]] bool passed() const;

 private:
  bool forever_ = true;
  bool zero_ = false;
  std::chrono::steady_clock::time_point end_{};
};

// Runs attempt(slice) -> Result<T> with the GIL released until it returns anything but
// ETIMEDOUT or the deadline passes (then the last ETIMEDOUT is returned). Between slices: the
// GIL, and Python's signal handlers (their exception propagates as error_already_set).
// REQUIRES: the GIL is held by the caller.
template <class Attempt>
auto wait_sliced(const Deadline& deadline, Attempt&& attempt) -> decltype(attempt(Timeout{})) {
  for (;;) {
    const Timeout slice = deadline.next_slice();
    decltype(attempt(Timeout{})) r = [&] {
      pybind11::gil_scoped_release nogil;
      return attempt(slice);
    }();
    if (r || r.error().code() != ETIMEDOUT) return r;
    if (PyErr_CheckSignals() != 0) throw pybind11::error_already_set();
    if (deadline.passed()) return r;
  }
}

}  // namespace ipckit::python
