// Unix socket peers from sock_diag: each end of a socketpair and of an accepted connection names
// the other end's inode; the datagram parser rejects lengths that run past the datagram.
#include "inspect/unix_sock_diag.hpp"

#include <gtest/gtest.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "support/ipc_test_support.hpp"

namespace ipckit::inspect::detail {
namespace {

using test::ScopeExit;

std::uint64_t inode_of(int fd) {
  struct stat st {};
  EXPECT_EQ(::fstat(fd, &st), 0) << std::strerror(errno);
  return st.st_ino;
}

std::optional<std::uint64_t> peer_of(const UnixPeerMap& peers, std::uint64_t inode) {
  const auto it = peers.find(inode);
  if (it == peers.end()) return std::nullopt;
  return it->second;
}

TEST(UnixSockDiag, SocketpairEndsNameEachOther) {
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  ScopeExit close_both([&] {
    ::close(sv[0]);
    ::close(sv[1]);
  });
  auto peers = query_unix_peers();
  ASSERT_TRUE(peers) << peers.error().message();
  EXPECT_EQ(peer_of(*peers, inode_of(sv[0])), inode_of(sv[1]));
  EXPECT_EQ(peer_of(*peers, inode_of(sv[1])), inode_of(sv[0]));
}

TEST(UnixSockDiag, AcceptedConnectionOnAnAbstractNameNamesEachEndAndNotTheListener) {
  const std::string name = test::unique_name("diag");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  ASSERT_LT(name.size() + 1, sizeof addr.sun_path);
  std::memcpy(addr.sun_path + 1, name.data(), name.size());  // sun_path[0] = 0: abstract
  const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());

  const int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  ScopeExit close_listener([&] { ::close(listener); });
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), len), 0) << std::strerror(errno);
  ASSERT_EQ(::listen(listener, 1), 0);
  const int client = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(client, 0);
  ScopeExit close_client([&] { ::close(client); });
  ASSERT_EQ(::connect(client, reinterpret_cast<sockaddr*>(&addr), len), 0) << std::strerror(errno);
  const int server = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  ASSERT_GE(server, 0);
  ScopeExit close_server([&] { ::close(server); });

  auto peers = query_unix_peers();
  ASSERT_TRUE(peers) << peers.error().message();
  EXPECT_EQ(peer_of(*peers, inode_of(client)), inode_of(server));
  EXPECT_EQ(peer_of(*peers, inode_of(server)), inode_of(client));
  EXPECT_EQ(peer_of(*peers, inode_of(listener)), std::nullopt);
}

// A datagram of one header with the given length and type, and `extra` payload bytes.
std::vector<std::byte> datagram(std::uint32_t len, std::uint16_t type, std::size_t extra,
                                std::uint32_t seq = 7) {
  nlmsghdr h{};
  h.nlmsg_len = len;
  h.nlmsg_type = type;
  h.nlmsg_seq = seq;
  std::vector<std::byte> out(sizeof h + extra);
  std::memcpy(out.data(), &h, sizeof h);
  return out;
}

TEST(UnixSockDiag, ParserRejectsLengthsPastTheDatagramAndReportsKernelErrors) {
  UnixPeerMap peers;
  auto too_long = datagram(64, SOCK_DIAG_BY_FAMILY, 8);
  EXPECT_EQ(parse_unix_diag_datagram(too_long, 7, peers).error().code(), EPROTO);
  auto too_short = datagram(4, SOCK_DIAG_BY_FAMILY, 0);
  EXPECT_EQ(parse_unix_diag_datagram(too_short, 7, peers).error().code(), EPROTO);
  auto short_msg = datagram(sizeof(nlmsghdr) + 4, SOCK_DIAG_BY_FAMILY, 4);
  EXPECT_EQ(parse_unix_diag_datagram(short_msg, 7, peers).error().code(), EPROTO);

  auto error = datagram(sizeof(nlmsghdr) + sizeof(int), NLMSG_ERROR, sizeof(int));
  const int code = -ENOENT;
  std::memcpy(error.data() + sizeof(nlmsghdr), &code, sizeof code);
  EXPECT_EQ(parse_unix_diag_datagram(error, 7, peers).error().code(), ENOENT);
  // Another request's messages are not ours.
  auto other = datagram(sizeof(nlmsghdr) + sizeof(int), NLMSG_ERROR, sizeof(int), 8);
  std::memcpy(other.data() + sizeof(nlmsghdr), &code, sizeof code);
  EXPECT_EQ(parse_unix_diag_datagram(other, 7, peers), false);

  auto done = datagram(sizeof(nlmsghdr) + sizeof(int), NLMSG_DONE, sizeof(int));
  EXPECT_EQ(parse_unix_diag_datagram(done, 7, peers), true);
  EXPECT_TRUE(peers.empty());
}

TEST(UnixSockDiag, ParserReadsThePeerAttributeAndSkipsUnknownOnes) {
  unix_diag_msg msg{};
  msg.udiag_family = AF_UNIX;
  msg.udiag_ino = 1234;
  rtattr unknown{};
  unknown.rta_len = sizeof(rtattr) + 2;  // padded to 4 in the datagram
  unknown.rta_type = UNIX_DIAG_SHUTDOWN;
  rtattr peer{};
  peer.rta_len = sizeof(rtattr) + sizeof(std::uint32_t);
  peer.rta_type = UNIX_DIAG_PEER;
  const std::uint32_t peer_ino = 5678;
  const std::size_t payload = sizeof msg + sizeof(rtattr) + 4 + sizeof(rtattr) + 4;
  auto d = datagram(static_cast<std::uint32_t>(sizeof(nlmsghdr) + payload), SOCK_DIAG_BY_FAMILY,
                    payload);
  std::size_t at = sizeof(nlmsghdr);
  std::memcpy(d.data() + at, &msg, sizeof msg);
  at += sizeof msg;
  std::memcpy(d.data() + at, &unknown, sizeof unknown);
  at += sizeof(rtattr) + 4;
  std::memcpy(d.data() + at, &peer, sizeof peer);
  at += sizeof(rtattr);
  std::memcpy(d.data() + at, &peer_ino, sizeof peer_ino);
  UnixPeerMap peers;
  EXPECT_EQ(parse_unix_diag_datagram(d, 7, peers), false);
  EXPECT_EQ(peer_of(peers, 1234), 5678u);
}

}  // namespace
}  // namespace ipckit::inspect::detail
