#include "ipckit/channel.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <numeric>
#include <thread>

#include "channel/channel_test_support.hpp"

namespace ipckit::test {
namespace {

using channel::Channel;
using channel::ChannelOptions;

TEST(Channel, CreateThenOpenSeesTheSameGeometry) {
  ScopedChannel c({.capacity = 1 << 16});
  ASSERT_TRUE(c.ok());
  auto opened = Channel::open(c.name());
  ASSERT_TRUE(opened) << opened.error().message();
  EXPECT_EQ(opened->capacity(), 1u << 16);
  EXPECT_EQ(opened->max_message(), (1u << 16) / 4);
}

TEST(Channel, CreateFailsWithEexistWhenNameExists) {
  ScopedChannel c;
  ASSERT_TRUE(c.ok());
  auto again = Channel::create(c.name());
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), EEXIST);
}

TEST(Channel, CreateRejectsBadNamesWithEinvalAndLongOnesWithEnametoolong) {
  for (const char* bad : {"", "/", "a/b", "..", "x/"}) {
    auto c = Channel::create(bad);
    ASSERT_FALSE(c) << bad;
    EXPECT_EQ(c.error().code(), EINVAL) << bad;
  }
  auto long_name = Channel::create(std::string(201, 'n'));
  ASSERT_FALSE(long_name);
  EXPECT_EQ(long_name.error().code(), ENAMETOOLONG);  // as for every POSIX name (posix/name.hpp)
}

TEST(Channel, CreateRejectsCapacityThatIsNotAPowerOfTwo) {
  auto name = unique_name("cap");
  for (std::size_t cap : {std::size_t{0}, std::size_t{1000}, std::size_t{4096 * 3}}) {
    auto c = Channel::create(name, {.capacity = cap});
    ASSERT_FALSE(c);
    EXPECT_EQ(c.error().code(), EINVAL);
    EXPECT_NE(c.error().message().find("power of two"), std::string::npos);
  }
  auto too_big_message = Channel::create(name, {.capacity = 4096, .max_message = 2048});
  ASSERT_FALSE(too_big_message);
  EXPECT_EQ(too_big_message.error().code(), EINVAL);
}

TEST(Channel, CreateAppliesTheModeExactly) {
  ScopedChannel c({.mode = 0640});
  ASSERT_TRUE(c.ok());
  struct stat st {};
  ASSERT_EQ(::stat(("/dev/shm/" + c.name()).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
}

TEST(Channel, OpenFailsWithEnoentWhenMissing) {
  auto c = Channel::open(unique_name("missing"));
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code(), ENOENT);
}

// Writes `bytes` as a POSIX shm object called `name`.
void write_shm(const std::string& name, const std::vector<std::byte>& bytes) {
  int fd = ::shm_open(("/" + name).c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  ::close(fd);
}

TEST(Channel, OpenRejectsAnObjectThatIsNotAChannelWithEproto) {
  auto name = unique_name("foreign");
  ScopeExit cleanup([&] { ::shm_unlink(("/" + name).c_str()); });
  write_shm(name, std::vector<std::byte>(8192, std::byte{0x5a}));
  auto c = Channel::open(name);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code(), EPROTO);
  EXPECT_NE(c.error().message().find("not an ipckit channel"), std::string::npos);
}

TEST(Channel, OpenRejectsAnEmptyObjectWithEproto) {
  auto name = unique_name("empty");
  ScopeExit cleanup([&] { ::shm_unlink(("/" + name).c_str()); });
  write_shm(name, {});
  auto c = Channel::open(name);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code(), EPROTO);
}

// Copies a real channel's header page into a new object, applies `mutate`, and opens it.
Result<Channel> open_mutated(std::size_t keep_bytes, void (*mutate)(std::byte*)) {
  ScopedChannel real({.capacity = 4096});
  std::vector<std::byte> bytes(4096 + 4096);
  {
    int fd = ::shm_open(("/" + real.name()).c_str(), O_RDONLY, 0);
    EXPECT_EQ(::read(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
    ::close(fd);
  }
  mutate(bytes.data());
  bytes.resize(keep_bytes);
  auto name = unique_name("mutated");
  write_shm(name, bytes);
  auto c = Channel::open(name);
  ::shm_unlink(("/" + name).c_str());
  return c;
}

TEST(Channel, OpenRejectsAnotherLayoutVersionWithEproto) {
  auto c = open_mutated(8192, [](std::byte* b) { b[8] = std::byte{99}; });
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code(), EPROTO);
  EXPECT_NE(c.error().message().find("version"), std::string::npos);
}

TEST(Channel, OpenRejectsATruncatedSegmentWithEproto) {
  auto c = open_mutated(4096 + 100, [](std::byte*) {});
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code(), EPROTO);
  EXPECT_NE(c.error().message().find("truncated"), std::string::npos);
}

