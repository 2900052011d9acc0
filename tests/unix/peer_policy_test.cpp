// The client side of AccessPolicy: a client checks who listens before anything leaves
// (connect_verified, verify_peer), and ids on command lines parse strictly (parse_id).
#include <fcntl.h>
#include <fmt/core.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <string>

#include "ipckit/unix/access_policy.hpp"
#include "ipckit/unix/listener.hpp"
#include "support/child.hpp"
#include "unix/unix_test_support.hpp"

namespace ipckit::uds {
namespace {

using test::Child;
using test::code_of;
using test::kNobody;
using test::NoFdLeak;

TEST(UnixPeerPolicy, ParseIdReadsDecimalIdsOnly) {
  EXPECT_EQ(parse_id("0"), 0u);
  EXPECT_EQ(parse_id("65534"), 65534u);
  EXPECT_EQ(parse_id("4294967294"), 4294967294u);
  for (const char* bad : {"", " ", "-1", "+1", " 1", "1 ", "1a", "0x10", "4294967295"}) {
    EXPECT_EQ(code_of(parse_id(bad)), EINVAL) << "'" << bad << "'";
  }
  EXPECT_EQ(code_of(parse_id("4294967296")), ERANGE);
  EXPECT_EQ(code_of(parse_id("99999999999")), EINVAL);
}

TEST(UnixPeerPolicy, ConnectVerifiedReturnsTheSocketWhenTheListenerIsAllowed) {
  NoFdLeak leak;
  auto l = UnixListener::bind(UnixAddress::unnamed());
  ASSERT_TRUE(l);
  auto s = connect_verified(l->address(), SocketType::kStream, AccessPolicy::same_user());
  ASSERT_TRUE(s) << s.error().message();
  auto peer = verify_peer(*s, AccessPolicy::only({::geteuid()}), l->address());
  ASSERT_TRUE(peer);
  EXPECT_EQ(peer->pid, ::getpid());
}

// The issue's scenario: uid 65534 binds an abstract name first; a root client that names the
// uid it expects is refused with EACCES before a byte leaves, and the squatter reads nothing.
TEST(UnixPeerPolicy, ConnectVerifiedRefusesASquatterBeforeAnythingIsSent) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to act as another user";
  NoFdLeak leak;
  const auto name = *UnixAddress::parse("@" + test::unique_name("squat"));
  int ready[2], report[2];
  ASSERT_EQ(::pipe2(ready, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(report, O_CLOEXEC), 0);
  Fd ready_r(ready[0]), ready_w(ready[1]), report_r(report[0]), report_w(report[1]);
  Child squatter(
      [&] {
        ready_r.reset();
        report_r.reset();
        auto l = UnixListener::bind(name, {.policy = AccessPolicy::anyone()});
        if (!l) return 1;
        if (::write(ready_w.get(), "r", 1) != 1) return 2;
        auto conn = l->accept();
        if (!conn) return 3;
        std::array<std::byte, 64> buf{};
        auto got = conn->socket.receive(buf);  // 0: EOF with nothing sent
        const int n = got ? static_cast<int>(*got) : -1;
        return ::write(report_w.get(), &n, sizeof(n)) == sizeof(n) ? 0 : 4;
      },
      /*as_nobody=*/true);
  ready_w.reset();
  report_w.reset();
  char c = 0;
  ASSERT_EQ(::read(ready_r.get(), &c, 1), 1);
  auto s = connect_verified(name, SocketType::kStream, AccessPolicy::only({0}));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), EACCES);
  EXPECT_EQ(s.error().message(),
            fmt::format("connect({}): peer pid {} uid {} gid {} is not allowed (allowing uids "
                        "{{0}} gids {{}})",
                        name.describe(), squatter.pid(), kNobody, kNobody));
  int n = -2;
  ASSERT_EQ(::read(report_r.get(), &n, sizeof(n)), static_cast<ssize_t>(sizeof(n)));
  EXPECT_EQ(n, 0);  // the squatter saw the connection end with nothing in it
  EXPECT_EQ(squatter.wait(), 0);
}

TEST(UnixPeerPolicy, DatagramSocketHasNoPeerToCheck) {
  NoFdLeak leak;
  auto receiver = UnixSocket::create(SocketType::kDatagram);
  ASSERT_TRUE(receiver && receiver->bind(UnixAddress::unnamed()));
  auto name = receiver->local_address();
  ASSERT_TRUE(name);
  auto sender = UnixSocket::create(SocketType::kDatagram);
  ASSERT_TRUE(sender && sender->connect(*name));
  EXPECT_EQ(code_of(verify_peer(*sender, AccessPolicy::same_user(), *name)), EINVAL);
  EXPECT_TRUE(verify_peer(*sender, AccessPolicy::anyone(), *name));
}

}  // namespace
}  // namespace ipckit::uds
