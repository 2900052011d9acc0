#include "address_counts.hpp"

namespace ipckit::handoff::detail {

bool AddressCounts::try_acquire(const AddressKey& key, std::uint32_t limit) {
  auto [it, created] = counts_.try_emplace(key, 0);
  if (limit != 0 && it->second >= limit) return false;  // never created: a limit is >= 1
  ++it->second;
  return true;
}

void AddressCounts::release(const AddressKey& key) noexcept {
  auto it = counts_.find(key);
  if (it == counts_.end()) return;
  if (--it->second == 0) counts_.erase(it);
}

std::uint32_t AddressCounts::count(const AddressKey& key) const noexcept {
  auto it = counts_.find(key);
  return it == counts_.end() ? 0 : it->second;
}

}  // namespace ipckit::handoff::detail
