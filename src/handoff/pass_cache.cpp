#include "pass_cache.hpp"

namespace ipckit::handoff::detail {

void PassCache::configure(std::chrono::nanoseconds ttl, std::size_t max_entries) {
  ttl_ = ttl;
  max_entries_ = max_entries;
  if (!enabled()) {
    entries_.clear();
    return;
  }
  while (entries_.size() > max_entries_)
    entries_.erase(entries_.oldest());
}

bool PassCache::hit(const AddressKey& key, TimePoint now) {
  if (!enabled()) return false;
  expire(now);
  return entries_.find(key) != nullptr;
}

void PassCache::insert(const AddressKey& key, TimePoint now) {
  if (!enabled()) return;
  expire(now);
  auto [entry, created] = entries_.touch(key);
  entry->value = now;
  if (created && entries_.size() > max_entries_) entries_.erase(entries_.oldest());
}

void PassCache::expire(TimePoint now) {
  while (auto* e = entries_.oldest()) {
    if (now - e->value < ttl_) break;
    entries_.erase(e);
  }
}

}  // namespace ipckit::handoff::detail
