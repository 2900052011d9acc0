// Process identity that survives pid reuse: a pid plus the process start time (field 22 of
// /proc/PID/stat, clock ticks since boot). Two live processes never share both. Internal.
#pragma once

#include <sys/types.h>

#include <cstdint>

namespace ipckit::detail {

struct ProcessIdentity {
  pid_t pid = 0;
  std::uint32_t start_ticks = 0;  // low 32 bits of the start time

  // Packs into one 64-bit word for atomic storage in shared memory; 0 means "nobody".
  [[nodiscard]] std::uint64_t pack() const noexcept {
    return static_cast<std::uint64_t>(static_cast<std::uint32_t>(pid)) |
           (static_cast<std::uint64_t>(start_ticks) << 32);
  }
  [[nodiscard]] static ProcessIdentity unpack(std::uint64_t word) noexcept {
    return {static_cast<pid_t>(word & 0xffffffffu), static_cast<std::uint32_t>(word >> 32)};
  }
};

// The calling process's identity (cached; the cache is reset in the child after fork()).
ProcessIdentity self_identity();

// The calling thread's identity: its tid and the thread's start time. /proc/TID/stat names a
// thread as well as a process, so is_alive() works on it too. Cached per thread (reset by fork).
ProcessIdentity self_thread_identity();

// Reads the start time of `pid`; returns false if the process does not exist (or is a zombie).
bool read_start_ticks(pid_t pid, std::uint32_t& ticks);

// True if the process that `id` names still runs: the pid exists, is not a zombie, and has the
// same start time. Costs one /proc read; call it on slow paths only.
bool is_alive(ProcessIdentity id);

}  // namespace ipckit::detail
