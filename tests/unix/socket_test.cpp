#include "ipckit/unix/socket.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "support/ipc_test_support.hpp"

namespace ipckit::uds {
namespace {

using namespace std::chrono_literals;

struct NoFdLeak {
  int before = test::count_open_fds();
  ~NoFdLeak() { EXPECT_EQ(test::count_open_fds(), before) << "descriptor leak"; }
};

template <class T>
int code_of(const Result<T>& r) {
  return r ? 0 : r.error().code();
}

std::span<const std::byte> bytes(std::string_view text) {
  return std::as_bytes(std::span(text));
}

std::string text_of(std::span<const std::byte> data) {
  return {reinterpret_cast<const char*>(data.data()), data.size()};
}

UnixAddress unique_abstract(const char* suffix) {
  return *UnixAddress::parse("@" + test::unique_name(suffix));
}

bool cloexec(FdView fd) {
  return (::fcntl(fd.get(), F_GETFD) & FD_CLOEXEC) != 0;
}

// A listening socket of `type` on a fresh abstract name, and a client connected to it.
struct Connected {
  UnixSocket listener;
  UnixSocket client;
  UnixSocket server;
};

Connected connect_pair(SocketType type) {
  const UnixAddress address = unique_abstract("pair");
  auto listener = UnixSocket::create(type);
  EXPECT_TRUE(listener && listener->bind(address) && listener->listen());
  auto client = UnixSocket::connect_to(address, type);
  EXPECT_TRUE(client) << client.error().message();
  auto server = listener->accept();
  EXPECT_TRUE(server) << server.error().message();
  return {std::move(*listener), std::move(*client), std::move(*server)};
}

TEST(UnixSocket, EveryCreatedDescriptorIsCloseOnExec) {
  NoFdLeak leak;
  auto c = connect_pair(SocketType::kStream);
  auto pair = UnixSocket::pair(SocketType::kDatagram);
  ASSERT_TRUE(pair);
  for (FdView fd :
       {c.listener.fd(), c.client.fd(), c.server.fd(), pair->first.fd(), pair->second.fd()}) {
    EXPECT_TRUE(cloexec(fd));
  }
}

TEST(UnixSocket, StreamEchoRoundTrips) {
  NoFdLeak leak;
  auto c = connect_pair(SocketType::kStream);
  ASSERT_TRUE(c.client.send_all(bytes("hello")));
  std::array<std::byte, 16> buf{};
  auto n = c.server.receive(buf);
  ASSERT_TRUE(n);
  ASSERT_EQ(*n, 5u);
  ASSERT_TRUE(c.server.send(text_of(std::span(buf).first(*n))));
  auto m = c.client.receive(buf);
  ASSERT_TRUE(m);
  EXPECT_EQ(text_of(std::span(buf).first(*m)), "hello");
  EXPECT_EQ(c.server.type(), SocketType::kStream);
}

TEST(UnixSocket, DatagramSendToAndReceiveFromReportTheSender) {
  NoFdLeak leak;
  const UnixAddress a_name = unique_abstract("dga");
  const UnixAddress b_name = unique_abstract("dgb");
  auto a = UnixSocket::create(SocketType::kDatagram);
  auto b = UnixSocket::create(SocketType::kDatagram);
  ASSERT_TRUE(a && b && a->bind(a_name) && b->bind(b_name));
  auto sent = a->send_to(bytes("ping"), b_name);
  ASSERT_TRUE(sent) << sent.error().message();
  EXPECT_EQ(*sent, 4u);
  std::array<std::byte, 16> buf{};
  auto got = b->receive_from(buf);
  ASSERT_TRUE(got) << got.error().message();
  EXPECT_EQ(got->size, 4u);
  EXPECT_FALSE(got->truncated);
  EXPECT_EQ(got->from, a_name);
  ASSERT_TRUE(b->send_to(bytes("pong"), got->from));
  auto back = a->receive_from(buf);
  ASSERT_TRUE(back);
  EXPECT_EQ(text_of(std::span(buf).first(back->size)), "pong");
  EXPECT_EQ(back->from, b_name);
}

TEST(UnixSocket, DatagramFromUnboundSenderHasUnnamedAddress) {
  NoFdLeak leak;
  const UnixAddress b_name = unique_abstract("dgu");
  auto a = UnixSocket::create(SocketType::kDatagram);
  auto b = UnixSocket::create(SocketType::kDatagram);
  ASSERT_TRUE(a && b && b->bind(b_name));
  ASSERT_TRUE(a->send_to(bytes("x"), b_name));
  std::array<std::byte, 4> buf{};
  auto got = b->receive_from(buf);
  ASSERT_TRUE(got);
  EXPECT_TRUE(got->from.is_unnamed());
}

TEST(UnixSocket, SeqPacketKeepsBoundariesAndReportsTruncation) {
  NoFdLeak leak;
  auto c = connect_pair(SocketType::kSeqPacket);
  ASSERT_TRUE(c.client.send(bytes("first")));
  ASSERT_TRUE(c.client.send(bytes("")));
  ASSERT_TRUE(c.client.send(bytes("second-and-long")));
  std::array<std::byte, 8> buf{};
  auto one = c.server.receive_from(buf);
  auto empty = c.server.receive_from(buf);
  auto cut = c.server.receive_from(buf);
  ASSERT_TRUE(one && empty && cut);
  EXPECT_EQ(text_of(std::span(buf).first(cut->size)), "second-a");
  EXPECT_EQ(one->size, 5u);
  EXPECT_FALSE(one->truncated);
  EXPECT_EQ(empty->size, 0u);
  EXPECT_TRUE(cut->truncated);
  // EOF after the peer closes.
  { auto gone = std::move(c.client); }
  auto eof = c.server.receive(buf);
  ASSERT_TRUE(eof);
  EXPECT_EQ(*eof, 0u);
}

TEST(UnixSocket, SendToClosedStreamPeerFailsWithEpipeNotSigpipe) {
  // In a child with SIGPIPE at its default action: without MSG_NOSIGNAL it would die of it.
  const int code = test::run_in_child([] {
    ::signal(SIGPIPE, SIG_DFL);
    auto pair = UnixSocket::pair(SocketType::kStream);
    if (!pair) return 1;
    { auto gone = std::move(pair->second); }
    auto r = pair->first.send(bytes("x"));
    return r ? 2 : (r.error().code() == EPIPE ? 0 : 3);
  });
  EXPECT_EQ(code, 0);
}

TEST(UnixSocket, SendAfterShutdownWriteFailsWithEpipe) {
  NoFdLeak leak;
  auto pair = UnixSocket::pair(SocketType::kSeqPacket);
  ASSERT_TRUE(pair);
  ASSERT_TRUE(pair->first.shutdown(Shutdown::kWrite));
  EXPECT_EQ(code_of(pair->first.send(bytes("x"))), EPIPE);
  std::array<std::byte, 4> buf{};
  auto eof = pair->second.receive(buf);
  ASSERT_TRUE(eof);
  EXPECT_EQ(*eof, 0u);
}

TEST(UnixSocket, SendToClosedDatagramPeerFailsWithEconnrefused) {
  NoFdLeak leak;
  auto pair = UnixSocket::pair(SocketType::kDatagram);
  ASSERT_TRUE(pair);
  { auto gone = std::move(pair->second); }
  EXPECT_EQ(code_of(pair->first.send(bytes("x"))), ECONNREFUSED);
}

TEST(UnixSocket, ReceiveTimeoutFailsWithEtimedout) {
  NoFdLeak leak;
  auto pair = UnixSocket::pair(SocketType::kStream);
  ASSERT_TRUE(pair);
  ASSERT_TRUE(pair->first.set_receive_timeout(50ms));
  auto t = pair->first.receive_timeout();
  ASSERT_TRUE(t);
  // The kernel keeps timeouts in jiffies: the value read back is rounded up to a tick.
  EXPECT_GE(*t, 50ms);
  EXPECT_LT(*t, 70ms);
  std::array<std::byte, 4> buf{};
  const auto start = std::chrono::steady_clock::now();
  auto r = pair->first.receive(buf);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ETIMEDOUT) << r.error().message();
  EXPECT_GE(elapsed, 40ms);
}

TEST(UnixSocket, SendTimeoutFailsWithEtimedoutWhenTheBufferIsFull) {
  NoFdLeak leak;
  auto pair = UnixSocket::pair(SocketType::kStream);
  ASSERT_TRUE(pair);
  ASSERT_TRUE(pair->first.set_send_timeout(20ms));
  const std::vector<std::byte> chunk(64 * 1024);
  Result<std::size_t> r = 0;
  for (int i = 0; i < 1000 && r; ++i)
    r = pair->first.send(chunk);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ETIMEDOUT) << r.error().message();
}

