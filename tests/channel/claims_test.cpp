// Skipping the claims of dead producers (src/channel/claims.cpp), driven directly through the
// header: the crash tests kill real producers, but cannot place a death at each of the
// interleavings the rescue must tell apart.
#include "channel/claims.hpp"

#include <gtest/gtest.h>

#include "channel/channel_test_support.hpp"
#include "channel/parse.hpp"
#include "core/process_identity.hpp"

namespace ipckit::channel::detail {
namespace {

using test::unique_name;

// A multi-producer segment of 4 KiB (unlinked at scope exit) with helpers to fake participants.
class ClaimsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = Segment::create(name_, {.capacity = 4096, .producers = Producers::kMulti});
    ASSERT_TRUE(s) << s.error().message();
    segment_ = *s;
  }
  void TearDown() override {
    segment_.reset();
    (void)Channel::unlink(name_);
  }
  Header& h() { return segment_->header(); }

  // A producer entry in `slot` claiming [start, end), alive or dead. A dead identity is this
  // process's pid with another start time: what a reused pid looks like.
  void fake_producer(std::size_t slot, bool alive, std::uint64_t start, std::uint64_t end) {
    auto me = ::ipckit::detail::self_identity();
    if (!alive) me.start_ticks += 1;
    Participant& p = h().participants[slot];
    p.role.store(kRoleProducer);
    p.claim_start.store(start);
    p.claim_end.store(end);
    p.who.store(me.pack());
  }
  // Everything in [from, to) parses as padding records that end exactly at `to`.
  void expect_padding(std::uint64_t from, std::uint64_t to) {
    while (from < to) {
      auto r = parse_record(segment_->ring(), segment_->geometry(), from, to);
      ASSERT_TRUE(r) << r.error() << " at " << from;
      ASSERT_TRUE(r->padding) << "at " << from;
      from += r->size;
    }
    EXPECT_EQ(from, to);
  }

  std::string name_ = unique_name("claims");
  std::shared_ptr<Segment> segment_;
};

TEST_F(ClaimsTest, NothingClaimedBeyondTheTailIsNothingToDo) {
  EXPECT_EQ(rescue_dead_claim(*segment_), Rescue::kNone);
  EXPECT_EQ(h().producer.tail.load(), 0u);
}

TEST_F(ClaimsTest, DeadClaimerAtTheTailIsSkippedAsPadding) {
  fake_producer(3, false, 0, 200);
  h().claim.claim.store(200);
  EXPECT_EQ(rescue_dead_claim(*segment_), Rescue::kRescued);
  EXPECT_EQ(h().producer.tail.load(), 200u);
  EXPECT_EQ(h().participants[3].claim_end.load(), 0u) << "the dead claim is cleared";
  expect_padding(0, 200);
  EXPECT_EQ(rescue_dead_claim(*segment_), Rescue::kNone) << "nothing left to skip";
}

TEST_F(ClaimsTest, LiveClaimerAtTheTailIsWaitedFor) {
  fake_producer(3, true, 0, 200);
  h().claim.claim.store(200);
  EXPECT_EQ(rescue_dead_claim(*segment_), Rescue::kNone);
  EXPECT_EQ(h().producer.tail.load(), 0u);
  // A dead loser of the same compare-and-swap changes nothing while a live one may be the winner.
  fake_producer(4, false, 0, 96);
  EXPECT_EQ(rescue_dead_claim(*segment_), Rescue::kNone);
  EXPECT_EQ(h().producer.tail.load(), 0u);
}

TEST_F(ClaimsTest, AmongDeadCandidatesTheWinnerIsTheOneTheNextClaimFollows) {
  // Winner [0, 64), a live producer's claim [64, 128) behind it, and a dead loser that had tried
  // [0, 96). Only 64 is where a claim begins.
  fake_producer(2, false, 0, 96);
  fake_producer(5, false, 0, 64);
  fake_producer(6, true, 64, 128);
  h().claim.claim.store(128);
  EXPECT_EQ(rescue_dead_claim(*segment_), Rescue::kRescued);
  EXPECT_EQ(h().producer.tail.load(), 64u);
  expect_padding(0, 64);
  EXPECT_EQ(h().participants[2].claim_end.load(), 0u);
  EXPECT_EQ(h().participants[5].claim_end.load(), 0u);
  EXPECT_EQ(h().participants[6].claim_end.load(), 128u) << "the live claim is left alone";
  EXPECT_EQ(rescue_dead_claim(*segment_), Rescue::kNone) << "the next claimer is alive";
}

