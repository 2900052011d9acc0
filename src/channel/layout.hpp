// The channel's shared-memory layout, byte for byte. docs/channel-format.md is the prose spec of
// this file; change both together and bump kLayoutVersion on any incompatible change.
//
// Segment = one 4096-byte header page + a ring of `capacity` bytes (a power of two).
// Positions (head, tail) are 64-bit byte counts that only grow; offset = position & (capacity-1).
// A record is an 8-byte RecordHeader followed by the payload, padded to a multiple of 8. A record
// never straddles the end of the ring: the producer writes a padding record to the end instead.
// Padding records also cover space that a multi-producer claim did not use (a commit shorter
// than the reservation, an abandoned reservation, a producer that died holding the claim).
//
// Publication: the producer writes a record, then release-stores `tail`; the consumer
// acquire-loads `tail` before reading anything below it, and release-stores `head` once it is
// done with a record, which hands the bytes back to the producer. Nothing in the ring is trusted:
// every length and tag is checked against the geometry learned when the channel was opened.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "core/wait_line.hpp"

namespace ipckit::channel::detail {

inline constexpr std::uint64_t kMagic = 0x3148434b43504949ull;  // "IIPCKCH1" little-endian
inline constexpr std::uint32_t kLayoutVersion = 2;
inline constexpr std::size_t kHeaderSize = 4096;
inline constexpr std::size_t kMinCapacity = 4096;
inline constexpr std::size_t kMaxCapacity = std::size_t{1} << 34;  // 16 GiB
inline constexpr std::size_t kMaxParticipants = 64;

inline constexpr std::uint32_t kFlagMultiProducer = 1u << 0;
inline constexpr std::uint32_t kFlagMultiConsumer = 1u << 1;
inline constexpr std::uint32_t kKnownFlags = kFlagMultiProducer | kFlagMultiConsumer;

inline constexpr std::uint64_t kSlotReserved = ~std::uint64_t{0};
inline constexpr std::uint32_t kRoleProducer = 1;
inline constexpr std::uint32_t kRoleConsumer = 2;
inline constexpr std::uint32_t kClaimAbandoned = 1;
inline constexpr std::uint32_t kClaimOrphaned = 2;

// One registered process. `who` is a packed ProcessIdentity, 0 for a free slot, or kSlotReserved
// while its new owner writes `role` (which is only meaningful while `who` names a process).
// Multi-producer channels: a producer writes the space it is about to claim, [claim_start,
// claim_end), before its claim compare-and-swap, and zeroes claim_end once that space is
// published. A slot with claim_end != 0 whose process died names space nobody will publish;
// whoever finds it at the published tail skips it (see claims.hpp). `claim_state` says whether
// the live producer still owns its claim (0), gave up waiting to publish it (kClaimAbandoned:
// padding, anyone may publish it), or also left the slot (kClaimOrphaned: whoever publishes
// the claim frees the slot).
struct Participant {
  std::atomic<std::uint64_t> who;
  std::atomic<std::uint32_t> role;
  std::atomic<std::uint32_t> claim_state;
  std::atomic<std::uint64_t> claim_start;
  std::atomic<std::uint64_t> claim_end;
};
static_assert(sizeof(Participant) == 32);

// Hot words get a 128-byte block each, not a 64-byte line: the L2 spatial prefetcher fetches
// lines in aligned pairs, so a consumer spinning on `tail` would otherwise keep pulling a word
// in the neighbouring line away from the producers (every lock CAS would wait for it).
struct alignas(128) ProducerLine {
  std::atomic<std::uint64_t> tail;  // first byte not yet published
};
// Multi-producer channels only: first byte not yet claimed by a producer (claim >= tail).
struct alignas(128) ClaimLine {
  std::atomic<std::uint64_t> claim;
};
struct alignas(128) ConsumerLine {
  std::atomic<std::uint64_t> head;  // first byte not yet released by the consumer
};
// Who owns a side. Single producer (consumer): the producer (consumer). Multi-consumer: the
// consumer lock holder. Multi-producer: whoever is skipping the claim of a dead producer.
struct alignas(128) SideOwner {
  std::atomic<std::uint64_t> owner;
};
// The futex line of the wait protocol (core/wait_line.hpp), shared with the shared state.
using ipckit::detail::WaitLine;

// Bumped by every Sender / Receiver attach, so a peer that attached and left between two looks
// is still known to have existed (end of stream needs "there was a producer and it left").
struct alignas(128) AttachCounters {
  std::atomic<std::uint32_t> producers;
  std::atomic<std::uint32_t> consumers;
  // Bumped by whoever frees the slot of a producer (consumer) found dead: tells a receiver whose
  // stream ended that it ended because a producer died, not because it finished.
  std::atomic<std::uint32_t> producer_deaths;
  std::atomic<std::uint32_t> consumer_deaths;
  // Streams (see streams.hpp). Producers attached now (dead ones until their slot is freed), and
  // kBreakPending while the producer that started a stream has not yet written its break record.
  std::atomic<std::uint32_t> live_producers;
  // Bumped when a producer attaches with no other producer attached (a new stream starts).
  std::atomic<std::uint32_t> streams;
  // `producers` (the attach counter) just before the latest stream's first producer attached.
  std::atomic<std::uint32_t> break_attaches;
  // Bumped by every producer that detaches cleanly (follow-mode receivers report it).
  std::atomic<std::uint32_t> producer_ends;
};
static_assert(sizeof(AttachCounters) == 128);

struct Header {
  // Identity: written once by the creator before the segment is published; read-only after.
  std::atomic<std::uint64_t> magic;  // kMagic; written last (release) on creation
  std::uint32_t version;             // kLayoutVersion
  std::uint32_t header_size;         // kHeaderSize
  std::uint64_t capacity;            // ring bytes, a power of two in [kMinCapacity, kMaxCapacity]
  std::uint32_t flags;               // kFlag* bits
  std::uint32_t max_message;         // largest payload, <= capacity / 4
  std::uint32_t creator_pid;
  std::uint32_t creator_uid;
  std::uint64_t creator_start_ticks;
  std::uint64_t created_unix_ns;  // CLOCK_REALTIME at creation
  std::uint64_t reserved0;

