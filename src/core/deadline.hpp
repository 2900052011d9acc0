// Timeout arithmetic for blocking calls: a relative Timeout becomes an absolute deadline on the
// monotonic clock once, so that retries (EINTR, spurious wake-ups) never stretch it. Internal.
#pragma once

#include <time.h>

#include <algorithm>
#include <chrono>
#include <climits>

#include "ipckit/core/timeout.hpp"

namespace ipckit::detail {

// steady_clock is CLOCK_MONOTONIC on Linux.
using Clock = std::chrono::steady_clock;

// now + timeout: kForever (and any timeout past the clock's end) saturates at
// time_point::max() instead of overflowing; a negative timeout counts as zero.
[[nodiscard]] inline Clock::time_point deadline_after(Timeout timeout) noexcept {
  if (timeout == kForever) return Clock::time_point::max();
  timeout = std::max(timeout, Timeout::zero());
  const auto now = Clock::now();
  if (timeout >= Clock::time_point::max() - now) return Clock::time_point::max();
  return now + std::chrono::duration_cast<Clock::duration>(timeout);
}

// The time left until `deadline`, never negative.
[[nodiscard]] inline std::chrono::nanoseconds time_left(Clock::time_point deadline) noexcept {
  return std::max(std::chrono::nanoseconds(deadline - Clock::now()),
                  std::chrono::nanoseconds::zero());
}

// The time left until `deadline` as poll(2)'s milliseconds: rounded up (a wait that ended early
// would spin on a 0), at most INT_MAX, and -1 (no timeout) for time_point::max().
[[nodiscard]] inline int poll_timeout_ms(Clock::time_point deadline) noexcept {
  if (deadline == Clock::time_point::max()) return -1;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(time_left(deadline)).count();
  return static_cast<int>(std::min<long long>(ms, INT_MAX));
}

// A relative duration as the timespec that futex(2) and semtimedop(2) take; negative is zero.
[[nodiscard]] inline timespec relative_timespec(std::chrono::nanoseconds d) noexcept {
  d = std::max(d, std::chrono::nanoseconds::zero());
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(d);
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(secs.count());
  ts.tv_nsec = static_cast<long>((d - secs).count());
  return ts;
}

}  // namespace ipckit::detail
