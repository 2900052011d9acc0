// SO_PASSRIGHTS (Linux 6.16+): a receiver that refuses descriptors. On an older kernel the
// option is reported as unsupported (ENOPROTOOPT) and the delivery tests are skipped.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <string>

#include "ipckit/unix/fd_passing.hpp"
#include "unix/fd_passing_test_support.hpp"

namespace ipckit::uds {
namespace {

using test::make_memfd;
using test::make_pipe;
using test::make_socket_pair;
using test::receive;

using FdPassingPassRights = test::FdPassingTest;

// Turns descriptor passing off on `socket`, or skips the test where the kernel cannot.
#define REFUSE_RIGHTS_OR_SKIP(socket)                                            \
  do {                                                                           \
    auto off = set_pass_rights(socket, false);                                   \
    if (!off && off.error().code() == ENOPROTOOPT) {                             \
      EXPECT_NE(off.error().message().find("not supported"), std::string::npos); \
      GTEST_SKIP() << off.error().message();                                     \
    }                                                                            \
    ASSERT_TRUE(off) << off.error().message();                                   \
  } while (false)

TEST(FdPassingPassRightsOption, DefaultsToTrueAndReadsBackWhatWasSet) {
  auto s = make_socket_pair(SOCK_STREAM);
  auto on = pass_rights(s.b);
  if (!on && on.error().code() == ENOPROTOOPT) GTEST_SKIP() << on.error().message();
  ASSERT_TRUE(on) << on.error().message();
  EXPECT_TRUE(*on);
  ASSERT_TRUE(set_pass_rights(s.b, false));
  EXPECT_EQ(pass_rights(s.b), false);
  ASSERT_TRUE(set_pass_rights(s.b, true));
  EXPECT_EQ(pass_rights(s.b), true);
}

TEST_F(FdPassingPassRights, RefusingReceiverMakesSendFailWithEpermAndDeliversNothing) {
  for (int type : {SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM}) {
    auto s = make_socket_pair(type | SOCK_NONBLOCK);
    REFUSE_RIGHTS_OR_SKIP(s.b);
    auto file = make_memfd("refused");
    const std::array fds{file.view()};
    auto sent = send_fds(s.a, "payload", fds);
    ASSERT_FALSE(sent) << type;
    EXPECT_EQ(sent.error().code(), EPERM) << type;
    auto r = receive(s.b, 16, 1);  // not even the payload arrived
    ASSERT_FALSE(r) << type;
    EXPECT_EQ(r.error().code(), EAGAIN) << type;
  }
}

TEST_F(FdPassingPassRights, RefusingReceiverStillGetsPlainPayloads) {
  auto s = make_socket_pair(SOCK_STREAM);
  REFUSE_RIGHTS_OR_SKIP(s.b);
  ASSERT_TRUE(send_fds(s.a, "plain", {}));
  auto r = receive(s.b, 16, 0);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->payload, "plain");
}

TEST_F(FdPassingPassRights, RefusingTheSendersOwnSocketChangesNothing) {
  auto s = make_socket_pair(SOCK_STREAM);
  REFUSE_RIGHTS_OR_SKIP(s.a);  // the option guards what a socket receives, not what it sends
  auto file = make_memfd("sent");
  const std::array fds{file.view()};
  ASSERT_TRUE(send_fds(s.a, "x", fds));
  auto r = receive(s.b, 16, 1);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->fds.size(), 1u);
}

TEST_F(FdPassingPassRights, AcceptedSocketsInheritTheListenersSetting) {
  Fd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(listener);
  REFUSE_RIGHTS_OR_SKIP(listener);
  // An abstract address: nothing is left in the file system.
  const std::string name = test::unique_name("passrights");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  name.copy(addr.sun_path + 1, sizeof addr.sun_path - 2);
  const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  const auto* sa = reinterpret_cast<const sockaddr*>(&addr);
  ASSERT_EQ(::bind(listener.get(), sa, len), 0);
  ASSERT_EQ(::listen(listener.get(), 1), 0);
  Fd client(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_EQ(::connect(client.get(), sa, len), 0);
  Fd accepted(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  ASSERT_TRUE(accepted);
  EXPECT_EQ(pass_rights(accepted), false);
  auto file = make_memfd("x");
  const std::array fds{file.view()};
  auto sent = send_fds(client, "x", fds);
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().code(), EPERM);
}

TEST(FdPassingPassRightsOption, NonUnixSocketFailsWithEopnotsupp) {
  Fd udp(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(udp);
  auto r = set_pass_rights(udp, false);
  ASSERT_FALSE(r);
  if (r.error().code() == ENOPROTOOPT) GTEST_SKIP() << r.error().message();
  EXPECT_EQ(r.error().code(), EOPNOTSUPP);
}

TEST(FdPassingPassRightsOption, PipeFailsWithEnotsock) {
  auto p = make_pipe();
  auto r = set_pass_rights(p.a, false);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ENOTSOCK);
  auto g = pass_rights(p.a);
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().code(), ENOTSOCK);
}

}  // namespace
}  // namespace ipckit::uds
