#include "harness/mechanisms/kernel_framed_stream.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>

namespace ipckit::bench::kernel {
namespace {

constexpr std::size_t kHeader = sizeof(std::uint32_t);
constexpr std::size_t kMinReadBuffer = 64 * 1024;

}  // namespace

FramedStreamEndpoint::FramedStreamEndpoint(int write_fd, int read_fd, bool use_send,
                                           std::string what)
    : write_fd_(write_fd), read_fd_(read_fd), use_send_(use_send), what_(std::move(what)) {
  in_.resize(kMinReadBuffer);
}

Result<std::span<std::byte>> FramedStreamEndpoint::prepare(std::size_t size) {
  if (size > std::numeric_limits<std::uint32_t>::max())
    return fail(EMSGSIZE, "prepare", what_, "a message of more than 4 GiB cannot be framed");
  if (out_.size() < kHeader + size) out_.resize(kHeader + size);
  return std::span<std::byte>(out_.data() + kHeader, size);
}

Result<void> FramedStreamEndpoint::send(std::size_t size) {
  const auto length = static_cast<std::uint32_t>(size);
  std::memcpy(out_.data(), &length, kHeader);
  const std::byte* p = out_.data();
  std::size_t left = kHeader + size;
  while (left > 0) {
    const ssize_t n =
        use_send_ ? ::send(write_fd_, p, left, MSG_NOSIGNAL) : ::write(write_fd_, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno(use_send_ ? "send" : "write", what_);
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  return {};
}

Result<void> FramedStreamEndpoint::fill(std::size_t n) {
  if (end_ - begin_ >= n) return {};
  if (begin_ + n > in_.size()) {  // no room after begin_: move the unread bytes to the front
    std::memmove(in_.data(), in_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
    if (n > in_.size()) in_.resize(std::max(n, 2 * in_.size()));
  }
  while (end_ - begin_ < n) {
    const ssize_t got = ::read(read_fd_, in_.data() + end_, in_.size() - end_);
    if (got < 0) {
      if (errno == EINTR) continue;
      return fail_errno("read", what_);
    }
    if (got == 0) return fail(EPIPE, "read", what_, "peer closed the stream mid-message");
    end_ += static_cast<std::size_t>(got);
  }
  return {};
}

Result<std::span<const std::byte>> FramedStreamEndpoint::receive() {
  begin_ += consumed_;
  consumed_ = 0;
  if (begin_ == end_) begin_ = end_ = 0;
  if (auto r = fill(kHeader); !r) return std::unexpected(r.error());
  std::uint32_t length = 0;
  std::memcpy(&length, in_.data() + begin_, kHeader);
  if (auto r = fill(kHeader + length); !r) return std::unexpected(r.error());
  consumed_ = kHeader + length;
  return std::span<const std::byte>(in_.data() + begin_ + kHeader, length);
}

}  // namespace ipckit::bench::kernel