TEST(Channel, OpenRejectsACorruptedCapacityWithEproto) {
  auto c = open_mutated(8192, [](std::byte* b) { b[16] = std::byte{0x33}; });
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code(), EPROTO);
}

TEST(Channel, SendThenRecvDeliversTheBytes) {
  ScopedChannel c;
  ASSERT_TRUE(c.ok());
  auto tx = c->sender();
  auto rx = c->receiver();
  ASSERT_TRUE(tx && rx);
  ASSERT_TRUE(tx->send("hello, channel"));
  ASSERT_TRUE(tx->send(""));
  std::vector<std::byte> got;
  ASSERT_TRUE(rx->recv(got));
  EXPECT_EQ(string_of(got), "hello, channel");
  ASSERT_TRUE(rx->recv(got));
  EXPECT_TRUE(got.empty());
}

TEST(Channel, SendLargerThanMaxFailsWithEmsgsizeAndSendsNothing) {
  ScopedChannel c({.capacity = 4096});
  auto tx = c->sender();
  auto rx = c->receiver();
  std::vector<std::byte> big(1025);
  auto r = tx->send(big);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), EMSGSIZE);
  auto none = rx->try_recv(big);
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  std::vector<std::byte> max(1024, std::byte{7});
  EXPECT_TRUE(tx->send(max));
}

TEST(Channel, TrySendReturnsFalseWhenFullAndTryRecvNulloptWhenEmpty) {
  ScopedChannel c({.capacity = 4096});
  auto tx = c->sender();
  auto rx = c->receiver();
  std::vector<std::byte> msg(1000, std::byte{1});
  int sent = 0;
  for (;;) {
    auto r = tx->try_send(msg);
    ASSERT_TRUE(r);
    if (!*r) break;
    ++sent;
  }
  EXPECT_EQ(sent, 4);  // 4 records of 1008 bytes fit in 4096
  std::vector<std::byte> buf(1000);
  for (int i = 0; i < sent; ++i) {
    auto r = rx->try_recv(buf);
    ASSERT_TRUE(r && *r);
  }
  auto empty = rx->try_recv(buf);
  ASSERT_TRUE(empty);
  EXPECT_FALSE(*empty);
}

TEST(Channel, RecvTimesOutWithEtimedout) {
  ScopedChannel c;
  auto rx = c->receiver();
  std::vector<std::byte> buf(16);
  auto r = rx->recv(buf, std::chrono::milliseconds(30));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ETIMEDOUT);
}

// A paced receiver (poll_interval) still honours its timeout, and still gets every message of
// a stream from another thread, in order.
TEST(Channel, PacedReceiverTimesOutAndLosesNothing) {
  ScopedChannel c({.capacity = 1 << 14});
  const channel::WaitPolicy paced{.mode = channel::WaitMode::kBusyPoll,
                                  .poll_interval = std::chrono::microseconds(200)};
  auto rx = c->receiver(paced);
  auto tx = c->sender();
  ASSERT_TRUE(rx && tx);
  std::vector<std::byte> buf(16);
  auto r = rx->recv(buf, std::chrono::milliseconds(30));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ETIMEDOUT);
  constexpr std::uint32_t kCount = 20000;
  std::thread producer([&] {
    for (std::uint32_t i = 0; i < kCount; ++i)
      if (!tx->send(std::as_bytes(std::span(&i, 1)))) return;
  });
  std::uint32_t expected = 0;
  for (; expected < kCount; ++expected) {
    auto n = rx->recv(std::span<std::byte>(buf), std::chrono::seconds(5));
    if (!n || *n != 4) break;
    std::uint32_t got = 0;
    std::memcpy(&got, buf.data(), 4);
    if (got != expected) break;
  }
  producer.join();
  EXPECT_EQ(expected, kCount);
}

TEST(Channel, SendTimesOutWithEtimedoutWhenFull) {
  ScopedChannel c({.capacity = 4096});
  auto rx = c->receiver();
  auto tx = c->sender();
  std::vector<std::byte> msg(1000);
  while (*tx->try_send(msg)) {
  }
  auto r = tx->send(msg, std::chrono::milliseconds(30));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ETIMEDOUT);
}

