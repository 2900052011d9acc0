// How a blocking call waits on shared memory: spin, then sleep on a futex word, with no lost
// wake-ups, bounded by a deadline, and with a periodic check that the peer still lives. Used by
// the channel and the shared state. Internal.
//
// Protocol (see docs/channel-format.md, "Waiting"; the line itself is core/wait_line.hpp):
//   waiter: sleepers += 1; loop { armed = 1; s = seq; if ready(): break; futex_wait(seq, s) };
//           sleepers -= 1
//   waker:  publish; if sleepers != 0 and exchange(armed, 0) == 1: seq += 1; futex_wake(seq, all)
// Every one of these operations is seq_cst. In their single total order, a waker that finds
// `armed` already cleared was preceded by another waker whose wake-up the sleeper has not yet
// consumed (its futex_wait returns at once, as `seq` moved), or the sleeper arms again after the
// publication and then sees it in ready(): no wake-up is lost, and a burst of publications to a
// sleeping peer costs one FUTEX_WAKE instead of one each. All sleepers are woken, so several
// sleepers sharing one `armed` flag cannot strand each other. (seq_cst operations rather than
// fences: ThreadSanitizer does not model fences. On x86 a seq_cst load is a plain load.)
#pragma once

#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>

#include "core/deadline.hpp"
#include "core/futex.hpp"
#include "core/wait_line.hpp"

namespace ipckit::detail {

// How often a blocked caller checks that its peer is alive (a /proc read per peer).
inline constexpr std::chrono::milliseconds kLivenessInterval{100};

// Wakes the sleepers of `line`, if any still need it. Call right after publishing with a
// seq_cst store. Costs one load when nobody sleeps.
inline void wake_sleepers(WaitLine& line) noexcept {
  if (line.sleepers.load(std::memory_order_seq_cst) != 0 &&
      line.armed.exchange(0, std::memory_order_seq_cst) != 0) {
    line.seq.fetch_add(1, std::memory_order_seq_cst);
    futex_wake(line.seq, INT_MAX);
  }
}

// Spins (no syscall, no shared access) for about `interval`.
inline void pause_for(std::chrono::nanoseconds interval) noexcept {
  const auto until = Clock::now() + interval;
  do {
    for (int i = 0; i < 8; ++i)
      cpu_relax();
  } while (Clock::now() < until);
}

// The spin phase of a wait, before the caller sleeps on the futex.
struct SpinPolicy {
  enum class Mode {
    kNone,     // sleep at once
    kBounded,  // spin for `length`, then sleep
    kForever,  // never sleep
  };
  Mode mode = Mode::kBounded;
  std::chrono::nanoseconds length = std::chrono::microseconds(50);
  // Look at the condition only once per `poll_interval` while spinning; 0: continuously.
  std::chrono::nanoseconds poll_interval{0};
};

// Waits until ready() is true. REQUIRES: ready() reads the published state with seq_cst loads.
// Returns 0, ETIMEDOUT, or EPIPE when peer_gone() says so.
// peer_gone() is called at most every kLivenessInterval (it may be expensive); cheap_gone() is
// called before every sleep (it must be cheap). If `polls` is given, it receives how many times
// the spin phase looked before ready() held (0: at once; UINT_MAX: it had to sleep).
template <class Ready, class PeerGone, class CheapGone>
int wait_until(WaitLine& line, const SpinPolicy& policy, Clock::time_point deadline, Ready&& ready,
               PeerGone&& peer_gone, CheapGone&& cheap_gone, unsigned* polls = nullptr) {
  unsigned ignored = 0;
  unsigned& looked = polls != nullptr ? *polls : ignored;
  looked = 0;
  if (ready()) return 0;
  looked = UINT_MAX;
  // Spin phase: no syscall, no shared write.
  if (policy.mode != SpinPolicy::Mode::kNone) {
    const bool forever = policy.mode == SpinPolicy::Mode::kForever;
    auto start = Clock::now();
    auto spin_end = forever ? Clock::time_point::max() : start + policy.length;
    auto next_check = start + kLivenessInterval;
    const bool paced = policy.poll_interval.count() > 0;
    for (unsigned i = 1;; ++i) {
      if (paced)
        pause_for(policy.poll_interval);
      else
        cpu_relax();
      if (ready()) {
        looked = i;
        return 0;
      }
      if (paced || (i & 63) == 0) {
        auto now = Clock::now();
        if (now >= deadline) return ETIMEDOUT;
        if (now >= spin_end) break;
        if (now >= next_check) {
          if (cheap_gone() || peer_gone()) return EPIPE;
          next_check = now + kLivenessInterval;
        }
      }
    }
  }
  // Sleep phase.
  line.sleepers.fetch_add(1, std::memory_order_seq_cst);
  auto next_check = Clock::now() + kLivenessInterval;
  int result = 0;
  for (;;) {
    line.armed.store(1, std::memory_order_seq_cst);
    std::uint32_t seq = line.seq.load(std::memory_order_seq_cst);
    if (ready()) break;
    auto now = Clock::now();
    if (now >= deadline) {
      result = ETIMEDOUT;
      break;
    }
    if (cheap_gone()) {
      result = EPIPE;
      break;
    }
    if (now >= next_check) {
      if (peer_gone()) {
        result = EPIPE;
        break;
      }
      next_check = now + kLivenessInterval;
    }
    auto until = std::min(deadline, next_check);
    futex_wait(line.seq, seq, std::chrono::duration_cast<std::chrono::nanoseconds>(until - now));
  }
  line.sleepers.fetch_sub(1, std::memory_order_relaxed);
  return result;
}

}  // namespace ipckit::detail
