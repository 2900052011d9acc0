#include "ipckit/net/inet_address.hpp"

#include <arpa/inet.h>
#include <fmt/core.h>
#include <net/if.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "net/decimal.hpp"

namespace ipckit::net {

namespace {

constexpr const char* kParse = "parse address";

InetSockAddr make_sockaddr(Family family, const std::array<std::uint8_t, 16>& bytes,
                           std::uint16_t port, std::uint32_t scope) noexcept {
  InetSockAddr out;
  if (family == Family::kV4) {
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_port = htons(port);
    std::memcpy(&in.sin_addr, bytes.data(), 4);
    std::memcpy(&out.storage, &in, sizeof(in));
    out.length = sizeof(in);
  } else {
    sockaddr_in6 in6{};
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons(port);
    std::memcpy(&in6.sin6_addr, bytes.data(), 16);
    in6.sin6_scope_id = scope;
    std::memcpy(&out.storage, &in6, sizeof(in6));
    out.length = sizeof(in6);
  }
  return out;
}

std::unexpected<Error> bad(std::string_view text, std::string detail) {
  return fail(EINVAL, kParse, std::string(text), std::move(detail));
}

// A zone: an interface name (if_nametoindex) or its decimal index.
Result<std::uint32_t> parse_zone(std::string_view text, std::string_view zone) {
  if (zone.empty()) return bad(text, "empty zone after '%'");
  if (auto index = parse_decimal(zone, 0xffffffffU)) return static_cast<std::uint32_t>(*index);
  const std::string name(zone);
  const unsigned index = ::if_nametoindex(name.c_str());
  if (index == 0) return bad(text, fmt::format("no network interface named \"{}\"", name));
  return index;
}

// A numeric IPv4 address, or IPv6 with an optional %zone. `text` is the whole input (for errors).
Result<InetAddress> parse_numeric(std::string_view text, std::string_view host, Family family,
                                  std::uint16_t port) {
  std::array<std::uint8_t, 16> bytes{};
  std::uint32_t scope = 0;
  std::string_view bare = host;
  if (family == Family::kV6) {
    if (const auto percent = host.find('%'); percent != std::string_view::npos) {
      auto zone = parse_zone(text, host.substr(percent + 1));
      if (!zone) return std::unexpected(zone.error());
      scope = *zone;
      bare = host.substr(0, percent);
    }
  }
  const std::string copy(bare);
  const int af = family == Family::kV4 ? AF_INET : AF_INET6;
  if (copy.empty() || ::inet_pton(af, copy.c_str(), bytes.data()) != 1) {
    return bad(text, fmt::format("not a numeric {} address: \"{}\"",
                                 family == Family::kV4 ? "IPv4" : "IPv6", copy));
  }
  const InetSockAddr raw = make_sockaddr(family, bytes, port, scope);
  return InetAddress::from_sockaddr(raw.get(), raw.length);
}

Result<std::uint16_t> parse_port(std::string_view text, std::string_view port) {
  if (port.empty()) return bad(text, "missing port after ':'");
  auto value = parse_decimal(port, 65535);
  if (!value) {
    return bad(text, fmt::format("bad port \"{}\": must be a decimal number 0-65535", port));
  }
  return static_cast<std::uint16_t>(*value);
}

}  // namespace

Result<InetAddress> InetAddress::parse(std::string_view text) {
  if (text.empty()) return bad(text, "empty address: expected HOST:PORT");
  if (text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return bad(text, "'[' without a closing ']'");
    const std::string_view host = text.substr(1, close - 1);
    const std::string_view rest = text.substr(close + 1);
    if (rest.empty()) return bad(text, "missing port: expected [IPV6]:PORT");
    if (rest.front() != ':') return bad(text, "expected ':PORT' after ']'");
    auto port = parse_port(text, rest.substr(1));
    if (!port) return std::unexpected(port.error());
    if (host.find(':') == std::string_view::npos) {
      return bad(text,
                 fmt::format("not a numeric IPv6 address: \"{}\" (brackets are for IPv6)", host));
    }
    return parse_numeric(text, host, Family::kV6, *port);
  }
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) return bad(text, "missing port: expected HOST:PORT");
  const std::string_view host = text.substr(0, colon);
  if (host.find(':') != std::string_view::npos) {
    return bad(text, "IPv6 needs [brackets] around the address: [ADDRESS]:PORT");
  }
  auto port = parse_port(text, text.substr(colon + 1));
  if (!port) return std::unexpected(port.error());
  if (host == "*") return InetAddress().with_port(*port);
  if (host.empty()) return bad(text, "missing address before ':' (\"*:PORT\" means every address)");
  return parse_numeric(text, host, Family::kV4, *port);
}