TEST_F(ClaimsTest, DeadClaimAcrossTheEndOfTheRingIsPaddedInTwoPieces) {
  const std::uint64_t start = 4096 - 32;  // 32 bytes to the end, then 96 at the start
  h().producer.tail.store(start);
  h().consumer.head.store(start);
  fake_producer(1, false, start, start + 128);
  h().claim.claim.store(start + 128);
  EXPECT_EQ(rescue_dead_claim(*segment_), Rescue::kRescued);
  EXPECT_EQ(h().producer.tail.load(), start + 128);
  expect_padding(start, start + 32);
  expect_padding(start + 32, start + 128);
}

TEST_F(ClaimsTest, DeadSlotIsKeptUntilItsClaimIsSkipped) {
  fake_producer(3, false, 0, 200);
  h().claim.claim.store(200);
  EXPECT_FALSE(segment_->any_alive(kRoleProducer));
  EXPECT_NE(h().participants[3].who.load(), 0u) << "freed while it names an unpublished claim";
  EXPECT_EQ(h().attaches.producer_deaths.load(), 0u);
  ASSERT_EQ(rescue_dead_claim(*segment_), Rescue::kRescued);
  EXPECT_FALSE(segment_->any_alive(kRoleProducer));
  EXPECT_EQ(h().participants[3].who.load(), 0u);
  EXPECT_EQ(h().attaches.producer_deaths.load(), 1u);
}

TEST_F(ClaimsTest, AnInsaneClaimIsNeverPadded) {
  fake_producer(1, false, 0, 8192);  // longer than the ring
  h().claim.claim.store(8192);
  EXPECT_EQ(rescue_dead_claim(*segment_), Rescue::kCorrupt);
  EXPECT_EQ(h().producer.tail.load(), 0u);
}

TEST_F(ClaimsTest, NobodyHoldingTheClaimAtTheTailIsCorrupt) {
  h().claim.claim.store(64);  // a forged claim word: no entry names [0, ...)
  EXPECT_EQ(rescue_dead_claim(*segment_), Rescue::kCorrupt);
  EXPECT_EQ(h().producer.tail.load(), 0u);
}

TEST_F(ClaimsTest, AClaimBelowTheTailIsCorrupt) {
  h().producer.tail.store(64);
  h().consumer.head.store(64);
  h().claim.claim.store(0);
  EXPECT_EQ(rescue_dead_claim(*segment_), Rescue::kCorrupt);
}

TEST_F(ClaimsTest, AClaimGivenUpByALiveProducerIsSkipped) {
  fake_producer(3, true, 0, 200);
  h().claim.claim.store(200);
  abandon_claim(*segment_, 3, 0, 200);
  EXPECT_EQ(h().producer.tail.load(), 200u) << "its turn had come: published at once";
  EXPECT_EQ(settle_claim(*segment_, 3, 0, false), Settled::kYes);
  expect_padding(0, 200);

  // Behind a live claimer: left for whoever reaches it.
  fake_producer(4, true, 200, 264);
  fake_producer(3, true, 264, 328);
  h().claim.claim.store(328);
  abandon_claim(*segment_, 3, 264, 328);
  EXPECT_EQ(settle_claim(*segment_, 3, 264, false), Settled::kPending);
  h().producer.tail.store(264);  // the claimer ahead publishes (as publish_in_turn would)
  h().participants[4].claim_end.store(0);
  EXPECT_EQ(rescue_dead_claim(*segment_), Rescue::kRescued);
  EXPECT_EQ(h().producer.tail.load(), 328u);
  EXPECT_EQ(settle_claim(*segment_, 3, 264, false), Settled::kYes);
  EXPECT_NE(h().participants[3].who.load(), 0u) << "its owner still holds the slot";
}

TEST_F(ClaimsTest, ASlotLeftWithAPendingClaimIsFreedByWhoeverPublishesIt) {
  fake_producer(4, true, 0, 64);
  fake_producer(3, true, 64, 128);
  h().claim.claim.store(128);
  abandon_claim(*segment_, 3, 64, 128);
  EXPECT_EQ(settle_claim(*segment_, 3, 64, true), Settled::kHandedOver);
  h().producer.tail.store(64);
  h().participants[4].claim_end.store(0);
  EXPECT_EQ(rescue_dead_claim(*segment_), Rescue::kRescued);
  EXPECT_EQ(h().producer.tail.load(), 128u);
  EXPECT_EQ(h().participants[3].who.load(), 0u);
  EXPECT_EQ(h().participants[3].claim_state.load(), 0u);
}

}  // namespace
}  // namespace ipckit::channel::detail
