#include "cli/details.hpp"

#include <fmt/core.h>
#include <time.h>

#include "cli/size.hpp"

namespace ipckit::cli {

namespace {
constexpr std::size_t kLabelWidth = 14;  // "label:" and its padding
}  // namespace

void print_detail(std::string_view label, std::string_view value) {
  fmt::print("{:<{}}{}\n", fmt::format("{}:", label), kLabelWidth, value);
}

void print_json(const nlohmann::ordered_json& doc) {
  fmt::print("{}\n", doc.dump(2));
}

std::string octal_mode(std::optional<unsigned> bits) {
  return bits ? fmt::format("{:04o}", *bits) : std::string("?");
}

std::string size_detail(std::uint64_t bytes) {
  return fmt::format("{} ({})", bytes, format_size(bytes));
}

std::string format_time(std::time_t seconds, bool utc) {
  struct tm parts {};
  if (utc ? ::gmtime_r(&seconds, &parts) == nullptr : ::localtime_r(&seconds, &parts) == nullptr)
    return "?";
  char text[64];
  const std::size_t n =
      ::strftime(text, sizeof text, utc ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%d %H:%M:%S %z", &parts);
  return std::string(text, n);
}

nlohmann::ordered_json json_time_or_never(std::time_t seconds) {
  if (seconds == 0) return nullptr;
  return format_time(seconds, true);
}

std::string text_time_or_never(std::time_t seconds) {
  return seconds == 0 ? std::string("never") : format_time(seconds, false);
}

}  // namespace ipckit::cli
