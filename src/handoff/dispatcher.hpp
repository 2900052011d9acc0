// Which registered worker gets the next client (WorkerRules::dispatch, max_in_flight).
//
// A worker is eligible when it is open for clients (registered, not retired by a reload, its
// socket not full), in_flight < max_in_flight, and in_flight + active < capacity.
//   - least-busy: the eligible worker with the smallest (in_flight + active) / capacity; ties
//     go to the lowest worker number;
//   - round-robin: the first eligible worker numbered after the last one used, wrapping around.
// Workers are given in increasing worker number (the engine keeps them so). O(workers) per pick.
// Internal; not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "ipckit/handoff/config.hpp"

namespace ipckit::handoff::detail {

struct WorkerLoad {
  std::uint32_t number = 0;
  std::uint32_t capacity = 1;
  std::uint32_t in_flight = 0;
  std::uint32_t active = 0;
  bool open = true;  // registered, not retired, its socket has room
};

[[nodiscard]] inline bool eligible(const WorkerLoad& w, std::uint32_t max_in_flight) noexcept {
  return w.open && w.in_flight < max_in_flight &&
         std::uint64_t{w.in_flight} + w.active < w.capacity;
}

class Dispatcher {
 public:
  void configure(DispatchPolicy policy, std::uint32_t max_in_flight) noexcept {
    policy_ = policy;
    max_in_flight_ = max_in_flight;
  }

  // The index (into `workers`) of the worker to use, or none is eligible. `load(w)` gives a
  // WorkerLoad for an element. Round-robin remembers the worker picked.
  template <class Range, class Load>
  [[nodiscard]] std::optional<std::size_t> pick(const Range& workers, Load load) {
    return policy_ == DispatchPolicy::kRoundRobin ? pick_round_robin(workers, load)
                                                  : pick_least_busy(workers, load);
  }

  [[nodiscard]] DispatchPolicy policy() const noexcept { return policy_; }
  [[nodiscard]] std::uint32_t max_in_flight() const noexcept { return max_in_flight_; }

 private:
  template <class Range, class Load>
  std::optional<std::size_t> pick_least_busy(const Range& workers, Load load) const {
    std::optional<std::size_t> best;
    std::uint64_t best_used = 0;
    std::uint64_t best_capacity = 1;
    std::size_t i = 0;
    for (const auto& element : workers) {
      const WorkerLoad& w = load(element);
      if (eligible(w, max_in_flight_)) {
        const std::uint64_t used = std::uint64_t{w.in_flight} + w.active;
        // used / capacity < best_used / best_capacity, without division; ties keep the first
        // (lowest number).
        if (!best || used * best_capacity < best_used * w.capacity) {
          best = i;
          best_used = used;
          best_capacity = w.capacity;
        }
      }
      ++i;
    }
    return best;
  }

  template <class Range, class Load>
  std::optional<std::size_t> pick_round_robin(const Range& workers, Load load) {
    std::optional<std::size_t> first;  // the lowest-numbered eligible: the wrap-around
    std::size_t i = 0;
    for (const auto& element : workers) {
      const WorkerLoad& w = load(element);
      if (eligible(w, max_in_flight_)) {
        if (w.number > last_) {
          last_ = w.number;
          return i;
        }
        if (!first) first = i;
      }
      ++i;
    }
    if (first) {
      std::size_t j = 0;
      for (const auto& element : workers) {
        if (j++ == *first) last_ = load(element).number;
      }
    }
    return first;
  }

  DispatchPolicy policy_ = DispatchPolicy::kLeastBusy;
  std::uint32_t max_in_flight_ = 16;
  std::uint32_t last_ = 0;  // round-robin: the worker number used last
};

}  // namespace ipckit::handoff::detail
