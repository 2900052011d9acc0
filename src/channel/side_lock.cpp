#include "channel/side_lock.hpp"

#include <sched.h>

#include "channel/segment.hpp"

namespace ipckit::channel::detail {

int try_take_side(std::atomic<std::uint64_t>& owner, std::uint64_t me, pid_t& holder) noexcept {
  std::uint64_t current = 0;
  if (owner.compare_exchange_strong(current, me, std::memory_order_acquire)) return 0;
  auto id = ProcessIdentity::unpack(current);
  if (!is_alive(id) && owner.compare_exchange_strong(current, me, std::memory_order_acquire))
    return 0;
  holder = id.pid;
  return EBUSY;
}

int take_side(std::atomic<std::uint64_t>& owner, WaitLine& line, std::uint64_t me,
              const WaitPolicy& policy, Clock::time_point deadline) noexcept {
  auto try_cas = [&] {
    std::uint64_t expected = 0;
    return owner.load(std::memory_order_seq_cst) == 0 &&
           owner.compare_exchange_strong(expected, me, std::memory_order_seq_cst);
  };
  // The "peer" whose death ends the wait is the holder: when it is dead, take over.
  // Returns true only once the side is ours.
  auto took_from_dead_holder = [&] {
    std::uint64_t current = owner.load(std::memory_order_acquire);
    if (current == 0 || is_alive(ProcessIdentity::unpack(current))) return false;
    return owner.compare_exchange_strong(current, me, std::memory_order_acquire);
  };
  // The lock is held for one message copy, tens of nanoseconds, unless its holder was preempted
  // mid-copy. Spin briefly for the first case; for the second, spinning only burns the CPU the
  // holder needs when both share a core, so give it away a few times before sleeping.
  if (policy.mode != WaitMode::kBlock) {
    for (int i = 0; i < 128; ++i) {
      if (try_cas()) return 0;
      cpu_relax();
    }
    for (int i = 0; i < 16; ++i) {
      if (try_cas()) return 0;
      ::sched_yield();
    }
  }
  int rc = wait_until(line, policy, deadline, try_cas, took_from_dead_holder, [] { return false; });
  return rc == EPIPE ? 0 : rc;
}

void give_side(std::atomic<std::uint64_t>& owner, WaitLine& line, std::uint64_t me) noexcept {
  std::uint64_t expected = me;
  owner.compare_exchange_strong(expected, 0, std::memory_order_seq_cst);
  wake_sleepers(line);
}

}  // namespace ipckit::channel::detail
