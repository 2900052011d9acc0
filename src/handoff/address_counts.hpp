// AddressCounts: how many clients of each address the daemon or its workers hold now
// (Screening::max_per_address). Addresses with no client have no entry. Internal; not
// thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>

#include "screen_key.hpp"

namespace ipckit::handoff::detail {

class AddressCounts {
 public:
  // Counts one more client of `key` unless that would exceed `limit` (0: no limit).
  // Returns whether it was counted.
  [[nodiscard]] bool try_acquire(const AddressKey& key, std::uint32_t limit);
  // One client of `key` is done. REQUIRES: a matching try_acquire() that returned true.
  void release(const AddressKey& key) noexcept;

  [[nodiscard]] std::uint32_t count(const AddressKey& key) const noexcept;
  [[nodiscard]] std::size_t size() const noexcept { return counts_.size(); }

 private:
  std::unordered_map<AddressKey, std::uint32_t, AddressKeyHash> counts_;
};

}  // namespace ipckit::handoff::detail
