// The consumer's adaptive pacing (src/channel/pacer.hpp): when it paces, when
// it stops, and how rarely a ping-pong peer pays for a trial.
#include "channel/pacer.hpp"

#include <gtest/gtest.h>

namespace ipckit::channel::detail {
namespace {

using std::chrono::nanoseconds;

const WaitPolicy kDefault{};

// Feeds `n` short unpaced waits, each followed by one message.
void short_waits(Pacer& p, std::uint32_t n) {
  for (std::uint32_t i = 0; i < n; ++i) {
    EXPECT_EQ(p.interval(kDefault), nanoseconds(0)) << "wait " << i;
    p.waited(3, false);
    p.took();
  }
}

TEST(Pacer, AFixedIntervalOrNoAdaptationIsTakenAsIs) {
  Pacer p;
  EXPECT_EQ(p.interval({.poll_interval = nanoseconds(5000)}), nanoseconds(5000));
  const WaitPolicy off{.adaptive_polling = false};
  const WaitPolicy block{.mode = WaitMode::kBlock};
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(p.interval(off), nanoseconds(0));
    EXPECT_EQ(p.interval(block), nanoseconds(0));
    p.waited(1, false);
  }
}

TEST(Pacer, AStreamOfSingleMessagesIsTriedAndThenPacedWhileItBringsBatches) {
  Pacer p;
  short_waits(p, Pacer::kRunBeforeTrial);
  EXPECT_EQ(p.interval(kDefault), Pacer::kInterval) << "the trial";
  p.waited(1, true);  // the trial found several messages: producers are streaming
  EXPECT_TRUE(p.pacing());
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(p.interval(kDefault), Pacer::kInterval);
    p.waited(1, true);
  }
  p.waited(1, false);  // one paced wait that brought one message: a hiccup
  EXPECT_TRUE(p.pacing());
  p.waited(1, true);
  p.waited(1, false);
  EXPECT_TRUE(p.pacing()) << "single messages must come in a row to stop pacing";
  p.waited(1, false);  // the second in a row: the stream slowed down
  EXPECT_FALSE(p.pacing());
  EXPECT_EQ(p.interval(kDefault), nanoseconds(0));
  // Streaming was real: the next trial comes after the next run of short waits, not 1024 later.
  short_waits(p, Pacer::kRunBeforeTrial);
  EXPECT_EQ(p.interval(kDefault), Pacer::kInterval);
}

TEST(Pacer, APingPongPaysOneTrialPer1024Messages) {
  Pacer p;
  std::uint32_t trials = 0;
  for (std::uint32_t message = 0; message < 10 * Pacer::kTrialSpacing; ++message) {
    auto interval = p.interval(kDefault);
    if (interval != nanoseconds(0)) ++trials;
    p.waited(3, false);  // a peer waiting for our reply: always exactly one message
    p.took();
  }
  EXPECT_GE(trials, 9u);
  EXPECT_LE(trials, 10u);
  EXPECT_FALSE(p.pacing());
}

TEST(Pacer, LongWaitsNeverLeadToATrial) {
  Pacer p;
  for (int i = 0; i < 5000; ++i) {
    EXPECT_EQ(p.interval(kDefault), nanoseconds(0));
    p.waited(i % 7 == 0 ? 2 : 1000, false);  // mostly long waits: an idle or slow producer
    p.took();
  }
}

}  // namespace
}  // namespace ipckit::channel::detail
