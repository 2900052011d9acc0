// The handoff Server in-process: the screens (access, pregreet, cache, rate, concurrency) and
// reloading them. Same harness as server_test.cpp.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <variant>
#include <vector>

#include "handoff/server_test_support.hpp"
#include "ipckit/handoff/server.hpp"
#include "ipckit/handoff/worker.hpp"
#include "unix/unix_test_support.hpp"

namespace ipckit::handoff {
namespace {

using ipckit::test::NoFdLeak;
using namespace std::chrono_literals;
using test::connect_client;
using test::eventually;
using test::has;
using test::RawWorker;
using test::read_line;
using test::RunningServer;
using test::sees_eof;
using test::test_config;
using test::write_all;

TEST(HandoffServer, DeniedClientGetsTheRejectLineAndIsClosed) {
  NoFdLeak no_leak;
  {
    Config config = test_config();
    config.screening.deny = {*net::Cidr::parse("127.0.0.0/8")};
    config.screening.reject_line = "554 go away";
    RunningServer server(config);
    ASSERT_TRUE(server.ok());
    auto worker = Worker::connect(server.control());
    ASSERT_TRUE(worker);
    Fd client = connect_client(server.address());
    EXPECT_EQ(read_line(client), "554 go away\r\n");
    EXPECT_TRUE(sees_eof(client));
    ASSERT_TRUE(server.stop());
    const Stats s = server.final_stats();
    EXPECT_EQ(s.rejected.at("access"), 1u);
    EXPECT_EQ(s.handed_off, 0u);
    EXPECT_TRUE(has(server.log(), "event=client_rejected client=127.0.0.1:"));
    EXPECT_TRUE(has(server.log(), "reason=access"));
  }
}

TEST(HandoffServer, PregreetTalkerIsDroppedAndACachedClientSkipsTheWait) {
  NoFdLeak no_leak;
  {
    Config config = test_config();
    config.screening.pregreet_wait = 300ms;
    config.screening.banner = "220-hello";
    config.screening.reject_line = "521 you spoke first";
    config.screening.cache_ttl = 60s;
    RunningServer server(config);
    ASSERT_TRUE(server.ok());
    auto worker = Worker::connect(server.control());
    ASSERT_TRUE(worker);

    Fd talker = connect_client(server.address());
    EXPECT_EQ(read_line(talker), "220-hello\r\n");
    ASSERT_TRUE(write_all(talker, "EHLO me\r\n"));
    EXPECT_EQ(read_line(talker), "521 you spoke first\r\n");
    EXPECT_TRUE(sees_eof(talker));

    Fd polite = connect_client(server.address());
    EXPECT_EQ(read_line(polite), "220-hello\r\n");
    auto first = worker->accept(20s);
    ASSERT_TRUE(first) << first.error().message();
    EXPECT_TRUE(first->info.banner_sent);
    EXPECT_EQ(first->info.screens, std::vector<std::string>{"pregreet"});

    Fd cached = connect_client(server.address());
    auto second = worker->accept(20s);
    ASSERT_TRUE(second) << second.error().message();
    EXPECT_FALSE(second->info.banner_sent);
    EXPECT_EQ(second->info.screens, std::vector<std::string>{"cache"});
    ASSERT_TRUE(write_all(second->socket, "220 worker\r\n"));
    EXPECT_EQ(read_line(cached), "220 worker\r\n") << "no banner before the worker's line";

    ASSERT_TRUE(server.stop());
    const Stats s = server.final_stats();
    EXPECT_EQ(s.rejected.at("pregreet"), 1u);
    EXPECT_EQ(s.cache_hits, 1u);
    EXPECT_EQ(s.cache_entries, 1u);
    EXPECT_EQ(s.handed_off, 2u);
  }
}

TEST(HandoffServer, AClientThatHangsUpDuringThePregreetIsGoneNotAPregreetFailure) {
  NoFdLeak no_leak;
  {
    Config config = test_config();
    config.screening.pregreet_wait = 10s;
    RunningServer server(config);
    ASSERT_TRUE(server.ok());
    Fd client = connect_client(server.address());
    ASSERT_TRUE(eventually([&] { return server.stats().screening == 1; }));
    client.reset();
    ASSERT_TRUE(eventually([&] { return server.stats().client_gone == 1; }));
    const Stats s = server.stats();
    EXPECT_EQ(s.screening, 0u);
    EXPECT_EQ(s.rejected.at("pregreet"), 0u);
  }
}

TEST(HandoffServer, RateLimitRefusesTheConnectionOverTheLimit) {
  NoFdLeak no_leak;
  {
    Config config = test_config();
    config.screening.rate_connections = 2;
    config.screening.rate_period = 60s;
    config.screening.reject_line = "421 slow down";
    RunningServer server(config);
    ASSERT_TRUE(server.ok());
    auto worker = Worker::connect(server.control());
    ASSERT_TRUE(worker);
    Fd a = connect_client(server.address());
    Fd b = connect_client(server.address());
    ASSERT_TRUE(worker->accept(20s));
    ASSERT_TRUE(worker->accept(20s));
    Fd c = connect_client(server.address());
    EXPECT_EQ(read_line(c), "421 slow down\r\n");
    EXPECT_TRUE(sees_eof(c));
    ASSERT_TRUE(server.stop());
    EXPECT_EQ(server.final_stats().rejected.at("rate"), 1u);
  }
}

TEST(HandoffServer, ConcurrencyLimitCountsClientsUntilTheWorkerIsDone) {
  NoFdLeak no_leak;
  {
    Config config = test_config();
    config.screening.max_per_address = 1;
    RunningServer server(config);
    ASSERT_TRUE(server.ok());
    auto worker = Worker::connect(server.control());
    ASSERT_TRUE(worker);
    Fd a = connect_client(server.address());
    auto first = worker->accept(20s);
    ASSERT_TRUE(first);
    Fd b = connect_client(server.address());
    EXPECT_TRUE(sees_eof(b)) << "a second client of the same address is refused";
    ASSERT_TRUE(worker->done(first->info.id));
    ASSERT_TRUE(eventually([&] { return server.stats().workers.at(0).active == 0; }));
    Fd c = connect_client(server.address());
    auto third = worker->accept(20s);
    ASSERT_TRUE(third) << third.error().message();
    ASSERT_TRUE(server.stop());
    EXPECT_EQ(server.final_stats().rejected.at("concurrency"), 1u);
  }
}

TEST(HandoffServer, ReloadChangesTheDenyListWithoutDroppingAnOpenClient) {
  NoFdLeak no_leak;
  {
    Config config = test_config();
    Config next = config;
    next.screening.deny = {*net::Cidr::parse("127.0.0.1/32")};
    RunningServer server(config, [next] { return Result<Config>(next); });
    ASSERT_TRUE(server.ok());
    auto worker = Worker::connect(server.control());
    ASSERT_TRUE(worker);
    Fd open_client = connect_client(server.address());
    auto handed = worker->accept(20s);
    ASSERT_TRUE(handed);
    server.reload();
    ASSERT_TRUE(eventually([&] { return server.stats().reloads == 1; }));
    Fd denied = connect_client(server.address());
    EXPECT_TRUE(sees_eof(denied));
    ASSERT_TRUE(write_all(open_client, "ping\n"));
    EXPECT_EQ(read_line(handed->socket), "ping\n");
    ASSERT_TRUE(write_all(handed->socket, "pong\n"));
    EXPECT_EQ(read_line(open_client), "pong\n");
    ASSERT_TRUE(server.stop());
    EXPECT_EQ(server.final_stats().rejected.at("access"), 1u);
    EXPECT_TRUE(has(server.log(), "event=reload"));
  }
}

TEST(HandoffServer, AFailedReloadKeepsTheRunningConfiguration) {
  NoFdLeak no_leak;
  {
    RunningServer server(test_config(), [] {
      return Result<Config>(std::unexpected(Error(EINVAL, "config", "x.toml:3", "bad key")));
    });
    ASSERT_TRUE(server.ok());
    server.reload();
    ASSERT_TRUE(eventually([&] { return has(server.log(), "event=reload_failed"); }));
    auto worker = Worker::connect(server.control());
    ASSERT_TRUE(worker);
    Fd client = connect_client(server.address());
    EXPECT_TRUE(worker->accept(20s));
  }
}

}  // namespace
}  // namespace ipckit::handoff
