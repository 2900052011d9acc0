// The handoff Server in-process: stopping (grace period), signals, systemd-passed sockets and
// the log. Same harness as server_test.cpp.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
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

// on_stop (systemd's STOPPING=1) runs when the stop begins, while clients may still finish in
// the grace period, not when run() returns.
TEST(HandoffServer, OnStopRunsWhenTheStopBeginsNotWhenTheGracePeriodEnds) {
  NoFdLeak no_leak;
  {
    Config config = test_config();
    config.grace_period = 60s;
    auto server = Server::start(config);
    ASSERT_TRUE(server) << server.error().message();
    const net::InetAddress address = server->listening().at(0);
    std::atomic<int> stops{0};
    std::atomic<bool> returned{false};
    RunOptions options;
    options.handle_signals = false;
    options.log = FdView();
    options.on_stop = [&] { stops.fetch_add(1); };
    Result<void> result;
    std::thread loop([&] {
      result = server->run(options);
      returned = true;
    });
    Fd client = connect_client(address);  // no worker yet: it waits, holding the stop open
    ASSERT_TRUE(
        eventually([&] { return fetch_stats(server->control()).value_or(Stats{}).waiting == 1; }));
    server->request_stop();
    EXPECT_TRUE(eventually([&] { return stops.load() == 1; }));
    EXPECT_FALSE(returned.load()) << "the waiting client holds run() in the grace period";
    auto worker = Worker::connect(server->control());  // takes the waiting client: drained
    ASSERT_TRUE(worker) << worker.error().message();
    auto handed = worker->accept(20s);
    ASSERT_TRUE(handed) << handed.error().message();
    loop.join();
    EXPECT_TRUE(result);
    EXPECT_EQ(stops.load(), 1);
  }
}

// run() ignores SIGPIPE for the process, so an embedding program whose log pipe lost its reader
// (or that writes to a client that reset) does not die of it (in a child: SIGPIPE's disposition
// is process-wide, and the child starts with the default one).
TEST(HandoffServer, ALogPipeWithoutReaderDoesNotKillTheProcess) {
  NoFdLeak no_leak;
  Config config = test_config();
  ipckit::test::Child child([&] {
    ::signal(SIGPIPE, SIG_DFL);
    int log[2];
    if (::pipe2(log, O_CLOEXEC) != 0) return 10;
    ::close(log[0]);  // the reader is gone: the first log line is a write to a broken pipe
    auto server = Server::start(config);
    if (!server) return 11;
    RunOptions options;
    options.handle_signals = false;
    options.log = FdView(log[1]);
    server->request_stop();  // run() writes its listening lines, then stops
    auto ran = server->run(options);
    return ran ? 0 : 12;
  });
  EXPECT_EQ(child.wait(std::chrono::seconds(30)), 0) << "128 + 13 is death by SIGPIPE";
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
