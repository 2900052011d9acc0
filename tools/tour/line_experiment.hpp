// The article's line-copy experiment, shared by the tour steps that run it three ways (naive
// shared memory, semaphore-locked shared memory, and the channel): numbered, self-checking lines,
// and the classifier that tells an intact line from a torn one.
#pragma once

#include <fmt/core.h>

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

#include "tour/support.hpp"

namespace ipckit::tour {

inline constexpr std::string_view kPhrase =  // the lines' text, cut to many lengths
    "the quick brown fox jumps over the lazy dog while the scheduler looks the other way";

// Line i of the experiment: "000042 the quick brown... #1a2b3c4d", of varying length, ending in
// a checksum (FNV-1a) of everything before " #".
inline std::string make_line(std::uint32_t i) {
  std::string line = fmt::format("{:06} {}", i, kPhrase.substr(0, 10 + (i * 37) % 60));
  line += fmt::format(" #{:08x}", fnv1a(line));
  return line;
}

// What the reader makes of one read: nothing yet, a torn line, or intact line `number`.
struct ReadResult {
  enum Kind { kEmpty, kTorn, kIntact } kind;
  std::uint32_t number = 0;
};

inline ReadResult classify(std::string_view s) {
  if (s.empty()) return {ReadResult::kEmpty};
  const std::size_t hash = s.rfind(" #");
  if (hash == std::string_view::npos || hash < 6 || s.size() - hash != 10) {
    return {ReadResult::kTorn};
  }
  std::uint32_t sum = 0;
  auto [sum_end, sum_ec] = std::from_chars(s.data() + hash + 2, s.data() + s.size(), sum, 16);
  if (sum_ec != std::errc() || sum_end != s.data() + s.size() || sum != fnv1a(s.substr(0, hash))) {
    return {ReadResult::kTorn};
  }
  std::uint32_t number = 0;
  auto [num_end, num_ec] = std::from_chars(s.data(), s.data() + 6, number);
  if (num_ec != std::errc() || num_end != s.data() + 6) return {ReadResult::kTorn};
  return {ReadResult::kIntact, number};
}

}  // namespace ipckit::tour
