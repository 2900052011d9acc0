#include "cli/size.hpp"

#include <fmt/core.h>

#include <array>
#include <limits>

namespace ipckit::cli {

std::optional<std::uint64_t> parse_size(std::string_view text) noexcept {
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  unsigned shift = 0;
  if (!text.empty()) {
    switch (text.back()) {
      case 'k':
      case 'K':
        shift = 10;
        break;
      case 'm':
      case 'M':
        shift = 20;
        break;
      case 'g':
      case 'G':
        shift = 30;
        break;
      case 't':
      case 'T':
        shift = 40;
        break;
      default:
        break;
    }
    if (shift != 0) text.remove_suffix(1);
  }
  if (text.empty()) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (value > (kMax - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  if (value > (kMax >> shift)) return std::nullopt;
  return value << shift;
}

std::string format_size(std::uint64_t bytes) {
  static constexpr std::array<const char*, 5> kUnits = {"B", "KiB", "MiB", "GiB", "TiB"};
  if (bytes < 1024) return fmt::format("{} B", bytes);
  std::size_t unit = 0;
  auto value = static_cast<double>(bytes);
  while (value >= 1024.0 && unit + 1 < kUnits.size()) {
    value /= 1024.0;
    ++unit;
  }
  // Whole multiples print without a fraction ("64 KiB"), others with one digit ("1.5 MiB").
  if (bytes % (std::uint64_t{1} << (10 * unit)) == 0)
    return fmt::format("{:.0f} {}", value, kUnits[unit]);
  return fmt::format("{:.1f} {}", value, kUnits[unit]);
}

CLI::Validator size_transformer() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        auto bytes = parse_size(text);
        if (!bytes) return fmt::format("invalid size '{}'", text);
        text = std::to_string(*bytes);
        return {};
      },
      "SIZE", "size");
}

}  // namespace ipckit::cli
