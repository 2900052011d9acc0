#include "ipckit/unix/credentials.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <string>

#include "ipckit/unix/socket.hpp"
#include "support/child.hpp"
#include "support/ipc_test_support.hpp"

namespace ipckit::uds {
namespace {

using test::kNobody;

struct NoFdLeak {
  int before = test::count_open_fds();
  ~NoFdLeak() { EXPECT_EQ(test::count_open_fds(), before) << "descriptor leak"; }
};

using test::code_of;

std::span<const std::byte> bytes(std::string_view text) {
  return std::as_bytes(std::span(text));
}

using test::Child;

// A child that connects to `address`, then waits for the parent to hang up.
int connect_and_wait(const UnixAddress& address) {
  auto s = UnixSocket::connect_to(address);
  if (!s) return 1;
  std::array<std::byte, 1> buf{};
  auto n = s->receive(buf);
  return n && *n == 0 ? 0 : 2;
}

struct Listening {
  UnixSocket socket;
  UnixAddress address;
};

Listening abstract_listener() {
  auto s = UnixSocket::create(SocketType::kStream);
  EXPECT_TRUE(s && s->bind(UnixAddress::unnamed()) && s->listen());
  auto name = s->local_address();
  EXPECT_TRUE(name);
  return {std::move(*s), *name};
}

TEST(UnixCredentials, SocketpairPeerIsThisProcess) {
  NoFdLeak leak;
  auto pair = UnixSocket::pair(SocketType::kStream);
  ASSERT_TRUE(pair);
  auto creds = peer_credentials(pair->first);
  ASSERT_TRUE(creds && creds->has_value());
  EXPECT_EQ(**creds, own_credentials());
}

TEST(UnixCredentials, PeerCredentialsOfAForkedChildHaveItsPidAndUid) {
  NoFdLeak leak;
  auto l = abstract_listener();
  Child child([&] { return connect_and_wait(l.address); });
  auto conn = l.socket.accept();
  ASSERT_TRUE(conn);
  auto creds = peer_credentials(*conn);
  ASSERT_TRUE(creds && creds->has_value());
  EXPECT_EQ((*creds)->pid, child.pid());
  EXPECT_EQ((*creds)->uid, ::geteuid());
  EXPECT_EQ((*creds)->gid, ::getegid());
  { auto hang_up = std::move(*conn); }
  EXPECT_EQ(child.wait(), 0);
}

TEST(UnixCredentials, PeerCredentialsOfANobodyChildSayUid65534) {
  NoFdLeak leak;
  auto l = abstract_listener();
  Child child([&] { return connect_and_wait(l.address); }, /*as_nobody=*/true);
  auto conn = l.socket.accept();
  ASSERT_TRUE(conn);
  auto creds = peer_credentials(*conn);
  ASSERT_TRUE(creds && creds->has_value());
  EXPECT_EQ(**creds, (PeerCredentials{.pid = child.pid(), .uid = kNobody, .gid = kNobody}));
  { auto hang_up = std::move(*conn); }
  EXPECT_EQ(child.wait(), 0);
}

TEST(UnixCredentials, UnconnectedSocketsHaveNoCredentials) {
  NoFdLeak leak;
  for (SocketType type : {SocketType::kDatagram, SocketType::kStream}) {
    auto s = UnixSocket::create(type);
    ASSERT_TRUE(s);
    auto creds = peer_credentials(*s);
    ASSERT_TRUE(creds) << creds.error().message();
    EXPECT_FALSE(creds->has_value()) << to_string(type);
  }
}

TEST(UnixCredentials, NonSocketFailsWithEnotsock) {
  NoFdLeak leak;
  int p[2];
  ASSERT_EQ(::pipe2(p, O_CLOEXEC), 0);
  Fd r(p[0]);
  Fd w(p[1]);
  EXPECT_EQ(code_of(peer_credentials(r)), ENOTSOCK);
  EXPECT_EQ(code_of(set_pass_credentials(r, true)), ENOTSOCK);
  EXPECT_EQ(code_of(peer_pidfd(r)), ENOTSOCK);
}

TEST(UnixCredentials, ScmCredentialsCarryTheSendersIds) {
  NoFdLeak leak;
  auto pair = UnixSocket::pair(SocketType::kDatagram);
  ASSERT_TRUE(pair);
  ASSERT_TRUE(set_pass_credentials(pair->second, true));
  auto sent = send_with_credentials(pair->first, bytes("hi"));
  ASSERT_TRUE(sent) << sent.error().message();
  std::array<std::byte, 8> buf{};
  auto got = receive_with_credentials(pair->second, buf);
  ASSERT_TRUE(got) << got.error().message();
  EXPECT_EQ(got->size, 2u);
  ASSERT_TRUE(got->credentials.has_value());
  EXPECT_EQ(*got->credentials, own_credentials());
}

TEST(UnixCredentials, ScmCredentialsFromANobodyChildSayItsPidAndUid) {
  NoFdLeak leak;
  auto pair = UnixSocket::pair(SocketType::kSeqPacket);
  ASSERT_TRUE(pair);
  ASSERT_TRUE(set_pass_credentials(pair->first, true));
  Child child(
      [&] {
        auto r = send_with_credentials(pair->second, bytes("x"));
        // Claiming root's uid is refused without CAP_SETUID.
        auto forged = send_with_credentials(pair->second, bytes("y"),
                                            {.pid = ::getpid(), .uid = 0, .gid = kNobody});
        return !r ? 1 : (code_of(forged) == EPERM ? 0 : 2);
      },
      /*as_nobody=*/true);
  std::array<std::byte, 8> buf{};
  auto got = receive_with_credentials(pair->first, buf);
  ASSERT_TRUE(got) << got.error().message();
  ASSERT_TRUE(got->credentials.has_value());
  EXPECT_EQ(*got->credentials,
            (PeerCredentials{.pid = child.pid(), .uid = kNobody, .gid = kNobody}));
  EXPECT_EQ(child.wait(), 0);
}

TEST(UnixCredentials, PassCredAttachesCredentialsToPlainSendsToo) {
  NoFdLeak leak;
  auto pair = UnixSocket::pair(SocketType::kDatagram);
  ASSERT_TRUE(pair);
  ASSERT_TRUE(set_pass_credentials(pair->second, true));
  ASSERT_TRUE(pair->first.send(bytes("plain")));
  std::array<std::byte, 8> buf{};
  auto got = receive_with_credentials(pair->second, buf);
  ASSERT_TRUE(got && got->credentials.has_value());
  EXPECT_EQ(got->credentials->pid, ::getpid());
}

TEST(UnixCredentials, WithoutPassCredNoCredentialsArrive) {
  NoFdLeak leak;
  auto pair = UnixSocket::pair(SocketType::kDatagram);
  ASSERT_TRUE(pair);
  ASSERT_TRUE(send_with_credentials(pair->first, bytes("hi")));
  std::array<std::byte, 1> buf{};
  auto got = receive_with_credentials(pair->second, buf);
  ASSERT_TRUE(got);
  EXPECT_FALSE(got->credentials.has_value());
  EXPECT_TRUE(got->truncated);
}

TEST(UnixCredentials, StrayDescriptorsAreClosedNotLeaked) {
  NoFdLeak leak;
  auto pair = UnixSocket::pair(SocketType::kDatagram);
  ASSERT_TRUE(pair);
  // A raw SCM_RIGHTS send of two descriptors.
  int fds[2] = {pair->first.fd().get(), pair->first.fd().get()};
  alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(fds))> control{};
  char byte = 'x';
  iovec iov{.iov_base = &byte, .iov_len = 1};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.data();
  msg.msg_controllen = control.size();
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(fds));
  std::memcpy(CMSG_DATA(cmsg), fds, sizeof(fds));
  ASSERT_EQ(::sendmsg(pair->first.fd().get(), &msg, 0), 1);
  std::array<std::byte, 4> buf{};
  auto got = receive_with_credentials(pair->second, buf);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->size, 1u);
}

