// The handoff Server in-process: a Server on a thread (no signals: request_stop from the test),
// TCP clients on 127.0.0.1, workers as handoff::Worker or as raw protocol sockets. Every test
// checks that the process holds as many descriptors afterwards as before. Waits are for
// conditions, with generous deadlines; nothing asserts a duration.
#include "ipckit/handoff/server.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

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
