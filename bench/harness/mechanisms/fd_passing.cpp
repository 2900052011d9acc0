// fd-passing: descriptors per second over SCM_RIGHTS (ipckit::uds::send_fds / receive_fds).
//
// How its row reads: every message carries exactly one descriptor (SCM_RIGHTS) plus the cell's
// `size` bytes of payload, over a connected socketpair(AF_UNIX, SOCK_SEQPACKET). So a throughput
// row's msgs_per_s is descriptors passed per second (each one installed in B's descriptor table,
// checked and closed again, as a receiver that takes ownership would), and a latency row is the
// one-way time of a message with a descriptor. Compare with unix-seqpacket of the same size: the
// difference is the cost of the descriptor. Sizes above what the socket takes are marked.
//
// Honesty: besides the payload check every mechanism has, the receiver checks that exactly one
// descriptor came with each message and that it is the file the Link made (same device and inode
// by fstat(2)); a message without it fails the round.
//
// The passed file is a memfd (memfd_create(2), no name in any file system), so nothing is left
// behind whatever happens.
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <memory>
#include <vector>

#include "harness/mechanisms/kernel_common.hpp"
#include "harness/mechanisms/kernel_message_socket.hpp"
#include "ipckit/unix/fd_passing.hpp"

namespace ipckit::bench::kernel {
namespace {

struct FileIdentity {
  dev_t dev = 0;
  ino_t ino = 0;
};

class FdPassingEndpoint final : public Endpoint {
 public:
  FdPassingEndpoint(int socket, int passed, FileIdentity identity, std::size_t size,
                    std::string what)
      : socket_(socket),
        passed_(passed),
        identity_(identity),
        out_(size),
        in_(size + 1),
        what_(std::move(what)) {}

  Result<std::span<std::byte>> prepare(std::size_t size) override {
    if (out_.size() < size) out_.resize(size);
    return std::span<std::byte>(out_.data(), size);
  }

  Result<void> send(std::size_t size) override {
    const FdView fds[] = {FdView(passed_)};
    return uds::send_fds(FdView(socket_), std::span<const std::byte>(out_.data(), size), fds);
  }

  Result<std::span<const std::byte>> receive() override {
    auto got = uds::receive_fds(FdView(socket_), in_, 1);
    if (!got) return std::unexpected(got.error());
    if (got->eof) return fail(EPIPE, "recvmsg", what_, "the peer closed the socket");
    if (got->fds.size() != 1)
      return fail(EPROTO, "recvmsg", what_,
                  "a message came with " + std::to_string(got->fds.size()) + " descriptors, not 1");
    struct stat st {};
    if (::fstat(got->fds[0].get(), &st) != 0) return fail_errno("fstat", what_);
    if (st.st_dev != identity_.dev || st.st_ino != identity_.ino)
      return fail(EPROTO, "recvmsg", what_, "the descriptor received is not the file sent");
    if (got->size > out_.size())
      return fail(EMSGSIZE, "recvmsg", what_, "a message larger than the cell's size");
    return std::span<const std::byte>(in_.data(), got->size);
    // got->fds[0] closes here: the receiver took the descriptor and let it go.
  }

 private:
  int socket_;
  int passed_;
  FileIdentity identity_;
  std::vector<std::byte> out_, in_;
  std::string what_;
};

class FdPassingLink final : public Link {
 public:
  FdPassingLink(std::pair<Fd, Fd> pair, Fd passed, FileIdentity identity, std::size_t size)
      : pair_(std::move(pair)), passed_(std::move(passed)), identity_(identity), size_(size) {}

  Result<std::unique_ptr<Endpoint>> open(Role role, int /*index*/) override {
    const bool a = role == Role::kA;
    return std::make_unique<FdPassingEndpoint>((a ? pair_.first : pair_.second).get(),
                                               passed_.get(), identity_, size_,
                                               a ? "fd-passing (A)" : "fd-passing (B)");
  }

 private:
  std::pair<Fd, Fd> pair_;
  Fd passed_;
  FileIdentity identity_;
  std::size_t size_;
};

Result<std::unique_ptr<Link>> make_fd_passing_link(const Cell& cell) {
  auto pair = message_socket_pair(SOCK_SEQPACKET, cell.size);
  if (!pair) return std::unexpected(pair.error());
  Fd passed(::memfd_create("ipckit-bench-fd-passing", MFD_CLOEXEC));
  if (!passed) return fail_errno("memfd_create", "ipckit-bench-fd-passing");
  struct stat st {};
  if (::fstat(passed.get(), &st) != 0) return fail_errno("fstat", "memfd");
  return std::make_unique<FdPassingLink>(std::move(*pair), std::move(passed),
                                         FileIdentity{st.st_dev, st.st_ino}, cell.size);
}

}  // namespace

Mechanism fd_passing_mechanism() {
  return link_mechanism(
      "fd-passing",
      "descriptors per second: every message carries one descriptor (SCM_RIGHTS, a memfd) and "
      "the cell's payload over socketpair(AF_UNIX, SOCK_SEQPACKET); the receiver checks it is "
      "the file sent and closes it. msgs_per_s = descriptors/s; compare with unix-seqpacket",
      make_fd_passing_link, [](const Cell& cell) {
        return message_socket_cannot(SOCK_SEQPACKET, cell.size, "fd-passing");
      });
}

}  // namespace ipckit::bench::kernel
