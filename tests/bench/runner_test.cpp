// run_link_round() against Links made in the test: a correct one (a SOCK_SEQPACKET socketpair)
// gives verified figures; faulty ones (short, reordered, duplicated, lost, corrupted messages; a
// failing open; a hung or dying peer) give an error row and never a number; nothing leaks.
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "harness/runner.hpp"
#include "support/ipc_test_support.hpp"

namespace ipckit::bench {
namespace {

using namespace std::chrono_literals;

enum class Fault {
  kNone,
  kShort,      // A sends message kAt one byte short
  kReorder,    // A sends message kAt + 1 before kAt
  kDuplicate,  // A sends message kAt twice
  kLose,       // A never sends message kAt
  kCorrupt,    // A flips one byte in the middle of message kAt
  kOpenFails,  // B cannot open its end
  kHang,       // B blocks forever in its first receive
  kDie,        // B exits with status 3 in its receive of message kAt
  kKilled,     // B is killed by SIGKILL in its receive of message kAt
  kEcho,       // B answers with A's own message (latency): not an answer
};
constexpr std::uint64_t kAt = 100;

std::atomic<int> links_alive{0};

class SocketEndpoint final : public Endpoint {
 public:
  SocketEndpoint(int fd, Role role, Fault fault, std::size_t max)
      : fd_(fd), role_(role), fault_(fault), out_(max), held_(max), in_(max + 64) {}

  Result<std::span<std::byte>> prepare(std::size_t size) override {
    return std::span<std::byte>(out_.data(), size);
  }

  Result<void> send(std::size_t size) override {
    const std::uint64_t n = sent_++;
    if (role_ == Role::kA && n == kAt) {
      switch (fault_) {
        case Fault::kShort:
          return raw_send(out_.data(), size - 1);
        case Fault::kReorder:
          std::memcpy(held_.data(), out_.data(), size);
          holding_ = true;
          return {};
        case Fault::kDuplicate:
          if (auto r = raw_send(out_.data(), size); !r) return r;
          return raw_send(out_.data(), size);
        case Fault::kLose:
          return {};
        case Fault::kCorrupt:
          out_[size / 2] ^= std::byte{0x10};
          return raw_send(out_.data(), size);
        default:
          break;
      }
    }
    if (role_ == Role::kB && fault_ == Fault::kEcho) return raw_send(in_.data(), size);
    if (auto r = raw_send(out_.data(), size); !r) return r;
    if (holding_) {
      holding_ = false;
      return raw_send(held_.data(), size);
    }
    return {};
  }

  Result<std::span<const std::byte>> receive() override {
    const std::uint64_t n = received_++;
    if (role_ == Role::kB) {
      if (fault_ == Fault::kHang) ::pause();
      if (fault_ == Fault::kDie && n == kAt) ::_exit(3);
      if (fault_ == Fault::kKilled && n == kAt) ::raise(SIGKILL);
    }
    ssize_t got;
    while ((got = ::recv(fd_, in_.data(), in_.size(), 0)) < 0 && errno == EINTR) {
    }
    if (got < 0) return fail_errno("recv", "test socket");
    if (got == 0) return fail(EPIPE, "recv", "test socket", "the other end closed");
    return std::span<const std::byte>(in_.data(), static_cast<std::size_t>(got));
  }

 private:
  Result<void> raw_send(const std::byte* data, std::size_t size) {
    while (::send(fd_, data, size, MSG_NOSIGNAL) < 0) {
      if (errno != EINTR) return fail_errno("send", "test socket");
    }
    return {};
  }

  int fd_;
  Role role_;
  Fault fault_;
  std::vector<std::byte> out_, held_, in_;
  bool holding_ = false;
  std::uint64_t sent_ = 0, received_ = 0;
};

// One SOCK_SEQPACKET socketpair: the A processes share fds_[0], B has fds_[1].
class SocketLink final : public Link {
 public:
  SocketLink(Fault fault, std::size_t size) : fault_(fault), size_(size) {
    ++links_alive;
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds_) != 0) fds_[0] = fds_[1] = -1;
  }
  ~SocketLink() override {
    --links_alive;
    ::close(fds_[0]);
    ::close(fds_[1]);
  }
  Result<std::unique_ptr<Endpoint>> open(Role role, int /*index*/) override {
    if (fds_[0] < 0) return fail(EMFILE, "socketpair", "test link");
    if (role == Role::kB && fault_ == Fault::kOpenFails)
      return fail(ENOENT, "open", "test link", "made to fail");
    const int fd = role == Role::kA ? fds_[0] : fds_[1];
    return std::make_unique<SocketEndpoint>(fd, role, fault_, size_);
  }

