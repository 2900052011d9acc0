// unix-dgram and unix-seqpacket: AF_UNIX sockets that keep message boundaries, so one send(2) is
// one message and one recv(2) returns it whole (no framing). A connected socketpair made in the
// parent; A uses one end, B the other.
#include <sys/socket.h>

#include <cerrno>
#include <memory>
#include <vector>

#include "harness/mechanisms/kernel_common.hpp"
#include "harness/mechanisms/kernel_message_socket.hpp"

namespace ipckit::bench::kernel {
namespace {

class MessageSocketEndpoint final : public Endpoint {
 public:
  MessageSocketEndpoint(int fd, std::size_t size, std::string what)
      : fd_(fd), out_(size), in_(size + 1), what_(std::move(what)) {}

  Result<std::span<std::byte>> prepare(std::size_t size) override {
    if (out_.size() < size) out_.resize(size);
    return std::span<std::byte>(out_.data(), size);
  }

  Result<void> send(std::size_t size) override {
    for (;;) {
      const ssize_t n = ::send(fd_, out_.data(), size, MSG_NOSIGNAL);
      if (n == static_cast<ssize_t>(size)) return {};
      if (n >= 0) return fail(EMSGSIZE, "send", what_, "the kernel took part of a message");
      if (errno != EINTR) return fail_errno("send", what_);
    }
  }

  Result<std::span<const std::byte>> receive() override {
    for (;;) {
      // MSG_TRUNC: the real length comes back even when the buffer is too small.
      const ssize_t n = ::recv(fd_, in_.data(), in_.size(), MSG_TRUNC);
      if (n < 0) {
        if (errno == EINTR) continue;
        return fail_errno("recv", what_);
      }
      if (static_cast<std::size_t>(n) > in_.size())
        return fail(EMSGSIZE, "recv", what_,
                    "a " + std::to_string(n) + "-byte message was larger than the cell's size");
      return std::span<const std::byte>(in_.data(), static_cast<std::size_t>(n));
    }
  }

 private:
  int fd_;
  std::vector<std::byte> out_;
  std::vector<std::byte> in_;  // one byte more than a message: a longer one is seen as such
  std::string what_;
};

class MessageSocketLink final : public Link {
 public:
  MessageSocketLink(std::pair<Fd, Fd> pair, std::size_t size, std::string what)
      : pair_(std::move(pair)), size_(size), what_(std::move(what)) {}

  Result<std::unique_ptr<Endpoint>> open(Role role, int /*index*/) override {
    const bool a = role == Role::kA;
    return std::make_unique<MessageSocketEndpoint>((a ? pair_.first : pair_.second).get(), size_,
                                                   what_ + (a ? " (A)" : " (B)"));
  }

 private:
  std::pair<Fd, Fd> pair_;
  std::size_t size_;
  std::string what_;
};

LinkFactory message_socket_link(int type, std::string what) {
  return [type, what](const Cell& cell) -> Result<std::unique_ptr<Link>> {
    auto pair = message_socket_pair(type, cell.size);
    if (!pair) return std::unexpected(pair.error());
    return std::make_unique<MessageSocketLink>(std::move(*pair), cell.size, what);
  };
}

}  // namespace

Mechanism unix_dgram_mechanism() {
  return link_mechanism(
      "unix-dgram",
      "socketpair(AF_UNIX, SOCK_DGRAM), lossless (a connected pair blocks the sender when full); "
      "buffers raised to four messages when smaller, within net.core.wmem_max/rmem_max",
      message_socket_link(SOCK_DGRAM, "unix-dgram"),
      [](const Cell& cell) { return message_socket_cannot(SOCK_DGRAM, cell.size, "unix-dgram"); });
}

Mechanism unix_seqpacket_mechanism() {
  return link_mechanism(
      "unix-seqpacket",
      "socketpair(AF_UNIX, SOCK_SEQPACKET); buffers raised to four messages when smaller, within "
      "net.core.wmem_max/rmem_max",
      message_socket_link(SOCK_SEQPACKET, "unix-seqpacket"), [](const Cell& cell) {
        return message_socket_cannot(SOCK_SEQPACKET, cell.size, "unix-seqpacket");
      });
}

}  // namespace ipckit::bench::kernel
