// handoff::Worker against a fake daemon (fake_daemon.hpp): registration, refusal, timeouts,
// accept() with its descriptor, metadata and ack, done(), and every protocol fault. Each test
// starts with a NoFdLeak guard: every error path closes what it received.
#include "ipckit/handoff/worker.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <future>
#include <string>

#include "handoff/fake_daemon.hpp"
#include "support/child.hpp"
#include "unix/unix_test_support.hpp"

namespace ipckit::handoff {
namespace {

using ipckit::test::NoFdLeak;
using test::FakeDaemon;

ClientInfo sample_info(std::uint64_t id) {
  ClientInfo info;
  info.id = id;
  info.peer = *net::InetAddress::parse("192.0.2.7:40512");
  info.local = *net::InetAddress::parse("[::1]:25");
  info.accepted_unix_ns = 1796218645123456789;
  info.screens = {"access", "pregreet"};
  info.banner_sent = true;
  info.redispatched = 1;
  return info;
}

// A connected stream pair standing in for a client's TCP connection.
uds::SocketPair client_pair(uds::Blocking blocking = uds::Blocking::kYes) {
  auto pair = uds::UnixSocket::pair(uds::SocketType::kStream, blocking);
  EXPECT_TRUE(pair);
  return *std::move(pair);
}

TEST(HandoffWorker, RegistersWithNameAndCapacity) {
  NoFdLeak no_leak;
  FakeDaemon daemon;
  auto pending = std::async(std::launch::async, [&] {
    return Worker::connect(daemon.address(), WorkerOptions{.name = "smtpd", .capacity = 9});
  });
  auto connection = daemon.accept();
  ASSERT_TRUE(connection);
  EXPECT_EQ(FakeDaemon::receive(*connection),
            R"({"op":"register","protocol":1,"name":"smtpd","capacity":9})");
  FakeDaemon::send(*connection, protocol::Registered{.worker = 3, .daemon_pid = 4242});
  auto worker = pending.get();
  ASSERT_TRUE(worker) << worker.error().message();
  EXPECT_EQ(worker->worker_number(), 3U);
  EXPECT_EQ(worker->daemon_pid(), 4242);
  EXPECT_TRUE(worker->fd().valid());
}

TEST(HandoffWorker, RefusalIsEpermWithTheDaemonsReason) {
  NoFdLeak no_leak;
  FakeDaemon daemon;
  auto pending = std::async(std::launch::async, [&] { return Worker::connect(daemon.address()); });
  auto connection = daemon.accept();
  ASSERT_TRUE(connection);
  (void)FakeDaemon::receive(*connection);
  FakeDaemon::send(*connection, protocol::Refused{.reason = "uid 1000 is not allowed"});
  connection.reset();
  auto worker = pending.get();
  ASSERT_FALSE(worker);
  EXPECT_EQ(worker.error().code(), EPERM);
  EXPECT_EQ(worker.error().detail(), "uid 1000 is not allowed");
}

TEST(HandoffWorker, NoReplyToTheRegistrationIsEtimedout) {
  NoFdLeak no_leak;
  FakeDaemon daemon;
  auto pending = std::async(std::launch::async, [&] {
    return Worker::connect(daemon.address(),
                           WorkerOptions{.register_timeout = std::chrono::milliseconds(100)});
  });
  auto connection = daemon.accept();
  ASSERT_TRUE(connection);
  auto worker = pending.get();
  ASSERT_FALSE(worker);
  EXPECT_EQ(worker.error().code(), ETIMEDOUT) << worker.error().message();
}

TEST(HandoffWorker, DaemonClosingDuringRegistrationIsEconnreset) {
  NoFdLeak no_leak;
  FakeDaemon daemon;
  auto pending = std::async(std::launch::async, [&] { return Worker::connect(daemon.address()); });
  auto connection = daemon.accept();
  ASSERT_TRUE(connection);
  (void)FakeDaemon::receive(*connection);
  connection.reset();
  auto worker = pending.get();
  ASSERT_FALSE(worker);
  EXPECT_EQ(worker.error().code(), ECONNRESET) << worker.error().message();
}

TEST(HandoffWorker, AnotherReplyThanRegisteredIsEproto) {
  NoFdLeak no_leak;
  FakeDaemon daemon;
  auto pending = std::async(std::launch::async, [&] { return Worker::connect(daemon.address()); });
  auto connection = daemon.accept();
  ASSERT_TRUE(connection);
  (void)FakeDaemon::receive(*connection);
  FakeDaemon::send_raw(*connection, R"({"op":"registered","worker":"3","daemon_pid":1})");
  auto worker = pending.get();
  ASSERT_FALSE(worker);
  EXPECT_EQ(worker.error().code(), EPROTO);
  EXPECT_NE(worker.error().detail().find("'worker'"), std::string::npos)
      << worker.error().message();
}

TEST(HandoffWorker, BadOptionsAreEinvalBeforeConnecting) {
  NoFdLeak no_leak;
  FakeDaemon daemon;
  for (const WorkerOptions& options :
       {WorkerOptions{.name = ""}, WorkerOptions{.name = std::string(65, 'x')},
        WorkerOptions{.name = "new\nline"}, WorkerOptions{.capacity = 0}}) {
    auto worker = Worker::connect(daemon.address(), options);
    ASSERT_FALSE(worker);
    EXPECT_EQ(worker.error().code(), EINVAL) << worker.error().message();
  }
  EXPECT_FALSE(daemon.connection_pending(std::chrono::milliseconds(0)));
}

TEST(HandoffWorker, NoDaemonIsEconnrefused) {
  NoFdLeak no_leak;
  auto address = *uds::UnixAddress::abstract(ipckit::test::unique_name("handoff-none"));
  auto worker = Worker::connect(address);
  ASSERT_FALSE(worker);
  EXPECT_EQ(worker.error().code(), ECONNREFUSED);
}

TEST(HandoffWorker, DaemonOfAnotherUserIsEacces) {
  NoFdLeak no_leak;
  const auto address = *uds::UnixAddress::abstract(ipckit::test::unique_name("handoff-squat"));
  int ready[2];
  int release[2];
  ASSERT_EQ(::pipe2(ready, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(release, O_CLOEXEC), 0);
  {
    // A squatter running as nobody holds the name until the parent has tried.
    ipckit::test::Child squatter(
        [&] {
          ::close(ready[0]);
          ::close(release[1]);
          auto listener = uds::UnixListener::bind(
              address, uds::ListenerOptions{.type = uds::SocketType::kSeqPacket});
          if (!listener) return 1;
          if (::write(ready[1], "r", 1) != 1) return 2;
          char c = 0;
          (void)::read(release[0], &c, 1);
          return 0;
        },
        /*as_nobody=*/true);
    ::close(ready[1]);
    ::close(release[0]);
    char c = 0;
    ASSERT_EQ(::read(ready[0], &c, 1), 1) << "the squatter did not start";
    auto worker = Worker::connect(address);  // default policy: same user only
    ::close(release[1]);
    ::close(ready[0]);
    ASSERT_FALSE(worker);
    EXPECT_EQ(worker.error().code(), EACCES) << worker.error().message();
    EXPECT_EQ(squatter.wait(), 0);
  }
}

TEST(HandoffWorker, AcceptReturnsTheClientAndAcksBeforeReturning) {
  NoFdLeak no_leak;
  FakeDaemon daemon;
  std::optional<uds::UnixSocket> connection;
  auto worker = daemon.register_worker(connection);
  ASSERT_TRUE(worker);
  // The daemon's copy is non-blocking, as a daemon's are.
  auto [client_end, far_end] = client_pair(uds::Blocking::kNo);
  const ClientInfo sent = sample_info(77);
  FakeDaemon::send(*connection, protocol::Client{.info = sent}, {client_end.fd()});
  (void)std::move(client_end).release();  // the daemon closes its copy

  auto handed = worker->accept(test::kWait);
  ASSERT_TRUE(handed) << handed.error().message();
  // The ack was queued before accept() returned: it is there without waiting.
  EXPECT_EQ(FakeDaemon::receive(*connection, std::chrono::milliseconds(0)),
            R"({"op":"ack","id":77})");
  EXPECT_EQ(handed->info.id, 77U);
  EXPECT_EQ(handed->info.peer, sent.peer);
  EXPECT_EQ(handed->info.local, sent.local);
  EXPECT_EQ(handed->info.accepted_unix_ns, sent.accepted_unix_ns);
  EXPECT_EQ(handed->info.screens, sent.screens);
  EXPECT_TRUE(handed->info.banner_sent);
  EXPECT_EQ(handed->info.redispatched, 1U);
  // The descriptor is the client's connection, blocking and close-on-exec.
  const int flags = ::fcntl(handed->socket.get(), F_GETFL);
  EXPECT_EQ(flags & O_NONBLOCK, 0);
  EXPECT_NE(::fcntl(handed->socket.get(), F_GETFD) & FD_CLOEXEC, 0);
  ASSERT_EQ(::write(handed->socket.get(), "hi", 2), 2);
  char buf[2] = {};
  ASSERT_EQ(::read(far_end.fd().get(), buf, 2), 2);
  EXPECT_EQ(std::string(buf, 2), "hi");
}

TEST(HandoffWorker, AcceptWithNothingSentIsEtimedout) {
  NoFdLeak no_leak;
  FakeDaemon daemon;
  std::optional<uds::UnixSocket> connection;
  auto worker = daemon.register_worker(connection);
  ASSERT_TRUE(worker);
  auto handed = worker->accept(std::chrono::milliseconds(50));
  ASSERT_FALSE(handed);
  EXPECT_EQ(handed.error().code(), ETIMEDOUT);
  EXPECT_EQ(FakeDaemon::receive(*connection, std::chrono::milliseconds(0)), "<timeout>");
}

// accept() fails with `code` and sends no ack after the daemon sent `payload` with `fds`.
void expect_accept_fails(const std::string& payload, std::initializer_list<FdView> fds, int code,
                         const std::string& detail) {
  NoFdLeak no_leak;
  FakeDaemon daemon;
  std::optional<uds::UnixSocket> connection;
  auto worker = daemon.register_worker(connection);
  ASSERT_TRUE(worker);
  FakeDaemon::send_raw(*connection, payload, fds);
  auto handed = worker->accept(test::kWait);
  ASSERT_FALSE(handed) << payload;
  EXPECT_EQ(handed.error().code(), code) << handed.error().message();
  EXPECT_NE(handed.error().message().find(detail), std::string::npos) << handed.error().message();
  EXPECT_EQ(FakeDaemon::receive(*connection, std::chrono::milliseconds(0)), "<timeout>")
      << "no ack for a message that was refused";
}

TEST(HandoffWorker, MalformedMessageIsEproto) {
  auto [a, b] = client_pair();
  expect_accept_fails("garbage", {}, EPROTO, "not JSON");
  expect_accept_fails("garbage", {a.fd()}, EPROTO, "not JSON");
  expect_accept_fails(R"({"op":"client","id":1})", {a.fd()}, EPROTO, "missing 'peer'");
  expect_accept_fails(R"({"op":"registered","worker":1,"daemon_pid":1})", {}, EPROTO,
                      "expected 'client', got 'registered'");
  expect_accept_fails(std::string(protocol::kMaxMessage + 1, ' '), {}, EPROTO, "larger than 65536");
}

TEST(HandoffWorker, ClientWithoutDescriptorIsEproto) {
  expect_accept_fails(protocol::encode(protocol::DaemonMessage{protocol::Client{sample_info(5)}}),
                      {}, EPROTO, "client 5 came without its descriptor");
}

TEST(HandoffWorker, ClientWithTwoDescriptorsIsEprotoAndClosesBoth) {
  auto [a, b] = client_pair();
  auto [c, d] = client_pair();
  expect_accept_fails(protocol::encode(protocol::DaemonMessage{protocol::Client{sample_info(5)}}),
                      {a.fd(), c.fd()}, EPROTO, "descriptor");
  // The worker's copies are closed: once ours go too, the far ends see EOF.
  (void)std::move(a).release();
  (void)std::move(c).release();
  char byte = 0;
  EXPECT_EQ(::read(b.fd().get(), &byte, 1), 0);
  EXPECT_EQ(::read(d.fd().get(), &byte, 1), 0);
}

TEST(HandoffWorker, RefusedAfterRegistrationIsEconnreset) {
  expect_accept_fails(R"({"op":"refused","reason":"retired"})", {}, ECONNRESET, "retired");
}

TEST(HandoffWorker, DaemonCloseIsEconnreset) {
  NoFdLeak no_leak;
  FakeDaemon daemon;
  std::optional<uds::UnixSocket> connection;
  auto worker = daemon.register_worker(connection);
  ASSERT_TRUE(worker);
  connection.reset();
  auto handed = worker->accept(test::kWait);
  ASSERT_FALSE(handed);
  EXPECT_EQ(handed.error().code(), ECONNRESET) << handed.error().message();
  auto done = worker->done(1);
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().code(), ECONNRESET) << done.error().message();
}

TEST(HandoffWorker, DoneIsSentToTheDaemon) {
  NoFdLeak no_leak;
  FakeDaemon daemon;
  std::optional<uds::UnixSocket> connection;
  auto worker = daemon.register_worker(connection);
  ASSERT_TRUE(worker);
  ASSERT_TRUE(worker->done(18446744073709551615ULL));
  EXPECT_EQ(FakeDaemon::receive(*connection), R"({"op":"done","id":18446744073709551615})");
}

TEST(HandoffWorker, ClientsKeepComingAfterOneIsDone) {
  NoFdLeak no_leak;
  FakeDaemon daemon;
  std::optional<uds::UnixSocket> connection;
  auto worker = daemon.register_worker(connection, WorkerOptions{.capacity = 1});
  ASSERT_TRUE(worker);
  for (std::uint64_t id = 1; id <= 3; ++id) {
    auto [client_end, far_end] = client_pair();
    FakeDaemon::send(*connection, protocol::Client{sample_info(id)}, {client_end.fd()});
    auto handed = worker->accept(test::kWait);
    ASSERT_TRUE(handed) << handed.error().message();
    EXPECT_EQ(handed->info.id, id);
    EXPECT_EQ(FakeDaemon::receive(*connection), fmt::format(R"({{"op":"ack","id":{}}})", id));
    ASSERT_TRUE(worker->done(id));
    EXPECT_EQ(FakeDaemon::receive(*connection), fmt::format(R"({{"op":"done","id":{}}})", id));
  }
}

}  // namespace
}  // namespace ipckit::handoff
