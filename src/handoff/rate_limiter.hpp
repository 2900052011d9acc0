// RateLimiter: at most `connections` new connections per `period` per client address
// (Screening::rate_connections, rate_period), as a generic cell rate algorithm: a token bucket
// of `connections` tokens refilled evenly over `period`, kept as one time per address (when the
// bucket would be full again). A burst of `connections` passes at once; after that one more
// passes every period/connections.
//
// Memory: an address whose bucket is full again is the same as an unknown one and is forgotten;
// entries are kept in the order they were last seen and swept from the oldest, so the table
// holds at most the addresses seen within the last `period`. O(1) amortised per call.
// Internal; not thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "screen_clock.hpp"
#include "screen_key.hpp"
#include "screen_lru.hpp"

namespace ipckit::handoff::detail {

class RateLimiter {
 public:
  // connections == 0 (or a zero period) turns the limit off. A changed limit starts afresh.
  void configure(std::uint32_t connections, std::chrono::nanoseconds period);

  // Counts one connection from `key` at `now`. Returns whether it is within the limit.
  [[nodiscard]] bool admit(const AddressKey& key, TimePoint now);

  [[nodiscard]] bool enabled() const noexcept { return connections_ > 0; }
  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }

 private:
  struct State {
    TimePoint full_again{};  // the theoretical arrival time: when the bucket is full again
    TimePoint last_seen{};
  };
  void forget_idle(TimePoint now);

  std::uint32_t connections_ = 0;
  std::chrono::nanoseconds period_{0};
  std::chrono::nanoseconds interval_{0};   // period / connections: one token's refill
  std::chrono::nanoseconds tolerance_{0};  // period - interval: the burst allowance
  AddressLru<State> entries_;
};

}  // namespace ipckit::handoff::detail
