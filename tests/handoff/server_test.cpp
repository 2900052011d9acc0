// The handoff Server in-process: a Server on a thread (no signals: request_stop from the test),
// TCP clients on 127.0.0.1, workers as handoff::Worker or as raw protocol sockets. Every test
// checks that the process holds as many descriptors afterwards as before. Waits are for
// conditions, with generous deadlines; nothing asserts a duration.
#include "ipckit/handoff/server.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "handoff/server_test_support.hpp"
#include "ipckit/handoff/worker.hpp"
#include "unix/unix_test_support.hpp"

namespace ipckit::handoff {
namespace {

using ipckit::test::NoFdLeak;
using namespace std::chrono_literals;
using test::connect_client;
using test::eventually;
using test::RawWorker;
using test::read_line;
using test::RunningServer;
using test::sees_eof;
using test::test_config;
using test::write_all;

bool has(const std::string& log, const std::string& text) {
  return log.find(text) != std::string::npos;
}

TEST(HandoffServer, HandsAClientToAWorkerWhoseDescriptorTalksToIt) {
  NoFdLeak no_leak;
  {
    RunningServer server(test_config());
    ASSERT_TRUE(server.ok());
    auto worker = Worker::connect(server.control(), WorkerOptions{.name = "echo", .capacity = 4});
    ASSERT_TRUE(worker) << worker.error().message();
    Fd client = connect_client(server.address());
    auto handed = worker->accept(20s);
    ASSERT_TRUE(handed) << handed.error().message();
    EXPECT_EQ(handed->info.peer.host_string(), "127.0.0.1");
    EXPECT_EQ(handed->info.local, server.address());
    EXPECT_EQ(handed->info.redispatched, 0u);
    EXPECT_FALSE(handed->info.banner_sent);
    ASSERT_TRUE(write_all(client, "hello\n"));
    EXPECT_EQ(read_line(handed->socket), "hello\n");
    ASSERT_TRUE(write_all(handed->socket, "from worker\n"));
    EXPECT_EQ(read_line(client), "from worker\n");
    ASSERT_TRUE(worker->done(handed->info.id));
    EXPECT_TRUE(eventually([&] {
      const Stats s = server.stats();
      return s.handed_off == 1 && s.workers.size() == 1 && s.workers[0].active == 0;
    }));
    ASSERT_TRUE(server.stop());
    const Stats s = server.final_stats();
    EXPECT_EQ(s.accepted, 1u);
    EXPECT_EQ(s.handed_off, 1u);
    EXPECT_EQ(s.in_flight, 0u);
    const std::string log = server.log();
    EXPECT_TRUE(has(log, "event=listening addr=" + server.address().to_string())) << log;
    EXPECT_TRUE(has(log, "event=listening control=" + server.control().to_string())) << log;
    EXPECT_TRUE(has(log, "event=worker_registered worker=1 name=echo")) << log;
    EXPECT_TRUE(has(log, "event=handed_off client=127.0.0.1:")) << log;
    EXPECT_TRUE(has(log, "event=stopped")) << log;
  }
}

}  // namespace
}  // namespace ipckit::handoff

