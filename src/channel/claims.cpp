#include "channel/claims.hpp"

#include <sched.h>

#include <array>
#include <cstring>

#include "channel/side_lock.hpp"

namespace ipckit::channel::detail {

void write_padding(std::byte* ring, const Geometry& g, std::uint64_t from,
                   std::uint64_t to) noexcept {
  while (from < to) {
    const std::uint64_t offset = from & g.mask;
    const std::uint64_t span = std::min(to - from, g.capacity - offset);
    RecordHeader padding{static_cast<std::uint32_t>(span) | kPaddingBit, record_tag(from)};
    std::memcpy(ring + offset, &padding, sizeof padding);
    from += span;
  }
}

void let_pending_claims_publish(Header& h, const WaitPolicy& policy) noexcept {
  auto settled = [&] {
    return h.producer.tail.load(std::memory_order_seq_cst) ==
           h.claim.claim.load(std::memory_order_seq_cst);
  };
  if (policy.mode == WaitMode::kBlock || settled()) return;
  for (int i = 0; i < 16; ++i) {
    cpu_relax();
    if (settled()) return;
  }
  for (int i = 0; i < 8; ++i) {
    ::sched_yield();
    if (settled()) return;
  }
}

void publish_in_turn(Segment& segment, std::size_t slot, const WaitPolicy& policy,
                     std::uint64_t start, std::uint64_t end) noexcept {
  Header& h = segment.header();
  auto my_turn = [&] { return h.producer.tail.load(std::memory_order_seq_cst) == start; };
  if (!my_turn()) {
    // The claimer ahead of us is copying (tens of nanoseconds) or was preempted mid-copy; in the
    // second case spinning only burns the CPU it needs when both share a core.
    bool ready = false;
    if (policy.mode != WaitMode::kBlock) {
      for (int i = 0; i < 32 && !ready; ++i) {
        cpu_relax();
        ready = my_turn();
      }
      for (int i = 0; i < 16 && !ready; ++i) {
        ::sched_yield();
        ready = my_turn();
      }
    }
    if (!ready) {
      auto rescued = [&] {
        (void)rescue_dead_claim(segment);
        return false;  // never give up: our claim must be published
      };
      (void)wait_until(h.producer_turn, policy, Clock::time_point::max(), my_turn, rescued,
                       [] { return false; });
    }
  }
  h.producer.tail.store(end, std::memory_order_seq_cst);  // publish; see waiting.hpp
  h.participants[slot].claim_end.store(0, std::memory_order_release);
  wake_sleepers(h.data);
  wake_sleepers(h.producer_turn);
}

bool rescue_dead_claim(Segment& segment) noexcept {
  Header& h = segment.header();
  const std::uint64_t start = h.producer.tail.load(std::memory_order_seq_cst);
  const std::uint64_t claimed = h.claim.claim.load(std::memory_order_seq_cst);
  if (start == claimed) return false;
  const std::uint64_t me = self_identity().pack();
  pid_t holder = 0;
  if (try_take_side(h.producer_side.owner, me, holder) != 0) return false;

  // The claim at `start` was won by exactly one producer, whose slot names it until it is
  // published. Other slots may name `start` too: losers of that compare-and-swap that died
  // before retrying. Any live one may be the winner: wait. Among dead ones, the winner's end
  // is where the next claim begins (or the claim word itself).
  std::array<bool, kMaxParticipants> dead{};
  bool live = false;
  bool any = false;
  std::uint64_t end = 0;
  auto next_claim_begins_at = [&](std::uint64_t position) {
    if (position == claimed) return true;
    for (const Participant& p : h.participants) {
      if (p.claim_end.load(std::memory_order_acquire) != 0 &&
          p.claim_start.load(std::memory_order_acquire) == position)
        return true;
    }
    return false;
  };
  for (std::size_t i = 0; i < kMaxParticipants && !live; ++i) {
    Participant& p = h.participants[i];
    const std::uint64_t who = p.who.load(std::memory_order_acquire);
    if (who == 0 || who == kSlotReserved) continue;
    if ((p.role.load(std::memory_order_relaxed) & kRoleProducer) == 0) continue;
    const std::uint64_t claim_end = p.claim_end.load(std::memory_order_acquire);
    if (claim_end == 0 || p.claim_start.load(std::memory_order_acquire) != start) continue;
    if (is_alive(ProcessIdentity::unpack(who))) {
      live = true;
    } else {
      dead[i] = any = true;
      if (end == 0 || next_claim_begins_at(claim_end)) end = claim_end;
    }
  }
  // A winner that published since we read `tail` has cleared its slot: re-reading the tail
  // tells us whether the dead slots we found still block it.
  const bool stuck = any && !live && h.producer.tail.load(std::memory_order_seq_cst) == start;
  const auto& g = segment.geometry();
  const bool sane = end > start && end <= claimed && end - start <= g.capacity &&
                    (end - start) % kRecordAlign == 0;
  if (stuck && sane) {
    write_padding(segment.ring(), g, start, end);
    h.producer.tail.store(end, std::memory_order_seq_cst);
    for (std::size_t i = 0; i < kMaxParticipants; ++i)
      if (dead[i]) h.participants[i].claim_end.store(0, std::memory_order_release);
  }
  give_side(h.producer_side.owner, h.producer_turn, me);
  if (!(stuck && sane)) return false;
  wake_sleepers(h.data);
  return true;
}

}  // namespace ipckit::channel::detail
