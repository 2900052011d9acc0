#include "access_rules.hpp"

namespace ipckit::handoff::detail {
namespace {

// The longest prefix among `rules` containing `address`, in IPv6 bits; -1 when none does.
int longest_match(const std::vector<net::Cidr>& rules, const net::InetAddress& address) noexcept {
  int best = -1;
  for (const net::Cidr& rule : rules) {
    if (!rule.contains(address)) continue;
    const int bits = static_cast<int>(rule.prefix()) + (rule.family() == net::Family::kV4 ? 96 : 0);
    if (bits > best) best = bits;
  }
  return best;
}

}  // namespace

bool AccessRules::allows(const net::InetAddress& address) const noexcept {
  if (empty()) return true;
  const int deny = longest_match(deny_, address);
  const int allow = longest_match(allow_, address);
  if (deny < 0 && allow < 0) return allow_.empty();
  return allow > deny;
}

}  // namespace ipckit::handoff::detail
