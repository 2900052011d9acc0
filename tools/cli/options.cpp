#include "cli/options.hpp"

#include <fmt/core.h>

#include <charconv>
#include <climits>
#include <cmath>

#include "cli/values.hpp"

namespace ipckit::cli {

CLI::Validator mode_validator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        const bool octal = !text.empty() && text.size() <= 4 &&
                           text.find_first_not_of("01234567") == std::string::npos;
        if (!octal || std::stoul(text, nullptr, 8) > 0777)
          return fmt::format("invalid mode '{}' (octal permission bits, e.g. 0600)", text);
        return {};
      },
      "MODE", "mode");
}

mode_t mode_value(const std::string& text) {
  return static_cast<mode_t>(std::stoul(text, nullptr, 8));
}

std::optional<mode_t> optional_mode(const std::string& text) {
  if (text.empty()) return std::nullopt;
  return mode_value(text);
}

CLI::Validator size_at_least(std::uint64_t minimum) {
  return CLI::Validator(
      [minimum](std::string& text) -> std::string {
        // size_transformer() ran first: `text` is a plain decimal number.
        std::uint64_t value = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (ec != std::errc() || end != text.data() + text.size())
          return fmt::format("invalid size '{}'", text);
        if (value < minimum) {
          return fmt::format("must be at least {} byte{}, not {}", minimum, minimum == 1 ? "" : "s",
                             value);
        }
        return {};
      },
      "", "minimum size");
}

void add_timeout_option(CLI::App& app, double& seconds, std::string_view what) {
  app.add_option("--timeout", seconds,
                 fmt::format("Give up (exit 4) when no {} came for SECONDS", what))
      ->check(seconds_validator());
}

std::chrono::nanoseconds to_duration(double seconds) noexcept {
  // Clamped to a century: forever in practice, and small enough that the library's deadlines
  // (now + timeout, on the monotonic or the realtime clock) cannot overflow 64-bit nanoseconds.
  constexpr double kCentury = 100.0 * 365.25 * 24 * 3600;
  if (seconds < 0 || seconds > kCentury) seconds = kCentury;
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::duration<double>(seconds));
}

channel::Timeout to_timeout(double seconds) noexcept {
  // Beyond ~292 years nanoseconds overflow; such a timeout is forever in practice.
  if (seconds < 0 || seconds > 9.0e9) return channel::kForever;
  return std::chrono::duration_cast<channel::Timeout>(std::chrono::duration<double>(seconds));
}

int to_poll_timeout(double seconds) noexcept {
  if (seconds < 0) return -1;
  const double ms = seconds * 1000.0;
  return ms >= static_cast<double>(INT_MAX) ? INT_MAX : static_cast<int>(std::lround(ms));
}

std::string describe_seconds(double seconds) {
  return fmt::format("{:g} s", seconds);
}

std::string describe_timeout(double seconds) {
  if (seconds < 0) return "forever";
  return describe_seconds(seconds);
}

}  // namespace ipckit::cli
