// ipckit::net::Cidr: an IPv4 or IPv6 network ("10.0.0.0/8", "2001:db8::/32"), and whether an
// address is inside it.
//
// Text form: ADDRESS/PREFIX, or a bare address (a /32 or /128 network). Host bits set below the
// prefix ("10.1.2.3/8") are an error, not silently cleared: such a rule is almost always a typo.
// IPv4 networks also match IPv4-mapped IPv6 addresses (::ffff:10.1.2.3 is in 10.0.0.0/8), which
// is how a dual-stack listener reports IPv4 clients; an IPv6 network never matches an IPv4 address.
//
// Thread safety: a plain copyable value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ipckit/core/error.hpp"
#include "ipckit/net/inet_address.hpp"

namespace ipckit::net {

class Cidr {
 public:
  // Errors: EINVAL ("not an address", "prefix must be 0-32" / "0-128", "host bits set").
  [[nodiscard]] static Result<Cidr> parse(std::string_view text);

  // Whether `address` (its port ignored) lies in this network; see the mapping rule above.
  [[nodiscard]] bool contains(const InetAddress& address) const noexcept;

  [[nodiscard]] Family family() const noexcept { return network_.family(); }
  [[nodiscard]] unsigned prefix() const noexcept { return prefix_; }
  // "10.0.0.0/8", "2001:db8::/32": parse(to_string()) == *this.
  [[nodiscard]] std::string to_string() const;

  friend bool operator==(const Cidr&, const Cidr&) = default;

 private:
  InetAddress network_;  // port 0
  unsigned prefix_ = 0;
};

}  // namespace ipckit::net
