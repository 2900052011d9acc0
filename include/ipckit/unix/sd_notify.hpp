// ipckit::uds::sd_notify(): tells the service manager (systemd, Type=notify) about this process's
// state, the way sd_notify(3) does: one datagram "READY=1", "STOPPING=1", "STATUS=text", ... (one
// assignment per line) sent to the AF_UNIX datagram socket named by $NOTIFY_SOCKET ("/path" or
// "@abstract"). No libsystemd: the protocol is one environment variable and one sendto(2).
//
// The variable is left in the environment (a daemon notifies READY=1 and later STOPPING=1), so
// the caller's children inherit it; unset it before exec if that matters.
// Thread safety: reads the environment (getenv); safe from any thread that does not change it.
#pragma once

#include <string_view>

#include "ipckit/core/error.hpp"

namespace ipckit::uds {

// sendto(2) of `state` to $NOTIFY_SOCKET, never blocking (the manager's socket queue is large; a
// full one is an error, not a wait). Returns: true when sent, false when $NOTIFY_SOCKET is unset or
// empty (not run by a service manager: nothing to do).
// Errors: EAFNOSUPPORT ($NOTIFY_SOCKET is neither an absolute path nor "@name", e.g. "vsock:…"),
// ENAMETOOLONG, and those of sendto: ENOENT/ECONNREFUSED (nobody is bound there), EAGAIN, EACCES.
// The object of an error is the socket's address. Man: sd_notify(3), unix(7).
[[nodiscard]] Result<bool> sd_notify(std::string_view state);

}  // namespace ipckit::uds
