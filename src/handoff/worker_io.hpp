// The worker side's control-socket I/O, shared by Worker (worker.cpp) and fetch_stats()
// (stats_fetch.cpp): wait with a deadline, receive one daemon message with its descriptors,
// send one worker message. Internal.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "core/deadline.hpp"
#include "ipckit/core/error.hpp"
#include "ipckit/core/fd.hpp"
#include "ipckit/handoff/protocol.hpp"
#include "ipckit/unix/access_policy.hpp"
#include "ipckit/unix/address.hpp"
#include "ipckit/unix/socket.hpp"

namespace ipckit::handoff::detail {

// The policy a worker checks the daemon with when none is given: same_user() for abstract names
// (anyone could bind one first), anyone() for paths (the file's permissions decide).
[[nodiscard]] uds::AccessPolicy default_daemon_policy(const uds::UnixAddress& control);

// poll(2) until `socket` is readable (a message, or the daemon's close) or `deadline` passes.
// EINTR is retried against the same deadline. Errors: ETIMEDOUT (operation/object name it).
[[nodiscard]] Result<void> wait_readable(FdView socket, ipckit::detail::Clock::time_point deadline,
                                         const char* operation, const std::string& object);

// One message from the daemon and the descriptors that came with it (owned: closed if dropped).
struct Incoming {
  protocol::DaemonMessage message;
  std::vector<Fd> fds;
};

// receive_fds() of one seqpacket into `buffer` (kMaxMessage bytes), accepting at most `max_fds`
// descriptors, then decode_daemon_message(). Every descriptor is closed on failure.
// Errors: ECONNRESET (the daemon closed the connection), EPROTO (too many descriptors, a message
// too large, or not a valid daemon message), and those of receive_fds().
[[nodiscard]] Result<Incoming> receive_daemon_message(FdView socket, std::span<std::byte> buffer,
                                                      std::size_t max_fds, const char* operation,
                                                      const std::string& object);

// One seqpacket with the encoded `message`. Blocks until queued.
// Errors: ECONNRESET (the daemon closed: EPIPE, ECONNRESET), and those of send(2).
[[nodiscard]] Result<void> send_message(const uds::UnixSocket& socket,
                                        const protocol::WorkerMessage& message,
                                        const char* operation, const std::string& object);

}  // namespace ipckit::handoff::detail
