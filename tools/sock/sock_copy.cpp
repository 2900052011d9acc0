// copy_both_ways(): stdin to a connected socket and the socket to stdout at the same time, the
// way socat copies between two addresses. See sock_common.hpp for the contract and docs/cli.md
// ("Both directions") for the rules as users read them.
#include <fmt/core.h>
#include <poll.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <vector>

#include "sock/sock_common.hpp"

namespace ipckit::cli::sock {

namespace {

constexpr std::size_t kInputChunk = std::size_t{64} << 10;  // one read of stdin, one message

using Bytes = std::span<const std::byte>;

// One receive from the socket into `buffer`. Returns the bytes received; std::nullopt when
// nothing was ready (EAGAIN). A message socket's message longer than the buffer is EMSGSIZE.
Result<std::optional<std::size_t>> receive_some(const UnixSocket& socket,
                                                const UnixAddress& address,
                                                std::span<std::byte> buffer) {
  if (socket.type() == SocketType::kStream) {
    auto got = socket.receive(buffer);
    if (got) return std::optional<std::size_t>(*got);
    if (got.error().code() == EAGAIN || got.error().code() == EINTR) return std::nullopt;
    return std::unexpected(got.error());
  }
  auto got = socket.receive_from(buffer);
  if (!got) {
    if (got.error().code() == EAGAIN || got.error().code() == EINTR) return std::nullopt;
    return std::unexpected(got.error());
  }
  if (got->truncated) {
    return fail(EMSGSIZE, "recvmsg", address.describe(),
                fmt::format("a message longer than {} bytes was cut; it is lost", buffer.size()));
  }
  return std::optional<std::size_t>(got->size);
}

}  // namespace

Result<void> copy_both_ways(const UnixSocket& socket, const UnixAddress& address, Input& input) {
  if (auto r = socket.set_blocking(uds::Blocking::kNo); !r) return std::unexpected(r.error());
  const bool datagram = socket.type() == SocketType::kDatagram;
  const bool stream = socket.type() == SocketType::kStream;
  std::vector<std::byte> in_buffer(kInputChunk);
  std::vector<std::byte> out_buffer(kMaxMessage);
  Bytes to_socket;  // read from stdin, not yet sent
  Bytes to_stdout;  // received, not yet written
  bool reading_stdin = !input.eof;
  bool socket_eof = false;  // the peer will send nothing more
  bool shut = false;        // our write side is shut (or, for a datagram socket, done)

  enum Slot { kStop, kStdin, kSocket, kStdout };
  for (;;) {
    if (!reading_stdin && to_socket.empty() && !shut) {
      if (!datagram) {
        if (auto r = socket.shutdown(uds::Shutdown::kWrite); !r) return std::unexpected(r.error());
      }
      shut = true;
    }
    if (shut && to_stdout.empty() && (datagram || socket_eof)) return {};

    short socket_events = 0;
    if (!socket_eof && to_stdout.empty()) socket_events |= POLLIN;
    if (!to_socket.empty()) socket_events |= POLLOUT;
    // Once the peer has sent its end, a hang-up (reported whatever the events) says it closed
    // completely: nothing more from stdin can reach it.
    const bool watch_hangup = socket_eof && reading_stdin && to_socket.empty();
    std::array<pollfd, 4> fds{};
    fds[kStop] = {StopSignals::fd().get(), POLLIN, 0};
    fds[kStdin] = {reading_stdin && to_socket.empty() ? STDIN_FILENO : -1, POLLIN, 0};
    fds[kSocket] = {socket_events != 0 || watch_hangup ? socket.fd().get() : -1, socket_events, 0};
    fds[kStdout] = {to_stdout.empty() ? -1 : STDOUT_FILENO, POLLOUT, 0};
    const int n = ::poll(fds.data(), fds.size(), -1);
    if (StopSignals::caught() != 0) {
      return std::unexpected(StopSignals::stopped("poll", address.describe()));
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("poll", address.describe());
    }

    if (fds[kStdout].revents != 0) {
      const ssize_t w = ::write(STDOUT_FILENO, to_stdout.data(), to_stdout.size());
      if (w < 0 && errno != EINTR && errno != EAGAIN) return fail_errno("write", "stdout");
      if (w > 0) to_stdout = to_stdout.subspan(static_cast<std::size_t>(w));
    }

    if (const short rev = fds[kSocket].revents; rev != 0) {
      if ((socket_events & POLLIN) != 0 && (rev & (POLLIN | POLLHUP | POLLERR)) != 0) {
        auto got = receive_some(socket, address, out_buffer);
        if (!got) return std::unexpected(got.error());
        if (*got) {
          if (**got == 0 && !datagram) socket_eof = true;  // an empty seqpacket reads as the end
          to_stdout = Bytes(out_buffer).first(**got);
        }
      }
      if (!to_socket.empty() && (rev & (POLLOUT | POLLHUP | POLLERR)) != 0) {
        auto sent = socket.send(to_socket);
        if (sent) {
          to_socket = stream ? to_socket.subspan(*sent) : Bytes();
        } else if (sent.error().code() != EAGAIN && sent.error().code() != EINTR) {
          return std::unexpected(sent.error());
        }
      }
      if (watch_hangup && (rev & (POLLHUP | POLLERR)) != 0) reading_stdin = false;
    }

    if (fds[kStdin].revents != 0) {
      const ssize_t r = ::read(STDIN_FILENO, in_buffer.data(), in_buffer.size());
      if (r < 0) {
        if (errno != EINTR && errno != EAGAIN) return fail_errno("read", "stdin");
      } else if (r == 0) {
        input.eof = true;
        reading_stdin = false;
      } else {
        to_socket = Bytes(in_buffer).first(static_cast<std::size_t>(r));
      }
    }
  }
}

}  // namespace ipckit::cli::sock