 private:
  Fault fault_;
  std::size_t size_;
  int fds_[2] = {-1, -1};
};

LinkFactory factory(Fault fault) {
  return [fault](const Cell& cell) -> Result<std::unique_ptr<Link>> {
    return std::make_unique<SocketLink>(fault, cell.size);
  };
}

Cell cell_of(bench::Test test, std::size_t size = 64, int producers = 1) {
  Cell cell;
  cell.mechanism = "test-seqpacket";
  cell.mode = "default";
  cell.test = test;
  cell.size = size;
  cell.producers = producers;
  return cell;
}

RoundOptions quick(std::chrono::seconds deadline = 60s) {
  RoundOptions options;
  options.duration = 50ms;
  options.deadline = deadline;
  return options;
}

// Every round leaves no descriptor, no Link and no child process behind.
class BenchRunner : public ::testing::Test {
 protected:
  void SetUp() override { fds_before_ = test::count_open_fds(); }
  void TearDown() override {
    EXPECT_EQ(test::count_open_fds(), fds_before_);
    EXPECT_EQ(links_alive.load(), 0);
    errno = 0;
    EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);
    EXPECT_EQ(errno, ECHILD);
  }

 private:
  int fds_before_ = 0;
};

void expect_failed(const RoundResult& r, const std::string& needle) {
  EXPECT_FALSE(r.verified);
  EXPECT_NE(r.error.find(needle), std::string::npos) << r.error;
  EXPECT_EQ(r.p50_ns, 0);
  EXPECT_EQ(r.msgs_per_s, 0);
}

TEST_F(BenchRunner, CorrectLinkGivesVerifiedLatency) {
  const RoundResult r =
      run_link_round(factory(Fault::kNone), cell_of(bench::Test::kLatency), quick());
  ASSERT_EQ(r.error, "");
  EXPECT_TRUE(r.verified);
  EXPECT_GT(r.samples, 0u);
  EXPECT_GT(r.messages, r.samples);  // the warm-up's round trips are checked too
  EXPECT_GT(r.p50_ns, 0);
  EXPECT_LE(r.p50_ns, r.p99_ns);
  EXPECT_LE(r.p99_ns, r.p999_ns);
  EXPECT_LE(r.p999_ns, r.max_ns);
}

TEST_F(BenchRunner, CorrectLinkGivesVerifiedThroughput) {
  const RoundResult r =
      run_link_round(factory(Fault::kNone), cell_of(bench::Test::kThroughput, 1000), quick());
  ASSERT_EQ(r.error, "");
  EXPECT_TRUE(r.verified);
  EXPECT_GT(r.messages, 0u);
  EXPECT_GT(r.msgs_per_s, 0);
  EXPECT_DOUBLE_EQ(r.bytes_per_s, r.msgs_per_s * 1000);
}

TEST_F(BenchRunner, SeveralProducersAreEachChecked) {
  const RoundResult r =
      run_link_round(factory(Fault::kNone), cell_of(bench::Test::kThroughput, 64, 3), quick());
  ASSERT_EQ(r.error, "");
  EXPECT_TRUE(r.verified);
  EXPECT_GT(r.msgs_per_s, 0);
}

TEST_F(BenchRunner, PinnedAndBusyCpuRoundRuns) {
  auto options = quick();
  options.cpus = default_cpus();
  Cell cell = cell_of(bench::Test::kLatency);
  cell.load = Load::kBusyCpu;
  const RoundResult r = run_link_round(factory(Fault::kNone), cell, options);
  ASSERT_EQ(r.error, "");
  EXPECT_TRUE(r.verified);
}

