// Worker processes that are not this test, driven by the fake daemon (fake_daemon.hpp) exactly
// as a daemon would: the Python-stdlib worker (tests/cli/handoff/python_worker.py: proof that
// the wire protocol of docs/handoff.md needs nothing but SOCK_SEQPACKET, JSON and
// socket.recv_fds) and the example worker program (examples/handoff/handoff_worker.cpp). The
// last test runs each against the real daemon (an in-process Server) with a real TCP client.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "handoff/fake_daemon.hpp"
#include "handoff/line_io.hpp"
#include "handoff/server_test_support.hpp"
#include "support/child.hpp"
#include "support/ipc_test_support.hpp"

namespace ipckit::handoff {
namespace {

using test::FakeDaemon;

struct Program {
  const char* label;
  std::vector<std::string> argv;  // without --control ADDR
};

// gtest prints a parameter in failure messages: its label, not its bytes.
void PrintTo(const Program& program, std::ostream* out) {
  *out << program.label;
}

// The program's command line, or an empty one when it is not available here.
Program python_worker() {
  const std::string python = ipckit::test::find_on_path("python3");
  if (python.empty()) return {"python", {}};
  return {"python", {python, IPCKIT_PYTHON_WORKER, "--name", "python", "--capacity", "4"}};
}

Program example_worker(const char* mode) {
#ifdef IPCKIT_HANDOFF_WORKER_EXAMPLE
  return {"example", {IPCKIT_HANDOFF_WORKER_EXAMPLE, mode, "--name", "example"}};
#else
  (void)mode;
  return {"example", {}};
#endif
}

// Runs `program` --control `control` in a child; its stdout goes to /dev/null.
std::unique_ptr<ipckit::test::Child> start(const Program& program,
                                           const uds::UnixAddress& control) {
  std::vector<std::string> argv = program.argv;
  argv.emplace_back("--control");
  argv.push_back(control.to_string());
  return std::make_unique<ipckit::test::Child>([argv] {
    std::vector<char*> args;
    for (const std::string& a : argv)
      args.push_back(const_cast<char*>(a.c_str()));  // NOLINT: execv's signature
    args.push_back(nullptr);
    const int null = ::open("/dev/null", O_WRONLY);
    if (null < 0 || ::dup2(null, STDOUT_FILENO) < 0) return 126;
    ::execv(args[0], args.data());
    return 127;
  });
}

// One message from the worker, decoded.
protocol::WorkerMessage receive(const uds::UnixSocket& connection) {
  const std::string payload = FakeDaemon::receive(connection);
  auto message = protocol::decode_worker_message(payload);
  EXPECT_TRUE(message) << payload;
  return message ? *message : protocol::WorkerMessage{};
}

// A client's connection: `theirs` goes to the worker, the test talks on `ours` (reads time out
// after kWait).
struct ClientPair {
  uds::UnixSocket theirs;
  uds::UnixSocket ours;
  std::optional<handoff_example::LineReader> reader;

  static ClientPair make() {
    auto pair = uds::UnixSocket::pair(uds::SocketType::kStream);
    EXPECT_TRUE(pair);
    EXPECT_TRUE(pair->second.set_receive_timeout(test::kWait));
    ClientPair c{std::move(pair->first), std::move(pair->second), std::nullopt};
    return c;
  }
  std::string ask(const std::string& line) {
    if (!reader) reader.emplace(ours.fd().get());
    EXPECT_TRUE(handoff_example::write_all(ours.fd().get(), line));
    std::string reply;
    if (reader->next(reply) != handoff_example::LineReader::Status::kLine) return "<none>";
    return reply;
  }
};

ClientInfo info(std::uint64_t id) {
  ClientInfo i;
  i.id = id;
  i.peer = *net::InetAddress::parse("127.0.0.1:40000");
  i.local = *net::InetAddress::parse("127.0.0.1:2525");
  i.screens = {"cache"};
  return i;
}

class HandoffWorkerProcess : public ::testing::TestWithParam<Program> {
 protected:
  void SetUp() override {
    if (GetParam().argv.empty()) GTEST_SKIP() << GetParam().label << " worker not available";
  }

  // Starts the worker, answers its registration; `connection` is the daemon's end.
  std::unique_ptr<ipckit::test::Child> start_registered(std::optional<uds::UnixSocket>& connection,
                                                        const protocol::DaemonMessage& reply) {
    auto child = start(GetParam(), daemon_.address());
    connection = daemon_.accept();
    EXPECT_TRUE(connection) << "the worker did not connect";
    if (!connection) return child;
    const auto reg = receive(*connection);
    EXPECT_TRUE(std::holds_alternative<protocol::Register>(reg));
    if (const auto* r = std::get_if<protocol::Register>(&reg)) {
      EXPECT_EQ(r->name, GetParam().label);
    }
    FakeDaemon::send(*connection, reply);
    return child;
  }

