// Internal helpers shared by the Unix socket wrappers: the EINTR and timeout policy that
// include/ipckit/unix/socket.hpp documents. Not installed.
#pragma once

#include <cerrno>
#include <string>

#include "ipckit/core/error.hpp"

namespace ipckit::uds::detail {

// Which timeout governs a call: SO_RCVTIMEO (accept, recv*) or SO_SNDTIMEO (connect, send*).
enum class Direction { kReceive, kSend };

// getsockopt(SO_RCVTIMEO or SO_SNDTIMEO) != 0. Leaves errno as it found it.
[[nodiscard]] bool has_timeout(int fd, Direction direction) noexcept;

// Calls `f()` (a syscall wrapper returning -1 and setting errno on failure) and restarts it on
// EINTR unless a timeout governs the call, in which case EINTR is returned to the caller:
// restarting would re-arm the full timeout.
template <class F>
auto call_blocking(int fd, Direction direction, F&& f) {
  for (;;) {
    auto r = f();
    if (!(r == -1 && errno == EINTR)) return r;
    if (has_timeout(fd, direction)) {
      errno = EINTR;
      return r;
    }
  }
}

// "fd N": the object named in errors about a socket.
[[nodiscard]] std::string describe_fd(int fd);

// The failure for the current errno of `operation` on `fd`. EAGAIN on a socket in blocking mode
// can only be an expired SO_RCVTIMEO/SO_SNDTIMEO: it becomes ETIMEDOUT.
[[nodiscard]] std::unexpected<Error> fail_io(const char* operation, int fd, Direction direction);

}  // namespace ipckit::uds::detail
