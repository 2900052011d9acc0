#include "handoff/config_text.hpp"

#include <cstring>

#include "core/text_file.hpp"
#include "ipckit/handoff/config.hpp"

namespace ipckit::handoff {

std::optional<std::string> line_problem(std::string_view text) {
  if (text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
    return "must be one line (no CR, LF or NUL)";
  }
  if (text.size() > kMaxLineBytes) {
    return "must be at most " + std::to_string(kMaxLineBytes) + " bytes";
  }
  return std::nullopt;
}

std::optional<mode_t> parse_mode(std::string_view text) noexcept {
  if (text.starts_with("0o")) text.remove_prefix(2);
  if (text.empty() || text.size() > 4) return std::nullopt;
  mode_t mode = 0;
  for (char c : text) {
    if (c < '0' || c > '7') return std::nullopt;
    mode = mode * 8 + static_cast<mode_t>(c - '0');
  }
  if (mode > 0777) return std::nullopt;
  return mode;
}

std::string reason(const Error& e) {
  if (!e.detail().empty()) return e.detail();
  char buf[256];
  return ::strerror_r(e.code(), buf, sizeof buf);
}

Result<std::string> read_config_file(const std::string& path) {
  return detail::read_text_file(path);
}

std::string_view to_string(DispatchPolicy policy) noexcept {
  return policy == DispatchPolicy::kRoundRobin ? "round-robin" : "least-busy";
}

std::optional<DispatchPolicy> parse_dispatch_policy(std::string_view word) noexcept {
  if (word == "least-busy") return DispatchPolicy::kLeastBusy;
  if (word == "round-robin") return DispatchPolicy::kRoundRobin;
  return std::nullopt;
}

std::optional<LogFormat> parse_log_format(std::string_view word) noexcept {
  if (word == "logfmt") return LogFormat::kLogfmt;
  if (word == "json") return LogFormat::kJson;
  return std::nullopt;
}

std::optional<LogLevel> parse_log_level(std::string_view word) noexcept {
  if (word == "debug") return LogLevel::kDebug;
  if (word == "info") return LogLevel::kInfo;
  if (word == "warning") return LogLevel::kWarning;
  if (word == "error") return LogLevel::kError;
  return std::nullopt;
}

}  // namespace ipckit::handoff
