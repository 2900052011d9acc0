// DeadlineHeap: the engine's timers (pregreet ends, busy timeouts, ack timeouts, the grace
// period) in one binary min-heap. A deadline is a time and an opaque 64-bit token; cancelling
// is lazy: whoever owns the token checks, when it fires, whether it still means anything (a
// generation number in the token does that). One epoll_wait timeout covers them all, so no
// timerfd is needed. push and pop are O(log n); no allocation once the heap has grown.
// Internal; not thread-safe.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "screen_clock.hpp"

namespace ipckit::handoff::detail {

struct Deadline {
  TimePoint when{};
  std::uint64_t token = 0;
};

class DeadlineHeap {
 public:
  void push(TimePoint when, std::uint64_t token) {
    heap_.push_back({when, token});
    std::push_heap(heap_.begin(), heap_.end(), later);
  }

  // The earliest deadline, if any.
  [[nodiscard]] std::optional<TimePoint> next() const noexcept {
    if (heap_.empty()) return std::nullopt;
    return heap_.front().when;
  }

  // Takes the earliest deadline if it is due at `now`. Returns whether it took one.
  [[nodiscard]] bool pop_due(TimePoint now, Deadline& out) {
    if (heap_.empty() || heap_.front().when > now) return false;
    std::pop_heap(heap_.begin(), heap_.end(), later);
    out = heap_.back();
    heap_.pop_back();
    return true;
  }

  // Milliseconds until the earliest deadline for epoll_wait: -1 with none, rounded up so that a
  // wake-up is never early (an early one would spin), at most `cap`.
  [[nodiscard]] int wait_ms(TimePoint now, int cap = -1) const noexcept {
    if (heap_.empty()) return cap;
    const auto left = heap_.front().when - now;
    if (left <= Clock::duration::zero()) return 0;
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
    const long long limit = cap < 0 ? 24LL * 3600 * 1000 : cap;
    return static_cast<int>(std::min<long long>(ms, limit));
  }

  [[nodiscard]] std::size_t size() const noexcept { return heap_.size(); }
  void clear() noexcept { heap_.clear(); }

 private:
  static bool later(const Deadline& a, const Deadline& b) noexcept { return a.when > b.when; }
  std::vector<Deadline> heap_;
};

}  // namespace ipckit::handoff::detail
