#include "ipckit/net/tcp.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <vector>

#include <fmt/core.h>
#include <string>

#include "support/ipc_test_support.hpp"

namespace ipckit::net {
namespace {

using namespace std::chrono_literals;
using test::code_of;

struct NoFdLeak {
  int before = test::count_open_fds();
  ~NoFdLeak() { EXPECT_EQ(test::count_open_fds(), before) << "descriptor leak"; }
};

bool is_nonblocking(int fd) {
  return (::fcntl(fd, F_GETFL) & O_NONBLOCK) != 0;
}
bool is_cloexec(int fd) {
  return (::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0;
}
bool is_closed(int fd) {
  return ::fcntl(fd, F_GETFD) == -1 && errno == EBADF;
}

// Whether this host has the IPv6 loopback address (a container may run without IPv6).
bool has_ipv6_loopback() {
  std::ifstream in("/proc/net/if_inet6");
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("00000000000000000000000000000001")) return true;
  }
  return false;
}

InetAddress local_of(int fd) {
  sockaddr_storage s{};
  socklen_t n = sizeof(s);
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&s), &n), 0);
  auto a = InetAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&s), n);
  EXPECT_TRUE(a);
  return a ? *a : InetAddress();
}

// A port nothing listens on: bound (so the kernel picked it free) then closed.
std::uint16_t closed_port() {
  auto l = TcpListener::bind(InetAddress::loopback(Family::kV4, 0));
  EXPECT_TRUE(l) << l.error().message();
  return l ? l->local_address().port() : 1;
}

TEST(TcpListener, BindsIpv4LoopbackOnAPortTheKernelPicks) {
  NoFdLeak guard;
  auto l = TcpListener::bind(InetAddress::loopback(Family::kV4, 0));
  ASSERT_TRUE(l) << l.error().message();
  EXPECT_EQ(l->local_address().family(), Family::kV4);
  EXPECT_EQ(l->local_address().host_string(), "127.0.0.1");
  EXPECT_NE(l->local_address().port(), 0);
  EXPECT_TRUE(is_nonblocking(l->fd().get()));
  EXPECT_TRUE(is_cloexec(l->fd().get()));
  int on = 0;
  socklen_t n = sizeof(on);
  ASSERT_EQ(::getsockopt(l->fd().get(), SOL_SOCKET, SO_REUSEADDR, &on, &n), 0);
  EXPECT_EQ(on, 1);
}

TEST(TcpListener, BindsIpv6LoopbackV6Only) {
  NoFdLeak guard;
  auto l = TcpListener::bind(InetAddress::loopback(Family::kV6, 0));
  if (!has_ipv6_loopback()) {
    // No ::1 here: the bind must say so plainly rather than succeed elsewhere.
    ASSERT_FALSE(l);
    EXPECT_TRUE(l.error().code() == EADDRNOTAVAIL || l.error().code() == EAFNOSUPPORT)
        << l.error().message();
    EXPECT_NE(l.error().message().find("[::1]:0"), std::string::npos) << l.error().message();
    return;
  }
  ASSERT_TRUE(l) << l.error().message();
  EXPECT_EQ(l->local_address().family(), Family::kV6);
  EXPECT_EQ(l->local_address().host_string(), "::1");
  EXPECT_NE(l->local_address().port(), 0);
  int v6only = 0;
  socklen_t n = sizeof(v6only);
  ASSERT_EQ(::getsockopt(l->fd().get(), IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &n), 0);
  EXPECT_EQ(v6only, 1);
  auto c = tcp_connect(l->local_address(), 10s);
  ASSERT_TRUE(c) << c.error().message();
  auto accepted = l->accept();
  ASSERT_TRUE(accepted) << accepted.error().message();
  EXPECT_EQ(accepted->peer, local_of(c->get()));
  EXPECT_EQ(accepted->local, l->local_address());
}

TEST(TcpListener, SecondBindOfTheSamePortFailsWithEaddrinuse) {
  NoFdLeak guard;
  auto first = TcpListener::bind(InetAddress::loopback(Family::kV4, 0));
  ASSERT_TRUE(first) << first.error().message();
  auto second = TcpListener::bind(first->local_address());
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), EADDRINUSE);
  EXPECT_EQ(second.error().operation(), "bind");
  EXPECT_EQ(second.error().object(), first->local_address().to_string());
}

TEST(TcpListener, BindToAnAddressOfAnotherHostFailsWithEaddrnotavail) {
  NoFdLeak guard;
  auto a = InetAddress::parse("192.0.2.1:0");  // TEST-NET-1: never a local address
  ASSERT_TRUE(a);
  EXPECT_EQ(code_of(TcpListener::bind(*a)), EADDRNOTAVAIL);
}

TEST(TcpListener, AcceptWithNothingPendingFailsWithEagain) {
  NoFdLeak guard;
  auto l = TcpListener::bind(InetAddress::loopback(Family::kV4, 0));
  ASSERT_TRUE(l) << l.error().message();
  EXPECT_EQ(code_of(l->accept()), EAGAIN);
  EXPECT_EQ(code_of(l->accept(false)), EAGAIN);
}

