// How several producers share one ring without a lock around the copy. Internal.
//
// A producer claims the bytes [start, end) by compare-and-swap on `claim` (header.claim), having
// first written start and end into its participant slot. It writes its record there, waits
// until `tail` reaches `start` (every earlier claim is published), then stores tail = end and
// zeroes its slot's claim_end. Records become visible in claim order, and below `tail` the ring
// looks exactly as a single producer would have left it: the consumer does not know the
// difference. Two locked instructions per message (the claim, the publication), none shared with
// the consumer but the publication it needs anyway.
//
// A producer that dies between its claim and its publication leaves `tail` stuck at its start.
// Whoever waits behind it (a later producer waiting for its turn, a consumer waiting for data)
// calls rescue_dead_claim() at each liveness check: it finds the slot whose claim starts at
// `tail`, and if that process is dead, covers the claim with padding and publishes it. Rescuers
// hold the producer-side owner word, so two never write at once; a rescuer that dies is taken
// over like any dead owner. A live producer that gives up waiting for its turn (its deadline
// passed, or the shared state is corrupt) pads its claim and marks it abandoned: it is skipped
// like a dead one. Every move of the tail other than a producer's own publication is a
// compare-and-swap from the claim's start, so a claim is never published twice. A slot's claim is
// only trusted while claim_end != 0; the slot of a dead producer is not freed while its claim is
// still ahead of `tail` (segment.cpp).
#pragma once

#include <cstdint>

#include "channel/segment.hpp"
#include "channel/waiting.hpp"

namespace ipckit::channel::detail {

// Covers [from, to) with padding records, split at the end of the ring. REQUIRES: from and to
// are 8-aligned, to - from <= capacity.
void write_padding(std::byte* ring, const Geometry& g, std::uint64_t from,
                   std::uint64_t to) noexcept;

// Before claiming: if another producer's claim is still unpublished, gives it a moment (spins,
// then yields the CPU a few times) so that it publishes first. Without this, two producers that
// share a CPU fall into a convoy: each claims behind the other's pending claim and must yield to
// it before publishing, a context switch per message. Returns when nothing is pending or after
// the courtesy; the caller then claims regardless.
void let_pending_claims_publish(Header& h, const WaitPolicy& policy) noexcept;

// Waits until every claim before `start` is published (rescuing dead claimers on the way), then
// publishes [start, end) and clears the claim in `slot`. Waits per `policy`, until `deadline`.
// Returns 0; ETIMEDOUT when the deadline passed first (the earlier claims belong to live
// producers: a long reservation, or a forged entry); EBADMSG at once (or at the next liveness
// check) when the shared words say the earlier claims can never be published: the tail passed
// `start`, nobody holds the claim at the tail, or a dead claimer's entry is out of range. On
// both errors the claim is given up as by abandon_claim().
[[nodiscard]] int publish_in_turn(Segment& segment, std::size_t slot, const WaitPolicy& policy,
                                  std::uint64_t start, std::uint64_t end,
                                  Clock::time_point deadline) noexcept;

// Gives up the claim [start, end) of `slot` without waiting: covers it with padding, publishes it
// now if every earlier claim is published, else marks it abandoned for whoever reaches it
// (rescue_dead_claim) to publish. The slot must not claim again before settle_claim() says so.
void abandon_claim(Segment& segment, std::size_t slot, std::uint64_t start,
                   std::uint64_t end) noexcept;

enum class Settled {
  kYes,        // the claim is published: the slot may claim again
  kPending,    // still behind an earlier, unpublished claim
  kHandedOver  // (leaving) still pending: whoever publishes it frees the slot; do not detach
};
// For a slot whose claim [start, ...) was given up by abandon_claim(): publishes it if its turn
// has come. With `leaving`, hands a still pending claim and the slot over.
[[nodiscard]] Settled settle_claim(Segment& segment, std::size_t slot, std::uint64_t start,
                                   bool leaving) noexcept;

enum class Rescue {
  kNone,     // nothing to skip: nothing beyond the tail, or its claimer lives
  kRescued,  // the tail moved past a dead (or abandoned) claim
  kCorrupt   // the claim words are impossible: the tail can never move on (EBADMSG)
};
// If the claim at the published tail belongs to a dead producer (or was abandoned), skips it.
// Cheap when nothing is claimed beyond the tail.
[[nodiscard]] Rescue rescue_dead_claim(Segment& segment) noexcept;

}  // namespace ipckit::channel::detail
