// The wall-clock time ipckit records in the objects it creates ("created at"). Internal.
#pragma once

#include <cstdint>
#include <ctime>

namespace ipckit::detail {

// CLOCK_REALTIME in nanoseconds since the Unix epoch. clock_gettime(2).
[[nodiscard]] inline std::uint64_t now_unix_ns() noexcept {
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

}  // namespace ipckit::detail
