// The handoff Server in-process: delivery and faults. A Server on a thread (no signals:
// request_stop from the test), TCP clients on 127.0.0.1, workers as handoff::Worker or as raw
// protocol sockets. Every test checks that the process holds as many descriptors afterwards as
// before. Waits are for conditions, with generous deadlines; nothing asserts a duration.
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

}  // namespace
}  // namespace ipckit::handoff