namespace ipckit::handoff {
namespace {

// A worker that takes a client and closes its control connection without acknowledging it
// leaves the client with the daemon, which hands it to the next worker.
TEST(HandoffServer, RedispatchesAClientWhoseWorkerClosedBeforeAcking) {
  NoFdLeak no_leak;
  {
    RunningServer server(test_config());
    ASSERT_TRUE(server.ok());
    RawWorker first(server.control());
    ASSERT_EQ(first.register_as("flaky", 4), 1u);
    Fd client = connect_client(server.address());
    auto taken = first.receive_client();
    ASSERT_TRUE(taken);
    auto second = Worker::connect(server.control(), WorkerOptions{.name = "good"});
    ASSERT_TRUE(second) << second.error().message();
    const std::uint64_t id = taken->first.id;
    taken.reset();  // its copy of the descriptor, and then its connection, go
    first.close();
    auto handed = second->accept(20s);
    ASSERT_TRUE(handed) << handed.error().message();
    EXPECT_EQ(handed->info.id, id);
    EXPECT_EQ(handed->info.redispatched, 1u);
    ASSERT_TRUE(write_all(handed->socket, "still here\n"));
    EXPECT_EQ(read_line(client), "still here\n");
    ASSERT_TRUE(server.stop());
    const Stats s = server.final_stats();
    EXPECT_EQ(s.redispatched, 1u);
    EXPECT_EQ(s.workers_dropped, 1u);
    EXPECT_EQ(s.handed_off, 1u);
    EXPECT_TRUE(has(server.log(), "event=worker_dropped worker=1 name=flaky reason=closed"));
    EXPECT_TRUE(has(server.log(), "event=redispatched client=127.0.0.1:"));
  }
}

TEST(HandoffServer, DropsAWorkerThatDoesNotAckWithinTheAckTimeout) {
  NoFdLeak no_leak;
  {
    Config config = test_config();
    config.workers.ack_timeout = 300ms;
    RunningServer server(config);
    ASSERT_TRUE(server.ok());
    RawWorker stuck(server.control());
    ASSERT_EQ(stuck.register_as("stuck", 4), 1u);
    Fd client = connect_client(server.address());
    auto taken = stuck.receive_client();  // received, never acknowledged
    ASSERT_TRUE(taken);
    auto good = Worker::connect(server.control(), WorkerOptions{.name = "good"});
    ASSERT_TRUE(good) << good.error().message();
    auto handed = good->accept(20s);
    ASSERT_TRUE(handed) << handed.error().message();
    EXPECT_EQ(handed->info.id, taken->first.id);
    EXPECT_EQ(handed->info.redispatched, 1u);
    EXPECT_FALSE(stuck.receive()) << "the daemon closes a dropped worker's connection";
    ASSERT_TRUE(server.stop());
    EXPECT_TRUE(has(server.log(), "name=stuck reason=ack_timeout")) << server.log();
    EXPECT_EQ(server.final_stats().workers_dropped, 1u);
  }
}

TEST(HandoffServer, BusyLineWhenNoWorkerThenRecoveryWhenOneRegisters) {
  NoFdLeak no_leak;
  {
    Config config = test_config();
    config.workers.busy_timeout = 200ms;
    config.workers.busy_line = "421 busy";
    RunningServer server(config);
    ASSERT_TRUE(server.ok());
    Fd early = connect_client(server.address());
    EXPECT_EQ(read_line(early), "421 busy\r\n");
    EXPECT_TRUE(sees_eof(early));
    auto worker = Worker::connect(server.control(), WorkerOptions{.name = "late"});
    ASSERT_TRUE(worker) << worker.error().message();
    Fd later = connect_client(server.address());
    auto handed = worker->accept(20s);
    ASSERT_TRUE(handed) << handed.error().message();
    ASSERT_TRUE(server.stop());
    const Stats s = server.final_stats();
    EXPECT_EQ(s.rejected.at("busy"), 1u);
    EXPECT_EQ(s.handed_off, 1u);
  }
}

TEST(HandoffServer, ClientsWaitForAWorkerThatRegistersWithinTheBusyTimeout) {
  NoFdLeak no_leak;
  {
    RunningServer server(test_config());
    ASSERT_TRUE(server.ok());
    Fd client = connect_client(server.address());
    ASSERT_TRUE(eventually([&] { return server.stats().waiting == 1; }));
    auto worker = Worker::connect(server.control());
    ASSERT_TRUE(worker) << worker.error().message();
    auto handed = worker->accept(20s);
    ASSERT_TRUE(handed) << handed.error().message();
  }
}

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

TEST(HandoffServer, StopLetsAClientInThePregreetFinishAndClosesTheListener) {
  NoFdLeak no_leak;
  {
    Config config = test_config();
    config.screening.pregreet_wait = 300ms;
    RunningServer server(config);
    ASSERT_TRUE(server.ok());
    auto worker = Worker::connect(server.control());
    ASSERT_TRUE(worker);
    Fd client = connect_client(server.address());
    ASSERT_TRUE(eventually([&] { return server.stats().screening == 1; }));
    server.request_stop();
    auto handed = worker->accept(20s);
    ASSERT_TRUE(handed) << handed.error().message();
    ASSERT_TRUE(server.stop());
    EXPECT_EQ(server.final_stats().handed_off, 1u);
    EXPECT_FALSE(net::tcp_connect(server.address(), 5s)) << "the listener is closed";
    EXPECT_TRUE(has(server.log(), "event=stopping"));
  }
}

TEST(HandoffServer, StopClosesWhatIsLeftAfterTheGracePeriod) {
  NoFdLeak no_leak;
  {
    Config config = test_config();
    config.grace_period = 200ms;
    RunningServer server(config);
    ASSERT_TRUE(server.ok());
    Fd client = connect_client(server.address());  // no worker: it waits
    ASSERT_TRUE(eventually([&] { return server.stats().waiting == 1; }));
    ASSERT_TRUE(server.stop());
    EXPECT_TRUE(sees_eof(client));
    const Stats s = server.final_stats();
    EXPECT_EQ(s.rejected.at("shutdown"), 1u);
    EXPECT_EQ(s.waiting, 0u);
  }
}

TEST(HandoffServer, StopClosesItsCopyOfAClientStillUnacknowledgedAfterTheGracePeriod) {
  NoFdLeak no_leak;
  {
    Config config = test_config();
    config.grace_period = 200ms;
    RunningServer server(config);
    ASSERT_TRUE(server.ok());
    RawWorker slow(server.control());
    ASSERT_EQ(slow.register_as("slow", 4), 1u);
    Fd client = connect_client(server.address());
    auto taken = slow.receive_client();  // received, not acknowledged
    ASSERT_TRUE(taken);
    ASSERT_TRUE(server.stop());
    const Stats s = server.final_stats();
    EXPECT_EQ(s.rejected.at("shutdown"), 1u);
    EXPECT_EQ(s.in_flight, 0u);
    EXPECT_EQ(s.handed_off, 0u);
    EXPECT_FALSE(slow.receive()) << "the control connection is closed";
    ASSERT_TRUE(write_all(taken->second, "the worker's copy still works\n"));
    EXPECT_EQ(read_line(client), "the worker's copy still works\n");
  }
}

TEST(HandoffServer, RefusesAWorkerOutsideThePolicyAndTellsItWhy) {
  NoFdLeak no_leak;
  {
    Config config = test_config();
    config.workers.policy = uds::AccessPolicy::only({ipckit::test::kNobody});
    RunningServer server(config);
    ASSERT_TRUE(server.ok());
    auto worker = Worker::connect(server.control(),
                                  WorkerOptions{.daemon_policy = uds::AccessPolicy::anyone()});
    ASSERT_FALSE(worker);
    EXPECT_EQ(worker.error().code(), EPERM) << worker.error().message();
    EXPECT_TRUE(has(worker.error().message(), "is not allowed")) << worker.error().message();
    ASSERT_TRUE(server.stop());
    EXPECT_EQ(server.final_stats().workers_refused, 1u);
    EXPECT_TRUE(has(server.log(), "event=worker_refused"));
  }
}

TEST(HandoffServer, AProtocolErrorGetsRefusedAndClosed) {
  NoFdLeak no_leak;
  {
    RunningServer server(test_config());
    ASSERT_TRUE(server.ok());
    RawWorker rogue(server.control());
    ASSERT_TRUE(rogue.send(protocol::Ack{.id = 99}));  // ack before register
    auto reply = rogue.receive();
    ASSERT_TRUE(reply);
    EXPECT_TRUE(std::holds_alternative<protocol::Refused>(reply->message));
    EXPECT_FALSE(rogue.receive());
    RawWorker registered(server.control());
    ASSERT_EQ(registered.register_as("w", 1), 1u);
    ASSERT_TRUE(registered.send(protocol::Done{.id = 5}));  // done for nothing it holds
    reply = registered.receive();
    ASSERT_TRUE(reply);
    EXPECT_TRUE(std::holds_alternative<protocol::Refused>(reply->message));
    ASSERT_TRUE(server.stop());
    const Stats s = server.final_stats();
    EXPECT_EQ(s.workers_refused, 1u);
    EXPECT_EQ(s.workers_dropped, 1u);
  }
}

TEST(HandoffServer, AControlConnectionThatNeverRegistersIsRefusedAfterTheAckTimeout) {
  NoFdLeak no_leak;
  {
    Config config = test_config();
    config.workers.ack_timeout = 200ms;
    RunningServer server(config);
    ASSERT_TRUE(server.ok());
    RawWorker silent(server.control());
    auto reply = silent.receive();
    ASSERT_TRUE(reply);
    ASSERT_TRUE(std::holds_alternative<protocol::Refused>(reply->message));
    EXPECT_EQ(std::get<protocol::Refused>(reply->message).reason, "no register within ack_timeout");
    EXPECT_FALSE(silent.receive());
    RawWorker prompt(server.control());
    ASSERT_EQ(prompt.register_as("prompt", 1), 1u);
    ASSERT_TRUE(server.stop());
    EXPECT_EQ(server.final_stats().workers_refused, 1u);
    EXPECT_EQ(server.final_stats().workers_dropped, 0u);
  }
}

// The engine reads the usual {"op":"ack","id":N} without a JSON parser; any other spelling of
// the same message is still read by the full decoder.
TEST(HandoffServer, AcksAndDonesInAnyJsonSpellingAreRead) {
  NoFdLeak no_leak;
  {
    RunningServer server(test_config());
    ASSERT_TRUE(server.ok());
    RawWorker worker(server.control());
    ASSERT_EQ(worker.register_as("raw", 4), 1u);
    Fd a = connect_client(server.address());
    auto first = worker.receive_client();
    ASSERT_TRUE(first);
    ASSERT_TRUE(worker.send_raw(R"({ "id": )" + std::to_string(first->first.id) +
                                R"(, "op": "ack", "extra": [1] })"));
    Fd b = connect_client(server.address());
    auto second = worker.receive_client();
    ASSERT_TRUE(second);
    ASSERT_TRUE(worker.send_raw(R"({"op":"ack","id":)" + std::to_string(second->first.id) + "}"));
    ASSERT_TRUE(worker.send_raw(R"({"op":"done","id":)" + std::to_string(first->first.id) + "}"));
    ASSERT_TRUE(eventually([&] {
      const Stats s = server.stats();
      return s.handed_off == 2 && s.workers.size() == 1 && s.workers[0].active == 1;
    }));
    ASSERT_TRUE(worker.send_raw(R"({"op":"ack","id":0)" + std::to_string(second->first.id) + "}"));
    EXPECT_TRUE(worker.receive().has_value()) << "a leading zero is not JSON: refused";
    ASSERT_TRUE(server.stop());
    EXPECT_EQ(server.final_stats().workers_dropped, 1u);
  }
}

TEST(HandoffServer, LeastBusySpreadsClientsOverWorkers) {
  NoFdLeak no_leak;
  {
    RunningServer server(test_config());
    ASSERT_TRUE(server.ok());
    auto one = Worker::connect(server.control(), WorkerOptions{.name = "one", .capacity = 2});
    auto two = Worker::connect(server.control(), WorkerOptions{.name = "two", .capacity = 2});
    ASSERT_TRUE(one && two);
    Fd a = connect_client(server.address());
    auto first = one->accept(20s);
    ASSERT_TRUE(first);
    Fd b = connect_client(server.address());
    auto second = two->accept(20s);
    ASSERT_TRUE(second) << "worker one is busier now: two takes the next client";
  }
}

}  // namespace
}  // namespace ipckit::handoff

