// Shared (inter-process) futex wait and wake on a 32-bit word in a MAP_SHARED mapping.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace ipckit::detail {

// Sleeps while *word == expected, for at most `timeout`. Returns 0 when woken, or the errno:
// EAGAIN (the word already differed), ETIMEDOUT, EINTR. Spurious returns are possible: callers
// re-check their condition.
int futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected,
               std::chrono::nanoseconds timeout) noexcept;

// Wakes up to `count` sleepers on `word`.
void futex_wake(std::atomic<std::uint32_t>& word, int count) noexcept;

// One pause instruction: tells the core we are spinning.
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

}  // namespace ipckit::detail