int fdinfo_pid(int fd) {
  std::ifstream in("/proc/self/fdinfo/" + std::to_string(fd));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Pid:", 0) == 0) return std::stoi(line.substr(4));
  }
  return -1;
}

TEST(UnixCredentials, PeerPidfdRefersToThePeerProcess) {
  NoFdLeak leak;
  if (!peer_pidfd_supported()) GTEST_SKIP() << "SO_PEERPIDFD is not supported by this kernel";
  auto l = abstract_listener();
  Child child([&] { return connect_and_wait(l.address); });
  auto conn = l.socket.accept();
  ASSERT_TRUE(conn);
  auto pidfd = peer_pidfd(*conn);
  ASSERT_TRUE(pidfd) << pidfd.error().message();
  EXPECT_EQ(fdinfo_pid(pidfd->get()), child.pid());
  EXPECT_NE(::fcntl(pidfd->get(), F_GETFD) & FD_CLOEXEC, 0);
  { auto hang_up = std::move(*conn); }
  EXPECT_EQ(child.wait(), 0);
}

TEST(UnixCredentials, PeerPidfdOfAnUnconnectedSocketFailsWithEnodata) {
  NoFdLeak leak;
  if (!peer_pidfd_supported()) GTEST_SKIP() << "SO_PEERPIDFD is not supported by this kernel";
  auto s = UnixSocket::create(SocketType::kStream);
  ASSERT_TRUE(s);
  EXPECT_EQ(code_of(peer_pidfd(*s)), ENODATA);
}

}  // namespace
}  // namespace ipckit::uds
