// pipe, fifo, unix-stream and tcp: byte streams, framed by FramedStreamEndpoint.
//
// Each Link makes both directions in the parent (A->B and B->A), before the fork; the children
// inherit the descriptors. Names (the FIFOs' paths) are removed as soon as both ends are open,
// so a round that dies leaves no file behind; the pipes stay usable through the descriptors.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>

#include "harness/mechanisms/kernel_common.hpp"
#include "harness/mechanisms/kernel_framed_stream.hpp"
#include "ipckit/core/fd.hpp"
#include "ipckit/fifo.hpp"
#include "ipckit/net/tcp.hpp"

namespace ipckit::bench::kernel {
namespace {

// Four borrowed ends: what A writes, what A reads, and B's.
class StreamLink final : public Link {
 public:
  StreamLink(Fd a_write, Fd a_read, Fd b_write, Fd b_read, bool sockets, std::string what)
      : a_write_(std::move(a_write)),
        a_read_(std::move(a_read)),
        b_write_(std::move(b_write)),
        b_read_(std::move(b_read)),
        sockets_(sockets),
        what_(std::move(what)) {}

  Result<std::unique_ptr<Endpoint>> open(Role role, int /*index*/) override {
    // A socket is both ends of one side: its read descriptor is its write descriptor.
    auto read_fd = [](const Fd& read, const Fd& write) {
      return read.valid() ? read.get() : write.get();
    };
    if (role == Role::kA)
      return std::make_unique<FramedStreamEndpoint>(a_write_.get(), read_fd(a_read_, a_write_),
                                                    sockets_, what_ + " (A)");
    return std::make_unique<FramedStreamEndpoint>(b_write_.get(), read_fd(b_read_, b_write_),
                                                  sockets_, what_ + " (B)");
  }

 private:
  Fd a_write_, a_read_, b_write_, b_read_;
  bool sockets_;
  std::string what_;
};

Result<std::pair<Fd, Fd>> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return fail_errno("pipe2", "");
  return std::pair<Fd, Fd>(Fd(fds[0]), Fd(fds[1]));  // read, write
}

Result<std::unique_ptr<Link>> make_pipe_link(const Cell&) {
  auto ab = make_pipe();
  if (!ab) return std::unexpected(ab.error());
  auto ba = make_pipe();
  if (!ba) return std::unexpected(ba.error());
  return std::make_unique<StreamLink>(std::move(ab->second), std::move(ba->first),
                                      std::move(ba->second), std::move(ab->first), false, "pipe");
}

std::string fifo_dir() {
  const char* tmp = std::getenv("TMPDIR");
  return (tmp != nullptr && *tmp != '\0') ? tmp : "/tmp";
}

// mkfifo, open the read end (non-blocking, so it does not wait for a writer), open the write
// end, make the read end blocking again, then remove the name: the FIFO lives on in its ends.
Result<std::pair<Fd, Fd>> make_fifo() {
  const std::string path = fifo_dir() + "/" + unique_name("fifo");
  if (auto made = Fifo::make(path, 0600); !made) return std::unexpected(made.error());
  auto reader = Fifo::open(path, FifoEnd::kRead, FifoBlocking::kNonBlock);
  auto writer = reader ? Fifo::open(path, FifoEnd::kWrite, FifoBlocking::kBlock)
                       : Result<Fifo>(std::unexpected(reader.error()));
  auto removed = Fifo::remove(path);
  if (!reader) return std::unexpected(reader.error());
  if (!writer) return std::unexpected(writer.error());
  if (!removed) return std::unexpected(removed.error());
  if (auto r = reader->set_nonblocking(false); !r) return std::unexpected(r.error());
  // The Fifo handles own their descriptors; the Link keeps duplicates and lets them go.
  const int r = ::fcntl(reader->fd().get(), F_DUPFD_CLOEXEC, 0);
  if (r < 0) return fail_errno("fcntl(F_DUPFD_CLOEXEC)", path);
  Fd read_end(r);
  const int w = ::fcntl(writer->fd().get(), F_DUPFD_CLOEXEC, 0);
  if (w < 0) return fail_errno("fcntl(F_DUPFD_CLOEXEC)", path);
  return std::pair<Fd, Fd>(std::move(read_end), Fd(w));
}

Result<std::unique_ptr<Link>> make_fifo_link(const Cell&) {
  auto ab = make_fifo();
  if (!ab) return std::unexpected(ab.error());
  auto ba = make_fifo();
  if (!ba) return std::unexpected(ba.error());
  return std::make_unique<StreamLink>(std::move(ab->second), std::move(ba->first),
                                      std::move(ba->second), std::move(ab->first), false, "fifo");
}

Result<std::unique_ptr<Link>> make_unix_stream_link(const Cell&) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    return fail_errno("socketpair(AF_UNIX, SOCK_STREAM)", "");
  return std::make_unique<StreamLink>(Fd(sv[0]), Fd(), Fd(sv[1]), Fd(), true, "unix-stream");
}

Result<void> set_nodelay(int fd) {
  const int one = 1;
  if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
    return fail_errno("setsockopt(TCP_NODELAY)", "tcp");
  return {};
}

// A listener on 127.0.0.1 (a port the kernel picks), one connection, both ends TCP_NODELAY
// (every message goes out at once, as a request/response protocol needs); the listener is
// closed once the connection is accepted.
Result<std::unique_ptr<Link>> make_tcp_link(const Cell&) {
  auto listener = net::TcpListener::bind(net::InetAddress::loopback(net::Family::kV4, 0), 1);
  if (!listener) return std::unexpected(listener.error());
  auto client = net::tcp_connect(listener->local_address(), std::chrono::seconds(10));
  if (!client) return std::unexpected(client.error());
  pollfd pfd{listener->fd().get(), POLLIN, 0};
  if (::poll(&pfd, 1, 10'000) != 1)
    return fail(ETIMEDOUT, "accept", listener->local_address().to_string(),
                "the loopback connection was not ready to accept in 10 s");
  auto server = listener->accept(/*nonblocking=*/false);
  if (!server) return std::unexpected(server.error());
  if (auto r = set_nodelay(client->get()); !r) return std::unexpected(r.error());
  if (auto r = set_nodelay(server->socket.get()); !r) return std::unexpected(r.error());
  return std::make_unique<StreamLink>(std::move(*client), Fd(), std::move(server->socket), Fd(),
                                      true, "tcp " + listener->local_address().to_string());
}

}  // namespace

Mechanism pipe_mechanism() {
  return link_mechanism("pipe",
                        "two pipe2() pipes (one per direction, default 64 KiB buffers); each "
                        "message framed as [u32 length][payload] in one write(2); buffered reads",
                        make_pipe_link);
}

Mechanism fifo_mechanism() {
  return link_mechanism("fifo",
                        "two FIFOs made with mkfifo(3) (one per direction, removed once open); "
                        "framed like pipe",
                        make_fifo_link);
}

Mechanism unix_stream_mechanism() {
  return link_mechanism("unix-stream",
                        "socketpair(AF_UNIX, SOCK_STREAM), default buffers; framed like pipe, "
                        "send(2) with MSG_NOSIGNAL",
                        make_unix_stream_link);
}

Mechanism tcp_mechanism() {
  return link_mechanism("tcp",
                        "one TCP connection over 127.0.0.1, TCP_NODELAY on both ends, default "
                        "buffers; framed like pipe",
                        make_tcp_link);
}

}  // namespace ipckit::bench::kernel