TEST(Channel, RecvIntoSmallBufferFailsWithEmsgsizeAndKeepsTheMessage) {
  ScopedChannel c;
  auto tx = c->sender();
  auto rx = c->receiver();
  ASSERT_TRUE(tx->send("0123456789"));
  std::byte small[4];
  auto r = rx->recv(std::span<std::byte>(small));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), EMSGSIZE);
  std::vector<std::byte> got;
  ASSERT_TRUE(rx->recv(got));
  EXPECT_EQ(string_of(got), "0123456789");
}

TEST(Channel, WrapAroundKeepsEveryMessageIntactAndInOrder) {
  ScopedChannel c({.capacity = 4096});
  auto tx = c->sender();
  auto rx = c->receiver();
  std::vector<std::byte> got;
  // Sizes chosen so records land at every offset and padding records are needed.
  for (std::uint32_t i = 0; i < 5000; ++i) {
    std::size_t size = (i * 37) % 1000;
    std::vector<std::byte> msg(size);
    for (std::size_t j = 0; j < size; ++j)
      msg[j] = static_cast<std::byte>(i + j);
    ASSERT_TRUE(tx->send(msg));
    ASSERT_TRUE(rx->recv(got));
    ASSERT_EQ(got, msg) << "message " << i;
  }
}

TEST(Channel, ReserveCommitPublishesInPlace) {
  ScopedChannel c;
  auto tx = c->sender();
  auto rx = c->receiver();
  auto res = tx->reserve(100);
  ASSERT_TRUE(res);
  std::memcpy(res->data().data(), "zero-copy", 9);
  ASSERT_TRUE(res->commit(9));
  auto peeked = rx->peek();
  ASSERT_TRUE(peeked);
  EXPECT_EQ(string_of(*peeked), "zero-copy");
  rx->release();
}

TEST(Channel, DroppedReservationPublishesNothing) {
  ScopedChannel c;
  auto tx = c->sender();
  auto rx = c->receiver();
  {
    auto res = tx->reserve(64);
    ASSERT_TRUE(res);
    std::memset(res->data().data(), 'x', 64);
  }
  ASSERT_TRUE(tx->send("after"));
  std::vector<std::byte> got;
  ASSERT_TRUE(rx->recv(got));
  EXPECT_EQ(string_of(got), "after");
}

// Multi-producer: a claim cannot be handed back (later claims may follow it), so the unused
// part of a short commit, and a whole dropped reservation, are published as padding, across
// the end of the ring too; a second producer's message behind them still arrives.
TEST(Channel, MultiProducerShortCommitsAndDroppedReservationsLeaveOnlyPadding) {
  using namespace std::chrono_literals;
  ScopedChannel c({.capacity = 4096, .producers = channel::Producers::kMulti});
  auto tx = c->sender();
  auto other = c->sender();
  auto rx = c->receiver();
  ASSERT_TRUE(tx && other && rx);
  std::vector<std::byte> got;
  for (int round = 0; round < 40; ++round) {  // 40 x ~1.6 KiB wraps a 4 KiB ring many times
    {
      auto dropped = tx->reserve(300);
      ASSERT_TRUE(dropped);
      std::memset(dropped->data().data(), 'x', 300);
    }
    auto res = tx->reserve(1000);
    ASSERT_TRUE(res);
    std::memcpy(res->data().data(), "short", 5);
    ASSERT_TRUE(res->commit(5));
    ASSERT_TRUE(other->send(fmt::format("other {}", round), 1s));
    ASSERT_TRUE(rx->recv(got, 1s));
    EXPECT_EQ(string_of(got), "short");
    ASSERT_TRUE(rx->recv(got, 1s));
    EXPECT_EQ(string_of(got), fmt::format("other {}", round));
    auto empty = rx->try_peek();
    ASSERT_TRUE(empty);
    EXPECT_FALSE(*empty) << "round " << round;
  }
}

TEST(Channel, CommitOfMoreThanReservedFailsWithEinval) {
  ScopedChannel c;
  auto tx = c->sender();
  auto res = tx->reserve(8);
  ASSERT_TRUE(res);
  auto r = res->commit(9);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), EINVAL);
}

TEST(Channel, PeekTwiceReturnsTheSameMessageUntilRelease) {
  ScopedChannel c;
  auto tx = c->sender();
  auto rx = c->receiver();
  ASSERT_TRUE(tx->send("first"));
  ASSERT_TRUE(tx->send("second"));
  EXPECT_EQ(string_of(*rx->peek()), "first");
  EXPECT_EQ(string_of(*rx->peek()), "first");
  rx->release();
  EXPECT_EQ(string_of(*rx->peek()), "second");
  rx->release();
}

