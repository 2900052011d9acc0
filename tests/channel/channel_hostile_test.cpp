// A hostile (or broken) peer that can write the segment: it may truncate the file under every
// attached process or forge the header's words. Whatever it does, the calls of the others end
// with an error (EPROTO for a truncated segment, EBADMSG for impossible positions, ETIMEDOUT at
// their deadline): never a signal, never a wait past the deadline (docs/channel.md).
//
// Each victim runs in a forked child, so a SIGBUS or a hang is reported as this test's failure
// instead of ending the whole suite. The parent never touches a mapping it has truncated.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>

#include "channel/channel_test_support.hpp"
#include "channel/layout.hpp"
#include "core/process_identity.hpp"
#include "support/child.hpp"

namespace ipckit::test {
namespace {

using channel::Channel;
using channel::ChannelOptions;
using channel::Producers;
using channel::WaitMode;
using channel::WaitPolicy;
using namespace std::chrono_literals;
namespace layout = channel::detail;

// Exit codes of a victim child: 0 when its call failed with the expected errno.
constexpr int kSucceeded = 100;  // the call returned ok
constexpr int kNoChannel = 101;  // setup failed

// 0 when `r` failed with `expected`; else kSucceeded or the errno it got.
template <class T>
int expect_errno(const Result<T>& r, int expected) {
  if (r) return kSucceeded;
  return r.error().code() == expected ? 0 : r.error().code();
}

std::string describe(int status) {
  if (status == -1) return "still running after 30 s: the call hangs";
  if (status > 128) return "killed by " + std::string(::strsignal(status - 128));
  if (status == kSucceeded) return "the call succeeded instead of failing";
  if (status == kNoChannel) return "setup failed in the child";
  return "failed with errno " + std::to_string(status) + " (" + std::strerror(status) + ")";
}

// Runs `victim` in a child and expects it to exit 0 within 30 s.
void expect_victim_ok(const std::function<int()>& victim, const std::string& what) {
  Child child(victim);
  const int status = child.wait(30s);
  EXPECT_EQ(status, 0) << what << ": " << describe(status);
}

// A channel made for a test (no handle kept: a truncated segment must not be touched by the
// test process), removed at scope exit even when truncated (Channel::unlink refuses those).
class HostileChannel {
 public:
  explicit HostileChannel(const ChannelOptions& options) : name_(unique_name("hostile")) {
    auto c = Channel::create(name_, options);
    EXPECT_TRUE(c) << c.error().message();
  }
  ~HostileChannel() {
    unmap();
    ::shm_unlink(("/" + name_).c_str());
  }
  HostileChannel(const HostileChannel&) = delete;
  HostileChannel& operator=(const HostileChannel&) = delete;

  [[nodiscard]] const std::string& name() const { return name_; }

  // The header, through a mapping of our own. REQUIRES: the segment was not truncated.
  layout::Header& header() {
    if (base_ == nullptr) {
      int fd = ::shm_open(("/" + name_).c_str(), O_RDWR | O_CLOEXEC, 0);
      EXPECT_GE(fd, 0);
      struct stat st {};
      EXPECT_EQ(::fstat(fd, &st), 0);
      size_ = static_cast<std::size_t>(st.st_size);
      base_ = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
      EXPECT_NE(base_, MAP_FAILED);
      ::close(fd);
    }
    return *static_cast<layout::Header*>(base_);
  }

  // ftruncate(2) of the channel's file, as any process allowed to write it can.
  void truncate(off_t size) {
    unmap();
    int fd = ::shm_open(("/" + name_).c_str(), O_RDWR | O_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    EXPECT_EQ(::ftruncate(fd, size), 0);
    ::close(fd);
  }

 private:
  void unmap() {
    if (base_ != nullptr && base_ != MAP_FAILED) ::munmap(base_, size_);
    base_ = nullptr;
  }
  std::string name_;
  void* base_ = nullptr;
  std::size_t size_ = 0;
};

// A pipe on which a child says it is ready (one byte); the parent waits up to 30 s.
class Ready {
 public:
  Ready() { EXPECT_EQ(::pipe(fds_), 0); }
  ~Ready() {
    ::close(fds_[0]);
    ::close(fds_[1]);
  }
  void signal() { (void)!::write(fds_[1], "r", 1); }
  bool wait() {
    struct timeval tv {
      30, 0
    };
    fd_set set;
    FD_ZERO(&set);
    FD_SET(fds_[0], &set);
    char c;
    return ::select(fds_[0] + 1, &set, nullptr, nullptr, &tv) == 1 && ::read(fds_[0], &c, 1) == 1;
  }