TEST(TcpListener, AcceptReportsPeerAndLocalAddresses) {
  NoFdLeak guard;
  auto l = TcpListener::bind(InetAddress::loopback(Family::kV4, 0));
  ASSERT_TRUE(l) << l.error().message();
  auto c = tcp_connect(l->local_address(), 10s);
  ASSERT_TRUE(c) << c.error().message();
  auto accepted = l->accept();
  ASSERT_TRUE(accepted) << accepted.error().message();
  EXPECT_EQ(accepted->peer, local_of(c->get()));
  EXPECT_EQ(accepted->local, l->local_address());
  EXPECT_TRUE(is_nonblocking(accepted->socket.get()));
  EXPECT_TRUE(is_cloexec(accepted->socket.get()));
  // The connection works both ways.
  ASSERT_EQ(::write(c->get(), "hi", 2), 2);
  char buf[2] = {};
  for (int i = 0; i < 1000 && ::read(accepted->socket.get(), buf, 2) != 2; ++i) {
    ::usleep(10'000);
  }
  EXPECT_EQ(std::string(buf, 2), "hi");
}

TEST(TcpListener, AcceptBlockingGivesABlockingSocket) {
  NoFdLeak guard;
  auto l = TcpListener::bind(InetAddress::loopback(Family::kV4, 0));
  ASSERT_TRUE(l) << l.error().message();
  auto c = tcp_connect(l->local_address(), 10s);
  ASSERT_TRUE(c) << c.error().message();
  auto accepted = l->accept(false);
  ASSERT_TRUE(accepted) << accepted.error().message();
  EXPECT_FALSE(is_nonblocking(accepted->socket.get()));
  EXPECT_TRUE(is_cloexec(accepted->socket.get()));
}

TEST(TcpListener, AdoptTakesAListeningSocketAndMakesItNonblockingCloexec) {
  NoFdLeak guard;
  Fd fd(::socket(AF_INET, SOCK_STREAM, 0));  // blocking, inheritable: as a launcher passes it
  ASSERT_TRUE(fd);
  const InetSockAddr raw = InetAddress::loopback(Family::kV4, 0).to_sockaddr();
  ASSERT_EQ(::bind(fd.get(), raw.get(), raw.length), 0);
  ASSERT_EQ(::listen(fd.get(), 8), 0);
  const InetAddress bound = local_of(fd.get());
  auto l = TcpListener::adopt(std::move(fd));
  ASSERT_TRUE(l) << l.error().message();
  EXPECT_EQ(l->local_address(), bound);
  EXPECT_TRUE(is_nonblocking(l->fd().get()));
  EXPECT_TRUE(is_cloexec(l->fd().get()));
  EXPECT_EQ(code_of(l->accept()), EAGAIN);
}

// adopt() must refuse `fd` with `code` and close it.
void expect_adopt_refuses(Fd fd, int code) {
  ASSERT_TRUE(fd);
  const int raw = fd.get();
  auto l = TcpListener::adopt(std::move(fd));
  ASSERT_FALSE(l);
  EXPECT_EQ(l.error().code(), code) << l.error().message();
  EXPECT_TRUE(is_closed(raw)) << "adopt left fd " << raw << " open after refusing it";
}

TEST(TcpListener, AdoptRefusesAUdpSocketAndClosesIt) {
  NoFdLeak guard;
  expect_adopt_refuses(Fd(::socket(AF_INET, SOCK_DGRAM, 0)), EPROTOTYPE);
}

TEST(TcpListener, AdoptRefusesAUnixSocketAndClosesIt) {
  NoFdLeak guard;
  expect_adopt_refuses(Fd(::socket(AF_UNIX, SOCK_STREAM, 0)), EAFNOSUPPORT);
}

TEST(TcpListener, AdoptRefusesANonListeningTcpSocketAndClosesIt) {
  NoFdLeak guard;
  expect_adopt_refuses(Fd(::socket(AF_INET6, SOCK_STREAM, 0)), EINVAL);
}

TEST(TcpListener, AdoptRefusesANonSocketAndClosesIt) {
  NoFdLeak guard;
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  Fd write_end(p[1]);
  expect_adopt_refuses(Fd(p[0]), ENOTSOCK);
}

TEST(TcpConnect, RefusedByAClosedPort) {
  NoFdLeak guard;
  const auto port = closed_port();
  auto c = tcp_connect(InetAddress::loopback(Family::kV4, port), 10s);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code(), ECONNREFUSED);
  EXPECT_EQ(c.error().object(), fmt::format("127.0.0.1:{}", port));
  EXPECT_EQ(code_of(tcp_connect(InetAddress::loopback(Family::kV4, port))), ECONNREFUSED)
      << "without a timeout too";
}

TEST(TcpConnect, ReturnsABlockingCloexecSocket) {
  NoFdLeak guard;
  auto l = TcpListener::bind(InetAddress::loopback(Family::kV4, 0));
  ASSERT_TRUE(l) << l.error().message();
  auto c = tcp_connect(l->local_address());
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_FALSE(is_nonblocking(c->get()));
  EXPECT_TRUE(is_cloexec(c->get()));
}

TEST(TcpConnect, TimesOutWhenTheListenerDropsTheSyn) {
  NoFdLeak guard;
  // A listener whose accept queue is full drops new SYNs: the handshake never completes.
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(fd);
  const InetSockAddr raw = InetAddress::loopback(Family::kV4, 0).to_sockaddr();
  ASSERT_EQ(::bind(fd.get(), raw.get(), raw.length), 0);
  ASSERT_EQ(::listen(fd.get(), 0), 0);
  const InetAddress where = local_of(fd.get());
  std::vector<Fd> queued;
  Result<Fd> c = fail(EIO, "", "");
  // The first connection(s) fill the queue; then one must time out. Bounded.
  for (int i = 0; i < 8; ++i) {
    c = tcp_connect(where, 300ms);
    if (!c) break;
    queued.push_back(std::move(*c));
  }
  ASSERT_FALSE(c) << "8 connections completed into a listen(0) queue";
  EXPECT_EQ(c.error().code(), ETIMEDOUT) << c.error().message();
}

}  // namespace
}  // namespace ipckit::net