TEST(UnixSocket, NegativeTimeoutFailsWithEinval) {
  NoFdLeak leak;
  auto s = UnixSocket::create(SocketType::kStream);
  ASSERT_TRUE(s);
  EXPECT_EQ(code_of(s->set_receive_timeout(-1ms)), EINVAL);
  auto t = s->send_timeout();
  ASSERT_TRUE(t);
  EXPECT_EQ(*t, 0us);
}

TEST(UnixSocket, NonBlockingReceiveFailsWithEagain) {
  NoFdLeak leak;
  auto pair = UnixSocket::pair(SocketType::kStream);
  ASSERT_TRUE(pair);
  ASSERT_TRUE(pair->first.set_blocking(Blocking::kNo));
  auto mode = pair->first.blocking();
  ASSERT_TRUE(mode);
  EXPECT_EQ(*mode, Blocking::kNo);
  std::array<std::byte, 4> buf{};
  EXPECT_EQ(code_of(pair->first.receive(buf)), EAGAIN);
  // A timeout does not turn a non-blocking refusal into ETIMEDOUT.
  ASSERT_TRUE(pair->first.set_receive_timeout(10ms));
  EXPECT_EQ(code_of(pair->first.receive(buf)), EAGAIN);
  ASSERT_TRUE(pair->first.set_blocking(Blocking::kYes));
  EXPECT_EQ(code_of(pair->first.receive(buf)), ETIMEDOUT);
}

