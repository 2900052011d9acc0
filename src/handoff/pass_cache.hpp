// PassCache: the addresses that passed the pregreet test recently (Screening::cache_ttl,
// cache_max_entries). A hit lets a client skip the wait. Entries expire `ttl` after they were
// stored; when the cache is full the oldest goes first. Every operation is O(1) amortised;
// one entry is one hash node (about 80 bytes). Internal; not thread-safe.
#pragma once

#include <chrono>
#include <cstddef>

#include "screen_clock.hpp"
#include "screen_key.hpp"
#include "screen_lru.hpp"

namespace ipckit::handoff::detail {

class PassCache {
 public:
  // A ttl of zero turns the cache off (and empties it). Shrinking max_entries evicts the oldest.
  void configure(std::chrono::nanoseconds ttl, std::size_t max_entries);

  // Whether `key` passed less than ttl ago. Forgets what expired by `now` first.
  [[nodiscard]] bool hit(const AddressKey& key, TimePoint now);

  // Remembers that `key` passed at `now` (again: its entry is renewed).
  void insert(const AddressKey& key, TimePoint now);

  // Forgets every entry that expired by `now`.
  void expire(TimePoint now);

  [[nodiscard]] bool enabled() const noexcept { return ttl_.count() > 0 && max_entries_ > 0; }
  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }

 private:
  std::chrono::nanoseconds ttl_{0};
  std::size_t max_entries_ = 0;
  AddressLru<TimePoint> entries_;  // value: when it was stored; oldest first
};

}  // namespace ipckit::handoff::detail
