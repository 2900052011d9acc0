#include "bench/bench_plot_text.hpp"

#include <cmath>
#include <cstdint>

#include <fmt/format.h>

namespace ipckit::bench::plot_text {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the valid UTF-8 sequence at text[i], or 0 when the byte there does not start one
// (stray continuation, overlong form, surrogate, above U+10FFFF, truncated).
std::size_t utf8_sequence(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) return 1;
  std::size_t len = 0;
  std::uint32_t cp = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
    cp = b0 & 0x1Fu;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    cp = b0 & 0x0Fu;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    cp = b0 & 0x07u;
  } else {
    return 0;
  }
  if (i + len > text.size()) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0u) != 0x80u) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3Fu);
  }
  if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
      (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE || cp == 0xFFFF) {
    return 0;
  }
  return len;
}

// "12.3" style: at most three significant digits, no trailing zeros, no exponent.
std::string three_digits(double v) {
  if (v >= 100) return fmt::format("{:.0f}", v);
  std::string s = fmt::format("{:.{}f}", v, v >= 10 ? 1 : 2);
  while (s.back() == '0')
    s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

struct Unit {
  double scale;
  std::string_view name;
};

// `value` in the largest unit not above it (the first when it is below them all).
template <std::size_t N>
std::string scaled(double value, const Unit (&units)[N]) {
  if (!std::isfinite(value)) return "?";
  std::size_t u = 0;
  for (std::size_t k = 0; k < N; ++k) {
    if (std::fabs(value) >= units[k].scale * 0.9995) u = k;
  }
  double shown = value / units[u].scale;
  // 999.7 µs prints as "1000 µs"; move up a unit instead.
  if (u + 1 < N && std::round(shown) >= 1000) {
    ++u;
    shown = value / units[u].scale;
  }
  return fmt::format("{} {}", three_digits(shown), units[u].name);
}

}  // namespace

std::string xml(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t len = utf8_sequence(text, i);
    if (len == 0) {
      out += kReplacement;
      ++i;
      continue;
    }
    if (len > 1) {
      out.append(text.substr(i, len));
      i += len;
      continue;
    }
    const char c = text[i++];
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      case '\t':
      case '\n':
      case '\r':
        out += c;
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
          out += kReplacement;
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::size_t chars(std::string_view text) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < text.size(); ++n) {
    const std::size_t len = utf8_sequence(text, i);
    i += len == 0 ? 1 : len;
  }
  return n;
}

std::string clip(std::string_view text, std::size_t max_chars) {
  if (chars(text) <= max_chars) return std::string(text);
  if (max_chars == 0) return {};
  std::size_t i = 0;
  for (std::size_t n = 0; n + 1 < max_chars && i < text.size(); ++n) {
    const std::size_t len = utf8_sequence(text, i);
    i += len == 0 ? 1 : len;
  }
  return std::string(text.substr(0, i)) + "…";
}

std::string size(double bytes) {
  if (!std::isfinite(bytes) || bytes < 0) return "?";
  static constexpr std::string_view kNames[] = {"B", "KiB", "MiB", "GiB"};
  std::size_t u = 0;
  double v = bytes;
  while (u + 1 < std::size(kNames) && v >= 1024) {
    v /= 1024;
    ++u;
  }
  return fmt::format("{} {}", three_digits(v), kNames[u]);
}

std::string duration_ns(double ns) {
  static constexpr Unit kUnits[] = {{1, "ns"}, {1e3, "µs"}, {1e6, "ms"}, {1e9, "s"}};
  return scaled(ns, kUnits);
}

std::string bytes_per_s(double value) {
  static constexpr Unit kUnits[] = {{1, "B/s"},    {1e3, "kB/s"},  {1e6, "MB/s"},
                                    {1e9, "GB/s"}, {1e12, "TB/s"}, {1e15, "PB/s"}};
  return scaled(value, kUnits);
}

std::string per_s(double value) {
  static constexpr Unit kUnits[] = {{1, "/s"}, {1e3, "k/s"}, {1e6, "M/s"}, {1e9, "G/s"}};
  return scaled(value, kUnits);
}

std::string_view test_word(Test test) {
  return test == Test::kLatency ? "latency" : "throughput";
}

std::string_view load_word(Load load) {
  return load == Load::kIdle ? "idle" : "busy-cpu";
}

std::string series_name(const Cell& cell) {
  if (cell.mode.empty() || cell.mode == "default") return cell.mechanism;
  return cell.mechanism + " " + cell.mode;
}

std::string row_name(const Cell& cell) {
  std::string name = series_name(cell) + ", " + size(static_cast<double>(cell.size));
  if (cell.producers != 1) name += fmt::format(", {} producers", cell.producers);
  if (cell.load != Load::kIdle) name += fmt::format(", {} load", load_word(cell.load));
  return name;
}

}  // namespace ipckit::bench::plot_text
