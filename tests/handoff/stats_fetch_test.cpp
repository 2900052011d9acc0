// handoff::fetch_stats() against a fake daemon: the request, the decoded reply, and the errors.
#include <gtest/gtest.h>

#include <cerrno>
#include <future>

#include "handoff/fake_daemon.hpp"
#include "ipckit/handoff/stats.hpp"
#include "unix/unix_test_support.hpp"

namespace ipckit::handoff {
namespace {

using ipckit::test::NoFdLeak;
using test::FakeDaemon;

// fetch_stats() on another thread; the test thread accepts, checks the request, and replies
// with `reply` (nothing when empty, then closes when `close` is set).
Result<Stats> fetch_with_reply(FakeDaemon& daemon, const std::string& reply, bool close,
                               Timeout timeout = test::kWait) {
  auto pending =
      std::async(std::launch::async, [&] { return fetch_stats(daemon.address(), {}, timeout); });
  auto connection = daemon.accept();
  EXPECT_TRUE(connection);
  if (connection) {
    EXPECT_EQ(FakeDaemon::receive(*connection), R"({"op":"stats"})");
    if (!reply.empty()) FakeDaemon::send_raw(*connection, reply);
    if (close) connection.reset();
  }
  return pending.get();
}

TEST(HandoffFetchStats, ReturnsTheDecodedReply) {
  NoFdLeak no_leak;
  FakeDaemon daemon;
  Stats sent;
  sent.daemon_pid = 99;
  sent.accepted = 5;
  sent.rejected = {{"pregreet", 2}};
  sent.workers = {WorkerStats{.worker = 1, .name = "echo", .capacity = 4, .active = 1}};
  auto got = fetch_with_reply(daemon, to_json(sent), true);
  ASSERT_TRUE(got) << got.error().message();
  EXPECT_EQ(got->daemon_pid, 99);
  EXPECT_EQ(got->accepted, 5U);
  EXPECT_EQ(got->rejected, sent.rejected);
  ASSERT_EQ(got->workers.size(), 1U);
  EXPECT_EQ(got->workers[0].name, "echo");
  EXPECT_EQ(got->workers[0].active, 1U);
}

TEST(HandoffFetchStats, RefusalIsEperm) {
  NoFdLeak no_leak;
  FakeDaemon daemon;
  auto got = fetch_with_reply(daemon, R"({"op":"refused","reason":"uid 7 is not allowed"})", true);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code(), EPERM);
  EXPECT_EQ(got.error().detail(), "uid 7 is not allowed");
}

TEST(HandoffFetchStats, NoReplyIsEtimedout) {
  NoFdLeak no_leak;
  FakeDaemon daemon;
  auto got = fetch_with_reply(daemon, "", false, std::chrono::milliseconds(50));
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code(), ETIMEDOUT);
}

TEST(HandoffFetchStats, CloseWithoutReplyIsEconnreset) {
  NoFdLeak no_leak;
  FakeDaemon daemon;
  auto got = fetch_with_reply(daemon, "", true);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code(), ECONNRESET);
}

TEST(HandoffFetchStats, AnotherReplyIsEproto) {
  NoFdLeak no_leak;
  FakeDaemon daemon;
  auto got = fetch_with_reply(daemon, R"({"op":"registered","worker":1,"daemon_pid":1})", true);
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code(), EPROTO);
  auto bad = fetch_with_reply(daemon, R"({"op":"stats","accepted":1})", true);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), EPROTO);
  EXPECT_NE(bad.error().detail().find("missing"), std::string::npos) << bad.error().message();
}

}  // namespace
}  // namespace ipckit::handoff
