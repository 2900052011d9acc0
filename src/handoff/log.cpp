#include "log.hpp"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <ctime>

#include "core/wall_clock.hpp"

namespace ipckit::handoff::detail {
namespace {

constexpr char kHex[] = "0123456789abcdef";

bool plain_logfmt(std::string_view text) noexcept {
  if (text.empty()) return false;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= ' ' || c >= 0x7f || c == '=' || c == '"' || c == '\\') return false;
  }
  return true;
}

// Appends `text` escaped for a quoted logfmt value (json: false) or a JSON string.
void append_escaped(std::string& out, std::string_view text, bool json) {
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          out += json ? "\\u00" : "\\x";
          out += kHex[c >> 4];
          out += kHex[c & 0xf];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
}

void append_timestamp(std::string& out, std::int64_t unix_ns) {
  const std::int64_t secs = unix_ns >= 0 ? unix_ns / 1'000'000'000 : 0;
  const int millis = unix_ns >= 0 ? static_cast<int>(unix_ns / 1'000'000 % 1000) : 0;
  const std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[40];
  const std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  out.append(buf, n);
  out += '.';
  out += static_cast<char>('0' + millis / 100);
  out += static_cast<char>('0' + millis / 10 % 10);
  out += static_cast<char>('0' + millis % 10);
  out += 'Z';
}

template <class N>
void append_number(std::string& out, N value) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  out.append(buf, end);
}

}  // namespace

std::string_view to_string(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

Logger& Logger::begin(LogLevel level, std::string_view event, std::int64_t unix_ns) {
  line_.clear();
  if (format_ == LogFormat::kJson) {
    line_ += "{\"ts\":\"";
    append_timestamp(line_, unix_ns);
    line_ += '"';
  } else {
    line_ += "ts=";
    append_timestamp(line_, unix_ns);
  }
  field("level", to_string(level));
  field("event", event);
  return *this;
}

Logger& Logger::begin(LogLevel level, std::string_view event) {
  return begin(level, event, static_cast<std::int64_t>(ipckit::detail::now_unix_ns()));
}

void Logger::key(std::string_view key) {
  if (format_ == LogFormat::kJson) {
    line_ += ",\"";
    line_ += key;
    line_ += "\":";
  } else {
    line_ += ' ';
    line_ += key;
    line_ += '=';
  }
}

void Logger::value(std::string_view text) {
  if (format_ == LogFormat::kLogfmt && plain_logfmt(text)) {
    line_ += text;
    return;
  }
  line_ += '"';
  append_escaped(line_, text, format_ == LogFormat::kJson);
  line_ += '"';
}

Logger& Logger::field(std::string_view k, std::string_view v) {
  key(k);
  value(v);
  return *this;
}

Logger& Logger::field(std::string_view k, std::uint64_t v) {
  key(k);
  append_number(line_, v);
  return *this;
}

Logger& Logger::field(std::string_view k, std::int64_t v) {
  key(k);
  append_number(line_, v);
  return *this;
}

std::string_view Logger::finish() {
  if (format_ == LogFormat::kJson) line_ += '}';
  line_ += '\n';
  return line_;
}

void Logger::write() {
  const std::string_view text = finish();
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd_.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // EPIPE, EAGAIN, ENOSPC: a log line is not worth stopping for
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace ipckit::handoff::detail
