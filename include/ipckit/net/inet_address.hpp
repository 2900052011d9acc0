// ipckit::net::InetAddress: an IPv4 or IPv6 address and a TCP port, as a value.
//
// Text form (what a command line or a config file says):
//   "127.0.0.1:2525"   IPv4, numeric only
//   "[::1]:2525"       IPv6, numeric, in brackets (a zone "[fe80::1%eth0]:25" names an interface)
//   "*:2525"           every IPv4 address (0.0.0.0)
//   "[::]:2525"        every IPv6 address (a listener on it is IPv6-only: IPV6_V6ONLY)
// Host names are not resolved: a daemon that binds or screens by address must not depend on DNS.
// Port 0 is allowed (bind picks a free port; read it back with TcpListener::local_address()).
//
// An IPv4-mapped IPv6 address (::ffff:192.0.2.1, what a dual-stack socket reports for an IPv4
// peer) is kept as IPv6 here; Cidr matches it against IPv4 rules too (cidr.hpp).
//
// Thread safety: a plain copyable value.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "ipckit/core/error.hpp"

namespace ipckit::net {

enum class Family { kV4, kV6 };

// A sockaddr_in or sockaddr_in6 and its exact length, ready for bind/connect.
struct InetSockAddr {
  sockaddr_storage storage{};
  socklen_t length = 0;

  [[nodiscard]] const ::sockaddr* get() const noexcept {
    return reinterpret_cast<const ::sockaddr*>(&storage);
  }
};

class InetAddress {
 public:
  // 0.0.0.0:0.
  InetAddress() = default;

  // Parses the text form above. Returns: the address.
  // Errors: EINVAL ("missing port", "bad port", "not a numeric address", "IPv6 needs [brackets]").
  [[nodiscard]] static Result<InetAddress> parse(std::string_view text);

  // Parses a bare numeric address without a port ("192.0.2.1", "2001:db8::1"); port 0.
  // Errors: EINVAL.
  [[nodiscard]] static Result<InetAddress> parse_host(std::string_view text);

  // 127.0.0.1 or ::1 with `port`.
  [[nodiscard]] static InetAddress loopback(Family family, std::uint16_t port) noexcept;

  // Decodes what accept/getsockname/getpeername filled in.
  // Errors: EAFNOSUPPORT (neither AF_INET nor AF_INET6), EINVAL (length too short).
  [[nodiscard]] static Result<InetAddress> from_sockaddr(const ::sockaddr* addr, socklen_t length);

  [[nodiscard]] Family family() const noexcept { return family_; }
  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  // The address bytes in network order: 4 used for IPv4, 16 for IPv6.
  [[nodiscard]] const std::array<std::uint8_t, 16>& bytes() const noexcept { return bytes_; }
  [[nodiscard]] std::uint32_t scope_id() const noexcept { return scope_id_; }
  // An IPv4-mapped IPv6 address (::ffff:a.b.c.d) as the IPv4 address it maps; others unchanged.
  [[nodiscard]] InetAddress unmapped() const noexcept;
  // The same address with another port.
  [[nodiscard]] InetAddress with_port(std::uint16_t port) const noexcept;
  [[nodiscard]] bool is_any() const noexcept;  // 0.0.0.0 or ::

  // "127.0.0.1:2525" or "[::1]:2525": parse(to_string()) == *this.
  [[nodiscard]] std::string to_string() const;
  // The address alone: "127.0.0.1", "::1".
  [[nodiscard]] std::string host_string() const;

  [[nodiscard]] InetSockAddr to_sockaddr() const noexcept;

  friend bool operator==(const InetAddress&, const InetAddress&) = default;

 private:
  Family family_ = Family::kV4;
  std::uint16_t port_ = 0;
  std::array<std::uint8_t, 16> bytes_{};
  std::uint32_t scope_id_ = 0;
};

}  // namespace ipckit::net