namespace ipckit::handoff {
namespace {

// A worker that stops reading its socket fills it (EAGAIN on the daemon's non-blocking send):
// the daemon skips it instead of blocking, serves the other worker, and when the stuck one
// closes, everything it never acknowledged is re-dispatched.
TEST(HandoffServer, AWorkerThatStopsReadingNeverBlocksTheOthers) {
  NoFdLeak no_leak;
  {
    Config config = test_config();
    config.workers.max_in_flight = 1000;
    config.workers.dispatch = DispatchPolicy::kRoundRobin;
    RunningServer server(config);
    ASSERT_TRUE(server.ok());
    RawWorker deaf(server.control());
    ASSERT_EQ(deaf.register_as("deaf", 1000), 1u);
    auto good = Worker::connect(server.control(), WorkerOptions{.name = "good", .capacity = 1000});
    ASSERT_TRUE(good);
    constexpr int kClients = 40;
    std::vector<Fd> clients;
    for (int i = 0; i < kClients; ++i)
      clients.push_back(connect_client(server.address()));
    std::vector<HandedClient> handed;
    ASSERT_TRUE(eventually([&] {
      if (auto h = good->accept(10ms)) handed.push_back(std::move(*h));
      const Stats s = server.stats();
      return s.waiting == 0 && s.in_flight + s.handed_off == kClients;
    }));
    deaf.close();
    while (static_cast<int>(handed.size()) < kClients) {
      auto h = good->accept(20s);
      ASSERT_TRUE(h) << h.error().message() << " after " << handed.size();
      handed.push_back(std::move(*h));
    }
    ASSERT_TRUE(server.stop());
    const Stats s = server.final_stats();
    EXPECT_EQ(s.handed_off, static_cast<std::uint64_t>(kClients));
    EXPECT_GE(s.redispatched, 1u);
    EXPECT_EQ(s.workers_dropped, 1u);
  }
}

TEST(HandoffServer, AReloadThatDisallowsAWorkerRetiresItWithoutClosingIt) {
  NoFdLeak no_leak;
  {
    Config config = test_config();
    config.workers.busy_timeout = 300ms;
    config.workers.busy_line = "421 busy";
    Config next = config;
    next.workers.policy = uds::AccessPolicy::only({ipckit::test::kNobody});
    RunningServer server(config, [next] { return Result<Config>(next); });
    ASSERT_TRUE(server.ok());
    auto worker = Worker::connect(server.control());
    ASSERT_TRUE(worker);
    Fd before = connect_client(server.address());
    auto handed = worker->accept(20s);
    ASSERT_TRUE(handed);
    server.reload();
    ASSERT_TRUE(eventually([&] { return has(server.log(), "event=worker_retired"); }));
    // (The new policy refuses this test's uid, so stats are not asked over the socket here.)
    Fd after = connect_client(server.address());
    EXPECT_EQ(read_line(after), "421 busy\r\n") << "retired: no new clients";
    pollfd p{.fd = worker->fd().get(), .events = POLLIN, .revents = 0};
    EXPECT_EQ(::poll(&p, 1, 0), 0) << "still connected, nothing sent to it";
    ASSERT_TRUE(worker->done(handed->info.id));
    ASSERT_TRUE(write_all(handed->socket, "kept\n"));
    EXPECT_EQ(read_line(before), "kept\n");
    ASSERT_TRUE(server.stop());
    EXPECT_EQ(server.final_stats().workers_dropped, 0u);
  }
}

TEST(HandoffServer, ManyConcurrentClientsAllCompleteWithoutLeaks) {
  NoFdLeak no_leak;
  {
    Config config = test_config();
    config.screening.max_per_address = 0;
    RunningServer server(config);
    ASSERT_TRUE(server.ok());
    constexpr int kClients = 300;
    auto a = Worker::connect(server.control(), WorkerOptions{.name = "a", .capacity = kClients});
    auto b = Worker::connect(server.control(), WorkerOptions{.name = "b", .capacity = kClients});
    ASSERT_TRUE(a && b);
    std::vector<Fd> clients;
    for (int i = 0; i < kClients; ++i)
      clients.push_back(connect_client(server.address()));
    std::vector<HandedClient> handed;
    for (int round = 0; static_cast<int>(handed.size()) < kClients && round < 100'000; ++round) {
      for (Worker* w : {&*a, &*b}) {
        if (auto h = w->accept(1ms)) handed.push_back(std::move(*h));
      }
    }
    ASSERT_EQ(handed.size(), static_cast<std::size_t>(kClients));
    for (auto& h : handed) {
      ASSERT_TRUE(write_all(h.socket, "bye\n"));
      h.socket.reset();
    }
    for (auto& c : clients)
      EXPECT_EQ(read_line(c), "bye\n");
    ASSERT_TRUE(server.stop());
    const Stats s = server.final_stats();
    EXPECT_EQ(s.handed_off, static_cast<std::uint64_t>(kClients));
    EXPECT_EQ(s.in_flight, 0u);
  }
}

// SIGHUP reloads and SIGTERM stops when run() handles signals (in a child: the signals are
// process-wide).
TEST(HandoffServer, SighupReloadsAndSigtermStopsWithExitZero) {
  NoFdLeak no_leak;
  Config config = test_config();
  const uds::UnixAddress control = config.control;
  int ready[2];
  ASSERT_EQ(::pipe2(ready, O_CLOEXEC), 0);
  ipckit::test::Child child([&] {
    ::close(ready[0]);
    auto server = Server::start(config);
    if (!server) return 10;
    int reloads = 0;
    RunOptions options;
    options.log = FdView(-1);
    options.reload = [&reloads, config]() -> Result<Config> {
      ++reloads;
      return config;
    };
    const char byte = 'r';
    if (::write(ready[1], &byte, 1) != 1) return 11;
    auto ran = server->run(options);
    if (!ran) return 12;
    return server->stats().reloads == 1 && reloads == 1 ? 0 : 13;
  });
  ::close(ready[1]);
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1);
  ::close(ready[0]);
  // The control socket answers once run() is in its loop.
  ASSERT_TRUE(eventually([&] { return fetch_stats(control, {}, 1s).has_value(); }));
  ASSERT_EQ(::kill(child.pid(), SIGHUP), 0);
  ASSERT_TRUE(eventually([&] {
    auto s = fetch_stats(control, {}, 1s);
    return s && s->reloads == 1;
  }));
  ASSERT_EQ(::kill(child.pid(), SIGTERM), 0);
  EXPECT_EQ(child.wait(20s), 0);
}

}  // namespace
}  // namespace ipckit::handoff