 private:
  int fds_[2] = {-1, -1};
};

// --- The segment shrinks -----------------------------------------------------------------------

TEST(ChannelHostile, WaitingReceiverFailsWithEprotoWhenTheSegmentShrinksToNothing) {
  HostileChannel c({.capacity = 64 << 10});
  Ready ready;
  Child receiver([&] {
    auto ch = Channel::open(c.name());
    if (!ch) return kNoChannel;
    auto rx = ch->receiver();
    if (!rx) return kNoChannel;
    ready.signal();
    std::byte buffer[64];
    return expect_errno(rx->recv(buffer, 30s), EPROTO);
  });
  ASSERT_TRUE(ready.wait());
  c.truncate(0);
  const int status = receiver.wait(30s);
  EXPECT_EQ(status, 0) << describe(status);
}

TEST(ChannelHostile, SenderFailsWithEprotoWhenTheRingIsTruncatedAway) {
  HostileChannel c({.capacity = 64 << 10});
  Ready ready;
  Ready go;
  Child sender([&] {
    auto ch = Channel::open(c.name());
    if (!ch) return kNoChannel;
    auto tx = ch->sender();
    if (!tx || !tx->send("before", 1s)) return kNoChannel;
    ready.signal();
    if (!go.wait()) return kNoChannel;
    return expect_errno(tx->send("after", 10s), EPROTO);
  });
  ASSERT_TRUE(ready.wait());
  c.truncate(4096);  // the header stays, the ring is gone
  go.signal();
  const int status = sender.wait(30s);
  EXPECT_EQ(status, 0) << describe(status);
}

TEST(ChannelHostile, HandlesSurviveTheirOwnSegmentBeingTruncated) {
  // What `ipckit chan recv c /dev/shm/c` does: the receiving process truncates its own segment.
  HostileChannel c({.capacity = 64 << 10, .producers = Producers::kMulti});
  expect_victim_ok(
      [&] {
        auto ch = Channel::open(c.name());
        if (!ch) return kNoChannel;
        auto tx = ch->sender();
        auto rx = ch->receiver();
        if (!tx || !rx || !tx->send("one", 1s) || !tx->send("two", 1s)) return kNoChannel;
        auto peeked = rx->peek(1s);
        if (!peeked) return kNoChannel;
        int fd = ::shm_open(("/" + c.name()).c_str(), O_RDWR | O_CLOEXEC, 0);
        if (fd < 0 || ::ftruncate(fd, 0) != 0) return kNoChannel;
        ::close(fd);
        // Reading a span peeked before the truncation does not crash (it reads zeros) ...
        volatile std::byte sink{};
        for (std::byte b : *peeked)
          sink = b;
        (void)sink;
        rx->release();
        // ... and every later call says what happened.
        std::byte buffer[64];
        if (int rc = expect_errno(rx->recv(buffer, 1s), EPROTO); rc != 0) return rc;
        if (int rc = expect_errno(tx->send("three", 1s), EPROTO); rc != 0) return rc;
        if (int rc = expect_errno(tx->try_send(bytes_of("four")), EPROTO); rc != 0) return rc;
        if (int rc = expect_errno(rx->try_peek(), EPROTO); rc != 0) return rc;
        return 0;  // and the destructors below must not crash either
      },
      "calls on a segment truncated by its own process");
}

TEST(ChannelHostile, OpeningATruncatedChannelFailsWithEproto) {
  HostileChannel c({.capacity = 64 << 10});
  c.truncate(4096 + 100);
  expect_victim_ok([&] { return expect_errno(Channel::open(c.name()), EPROTO); },
                   "open after truncation");
}

// --- Other SIGBUSes are not ours -----------------------------------------------------------------

// Reads a page of a memfd mapping that was truncated away: a SIGBUS outside any channel.
void fault_outside_channels() {
  int fd = ::memfd_create("ipckit-test-foreign", MFD_CLOEXEC);
  if (fd < 0 || ::ftruncate(fd, 8192) != 0) ::_exit(kNoChannel);
  auto* p =
      static_cast<volatile char*>(::mmap(nullptr, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
  if (::ftruncate(fd, 0) != 0) ::_exit(kNoChannel);
  (void)p[4096];
}

// Installs the guard in this process (it stays installed once the channel is gone).
bool open_and_drop_a_channel() {
  const std::string name = unique_name("hostile-guard");
  bool ok = static_cast<bool>(Channel::create(name, {.capacity = 4096}));
  (void)Channel::unlink(name);
  return ok;
}

TEST(ChannelHostile, SigbusOutsideChannelMappingsStillKills) {
  ASSERT_TRUE(open_and_drop_a_channel());
  Child child([] {
    fault_outside_channels();
    return 0;  // the fault was swallowed
  });
  const int status = child.wait(30s);
  EXPECT_NE(status, 0) << "a fault outside any channel mapping was absorbed";
  EXPECT_NE(status, -1);
  EXPECT_NE(status, kNoChannel);
}

TEST(ChannelHostile, SigbusSentWithKillStillKills) {
  ASSERT_TRUE(open_and_drop_a_channel());
  Child child([] {
    ::kill(::getpid(), SIGBUS);
    return 0;
  });
  const int status = child.wait(30s);
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  EXPECT_NE(status, 0) << describe(status);  // the sanitizer's own handler reports it and ends it
  EXPECT_NE(status, -1);
#else
  EXPECT_EQ(status, 128 + SIGBUS) << describe(status);
#endif
}

// The body of the next test, in a fresh process (exec'd): a handler the application installed
// before the first channel still gets the faults that are not the channel's.
TEST(ChannelHostile, SigbusOutsideChannelMappingsGoesToTheHandlerInstalledBefore) {
  if (::getenv("IPCKIT_TEST_SIGBUS_CHAIN") != nullptr) {
    struct sigaction sa {};
    sa.sa_sigaction = [](int, siginfo_t*, void*) { ::_exit(42); };
    sa.sa_flags = SA_SIGINFO;
    ::sigaction(SIGBUS, &sa, nullptr);
    if (!open_and_drop_a_channel()) ::_exit(kNoChannel);
    fault_outside_channels();
    ::_exit(0);  // the fault was swallowed
  }
  Child child([] {
    ::setenv("IPCKIT_TEST_SIGBUS_CHAIN", "1", 1);
    const char* argv[] = {
        "ipckit_tests",
        "--gtest_filter=ChannelHostile.SigbusOutsideChannelMappingsGoesToTheHandlerInstalledBefore",
        nullptr};
    ::execv("/proc/self/exe", const_cast<char* const*>(argv));
    return kNoChannel;
  });
  const int status = child.wait(30s);
  EXPECT_EQ(status, 42) << describe(status);
}

// --- Forged positions --------------------------------------------------------------------------

constexpr WaitMode kModes[] = {WaitMode::kSpinThenBlock, WaitMode::kBusyPoll};

// A child that sends "hi" with `timeout` and expects `expected` within 30 s.
void expect_send_fails(const HostileChannel& c, WaitMode mode, channel::Timeout timeout,
                       int expected, const std::string& what) {
  expect_victim_ok(
      [&] {
        auto ch = Channel::open(c.name());
        if (!ch) return kNoChannel;
        WaitPolicy policy;
        policy.mode = mode;
        auto tx = ch->sender(policy);
        if (!tx) return kNoChannel;
        return expect_errno(tx->send("hi", timeout), expected);
      },
      what + (mode == WaitMode::kBusyPoll ? " (busy poll)" : ""));
}

TEST(ChannelHostile, MultiProducerSendFailsWithEbadmsgWhenTheClaimRunsAheadOfTheTail) {
  for (WaitMode mode : kModes) {
    HostileChannel c({.capacity = 4096, .producers = Producers::kMulti});
    c.header().claim.claim.store(8);  // claimed by nobody: the tail can never reach it
    expect_send_fails(c, mode, 20s, EBADMSG, "claim ahead of the tail");
  }
}

TEST(ChannelHostile, MultiProducerSendFailsWithEbadmsgWhenTheClaimIsBelowTheTail) {
  for (WaitMode mode : kModes) {
    HostileChannel c({.capacity = 4096, .producers = Producers::kMulti});
    auto& h = c.header();
    h.producer.tail.store(64);
    h.consumer.head.store(64);
    h.claim.claim.store(0);
    expect_send_fails(c, mode, 20s, EBADMSG, "claim below the tail");
  }
}

TEST(ChannelHostile, MultiProducerSendFailsWithEbadmsgWhenADeadClaimerEndsOutOfRange) {
  HostileChannel c({.capacity = 4096, .producers = Producers::kMulti});
  auto& h = c.header();
  auto dead = ipckit::detail::self_identity();
  dead.start_ticks += 1;  // this pid with another start time: a process that is gone
  auto& slot = h.participants[40];
  slot.role.store(layout::kRoleProducer);
  slot.claim_start.store(0);
  slot.claim_end.store(8192);  // past the claim word and longer than the ring
  slot.who.store(dead.pack());
  h.claim.claim.store(64);
  expect_send_fails(c, WaitMode::kSpinThenBlock, 20s, EBADMSG, "dead claimer out of range");
}

TEST(ChannelHostile, MultiProducerSendTimesOutBehindALiveClaimerThatNeverPublishes) {
  // A forged entry naming a live process (ours) as the claimer of [0, 64): nobody will ever
  // publish it, but a live claimer is waited for. The caller's deadline still holds.
  HostileChannel c({.capacity = 4096, .producers = Producers::kMulti});
  auto& h = c.header();
  auto& slot = h.participants[40];
  slot.role.store(layout::kRoleProducer);
  slot.claim_start.store(0);
  slot.claim_end.store(64);
  slot.who.store(ipckit::detail::self_identity().pack());
  h.claim.claim.store(64);
  expect_victim_ok(
      [&] {
        auto ch = Channel::open(c.name());
        if (!ch) return kNoChannel;
        auto tx = ch->sender();
        if (!tx) return kNoChannel;
        if (int rc = expect_errno(tx->send("hi", 500ms), ETIMEDOUT); rc != 0) return rc;
        // Its given-up claim is still behind the forged one: the next send waits, and times out.
        if (int rc = expect_errno(tx->send("hi", 500ms), ETIMEDOUT); rc != 0) return rc;
        auto tried = tx->try_send(bytes_of("hi"));
        if (!tried) return tried.error().code();
        return *tried ? kSucceeded : 0;  // nothing sent, no error
      },
      "send behind a live claimer");
}

TEST(ChannelHostile, SingleProducerSendFailsWithEbadmsgWhenTheHeadIsPastTheTail) {
  for (WaitMode mode : kModes) {
    HostileChannel c({.capacity = 4096});
    c.header().consumer.head.store(64);  // the tail is 0
    expect_send_fails(c, mode, 20s, EBADMSG, "head past the tail");
  }
}

TEST(ChannelHostile, MultiProducerSendFailsWithEbadmsgWhenTheHeadIsPastTheTail) {
  HostileChannel c({.capacity = 4096, .producers = Producers::kMulti});
  c.header().consumer.head.store(64);
  expect_send_fails(c, WaitMode::kSpinThenBlock, 20s, EBADMSG, "head past the tail");
}

TEST(ChannelHostile, ReceiverFailsWithEbadmsgWhenTheClaimRunsAheadOfTheTail) {
  HostileChannel c({.capacity = 4096, .producers = Producers::kMulti});
  c.header().claim.claim.store(8);
  expect_victim_ok(
      [&] {
        auto ch = Channel::open(c.name());
        if (!ch) return kNoChannel;
        auto rx = ch->receiver();
        if (!rx) return kNoChannel;
        std::byte buffer[64];
        return expect_errno(rx->recv(buffer, 20s), EBADMSG);
      },
      "receiver behind an unclaimed gap");
}

}  // namespace
}  // namespace ipckit::test
