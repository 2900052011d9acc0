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
// over like any dead owner. A slot's claim is only trusted while claim_end != 0; the slot of a
// dead producer is not freed while its claim is still ahead of `tail` (segment.cpp).
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
// publishes [start, end) and clears the claim in `slot`. Waits per `policy` but without a
// deadline: the wait is bounded by the earlier claimers' copies, or by one liveness interval
// when one of them died.
void publish_in_turn(Segment& segment, std::size_t slot, const WaitPolicy& policy,
                     std::uint64_t start, std::uint64_t end) noexcept;

// If the claim at the published tail belongs to a dead producer, skips it. Returns true if the
// tail moved. Cheap when nothing is claimed beyond the tail.
bool rescue_dead_claim(Segment& segment) noexcept;

}  // namespace ipckit::channel::detail
