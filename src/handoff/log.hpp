// Logger: the handoff daemon's structured log, one line per event (docs/handoff.md "Logging").
//
//   logfmt: ts=2026-12-02T15:04:05.123Z level=info event=handed_off client=127.0.0.1:40512 id=7
//   json:   {"ts":"2026-12-02T15:04:05.123Z","level":"info","event":"handed_off",...}
//
// Keys are fixed words; values are strings or integers. logfmt quotes a value that is empty or
// holds a space, '=', '"' or any byte outside printable ASCII, escaping \" \\ \n \r \t and
// other bytes as \xNN; JSON escapes the same bytes (\u00NN), so every line is plain ASCII and
// one line whatever a value holds. A line is one write(2), so lines of several writers never
// mix; a failing write (closed pipe, full disk) is ignored: the daemon carries on.
//
// Cost: callers ask enabled(level) before building anything, so a filtered event costs one
// comparison. The line is built in a buffer the Logger keeps. Internal; not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ipckit/core/fd.hpp"
#include "ipckit/handoff/config.hpp"

namespace ipckit::handoff::detail {

[[nodiscard]] std::string_view to_string(LogLevel level) noexcept;  // "debug", "info", ...

class Logger {
 public:
  Logger() = default;
  Logger(FdView fd, LogFormat format, LogLevel level) : fd_(fd), format_(format), level_(level) {}

  void configure(LogFormat format, LogLevel level) noexcept {
    format_ = format;
    level_ = level;
  }
  void set_fd(FdView fd) noexcept { fd_ = fd; }

  [[nodiscard]] bool enabled(LogLevel level) const noexcept {
    return fd_.valid() && level >= level_;
  }

  // Starts a line: ts (from `unix_ns`, wall clock), level, event.
  Logger& begin(LogLevel level, std::string_view event, std::int64_t unix_ns);
  // Starts a line stamped with the current time.
  Logger& begin(LogLevel level, std::string_view event);
  Logger& field(std::string_view key, std::string_view value);
  Logger& field(std::string_view key, const char* value) {
    return field(key, std::string_view(value));
  }
  Logger& field(std::string_view key, std::uint64_t value);
  Logger& field(std::string_view key, std::int64_t value);
  Logger& field(std::string_view key, std::uint32_t value) {
    return field(key, std::uint64_t{value});
  }
  Logger& field(std::string_view key, int value) { return field(key, std::int64_t{value}); }
  // Ends the line (newline included) and returns it; write() sends it.
  std::string_view finish();
  void write();

 private:
  void key(std::string_view key);
  void value(std::string_view text);

  FdView fd_;
  LogFormat format_ = LogFormat::kLogfmt;
  LogLevel level_ = LogLevel::kInfo;
  std::string line_;
};

}  // namespace ipckit::handoff::detail
