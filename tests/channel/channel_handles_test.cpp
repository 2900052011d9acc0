// Sender, Receiver and Reservation as handles (include/ipckit/channel/sender.hpp, receiver.hpp):
// moving one moves the handle only; the registration stays registered once and is given back
// once; a moved-from handle fails with EBADF instead of touching anything; a Reservation keeps
// what it needs when its Sender is moved or destroyed.
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstring>
#include <optional>
#include <utility>

#include "channel/channel_test_support.hpp"
#include "ipckit/channel.hpp"

namespace ipckit::test {
namespace {

using namespace std::chrono_literals;
using channel::Channel;
using channel::Consumers;
using channel::Producers;
using channel::ReceiveMode;
using channel::Receiver;
using channel::Reservation;
using channel::Sender;

// Registered producers (consumers) of the channel, as its header lists them.
int producers_of(Channel& c) {
  int n = 0;
  for (const auto& p : c.info().participants)
    n += p.producer ? 1 : 0;
  return n;
}
int consumers_of(Channel& c) {
  int n = 0;
  for (const auto& p : c.info().participants)
    n += p.consumer ? 1 : 0;
  return n;
}

// A Reservation of `size` bytes whose Sender is already destroyed.
std::optional<Reservation> reservation_of_a_destroyed_sender(Channel& c, std::size_t size) {
  auto tx = c.sender();
  if (!tx) {
    ADD_FAILURE() << tx.error().message();
    return std::nullopt;
  }
  auto r = tx->reserve(size, 5s);
  if (!r) {
    ADD_FAILURE() << r.error().message();
    return std::nullopt;
  }
  return std::move(*r);
}

template <class T>
void expect_ebadf(const Result<T>& r) {
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), EBADF) << r.error().message();
}

TEST(ChannelHandles, MovedSenderSendsAndTheMovedFromOneFailsWithEbadf) {
  ScopedChannel c;
  auto tx = c->sender();
  auto rx = c->receiver();
  ASSERT_TRUE(tx && rx);
  const std::size_t max = tx->max_message();

  Sender moved(std::move(*tx));
  ASSERT_TRUE(moved.send("constructed", 5s));
  Sender other(std::move(moved));
  *tx = std::move(other);  // assignment into a moved-from Sender
  ASSERT_TRUE(tx->send("assigned", 5s));

  for (Sender* from : {&moved, &other}) {
    expect_ebadf(from->send("lost", 1s));
    expect_ebadf(from->try_send(bytes_of("lost")));
    expect_ebadf(from->reserve(8, 1s));
    EXPECT_EQ(from->max_message(), 0u);
  }
  EXPECT_EQ(tx->max_message(), max);

  std::vector<std::byte> got;
  ASSERT_TRUE(rx->recv(got, 5s));
  EXPECT_EQ(string_of(got), "constructed");
  ASSERT_TRUE(rx->recv(got, 5s));
  EXPECT_EQ(string_of(got), "assigned");
  auto none = rx->try_recv(got);
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none) << "a moved-from Sender sent something";
  EXPECT_EQ(producers_of(*c), 1);
}

TEST(ChannelHandles, MovedReceiverReceivesAndTheMovedFromOneFailsWithEbadf) {
  ScopedChannel c;
  auto tx = c->sender();
  auto rx = c->receiver();
  ASSERT_TRUE(tx && rx);
  ASSERT_TRUE(tx->send("one", 5s));
  ASSERT_TRUE(tx->send("two", 5s));
  ASSERT_TRUE(tx->send("three", 5s));

  // A peeked message, and its span, go with the handle.
  auto peeked = rx->peek(5s);
  ASSERT_TRUE(peeked);
  Receiver moved(std::move(*rx));
  EXPECT_EQ(string_of(*peeked), "one");
  rx->release();  // moved from: does nothing
  auto again = moved.peek(5s);
  ASSERT_TRUE(again);
  EXPECT_EQ(string_of(*again), "one");
  moved.release();

  std::optional<Receiver> target;
  target.emplace(std::move(moved));
  std::vector<std::byte> got;
  ASSERT_TRUE(target->recv(got, 5s));
  EXPECT_EQ(string_of(got), "two");

  std::array<std::byte, 16> buffer{};
  for (Receiver* from : {&*rx, &moved}) {
    expect_ebadf(from->recv(got, 1s));
    expect_ebadf(from->recv(std::span(buffer), 1s));
    expect_ebadf(from->try_recv(buffer));
    expect_ebadf(from->peek(1s));
    expect_ebadf(from->try_peek());
    from->release();
    EXPECT_EQ(from->max_message(), 0u);
  }
  *rx = std::move(*target);  // assignment into a moved-from Receiver
  expect_ebadf(target->try_peek());
  auto size = rx->recv(std::span(buffer), 5s);
  ASSERT_TRUE(size);
  EXPECT_EQ(string_of(std::span(buffer).first(*size)), "three");
  EXPECT_EQ(consumers_of(*c), 1);
}

