// AccessRules: the access screen (Screening::allow, deny). The longest matching prefix of the
// allow and deny lists decides, deny winning a tie; an address no rule matches is allowed when
// the allow list is empty and refused otherwise. An IPv4 rule matches an IPv4-mapped IPv6
// address as if it were a /(96 + prefix) IPv6 rule, so mixed lists compare fairly.
// O(rules) per check. Internal; a plain value.
#pragma once

#include <vector>

#include "ipckit/net/cidr.hpp"
#include "ipckit/net/inet_address.hpp"

namespace ipckit::handoff::detail {

class AccessRules {
 public:
  AccessRules() = default;
  AccessRules(std::vector<net::Cidr> allow, std::vector<net::Cidr> deny)
      : allow_(std::move(allow)), deny_(std::move(deny)) {}

  [[nodiscard]] bool allows(const net::InetAddress& address) const noexcept;
  [[nodiscard]] bool empty() const noexcept { return allow_.empty() && deny_.empty(); }

 private:
  std::vector<net::Cidr> allow_;
  std::vector<net::Cidr> deny_;
};

}  // namespace ipckit::handoff::detail
