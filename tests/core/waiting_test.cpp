#include "core/waiting.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <thread>

namespace ipckit::detail {
namespace {

using namespace std::chrono_literals;

TEST(CoreWaiting, WaitUntilReturnsEtimedoutWhenNothingIsPublished) {
  WaitLine line{};
  auto never = [] { return false; };
  for (auto mode : {SpinPolicy::Mode::kNone, SpinPolicy::Mode::kBounded}) {
    const int rc =
        wait_until(line, SpinPolicy{.mode = mode}, deadline_after(20ms), never, never, never);
    EXPECT_EQ(rc, ETIMEDOUT);
    EXPECT_EQ(line.sleepers.load(), 0u);  // the sleeper unregistered
  }
}

TEST(CoreWaiting, WaitUntilReturnsEpipeWhenThePeerIsGone) {
  WaitLine line{};
  auto never = [] { return false; };
  auto gone = [] { return true; };
  EXPECT_EQ(wait_until(line, SpinPolicy{}, deadline_after(30s), never, gone, never), EPIPE);
  EXPECT_EQ(wait_until(line, SpinPolicy{}, deadline_after(30s), never, never, gone), EPIPE);
}

TEST(CoreWaiting, WakeSleepersWakesAWaiterThatSleepsOnTheFutex) {
  WaitLine line{};
  std::atomic<bool> published{false};
  std::atomic<int> rc{-1};
  std::thread waiter([&] {
    auto ready = [&] { return published.load(std::memory_order_seq_cst); };
    auto never = [] { return false; };
    rc = wait_until(line, SpinPolicy{.mode = SpinPolicy::Mode::kNone}, deadline_after(30s), ready,
                    never, never);
  });
  // Publish only once the waiter has registered to sleep, so the wake-up is what ends its wait.
  const auto give_up = Clock::now() + 30s;
  while (line.sleepers.load() == 0 && Clock::now() < give_up)
    std::this_thread::sleep_for(1ms);
  published.store(true, std::memory_order_seq_cst);
  wake_sleepers(line);
  waiter.join();
  EXPECT_EQ(rc.load(), 0);
  EXPECT_EQ(line.sleepers.load(), 0u);
}

}  // namespace
}  // namespace ipckit::detail