TEST(Channel, UnreleasedPeekIsRedeliveredToTheNextReceiver) {
  ScopedChannel c;
  auto tx = c->sender();
  ASSERT_TRUE(tx->send("precious"));
  {
    auto rx = c->receiver();
    EXPECT_EQ(string_of(*rx->peek()), "precious");
  }  // dropped without release(): as if the consumer died mid-message
  auto rx = c->receiver();
  EXPECT_EQ(string_of(*rx->peek()), "precious");
}

TEST(Channel, SecondSenderOnSingleProducerChannelFailsWithEbusy) {
  ScopedChannel c;
  auto first = c->sender();
  ASSERT_TRUE(first);
  auto second = c->sender();
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), EBUSY);
  first = c->sender();  // still held by `first` itself while reassigning: EBUSY
  EXPECT_FALSE(first);
}

TEST(Channel, SenderSideIsFreeAgainAfterTheSenderIsDestroyed) {
  ScopedChannel c;
  {
    auto first = c->sender();
    ASSERT_TRUE(first);
  }
  EXPECT_TRUE(c->sender());
}

TEST(Channel, SecondReceiverOnSingleConsumerChannelFailsWithEbusy) {
  ScopedChannel c;
  auto first = c->receiver();
  ASSERT_TRUE(first);
  auto second = c->receiver();
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), EBUSY);
}

TEST(Channel, RecvReportsEpipeAfterDrainingWhenTheProducerLeft) {
  ScopedChannel c;
  auto rx = c->receiver();
  {
    auto tx = c->sender();
    ASSERT_TRUE(tx->send("last words"));
  }
  std::vector<std::byte> got;
  ASSERT_TRUE(rx->recv(got));
  EXPECT_EQ(string_of(got), "last words");
  auto r = rx->recv(got, std::chrono::seconds(5));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), EPIPE);
}

TEST(Channel, SysvKeyChannelWorksAndUnlinks) {
  auto key = unique_key();
  auto c = Channel::create(key, {.capacity = 8192});
  ASSERT_TRUE(c) << c.error().message();
  ScopeExit cleanup([&] { (void)Channel::unlink(key); });
  auto opened = Channel::open(key);
  ASSERT_TRUE(opened) << opened.error().message();
  auto tx = c->sender();
  auto rx = opened->receiver();
  ASSERT_TRUE(tx->send("via System V"));
  auto info = Channel::inspect(key);
  ASSERT_TRUE(info) << info.error().message();
  EXPECT_EQ(info->capacity, 8192u);
  EXPECT_EQ(info->used(), 24u);
  std::vector<std::byte> got;
  ASSERT_TRUE(rx->recv(got));
  EXPECT_EQ(string_of(got), "via System V");
}

TEST(Channel, SysvPrivateKeyIsRefusedWithEinval) {
  auto c = Channel::create(sysv::Key::private_key());
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code(), EINVAL);
}

TEST(Channel, UnlinkRefusesAnObjectThatIsNotAChannel) {
  auto name = unique_name("notmine");
  ScopeExit cleanup([&] { ::shm_unlink(("/" + name).c_str()); });
  write_shm(name, std::vector<std::byte>(4096));
  auto r = Channel::unlink(name);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), EPROTO);
  EXPECT_EQ(::access(("/dev/shm/" + name).c_str(), F_OK), 0);
}

TEST(Channel, UnlinkRemovesTheName) {
  auto name = unique_name("unlink");
  { ASSERT_TRUE(Channel::create(name)); }
  ASSERT_TRUE(Channel::unlink(name));
  auto r = Channel::open(name);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ENOENT);
}

TEST(Channel, InspectReportsFillLevelAndParticipants) {
  ScopedChannel c;
  auto tx = c->sender();
  ASSERT_TRUE(tx->send("12345678"));
  auto info = Channel::inspect(c.name());
  ASSERT_TRUE(info);
  EXPECT_EQ(info->used(), 16u);
  EXPECT_EQ(info->creator_pid, ::getpid());
  EXPECT_TRUE(info->creator_alive);
  EXPECT_FALSE(info->stale());
  bool saw_producer = false;
  for (const auto& p : info->participants)
    saw_producer |= p.producer && p.pid == ::getpid();
  EXPECT_TRUE(saw_producer);
}

TEST(Channel, ChannelCreatedByAnExitedProcessAndUnusedIsStale) {
  auto name = unique_name("stale");
  ScopeExit cleanup([&] { (void)Channel::unlink(name); });
  int code = run_in_child([&] { return Channel::create(name) ? 0 : 1; });
  ASSERT_EQ(code, 0);
  auto info = Channel::inspect(name);
  ASSERT_TRUE(info);
  EXPECT_FALSE(info->creator_alive);
  EXPECT_TRUE(info->stale());
}

}  // namespace
}  // namespace ipckit::test