TEST_F(BenchRunner, ShortMessageFailsTheRound) {
  expect_failed(run_link_round(factory(Fault::kShort), cell_of(bench::Test::kThroughput), quick()),
                "B: check: message 100 of producer 0 is 63 bytes, not 64");
  expect_failed(run_link_round(factory(Fault::kShort), cell_of(bench::Test::kLatency), quick()),
                "is 63 bytes, not 64");
}

TEST_F(BenchRunner, ReorderedMessagesFailTheRound) {
  expect_failed(
      run_link_round(factory(Fault::kReorder), cell_of(bench::Test::kThroughput), quick()),
      "expected message 100 of producer 0, got 101");
}

TEST_F(BenchRunner, DuplicatedMessageFailsTheRound) {
  expect_failed(
      run_link_round(factory(Fault::kDuplicate), cell_of(bench::Test::kThroughput), quick()),
      "expected message 101 of producer 0, got 100 (duplicated or reordered)");
}

TEST_F(BenchRunner, LostMessageFailsTheRound) {
  expect_failed(run_link_round(factory(Fault::kLose), cell_of(bench::Test::kThroughput), quick()),
                "expected message 100 of producer 0, got 101 (lost or reordered)");
}

TEST_F(BenchRunner, CorruptedMessageFailsTheRound) {
  expect_failed(
      run_link_round(factory(Fault::kCorrupt), cell_of(bench::Test::kThroughput), quick()),
      "message 100 of producer 0: checksum");
  expect_failed(run_link_round(factory(Fault::kCorrupt), cell_of(bench::Test::kLatency), quick()),
                "(corrupted)");
}

TEST_F(BenchRunner, EchoedMessageIsNotAnAnswer) {
  expect_failed(run_link_round(factory(Fault::kEcho), cell_of(bench::Test::kLatency), quick()),
                "A: reply 0 is A's own message, not B's answer");
}

TEST_F(BenchRunner, FailedOpenNamesTheRoleAndWhy) {
  expect_failed(run_link_round(factory(Fault::kOpenFails), cell_of(bench::Test::kLatency), quick()),
                "B: open(test link): made to fail");
}

TEST_F(BenchRunner, FailedSetupIsAnErrorRow) {
  const LinkFactory broken = [](const Cell&) -> Result<std::unique_ptr<Link>> {
    return fail(EACCES, "shm_open", "/bench-x");
  };
  expect_failed(run_link_round(broken, cell_of(bench::Test::kLatency), quick()), "setup: shm_open");
}

TEST_F(BenchRunner, HungPeerTimesOutWithinTheDeadline) {
  const auto start = std::chrono::steady_clock::now();
  const RoundResult r =
      run_link_round(factory(Fault::kHang), cell_of(bench::Test::kLatency), quick(2s));
  const auto took = std::chrono::steady_clock::now() - start;
  expect_failed(r, "timed out after 2 s (still running: B, A)");
  EXPECT_GE(took, 2s);
  EXPECT_LT(took, 30s);  // generous: the point is that it returns, not how fast
}

TEST_F(BenchRunner, DyingPeerIsReported) {
  expect_failed(run_link_round(factory(Fault::kDie), cell_of(bench::Test::kThroughput), quick()),
                "B died before finishing the round: exited with status 3");
  expect_failed(run_link_round(factory(Fault::kKilled), cell_of(bench::Test::kLatency), quick()),
                "B died before finishing the round: killed by signal 9");
}

TEST_F(BenchRunner, BadCellsAreRefused) {
  expect_failed(run_link_round(factory(Fault::kNone), cell_of(bench::Test::kLatency, 4), quick()),
                "message size 4 is below 8 bytes");
  expect_failed(
      run_link_round(factory(Fault::kNone), cell_of(bench::Test::kLatency, 64, 2), quick()),
      "exactly one producer");
}

TEST(BenchCpus, DefaultCpusAreTwoDifferentAllowedCpus) {
  const auto cpus = default_cpus();
  if (!cpus) GTEST_SKIP() << "one CPU";
  EXPECT_NE(cpus->first, cpus->second);
  EXPECT_TRUE(pin_to_cpu(-1).error().message().find("CPU -1") != std::string::npos);
}

}  // namespace
}  // namespace ipckit::bench
