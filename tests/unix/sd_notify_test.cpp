#include "ipckit/unix/sd_notify.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <string>

#include "ipckit/unix/bound_datagram.hpp"
#include "support/ipc_test_support.hpp"

namespace ipckit::uds {
namespace {

// Sets NOTIFY_SOCKET for the scope, and restores "unset" after (the suite never inherits one
// that matters: ctest does not run under a service manager).
class NotifySocketEnv {
 public:
  explicit NotifySocketEnv(const std::string& value) {
    ::setenv("NOTIFY_SOCKET", value.c_str(), 1);
  }
  ~NotifySocketEnv() { ::unsetenv("NOTIFY_SOCKET"); }
  NotifySocketEnv(const NotifySocketEnv&) = delete;
  NotifySocketEnv& operator=(const NotifySocketEnv&) = delete;
};

std::string receive(const BoundDatagram& socket) {
  std::array<std::byte, 256> buffer{};
  auto got = socket.socket().receive(buffer);
  EXPECT_TRUE(got) << got.error().message();
  return got ? std::string(reinterpret_cast<const char*>(buffer.data()), *got) : std::string();
}

TEST(SdNotify, SendsTheStateToAnAbstractSocket) {
  const std::string name = "@" + test::unique_name("notify");
  auto manager = BoundDatagram::bind(*UnixAddress::parse(name));
  ASSERT_TRUE(manager) << manager.error().message();
  NotifySocketEnv env(name);
  auto sent = sd_notify("READY=1\nSTATUS=listening");
  ASSERT_TRUE(sent) << sent.error().message();
  EXPECT_TRUE(*sent);
  EXPECT_EQ(receive(*manager), "READY=1\nSTATUS=listening");
  ASSERT_TRUE(sd_notify("STOPPING=1"));  // the variable stays for the next notification
  EXPECT_EQ(receive(*manager), "STOPPING=1");
}

TEST(SdNotify, NothingToDoWithoutNotifySocket) {
  ::unsetenv("NOTIFY_SOCKET");
  auto sent = sd_notify("READY=1");
  ASSERT_TRUE(sent);
  EXPECT_FALSE(*sent);
  NotifySocketEnv empty("");
  ASSERT_TRUE(sd_notify("READY=1"));
  EXPECT_FALSE(*sd_notify("READY=1"));
}

TEST(SdNotify, ErrorsNameTheSocket) {
  {
    NotifySocketEnv env("vsock:2:1234");
    auto r = sd_notify("READY=1");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), EAFNOSUPPORT);
  }
  const std::string name = "@" + test::unique_name("notify-nobody");
  NotifySocketEnv env(name);
  auto r = sd_notify("READY=1");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ECONNREFUSED) << r.error().message();
}

}  // namespace
}  // namespace ipckit::uds
