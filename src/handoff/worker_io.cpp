#include "handoff/worker_io.hpp"

#include <fmt/core.h>
#include <poll.h>

#include <cerrno>

#include "ipckit/unix/fd_passing.hpp"

namespace ipckit::handoff::detail {

using ipckit::detail::Clock;

uds::AccessPolicy default_daemon_policy(const uds::UnixAddress& control) {
  return control.is_path() ? uds::AccessPolicy::anyone() : uds::AccessPolicy::same_user();
}

Result<void> wait_readable(FdView socket, Clock::time_point deadline, const char* operation,
                           const std::string& object) {
  for (;;) {
    pollfd p{.fd = socket.get(), .events = POLLIN, .revents = 0};
    const int n = ::poll(&p, 1, ipckit::detail::poll_timeout_ms(deadline));
    if (n > 0) return {};
    if (n < 0 && errno != EINTR) return fail_errno(operation, object);
    if (n == 0 && Clock::now() >= deadline) {
      return fail(ETIMEDOUT, operation, object, "no message from the daemon in time");
    }
  }
}

Result<Incoming> receive_daemon_message(FdView socket, std::span<std::byte> buffer,
                                        std::size_t max_fds, const char* operation,
                                        const std::string& object) {
  auto received = uds::receive_fds(socket, buffer, max_fds);
  if (!received) {
    const int code = received.error().code();
    if (code == EMSGSIZE) {
      return fail(EPROTO, operation, object,
                  fmt::format("a message larger than {} bytes or with more than {} descriptor(s)",
                              protocol::kMaxMessage, max_fds));
    }
    if (code == EPROTO) {
      return fail(EPROTO, operation, object, "a message with unexpected descriptors");
    }
    return std::unexpected(received.error());
  }
  if (received->eof) {
    return fail(ECONNRESET, operation, object, "the daemon closed the control connection");
  }
  const std::string_view payload(reinterpret_cast<const char*>(buffer.data()), received->size);
  auto message = protocol::decode_daemon_message(payload);
  if (!message) {
    // Name the worker's operation and the control socket; keep the decoder's detail.
    return fail(EPROTO, operation, object, message.error().detail());
  }
  return Incoming{.message = *std::move(message), .fds = std::move(received->fds)};
}

Result<void> send_message(const uds::UnixSocket& socket, const protocol::WorkerMessage& message,
                          const char* operation, const std::string& object) {
  auto sent = socket.send(protocol::encode(message));
  if (sent) return {};
  const int code = sent.error().code();
  if (code == EPIPE || code == ECONNRESET) {
    return fail(ECONNRESET, operation, object, "the daemon closed the control connection");
  }
  return std::unexpected(sent.error());
}

}  // namespace ipckit::handoff::detail
