// Internal helpers for calling the C library. Not installed.
#pragma once

#include <cerrno>
#include <utility>

namespace ipckit::detail {

// Calls `f()` again while it fails with EINTR (returns -1 and errno == EINTR).
// Only for calls whose restart is correct: those with no partial effect before EINTR and no
// absolute-time argument that a restart would stretch.
template <class F>
auto retry_eintr(F&& f) {
  for (;;) {
    auto r = f();
    if (!(r == -1 && errno == EINTR)) return r;
  }
}

}  // namespace ipckit::detail
