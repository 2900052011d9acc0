// The handoff Server in-process: the control socket (worker policy, protocol errors, the
// register deadline, ack parsing, retirement on reload). Same harness as server_test.cpp.
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

}  // namespace
}  // namespace ipckit::handoff
