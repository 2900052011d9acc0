// memcpy: the throughput ceiling. One thread copies each message of the cell's size from a
// source buffer to a destination buffer for the round's duration, on A's CPU. It moves no bytes
// between processes, so nothing is received or checked: its rows say verified = false and the
// note says why.
#include <sched.h>

#include <chrono>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "harness/mechanism.hpp"
#include "harness/message_format.hpp"
#include "harness/runner.hpp"

namespace ipckit::bench {
namespace {

using Clock = std::chrono::steady_clock;

// Restores the calling thread's CPU affinity when it goes out of scope.
class AffinityGuard {
 public:
  AffinityGuard() { saved_ = ::sched_getaffinity(0, sizeof set_, &set_) == 0; }
  ~AffinityGuard() {
    if (saved_) ::sched_setaffinity(0, sizeof set_, &set_);
  }
  AffinityGuard(const AffinityGuard&) = delete;
  AffinityGuard& operator=(const AffinityGuard&) = delete;

 private:
  cpu_set_t set_{};
  bool saved_ = false;
};

RoundResult run_memcpy(const Cell& cell, const RoundOptions& options) {
  RoundResult result;
  if (cell.test != Test::kThroughput) {
    result.error = "memcpy measures throughput only";
    return result;
  }
  if (cell.size < 8) {
    result.error = fmt::format("message size {} is below 8 bytes", cell.size);
    return result;
  }
  AffinityGuard guard;
  if (options.cpus) {
    if (auto pinned = pin_to_cpu(options.cpus->first); !pinned) {
      result.error = pinned.error().message();
      return result;
    }
  }
  // Two different source messages, alternated, so no copy can be skipped as a repeat.
  const MessageFormat format(cell.size);
  std::vector<std::byte> src(2 * cell.size), dst(cell.size);
  format.fill(std::span(src).first(cell.size), 0, 0);
  format.fill(std::span(src).subspan(cell.size), 0, 1);
  const std::size_t every = std::max<std::size_t>(1, std::min<std::size_t>(256, 16384 / cell.size));
  const auto warmup =
      std::min<std::chrono::nanoseconds>(options.duration / 4, std::chrono::milliseconds(50));
  const Clock::time_point start = Clock::now();
  const Clock::time_point measure_from = start + warmup;
  const Clock::time_point stop_at = measure_from + options.duration;
  std::uint64_t copies = 0, before = 0;
  Clock::time_point since = start, now = start;
  bool measuring = false;
  for (;;) {
    for (std::size_t k = 0; k < every; ++k, ++copies) {
      std::memcpy(dst.data(), src.data() + (copies & 1) * cell.size, cell.size);
      asm volatile("" : : "r"(dst.data()) : "memory");  // the copy must happen
    }
    now = Clock::now();
    if (!measuring && now >= measure_from) {
      measuring = true;
      since = now;
      before = copies;
    }
    if (now >= stop_at) break;
  }
  const double seconds = std::chrono::duration<double>(now - since).count();
  result.messages = copies - before;
  if (seconds <= 0 || result.messages == 0) {
    result.error = "no copy in the measured interval";
    return result;
  }
  result.msgs_per_s = static_cast<double>(result.messages) / seconds;
  result.bytes_per_s = result.msgs_per_s * static_cast<double>(cell.size);
  return result;
}

}  // namespace

Mechanism memcpy_mechanism() {
  Mechanism m;
  m.name = "memcpy";
  m.modes = {"default"};
  m.tests = {Test::kThroughput};
  m.note =
      "the ceiling, not a transport: one memcpy per message in one thread on A's CPU; nothing is "
      "received, so nothing is verified";
  m.cannot = [](const Cell& cell) -> std::optional<std::string> {
    if (cell.test != Test::kThroughput) return "memcpy measures throughput only";
    if (cell.producers != 1) return "memcpy runs in one thread";
    return std::nullopt;
  };
  m.run = run_memcpy;
  return m;
}

}  // namespace ipckit::bench
