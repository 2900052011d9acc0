// WaitLine: the futex word and its bookkeeping that a process sleeps on, placed in shared memory
// by the channel and the shared state (their layouts embed it; docs/channel-format.md and
// docs/shared-state.md give its bytes). The protocol that uses it is in core/waiting.hpp.
// Internal. Self-contained (no library symbol needed), so the fuzz targets can include it.
#pragma once

#include <atomic>
#include <cstdint>

namespace ipckit::detail {

// A futex word, the count of processes that may sleep on it, and whether one of them still
// needs a FUTEX_WAKE (so a burst of publications makes one wake-up call, not one each). It gets
// a 128-byte block of its own: the L2 spatial prefetcher fetches lines in aligned pairs.
struct alignas(128) WaitLine {
  std::atomic<std::uint32_t> seq;       // bumped before every FUTEX_WAKE
  std::atomic<std::uint32_t> sleepers;  // processes registered to sleep on `seq`
  std::atomic<std::uint32_t> armed;     // 1: a sleeper is about to sleep and must be woken
};
static_assert(sizeof(WaitLine) == 128);
static_assert(alignof(WaitLine) == 128);
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);

}  // namespace ipckit::detail