TEST(ChannelHandles, SelfMoveAssignmentKeepsTheHandle) {
  ScopedChannel c;
  auto tx = c->sender();
  auto rx = c->receiver();
  ASSERT_TRUE(tx && rx);
  Sender& same_tx = *tx;
  *tx = std::move(same_tx);
  Receiver& same_rx = *rx;
  *rx = std::move(same_rx);
  ASSERT_TRUE(tx->send("still here", 5s));
  std::vector<std::byte> got;
  ASSERT_TRUE(rx->recv(got, 5s));
  EXPECT_EQ(string_of(got), "still here");
  EXPECT_EQ(producers_of(*c), 1);
  EXPECT_EQ(consumers_of(*c), 1);
}

// Move-assigning over a live handle gives its registration back at once; the moved-from handle
// gives back nothing, even after another participant took the freed slot.
TEST(ChannelHandles, MoveAssignmentGivesTheOldRegistrationBackOnceAndMovedFromNothing) {
  ScopedChannel c({.producers = Producers::kMulti, .consumers = Consumers::kMulti});
  auto a = c->sender();
  auto b = c->sender();
  ASSERT_TRUE(a && b);
  ASSERT_EQ(producers_of(*c), 2);
  *a = std::move(*b);  // a's own registration goes now
  EXPECT_EQ(producers_of(*c), 1);
  ASSERT_TRUE(a->send("from b's registration", 5s));

  auto rx1 = c->receiver();
  auto rx2 = c->receiver();
  ASSERT_TRUE(rx1 && rx2);
  *rx1 = std::move(*rx2);
  EXPECT_EQ(consumers_of(*c), 1);
  std::vector<std::byte> got;
  ASSERT_TRUE(rx1->recv(got, 5s));
  EXPECT_EQ(string_of(got), "from b's registration");

  // Free a's and rx1's slots, let new participants take them, then destroy the moved-from ones.
  a = std::unexpected(Error(EINVAL, "test", ""));
  rx1 = std::unexpected(Error(EINVAL, "test", ""));
  EXPECT_EQ(producers_of(*c), 0);
  EXPECT_EQ(consumers_of(*c), 0);
  auto a2 = c->sender();
  auto rx3 = c->receiver();
  ASSERT_TRUE(a2 && rx3);
  b = std::unexpected(Error(EINVAL, "test", ""));
  rx2 = std::unexpected(Error(EINVAL, "test", ""));
  EXPECT_EQ(producers_of(*c), 1);
  EXPECT_EQ(consumers_of(*c), 1);
  ASSERT_TRUE(a2->send("later", 5s));
  ASSERT_TRUE(rx3->recv(got, 5s));
  EXPECT_EQ(string_of(got), "later");
}

// A follow-mode receiver hears of each producer's end once: a Sender moved around (constructed,
// assigned, self-assigned) ends once, when the last handle holding its registration goes.
TEST(ChannelHandles, AMovedSenderEndsExactlyOnce) {
  ScopedChannel c;
  auto rx = c->receiver({}, ReceiveMode::kFollow);
  ASSERT_TRUE(rx);
  {
    auto tx = c->sender();
    ASSERT_TRUE(tx);
    Sender moved(std::move(*tx));
    std::optional<Sender> last;
    last.emplace(std::move(moved));
    Sender& same = *last;
    *last = std::move(same);
    ASSERT_TRUE(last->send("only", 5s));
  }
  std::vector<std::byte> got;
  ASSERT_TRUE(rx->recv(got, 5s));
  EXPECT_EQ(string_of(got), "only");
  auto end = rx->recv(got, 10s);
  ASSERT_FALSE(end);
  EXPECT_EQ(end.error().code(), EPIPE) << end.error().message();
  auto nothing = rx->recv(got, 200ms);
  ASSERT_FALSE(nothing);
  EXPECT_EQ(nothing.error().code(), ETIMEDOUT) << "a second end: " << nothing.error().message();
  // The single-producer side is free again: given back once.
  EXPECT_TRUE(c->sender());
}

