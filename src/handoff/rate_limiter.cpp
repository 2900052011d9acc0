#include "rate_limiter.hpp"

#include <algorithm>

namespace ipckit::handoff::detail {

void RateLimiter::configure(std::uint32_t connections, std::chrono::nanoseconds period) {
  if (period.count() <= 0) connections = 0;
  if (connections == connections_ && period == period_) return;
  connections_ = connections;
  period_ = period;
  entries_.clear();
  if (connections_ == 0) return;
  interval_ = period_ / connections_;
  if (interval_.count() == 0) interval_ = std::chrono::nanoseconds(1);
  tolerance_ = period_ - interval_;
}

bool RateLimiter::admit(const AddressKey& key, TimePoint now) {
  if (!enabled()) return true;
  forget_idle(now);
  auto [entry, created] = entries_.touch(key);
  State& s = entry->value;
  s.last_seen = now;
  const TimePoint start = created ? now : std::max(s.full_again, now);
  if (start - now > tolerance_) return false;  // full_again stays within last_seen + period
  s.full_again = start + interval_;
  return true;
}

void RateLimiter::forget_idle(TimePoint now) {
  // full_again <= last_seen + period always holds, so an entry not seen for a whole period
  // has a full bucket: forgetting it changes nothing.
  while (auto* e = entries_.oldest()) {
    if (now - e->value.last_seen < period_) break;
    entries_.erase(e);
  }
}

}  // namespace ipckit::handoff::detail