Result<InetAddress> InetAddress::parse_host(std::string_view text) {
  if (text.empty()) return bad(text, "empty address");
  const Family family = text.find(':') != std::string_view::npos ? Family::kV6 : Family::kV4;
  return parse_numeric(text, text, family, 0);
}

InetAddress InetAddress::loopback(Family family, std::uint16_t port) noexcept {
  InetAddress a;
  a.family_ = family;
  a.port_ = port;
  if (family == Family::kV4) {
    a.bytes_[0] = 127;
    a.bytes_[3] = 1;
  } else {
    a.bytes_[15] = 1;
  }
  return a;
}

Result<InetAddress> InetAddress::from_sockaddr(const ::sockaddr* addr, socklen_t length) {
  constexpr const char* kOp = "decode socket address";
  if (addr == nullptr || length < static_cast<socklen_t>(sizeof(sa_family_t))) {
    return fail(EINVAL, kOp, "", fmt::format("address of {} bytes is too short", length));
  }
  InetAddress a;
  if (addr->sa_family == AF_INET) {
    if (length < static_cast<socklen_t>(sizeof(sockaddr_in))) {
      return fail(EINVAL, kOp, "AF_INET",
                  fmt::format("{} bytes, need {}", length, sizeof(sockaddr_in)));
    }
    sockaddr_in in{};
    std::memcpy(&in, addr, sizeof(in));
    a.family_ = Family::kV4;
    a.port_ = ntohs(in.sin_port);
    std::memcpy(a.bytes_.data(), &in.sin_addr, 4);
    return a;
  }
  if (addr->sa_family == AF_INET6) {
    if (length < static_cast<socklen_t>(sizeof(sockaddr_in6))) {
      return fail(EINVAL, kOp, "AF_INET6",
                  fmt::format("{} bytes, need {}", length, sizeof(sockaddr_in6)));
    }
    sockaddr_in6 in6{};
    std::memcpy(&in6, addr, sizeof(in6));
    a.family_ = Family::kV6;
    a.port_ = ntohs(in6.sin6_port);
    std::memcpy(a.bytes_.data(), &in6.sin6_addr, 16);
    a.scope_id_ = in6.sin6_scope_id;
    return a;
  }
  return fail(EAFNOSUPPORT, kOp, "",
              fmt::format("address family {} is neither AF_INET nor AF_INET6", addr->sa_family));
}

InetAddress InetAddress::unmapped() const noexcept {
  if (family_ != Family::kV6) return *this;
  const bool mapped =
      std::all_of(bytes_.begin(), bytes_.begin() + 10, [](auto b) { return b == 0; }) &&
      bytes_[10] == 0xff && bytes_[11] == 0xff;
  if (!mapped) return *this;
  InetAddress a;
  a.family_ = Family::kV4;
  a.port_ = port_;
  std::copy(bytes_.begin() + 12, bytes_.end(), a.bytes_.begin());
  return a;
}

InetAddress InetAddress::with_port(std::uint16_t port) const noexcept {
  InetAddress a = *this;
  a.port_ = port;
  return a;
}

bool InetAddress::is_any() const noexcept {
  return std::all_of(bytes_.begin(), bytes_.end(), [](auto b) { return b == 0; });
}

std::string InetAddress::host_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (family_ == Family::kV4) {
    ::inet_ntop(AF_INET, bytes_.data(), buf, sizeof(buf));
    return buf;
  }
  ::inet_ntop(AF_INET6, bytes_.data(), buf, sizeof(buf));
  std::string out = buf;
  if (scope_id_ != 0) {
    char name[IF_NAMESIZE] = {};
    out += '%';
    // An interface that has gone since is named by its index, which parse() accepts too.
    if (::if_indextoname(scope_id_, name) != nullptr) {
      out += name;
    } else {
      out += std::to_string(scope_id_);
    }
  }
  return out;
}

std::string InetAddress::to_string() const {
  if (family_ == Family::kV4) return fmt::format("{}:{}", host_string(), port_);
  return fmt::format("[{}]:{}", host_string(), port_);
}

InetSockAddr InetAddress::to_sockaddr() const noexcept {
  return make_sockaddr(family_, bytes_, port_, scope_id_);
}

}  // namespace ipckit::net