TEST(UnixSocket, NonBlockingPairAndAcceptStartNonBlocking) {
  NoFdLeak leak;
  auto pair = UnixSocket::pair(SocketType::kDatagram, Blocking::kNo);
  ASSERT_TRUE(pair);
  EXPECT_EQ(*pair->second.blocking(), Blocking::kNo);
  auto listener = UnixSocket::create(SocketType::kStream, Blocking::kNo);
  ASSERT_TRUE(listener && listener->bind(UnixAddress::unnamed()) && listener->listen());
  EXPECT_EQ(code_of(listener->accept()), EAGAIN);
  auto name = listener->local_address();
  ASSERT_TRUE(name);
  auto client = UnixSocket::connect_to(*name);
  ASSERT_TRUE(client);
  auto server = listener->accept(Blocking::kNo);
  ASSERT_TRUE(server);
  EXPECT_EQ(*server->blocking(), Blocking::kNo);
}

TEST(UnixSocket, AcceptTimeoutFailsWithEtimedout) {
  NoFdLeak leak;
  auto listener = UnixSocket::create(SocketType::kSeqPacket);
  ASSERT_TRUE(listener && listener->bind(UnixAddress::unnamed()) && listener->listen());
  ASSERT_TRUE(listener->set_receive_timeout(20ms));
  EXPECT_EQ(code_of(listener->accept()), ETIMEDOUT);
}

TEST(UnixSocket, ConnectFailuresHaveExactErrno) {
  NoFdLeak leak;
  const std::string missing = "/tmp/" + test::unique_name("missing.sock");
  EXPECT_EQ(code_of(UnixSocket::connect_to(*UnixAddress::parse(missing))), ENOENT);
  EXPECT_EQ(code_of(UnixSocket::connect_to(unique_abstract("nobody"))), ECONNREFUSED);
  // A stream client to a seqpacket listener: EPROTOTYPE on a path (found by inode, then the type
  // differs); on an abstract name the lookup itself is by type, so it is ECONNREFUSED.
  const std::string path = "/tmp/" + test::unique_name("seqp.sock");
  test::ScopeExit cleanup([&] { ::unlink(path.c_str()); });
  const UnixAddress name = *UnixAddress::parse(path);
  auto listener = UnixSocket::create(SocketType::kSeqPacket);
  ASSERT_TRUE(listener && listener->bind(name) && listener->listen());
  auto wrong = UnixSocket::connect_to(name, SocketType::kStream);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code(), EPROTOTYPE);
  EXPECT_NE(wrong.error().message().find(path), std::string::npos);
  auto abstract = UnixSocket::create(SocketType::kSeqPacket);
  ASSERT_TRUE(abstract && abstract->bind(UnixAddress::unnamed()) && abstract->listen());
  EXPECT_EQ(code_of(UnixSocket::connect_to(*abstract->local_address(), SocketType::kStream)),
            ECONNREFUSED);
}

TEST(UnixSocket, CallsInTheWrongStateFailWithExactErrno) {
  NoFdLeak leak;
  auto dgram = UnixSocket::create(SocketType::kDatagram);
  auto stream = UnixSocket::create(SocketType::kStream);
  ASSERT_TRUE(dgram && stream);
  EXPECT_EQ(code_of(dgram->listen()), EOPNOTSUPP);
  EXPECT_EQ(code_of(stream->accept()), EINVAL);
  EXPECT_EQ(code_of(stream->peer_address()), ENOTCONN);
  EXPECT_EQ(code_of(stream->send(bytes("x"))), ENOTCONN);
  ASSERT_TRUE(stream->bind(UnixAddress::unnamed()));
  EXPECT_EQ(code_of(stream->bind(unique_abstract("rebind"))), EINVAL);
}