namespace ipckit::handoff {
namespace {

TEST(HandoffServer, JsonLogLinesAreOneObjectEach) {
  NoFdLeak no_leak;
  {
    Config config = test_config();
    config.log_format = LogFormat::kJson;
    RunningServer server(config);
    ASSERT_TRUE(server.ok());
    auto worker = Worker::connect(server.control());
    ASSERT_TRUE(worker);
    Fd client = connect_client(server.address());
    ASSERT_TRUE(worker->accept(20s));
    ASSERT_TRUE(server.stop());
    const std::string log = server.log();
    EXPECT_TRUE(has(log, R"({"ts":")")) << log;
    EXPECT_TRUE(has(log, R"("level":"info","event":"listening","addr":")" +
                             server.address().to_string() + "\"}\n"))
        << log;
    EXPECT_TRUE(has(log, R"("event":"handed_off","client":"127.0.0.1:)")) << log;
    EXPECT_FALSE(has(log, "event=")) << log;
  }
}

TEST(HandoffServer, StartsOnSocketsPassedBySystemd) {
  NoFdLeak no_leak;
  {
    auto tcp = net::TcpListener::bind(net::InetAddress::loopback(net::Family::kV4, 0));
    ASSERT_TRUE(tcp);
    const net::InetAddress bound = tcp->local_address();
    const auto control =
        *uds::UnixAddress::parse("@" + ipckit::test::unique_name("handoff-activated"));
    auto seqpacket = uds::UnixSocket::create(uds::SocketType::kSeqPacket);
    ASSERT_TRUE(seqpacket);
    ASSERT_TRUE(seqpacket->bind(control));
    ASSERT_TRUE(seqpacket->listen());
    // The descriptors a launcher would pass: dups of sockets it made.
    std::vector<net::ActivatedSocket> activated;
    activated.push_back({Fd(::dup(tcp->fd().get())), "smtp"});
    activated.push_back({std::move(*seqpacket).release(), "control"});
    tcp = std::unexpected(Error(EBADF, "", ""));  // the launcher's own copy goes
    Config config;
    auto server = Server::start(config, std::move(activated));
    ASSERT_TRUE(server) << server.error().message();
    ASSERT_EQ(server->listening().size(), 1u);
    EXPECT_EQ(server->listening()[0], bound);
    EXPECT_EQ(server->control(), control);

    Config both = test_config();
    std::vector<net::ActivatedSocket> again;
    again.push_back({Fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)), "tcp"});
    auto refused = Server::start(both, std::move(again));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code(), EINVAL) << "listen addresses and systemd sockets together";
  }
}

}  // namespace
}  // namespace ipckit::handoff