  ProducerLine producer;    // offset 128
  ConsumerLine consumer;    // offset 256
  WaitLine data;            // offset 384: consumers wait here for data
  WaitLine space;           // offset 512: producers wait here for space
  WaitLine producer_turn;   // offset 640: producers wait here for earlier claims to publish
  WaitLine consumer_lock;   // offset 768: consumers wait here for the consumer lock
  AttachCounters attaches;  // offset 896
  Participant participants[kMaxParticipants];  // offset 1024
  SideOwner producer_side;                     // offset 3072
  SideOwner consumer_side;                     // offset 3200
  ClaimLine claim;                             // offset 3328
};
static_assert(offsetof(Header, producer) == 128);
static_assert(offsetof(Header, consumer) == 256);
static_assert(offsetof(Header, data) == 384);
static_assert(offsetof(Header, attaches) == 896);
static_assert(offsetof(Header, participants) == 1024);
static_assert(offsetof(Header, producer_side) == 3072);
static_assert(offsetof(Header, consumer_side) == 3200);
static_assert(offsetof(Header, claim) == 3328);
static_assert(sizeof(Header) <= kHeaderSize);
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);

struct RecordHeader {
  std::uint32_t length;  // payload bytes; for padding: kPaddingBit | bytes to skip (8-aligned,
                         // never past the end of the ring)
  std::uint32_t tag;     // record_tag(position): catches a head that points into garbage
};
static_assert(sizeof(RecordHeader) == 8);

inline constexpr std::uint32_t kPaddingBit = 0x80000000u;
inline constexpr std::size_t kRecordAlign = 8;

[[nodiscard]] constexpr std::uint32_t record_tag(std::uint64_t position) noexcept {
  return static_cast<std::uint32_t>(position >> 3) ^ 0x9e3779b9u;
}
[[nodiscard]] constexpr std::uint64_t record_size(std::uint64_t payload) noexcept {
  return (sizeof(RecordHeader) + payload + kRecordAlign - 1) & ~std::uint64_t{kRecordAlign - 1};
}

}  // namespace ipckit::channel::detail
