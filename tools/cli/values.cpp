#include "cli/values.hpp"

#include <fmt/core.h>

#include <charconv>
#include <cmath>
#include <limits>

namespace ipckit::cli {

namespace {

bool is_control(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte < 0x20 || byte == 0x7f;
}

bool all_digits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

std::optional<double> parse_seconds(std::string_view text) noexcept {
  // from_chars also reads "nan", "inf" and a leading '-': only digits or '.' may start the value.
  if (text.empty() || !((text[0] >= '0' && text[0] <= '9') || text[0] == '.')) return std::nullopt;
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (!std::isfinite(value) || value < 0 || value > kMaxSeconds) return std::nullopt;
  return value;
}

std::optional<std::uint64_t> parse_unsigned(std::string_view text, std::uint64_t min,
                                            std::uint64_t max) noexcept {
  if (!all_digits(text)) return std::nullopt;
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (value < min || value > max) return std::nullopt;
  return value;
}

std::optional<std::int64_t> parse_integer(std::string_view text, std::int64_t min,
                                          std::int64_t max) noexcept {
  const bool negative = text.starts_with('-');
  if (negative && min >= 0) return std::nullopt;
  if (!all_digits(negative ? text.substr(1) : text)) return std::nullopt;
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (value < min || value > max) return std::nullopt;
  return value;
}

std::string escape_controls(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (!is_control(c)) {
      out += c;
      continue;
    }
    switch (c) {
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
    }
  }
  return out;
}

std::optional<std::string> control_character_problem(std::string_view name) {
  for (char c : name) {
    if (is_control(c))
      return fmt::format("contains a control character ('{}')", escape_controls({&c, 1}));
  }
  return std::nullopt;
}

std::optional<std::string> posix_name_problem(std::string_view name, posix::NameKind kind) {
  auto checked = posix::check_name(name, kind);
  if (checked) return std::nullopt;
  // The library's detail reads "invalid name: <why>"; the command says which name itself.
  constexpr std::string_view kPrefix = "invalid name: ";
  std::string why = checked.error().detail();
  if (why.starts_with(kPrefix)) why.erase(0, kPrefix.size());
  return why;
}

CLI::Validator seconds_validator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        if (parse_seconds(text)) return {};
        return fmt::format("invalid duration '{}' (seconds, 0 to {:.0f})", escape_controls(text),
                           kMaxSeconds);
      },
      fmt::format("SECONDS in [0 - {:.0f}]", kMaxSeconds), "duration");
}

namespace {

// The message for a whole number that parse_integer/parse_unsigned refused.
template <class T>
std::string integer_problem(const std::string& text, T min, T max) {
  const bool is_number = all_digits(text.starts_with('-') ? text.substr(1) : text);
  if (is_number) return fmt::format("'{}' not in range {} to {}", text, min, max);
  return fmt::format("invalid value '{}' (a whole number from {} to {})", escape_controls(text),
                     min, max);
}

}  // namespace

CLI::Validator integer_validator(std::int64_t min, std::int64_t max) {
  return CLI::Validator(
      [min, max](std::string& text) -> std::string {
        if (parse_integer(text, min, max)) return {};
        return integer_problem(text, min, max);
      },
      fmt::format("N in [{} - {}]", min, max), "whole number");
}

CLI::Validator unsigned_validator(std::uint64_t min, std::uint64_t max) {
  return CLI::Validator(
      [min, max](std::string& text) -> std::string {
        if (parse_unsigned(text, min, max)) return {};
        return integer_problem(text, min, max);
      },
      max == UINT64_MAX ? fmt::format("N >= {}", min) : fmt::format("N in [{} - {}]", min, max),
      "whole number");
}

}  // namespace ipckit::cli
