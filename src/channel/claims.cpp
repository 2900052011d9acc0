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

namespace {

// Moves the tail from `start` to `end` if nobody did yet (compare-and-swap: a claim given up can
// be published by its owner and by a rescuer at once; only one may move the tail).
bool publish_once(Header& h, std::uint64_t start, std::uint64_t end) noexcept {
  std::uint64_t expected = start;
  if (!h.producer.tail.compare_exchange_strong(expected, end, std::memory_order_seq_cst))
    return false;
  wake_sleepers(h.data);
  wake_sleepers(h.producer_turn);
  return true;
}

// Clears a published claim of `p`; frees the slot if its owner had left it (kClaimOrphaned).
void clear_claim(Participant& p) noexcept {
  p.claim_end.store(0, std::memory_order_seq_cst);
  if (p.claim_state.exchange(0, std::memory_order_seq_cst) == kClaimOrphaned)
    p.who.store(0, std::memory_order_seq_cst);
}

}  // namespace

void abandon_claim(Segment& segment, std::size_t slot, std::uint64_t start,
                   std::uint64_t end) noexcept {
  Header& h = segment.header();
  write_padding(segment.ring(), segment.geometry(), start, end);
  Participant& p = h.participants[slot];
  // Padding first, then the mark: a rescuer that sees the mark publishes finished padding.
  p.claim_state.store(kClaimAbandoned, std::memory_order_seq_cst);
  (void)settle_claim(segment, slot, start, false);
}

Settled settle_claim(Segment& segment, std::size_t slot, std::uint64_t start,
                     bool leaving) noexcept {
  Header& h = segment.header();
  Participant& p = h.participants[slot];
  // Each pass either settles or sees another process move a word; a few passes suffice unless
  // the words are forged, and then the claim is as lost as the rest of the ring.
  for (int pass = 0; pass < 8; ++pass) {
    if (p.claim_end.load(std::memory_order_seq_cst) == 0) {
      p.claim_state.store(0, std::memory_order_seq_cst);
      return Settled::kYes;
    }
    const std::uint64_t tail = h.producer.tail.load(std::memory_order_seq_cst);
    if (tail == start) {
      const std::uint64_t end = p.claim_end.load(std::memory_order_seq_cst);
      if (end != 0 && publish_once(h, start, end)) {
        p.claim_end.store(0, std::memory_order_seq_cst);
        p.claim_state.store(0, std::memory_order_seq_cst);
        return Settled::kYes;
      }
      continue;  // a rescuer moved it (and clears the entry) or cleared it: look again
    }
    if (tail > start || tail % kRecordAlign != 0) {
      // Past our claim: a rescuer published it and is about to clear the entry, or the tail is
      // corrupt. Once we hold the rescuers' lock, no rescue is half done: clear it ourselves.
      const std::uint64_t me = self_identity().pack();
      pid_t holder = 0;
      if (try_take_side(h.producer_side.owner, me, holder) == 0) {
        p.claim_end.store(0, std::memory_order_seq_cst);
        p.claim_state.store(0, std::memory_order_seq_cst);
        give_side(h.producer_side.owner, h.producer_turn, me);
        return Settled::kYes;
      }
    }
    if (!leaving) return Settled::kPending;
    std::uint32_t state = kClaimAbandoned;
    if (p.claim_state.compare_exchange_strong(state, kClaimOrphaned, std::memory_order_seq_cst))
      return Settled::kHandedOver;
    // A rescuer published and cleared it meanwhile: look again.
  }
  return Settled::kPending;
}