  FakeDaemon daemon_;
};

TEST_P(HandoffWorkerProcess, AcknowledgesEchoesAndReportsDone) {
  std::optional<uds::UnixSocket> connection;
  auto worker = start_registered(connection, protocol::Registered{5, ::getpid()});
  ASSERT_TRUE(connection);
  const std::string pid_line = "pid " + std::to_string(worker->pid());

  ClientPair first = ClientPair::make();
  ClientPair second = ClientPair::make();
  FakeDaemon::send(*connection, protocol::Client{info(1)}, {first.theirs.fd()});
  (void)std::move(first.theirs).release();  // the daemon's copy closes on ack
  auto ack = receive(*connection);
  ASSERT_TRUE(std::holds_alternative<protocol::Ack>(ack));
  EXPECT_EQ(std::get<protocol::Ack>(ack).id, 1U);
  FakeDaemon::send(*connection, protocol::Client{info(2)}, {second.theirs.fd()});
  (void)std::move(second.theirs).release();
  ack = receive(*connection);
  ASSERT_TRUE(std::holds_alternative<protocol::Ack>(ack));
  EXPECT_EQ(std::get<protocol::Ack>(ack).id, 2U);

  // Both clients are served at once, by the worker's process.
  EXPECT_EQ(first.ask("hello\r\n"), "hello\r\n");
  EXPECT_EQ(second.ask("PID\n"), pid_line + "\n");
  EXPECT_EQ(first.ask("PID\r\n"), pid_line + "\r\n");
  EXPECT_NE(worker->pid(), ::getpid());

  (void)std::move(first.ours).release();
  auto done = receive(*connection);
  ASSERT_TRUE(std::holds_alternative<protocol::Done>(done));
  EXPECT_EQ(std::get<protocol::Done>(done).id, 1U);
  (void)std::move(second.ours).release();
  done = receive(*connection);
  ASSERT_TRUE(std::holds_alternative<protocol::Done>(done));
  EXPECT_EQ(std::get<protocol::Done>(done).id, 2U);

  connection.reset();  // the daemon goes: the worker has no clients left and exits 0
  EXPECT_EQ(worker->wait(std::chrono::seconds(20)), 0);
}

TEST_P(HandoffWorkerProcess, ExitsOneWhenRefused) {
  std::optional<uds::UnixSocket> connection;
  auto worker = start_registered(connection, protocol::Refused{"uid 0 is not allowed"});
  ASSERT_TRUE(connection);
  EXPECT_EQ(worker->wait(std::chrono::seconds(20)), 1);
}

TEST_P(HandoffWorkerProcess, ClientWithoutDescriptorIsAProtocolErrorAndNeverAcknowledged) {
  std::optional<uds::UnixSocket> connection;
  auto worker = start_registered(connection, protocol::Registered{5, ::getpid()});
  ASSERT_TRUE(connection);
  FakeDaemon::send(*connection, protocol::Client{info(9)});
  EXPECT_EQ(worker->wait(std::chrono::seconds(20)), 1);
  EXPECT_EQ(FakeDaemon::receive(*connection), "<eof>") << "no ack";
}

TEST_P(HandoffWorkerProcess, ServesATcpClientOfTheRealDaemon) {
  test::RunningServer server(test::test_config());
  ASSERT_TRUE(server.ok());
  auto worker = start(GetParam(), server.control());
  ASSERT_TRUE(test::eventually([&] { return server.stats().workers.size() == 1; }))
      << "the worker did not register";
  EXPECT_EQ(server.stats().workers.at(0).name, GetParam().label);
  EXPECT_EQ(server.stats().workers.at(0).pid, worker->pid());

  Fd client = test::connect_client(server.address());
  ASSERT_TRUE(client.valid());
  // The reply comes from the worker's process, not the daemon's (this one).
  ASSERT_TRUE(test::write_all(client, "PID\r\n"));
  EXPECT_EQ(test::read_line(client), "pid " + std::to_string(worker->pid()) + "\r\n");
  ASSERT_TRUE(test::write_all(client, "hello\n"));
  EXPECT_EQ(test::read_line(client), "hello\n");
  client.reset();
  // The worker reported done: nothing active any more, one client handed off.
  EXPECT_TRUE(test::eventually([&] {
    const Stats stats = server.stats();
    return stats.handed_off == 1 && stats.workers.size() == 1 && stats.workers[0].active == 0 &&
           stats.workers[0].in_flight == 0;
  }));
  ASSERT_TRUE(server.stop());
  EXPECT_EQ(worker->wait(std::chrono::seconds(20)), 0) << "exit 0 once the daemon is gone";
}

INSTANTIATE_TEST_SUITE_P(Workers, HandoffWorkerProcess,
                         ::testing::Values(python_worker(), example_worker("--echo")),
                         [](const ::testing::TestParamInfo<Program>& p) {
                           return std::string(p.param.label);
                         });

TEST(HandoffExampleWorker, SmtpModeSendsTheFinalGreetingWithItsPid) {
  const Program program = example_worker("--smtp");
  if (program.argv.empty()) GTEST_SKIP() << "examples are not built";
  FakeDaemon daemon;
  auto worker = start(program, daemon.address());
  auto connection = daemon.accept();
  ASSERT_TRUE(connection);
  (void)FakeDaemon::receive(*connection);
  FakeDaemon::send(*connection, protocol::Registered{1, ::getpid()});
  ClientPair client = ClientPair::make();
  auto i = info(3);
  i.banner_sent = true;
  FakeDaemon::send(*connection, protocol::Client{i}, {client.theirs.fd()});
  (void)std::move(client.theirs).release();
  ASSERT_TRUE(std::holds_alternative<protocol::Ack>(receive(*connection)));
  client.reader.emplace(client.ours.fd().get());
  std::string banner;
  ASSERT_EQ(client.reader->next(banner), handoff_example::LineReader::Status::kLine);
  EXPECT_EQ(banner.rfind("220 ", 0), 0U) << banner;
  EXPECT_NE(banner.find("ESMTP ipckit handoff worker pid " + std::to_string(worker->pid())),
            std::string::npos)
      << banner;
  EXPECT_EQ(client.ask("QUIT\r\n"), "221 2.0.0 Bye\r\n");
  ASSERT_TRUE(std::holds_alternative<protocol::Done>(receive(*connection)));
  connection.reset();
  EXPECT_EQ(worker->wait(std::chrono::seconds(20)), 0);
}

}  // namespace
}  // namespace ipckit::handoff
