// AddressKey: a client's address without its port, as the screens key their per-address state
// (rate, concurrency, pass cache). An IPv4-mapped IPv6 address keys as the IPv4 address it maps,
// so a dual-stack listener and an IPv4 one count the same client once. Internal.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "ipckit/net/inet_address.hpp"

namespace ipckit::handoff::detail {

struct AddressKey {
  std::array<std::uint8_t, 16> bytes{};
  bool v6 = false;

  [[nodiscard]] static AddressKey of(const net::InetAddress& address) noexcept {
    const net::InetAddress plain = address.unmapped();
    AddressKey key;
    key.v6 = plain.family() == net::Family::kV6;
    key.bytes = plain.bytes();
    if (!key.v6) std::memset(key.bytes.data() + 4, 0, 12);
    return key;
  }

  friend bool operator==(const AddressKey&, const AddressKey&) = default;
};

struct AddressKeyHash {
  std::size_t operator()(const AddressKey& key) const noexcept {
    std::uint64_t a = 0;
    std::uint64_t b = 0;
    std::memcpy(&a, key.bytes.data(), 8);
    std::memcpy(&b, key.bytes.data() + 8, 8);
    // splitmix64-style mixing: addresses of one network differ in few bits.
    std::uint64_t h = a * 0x9E3779B97F4A7C15ull ^ (b + (key.v6 ? 0x632BE59BD9B4E019ull : 0));
    h ^= h >> 31;
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 27;
    return static_cast<std::size_t>(h);
  }
};

}  // namespace ipckit::handoff::detail