int publish_in_turn(Segment& segment, std::size_t slot, const WaitPolicy& policy,
                    std::uint64_t start, std::uint64_t end, Clock::time_point deadline) noexcept {
  Header& h = segment.header();
  // Ready when it is our turn, or when it can never come (the tail passed our start).
  auto turn_or_past = [&] { return h.producer.tail.load(std::memory_order_seq_cst) >= start; };
  bool ready = turn_or_past();
  if (!ready) {
    // The claimer ahead of us is copying (tens of nanoseconds) or was preempted mid-copy; in the
    // second case spinning only burns the CPU it needs when both share a core.
    if (policy.mode != WaitMode::kBlock) {
      for (int i = 0; i < 32 && !ready; ++i) {
        cpu_relax();
        ready = turn_or_past();
      }
      for (int i = 0; i < 16 && !ready; ++i) {
        ::sched_yield();
        ready = turn_or_past();
      }
    }
  }
  int rc = 0;
  if (!ready) {
    bool corrupt = false;
    auto rescued_or_corrupt = [&] {
      corrupt = rescue_dead_claim(segment) == Rescue::kCorrupt;
      return corrupt;  // a rescue moved the tail: turn_or_past() sees it
    };
    rc = wait_until(h.producer_turn, policy, deadline, turn_or_past, rescued_or_corrupt,
                    [] { return false; });
    if (rc == EPIPE) rc = EBADMSG;
  }
  if (rc == 0 && h.producer.tail.load(std::memory_order_seq_cst) != start) rc = EBADMSG;
  if (rc != 0) {
    abandon_claim(segment, slot, start, end);
    return rc;
  }
  h.producer.tail.store(end, std::memory_order_seq_cst);  // publish; see waiting.hpp
  h.participants[slot].claim_end.store(0, std::memory_order_release);
  wake_sleepers(h.data);
  wake_sleepers(h.producer_turn);
  return 0;
}

Rescue rescue_dead_claim(Segment& segment) noexcept {
  Header& h = segment.header();
  const auto& g = segment.geometry();
  // The tail first, then the claim: a claim is never behind a tail read before it.
  const std::uint64_t start = h.producer.tail.load(std::memory_order_seq_cst);
  const std::uint64_t claimed = h.claim.claim.load(std::memory_order_seq_cst);
  if (start == claimed) return Rescue::kNone;
  if (claimed < start || (start | claimed) % kRecordAlign != 0) return Rescue::kCorrupt;
  const std::uint64_t me = self_identity().pack();
  pid_t holder = 0;
  if (try_take_side(h.producer_side.owner, me, holder) != 0) return Rescue::kNone;

  // The claim at `start` was won by exactly one producer, whose slot names it until it is
  // published. Other slots may name `start` too: losers of that compare-and-swap that died
  // before retrying. Any live one may be the winner: wait. Among dead ones (or ones whose live
  // owner gave the claim up), the winner's end is where the next claim begins (or the claim
  // word itself).
  std::array<bool, kMaxParticipants> dead{};
  bool live = false;
  bool any = false;
  std::uint64_t end = 0;
  bool padded = false;  // the claim ending at `end` was given up, and so padded, by its owner
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
    if (p.claim_state.load(std::memory_order_seq_cst) == 0 &&
        is_alive(ProcessIdentity::unpack(who))) {
      live = true;
    } else {
      dead[i] = any = true;
      if (end == 0 || next_claim_begins_at(claim_end)) {
        end = claim_end;
        padded = p.claim_state.load(std::memory_order_seq_cst) != 0;
      }
    }
  }
  // A winner that published since we read `tail` has cleared its slot: re-reading the tail
  // tells us whether what we found (or did not find) still blocks it. The winner wrote its slot
  // before its claim, and we read the claim word past `start`: if the tail still stands at
  // `start`, its slot was there to be found.
  const bool still = h.producer.tail.load(std::memory_order_seq_cst) == start;
  const bool stuck = any && !live && still;
  const bool sane = end > start && end <= claimed && end - start <= g.capacity &&
                    (end - start) % kRecordAlign == 0;
  Rescue result = Rescue::kNone;
  if (stuck && sane) {
    // (A claim given up was padded by its owner, who may publish it meanwhile: no writing then.)
    if (!padded) write_padding(segment.ring(), g, start, end);
    if (publish_once(h, start, end)) {
      for (std::size_t i = 0; i < kMaxParticipants; ++i)
        if (dead[i]) clear_claim(h.participants[i]);
      result = Rescue::kRescued;
    }
  } else if (still && !live && (stuck || !any)) {
    result = Rescue::kCorrupt;  // an insane dead claim, or nobody holds the claim at the tail
  }
  give_side(h.producer_side.owner, h.producer_turn, me);
  return result;
}

}  // namespace ipckit::channel::detail
