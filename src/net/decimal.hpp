// parse_decimal: a strictly decimal unsigned number (digits only: no sign, space, "0x" or
// suffix), as ports, prefixes and the LISTEN_* variables are written. Internal.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

namespace ipckit::net {

// The value of `text`, or nullopt when it is empty, holds anything but digits, or exceeds `max`.
inline std::optional<std::uint64_t> parse_decimal(std::string_view text, std::uint64_t max) {
  if (text.empty()) return std::nullopt;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value > max) return std::nullopt;
  return value;
}

}  // namespace ipckit::net
