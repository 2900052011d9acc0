#include "ipckit/unix/framing.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <limits>

#include "unix/socket_io.hpp"

namespace ipckit::uds {

namespace {

using detail::describe_fd;
using detail::Direction;
using detail::fail_io;
using detail::has_timeout;

bool is_nonblocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  return flags >= 0 && (flags & O_NONBLOCK) != 0;
}

// What to do after a send/recv failed with `errno`, `moved` bytes into the frame:
// kRetry (call again), kWait (poll, then call again) or kFail.
enum class Next { kRetry, kWait, kFail };

Next after_failure(int fd, Direction direction, std::size_t moved) {
  const int code = errno;
  if (code == EINTR) return moved > 0 || !has_timeout(fd, direction) ? Next::kRetry : Next::kFail;
  if (code == EAGAIN && moved > 0 && is_nonblocking(fd)) return Next::kWait;
  return Next::kFail;
}

// Waits for `fd` to become ready after a non-blocking mid-frame EAGAIN. Returns false (errno
// set) if poll fails for a reason other than EINTR.
bool wait_ready(int fd, Direction direction) {
  const short events = direction == Direction::kReceive ? POLLIN : POLLOUT;
  pollfd p{.fd = fd, .events = events, .revents = 0};
  for (;;) {
    if (::poll(&p, 1, -1) >= 0) return true;
    if (errno != EINTR) return false;
  }
}

// The failure of a call that had moved `moved` of `total` bytes of the frame.
std::unexpected<Error> fail_mid_frame(const char* operation, int fd, Direction direction,
                                      std::size_t moved, std::size_t total) {
  auto failure = fail_io(operation, fd, direction);
  if (moved == 0) return failure;
  const Error& e = failure.error();
  const std::string reason = e.detail().empty() ? std::string(std::strerror(e.code())) : e.detail();
  return std::unexpected(e.with_detail(fmt::format(
      "{} after {} of {} bytes of a frame; the stream is unusable", reason, moved, total)));
}

// Receives until `buffer` is full or the peer closes. `before` bytes of this frame were already
// received. Returns: the bytes received (fewer than buffer.size() only at EOF).
Result<std::size_t> receive_exact(int fd, std::span<std::byte> buffer, std::size_t before,
                                  std::size_t total) {
  std::size_t got = 0;
  while (got < buffer.size()) {
    const ssize_t n = ::recv(fd, buffer.data() + got, buffer.size() - got, 0);
    if (n > 0) {
      got += static_cast<std::size_t>(n);
      continue;
    }
    if (n == 0) break;
    switch (after_failure(fd, Direction::kReceive, before + got)) {
      case Next::kRetry:
        continue;
      case Next::kWait:
        if (wait_ready(fd, Direction::kReceive)) continue;
        [[fallthrough]];
      case Next::kFail:
        return fail_mid_frame("recv", fd, Direction::kReceive, before + got, total);
    }
  }
  return got;
}

}  // namespace

Result<void> write_frame(FdView socket, std::span<const std::byte> payload, std::size_t max_size) {
  const int fd = socket.get();
  const std::size_t limit = std::min<std::size_t>(max_size, std::numeric_limits<uint32_t>::max());
  if (payload.size() > limit) {
    return fail(EMSGSIZE, "send", describe_fd(fd),
                fmt::format("frame of {} bytes exceeds the maximum of {}", payload.size(), limit));
  }
  const auto header = encode_frame_header(static_cast<std::uint32_t>(payload.size()));
  const std::size_t total = kFrameHeaderSize + payload.size();
  std::size_t sent = 0;
  while (sent < total) {
    iovec iov[2];
    std::size_t count = 0;
    if (sent < kFrameHeaderSize) {
      // Safety: sendmsg only reads through iov_base; the const_casts never write.
      iov[count++] = {.iov_base = const_cast<std::byte*>(header.data() + sent),
                      .iov_len = kFrameHeaderSize - sent};
    }
    const std::size_t payload_sent = sent > kFrameHeaderSize ? sent - kFrameHeaderSize : 0;
    if (payload_sent < payload.size()) {
      iov[count++] = {.iov_base = const_cast<std::byte*>(payload.data() + payload_sent),
                      .iov_len = payload.size() - payload_sent};
    }
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = count;
    const ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (n >= 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    switch (after_failure(fd, Direction::kSend, sent)) {
      case Next::kRetry:
        continue;
      case Next::kWait:
        if (wait_ready(fd, Direction::kSend)) continue;
        [[fallthrough]];
      case Next::kFail:
        return fail_mid_frame("sendmsg", fd, Direction::kSend, sent, total);
    }
  }
  return {};
}

Result<std::optional<std::vector<std::byte>>> read_frame(FdView socket, std::size_t max_size) {
  const int fd = socket.get();
  std::array<std::byte, kFrameHeaderSize> header{};
  auto got = receive_exact(fd, header, 0, kFrameHeaderSize);
  if (!got) return std::unexpected(std::move(got.error()));
  if (*got == 0) return std::optional<std::vector<std::byte>>();
  if (*got < kFrameHeaderSize) {
    return fail(
        EPROTO, "recv", describe_fd(fd),
        fmt::format("peer closed the stream after {} of {} header bytes", *got, kFrameHeaderSize));
  }
  const std::uint32_t length = decode_frame_header(header);
  if (length > max_size) {
    return fail(EMSGSIZE, "recv", describe_fd(fd),
                fmt::format("frame of {} bytes exceeds the maximum of {}; the stream is unusable",
                            length, max_size));
  }
  std::vector<std::byte> payload(length);
  got = receive_exact(fd, payload, kFrameHeaderSize, kFrameHeaderSize + length);
  if (!got) return std::unexpected(std::move(got.error()));
  if (*got < length) {
    return fail(EPROTO, "recv", describe_fd(fd),
                fmt::format("peer closed the stream after {} of {} payload bytes", *got, length));
  }
  return std::optional<std::vector<std::byte>>(std::move(payload));
}

}  // namespace ipckit::uds
