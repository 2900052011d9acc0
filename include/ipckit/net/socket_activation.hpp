// ipckit::net::activated_sockets(): the listening sockets systemd (or systemd-socket-activate,
// or any launcher speaking the same protocol) passed to this process.
//
// The protocol, as sd_listen_fds(3) documents it: LISTEN_PID must equal getpid() (otherwise the
// variables were meant for another process, e.g. a parent, and are ignored); LISTEN_FDS=N says
// descriptors 3 .. 3+N-1 are ours; LISTEN_FDNAMES=a:b:c names them (systemd's FileDescriptorName=,
// default "unknown"). The variables are removed from the environment once read (like
// sd_listen_fds(1)), so children do not inherit them, and every passed descriptor is made
// close-on-exec. No libsystemd: the protocol is three environment variables.
//
// Thread safety: reads and changes the environment: call it once, early, before threads start.
#pragma once

#include <string>
#include <vector>

#include "ipckit/core/error.hpp"
#include "ipckit/core/fd.hpp"

namespace ipckit::net {

struct ActivatedSocket {
  Fd fd;             // owned, close-on-exec
  std::string name;  // from LISTEN_FDNAMES, or "unknown"
};

// Returns: the passed descriptors in order (empty when none were passed, or LISTEN_PID is not
// this process). Errors: EINVAL (LISTEN_FDS or LISTEN_PID not a number, LISTEN_FDNAMES with a
// different count), EBADF (a promised descriptor is not open).
[[nodiscard]] Result<std::vector<ActivatedSocket>> activated_sockets();

}  // namespace ipckit::net