TEST(Reservation, CommitsAfterItsSenderWasMoved) {
  ScopedChannel c;
  auto tx = c->sender();
  auto rx = c->receiver();
  ASSERT_TRUE(tx && rx);
  auto res = tx->reserve(32, 5s);
  ASSERT_TRUE(res);
  Sender moved(std::move(*tx));
  std::memcpy(res->data().data(), "moved", 5);
  ASSERT_TRUE(res->commit(5));
  auto seen = rx->peek(5s);
  ASSERT_TRUE(seen);
  EXPECT_EQ(string_of(*seen), "moved");
  rx->release();
  ASSERT_TRUE(moved.send("next", 5s));  // the reservation is closed: the Sender sends again
}

// The Reservation shares the Sender's registration: destroying the Sender keeps the producer
// registered (and, single-producer, its side taken) until the Reservation is committed.
TEST(Reservation, CommitsAfterItsSenderWasDestroyedAndThenGivesTheRegistrationBack) {
  ScopedChannel c;
  auto rx = c->receiver();
  ASSERT_TRUE(rx);
  auto res = reservation_of_a_destroyed_sender(*c, 32);
  ASSERT_TRUE(res);
  EXPECT_EQ(producers_of(*c), 1);
  auto busy = c->sender();
  ASSERT_FALSE(busy);
  EXPECT_EQ(busy.error().code(), EBUSY);

  std::memcpy(res->data().data(), "orphan", 6);
  ASSERT_TRUE(res->commit(6));
  EXPECT_TRUE(res->data().empty());
  EXPECT_EQ(producers_of(*c), 0);
  std::vector<std::byte> got;
  ASSERT_TRUE(rx->recv(got, 5s));
  EXPECT_EQ(string_of(got), "orphan");
  // The producer left (once): end of stream, and the side is free.
  auto end = rx->recv(got, 10s);
  ASSERT_FALSE(end);
  EXPECT_EQ(end.error().code(), EPIPE) << end.error().message();
  EXPECT_TRUE(c->sender());
}

TEST(Reservation, DroppedAfterItsSenderWasDestroyedPublishesNothingAndGivesTheRegistrationBack) {
  ScopedChannel c({.producers = Producers::kMulti});
  auto rx = c->receiver();
  auto other = c->sender();
  ASSERT_TRUE(rx && other);
  {
    auto res = reservation_of_a_destroyed_sender(*c, 64);
    ASSERT_TRUE(res);
    ASSERT_EQ(producers_of(*c), 2);
    std::memset(res->data().data(), 'x', 64);
  }
  EXPECT_EQ(producers_of(*c), 1);
  ASSERT_TRUE(other->send("behind the dropped claim", 5s));
  std::vector<std::byte> got;
  ASSERT_TRUE(rx->recv(got, 5s));
  EXPECT_EQ(string_of(got), "behind the dropped claim");
}

TEST(Reservation, MovedFromOrCommittedReservationFailsWithEinval) {
  ScopedChannel c;
  auto tx = c->sender();
  ASSERT_TRUE(tx);
  auto res = tx->reserve(8, 5s);
  ASSERT_TRUE(res);
  Reservation moved(std::move(*res));
  EXPECT_TRUE(res->data().empty());
  auto r = res->commit(0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), EINVAL);
  ASSERT_TRUE(moved.commit(0));
  auto twice = moved.commit(0);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code(), EINVAL);
}

// Assigning over a Sender whose Reservation is open is the same as destroying it: the
// reservation keeps the registration until it closes.
TEST(Reservation, CommitsAfterItsSenderWasAssignedOver) {
  ScopedChannel c({.producers = Producers::kMulti});
  auto rx = c->receiver();
  auto tx = c->sender();
  auto other = c->sender();
  ASSERT_TRUE(rx && tx && other);
  auto res = tx->reserve(32, 5s);
  ASSERT_TRUE(res);
  *tx = std::move(*other);
  EXPECT_EQ(producers_of(*c), 2);  // the reservation still holds the first registration
  std::memcpy(res->data().data(), "assigned over", 13);
  ASSERT_TRUE(res->commit(13));
  EXPECT_EQ(producers_of(*c), 1);
  ASSERT_TRUE(tx->send("from the other", 5s));
  std::vector<std::byte> got;
  ASSERT_TRUE(rx->recv(got, 5s));
  EXPECT_EQ(string_of(got), "assigned over");
  ASSERT_TRUE(rx->recv(got, 5s));
  EXPECT_EQ(string_of(got), "from the other");
}

}  // namespace
}  // namespace ipckit::test
