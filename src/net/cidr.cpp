#include "ipckit/net/cidr.hpp"

#include <fmt/core.h>

#include <cerrno>
#include <cstring>

#include "net/decimal.hpp"

namespace ipckit::net {

namespace {

constexpr const char* kParse = "parse network";

unsigned width(Family family) noexcept {
  return family == Family::kV4 ? 32 : 128;
}

// Whether the first `prefix` bits of `a` and `b` are equal.
bool same_prefix(const std::array<std::uint8_t, 16>& a, const std::array<std::uint8_t, 16>& b,
                 unsigned prefix) noexcept {
  const unsigned whole = prefix / 8;
  for (unsigned i = 0; i < whole; ++i) {
    if (a[i] != b[i]) return false;
  }
  const unsigned rest = prefix % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

// Whether any bit after the first `prefix` bits of the address is set.
bool host_bits_set(const std::array<std::uint8_t, 16>& bytes, unsigned prefix, unsigned bits) {
  for (unsigned bit = prefix; bit < bits; ++bit) {
    if ((static_cast<unsigned>(bytes[bit / 8]) >> (7U - bit % 8U)) & 1U) return true;
  }
  return false;
}

// The network of `address` with its host bits cleared, for the error message's suggestion.
std::string cleared(const InetAddress& address, unsigned prefix) {
  auto bytes = address.bytes();
  for (unsigned bit = prefix; bit < width(address.family()); ++bit) {
    bytes[bit / 8] = static_cast<std::uint8_t>(bytes[bit / 8] & ~(1U << (7 - bit % 8)));
  }
  auto raw = address.to_sockaddr();
  if (address.family() == Family::kV4) {
    std::memcpy(&reinterpret_cast<sockaddr_in*>(&raw.storage)->sin_addr, bytes.data(), 4);
  } else {
    std::memcpy(&reinterpret_cast<sockaddr_in6*>(&raw.storage)->sin6_addr, bytes.data(), 16);
  }
  auto network = InetAddress::from_sockaddr(raw.get(), raw.length);
  return network ? network->host_string() : std::string("?");
}

}  // namespace

Result<Cidr> Cidr::parse(std::string_view text) {
  const auto slash = text.find('/');
  const std::string_view host = text.substr(0, slash);
  auto address = InetAddress::parse_host(host);
  if (!address) {
    return fail(EINVAL, kParse, std::string(text), fmt::format("not an address: \"{}\"", host));
  }
  if (address->scope_id() != 0) {
    return fail(EINVAL, kParse, std::string(text), "a network has no %zone");
  }
  const unsigned bits = width(address->family());
  Cidr cidr;
  cidr.network_ = *address;
  cidr.prefix_ = bits;
  if (slash == std::string_view::npos) return cidr;
  auto prefix = parse_decimal(text.substr(slash + 1), bits);
  if (!prefix) {
    return fail(EINVAL, kParse, std::string(text),
                fmt::format("prefix must be 0-{}: \"{}\"", bits, text.substr(slash + 1)));
  }
  cidr.prefix_ = static_cast<unsigned>(*prefix);
  if (host_bits_set(address->bytes(), cidr.prefix_, bits)) {
    return fail(EINVAL, kParse, std::string(text),
                fmt::format("host bits set (the network is {}/{})", cleared(*address, cidr.prefix_),
                            cidr.prefix_));
  }
  return cidr;
}

bool Cidr::contains(const InetAddress& address) const noexcept {
  // An IPv4 rule sees an IPv4-mapped IPv6 client as the IPv4 address it maps; an IPv6 rule
  // compares IPv6 addresses only (a mapped one stays IPv6 and can match ::ffff:0:0/96).
  const InetAddress candidate = family() == Family::kV4 ? address.unmapped() : address;
  if (candidate.family() != family()) return false;
  return same_prefix(candidate.bytes(), network_.bytes(), prefix_);
}

std::string Cidr::to_string() const {
  return fmt::format("{}/{}", network_.host_string(), prefix_);
}

}  // namespace ipckit::net