TEST(UnixSocket, LocalAndPeerAddresses) {
  NoFdLeak leak;
  auto c = connect_pair(SocketType::kStream);
  auto unbound = c.client.local_address();
  auto server_peer = c.server.peer_address();
  auto client_peer = c.client.peer_address();
  auto listener_name = c.listener.local_address();
  ASSERT_TRUE(unbound && server_peer && client_peer && listener_name);
  EXPECT_TRUE(unbound->is_unnamed());
  EXPECT_TRUE(server_peer->is_unnamed());
  EXPECT_EQ(*client_peer, *listener_name);
}

TEST(UnixSocket, PathBindCreatesASocketFileThatOutlivesTheSocket) {
  NoFdLeak leak;
  const std::string path = "/tmp/" + test::unique_name("bind.sock");
  test::ScopeExit cleanup([&] { ::unlink(path.c_str()); });
  {
    auto s = UnixSocket::create(SocketType::kDatagram);
    ASSERT_TRUE(s && s->bind(*UnixAddress::parse(path)));
  }
  EXPECT_EQ(::access(path.c_str(), F_OK), 0);
  auto again = UnixSocket::create(SocketType::kDatagram);
  ASSERT_TRUE(again);
  EXPECT_EQ(code_of(again->bind(*UnixAddress::parse(path))), EADDRINUSE);
}

TEST(UnixSocket, AdoptChecksFamilyAndType) {
  NoFdLeak leak;
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  ::close(p[1]);
  EXPECT_EQ(code_of(UnixSocket::adopt(Fd(p[0]))), ENOTSOCK);
  EXPECT_EQ(code_of(UnixSocket::adopt(Fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)))),
            EAFNOSUPPORT);
  auto s = UnixSocket::adopt(Fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->type(), SocketType::kSeqPacket);
  Fd raw = std::move(*s).release();
  EXPECT_TRUE(raw.valid());
  EXPECT_FALSE(s->fd().valid());
}

TEST(UnixSocket, SendAllMovesALargeBufferThroughPartialSends) {
  NoFdLeak leak;
  auto pair = UnixSocket::pair(SocketType::kStream);
  ASSERT_TRUE(pair);
  std::vector<std::byte> data(4 << 20);
  for (std::size_t i = 0; i < data.size(); ++i)
    data[i] = std::byte(i * 7);
  std::vector<std::byte> received;
  std::thread reader([&] {
    std::vector<std::byte> buf(100000);
    while (received.size() < data.size()) {
      auto n = pair->second.receive(buf);
      if (!n || *n == 0) return;
      received.insert(received.end(), buf.begin(), buf.begin() + static_cast<long>(*n));
    }
  });
  auto r = pair->first.send_all(data);
  reader.join();
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(received, data);
}

// EINTR: a signal handler installed without SA_RESTART interrupts a blocked receive.
void on_signal(int) {}

struct SigusrHandler {
  struct sigaction old {};
  SigusrHandler() {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART
    ::sigaction(SIGUSR1, &sa, &old);
  }
  ~SigusrHandler() { ::sigaction(SIGUSR1, &old, nullptr); }
};

TEST(UnixSocket, ReceiveIsRestartedAfterEintrWithoutTimeout) {
  NoFdLeak leak;
  SigusrHandler handler;
  auto pair = UnixSocket::pair(SocketType::kDatagram);
  ASSERT_TRUE(pair);
  const pthread_t self = ::pthread_self();
  std::thread helper([&] {
    // Several signals, so that at least one lands while receive() is blocked.
    for (int i = 0; i < 5; ++i) {
      std::this_thread::sleep_for(20ms);
      ::pthread_kill(self, SIGUSR1);
    }
    (void)pair->second.send(bytes("late"));
  });
  std::array<std::byte, 8> buf{};
  auto r = pair->first.receive(buf);
  helper.join();
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(*r, 4u);
}

TEST(UnixSocket, ReceiveReturnsEintrWhenATimeoutIsSet) {
  NoFdLeak leak;
  SigusrHandler handler;
  auto pair = UnixSocket::pair(SocketType::kDatagram);
  ASSERT_TRUE(pair);
  ASSERT_TRUE(pair->first.set_receive_timeout(10s));
  const pthread_t self = ::pthread_self();
  std::atomic<bool> done{false};
  std::thread helper([&] {
    while (!done.load()) {
      std::this_thread::sleep_for(20ms);
      if (!done.load()) ::pthread_kill(self, SIGUSR1);
    }
  });
  std::array<std::byte, 8> buf{};
  auto r = pair->first.receive(buf);
  done.store(true);
  helper.join();
  EXPECT_EQ(code_of(r), EINTR);
}

}  // namespace
}  // namespace ipckit::uds
