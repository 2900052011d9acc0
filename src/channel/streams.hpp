// Streams: where one group of producers' messages ends and the next group's begins. Internal.
//
// A stream is what the producers attached at one time send: it starts when a producer attaches
// while no other producer is attached (their count in the header, live_producers, is 0; a dead
// producer counts until whoever notices its death frees its slot, and the next producer's attach
// looks for dead ones first), and ends when the last of them leaves or is found dead. A stream
// that follows an earlier one begins with a break record in the ring: a 24-byte padding record
// (which any reader may skip) whose body names it. Its first producer, or any producer that
// attaches before that one's first send, writes it before its own first message: every message
// of the new stream lies after it, every message of the old one before it. A default-mode
// Receiver stops there (docs/channel.md, "End of stream"); a follow-mode one skips it.
#pragma once

#include <cstdint>
#include <optional>

#include "channel/layout.hpp"

namespace ipckit::channel::detail {

inline constexpr std::uint32_t kBreakPending = 1u << 31;
inline constexpr std::uint32_t kBreakMagic = 0x4b524242u;  // "BBRK"
inline constexpr std::uint64_t kBreakBody = 16;            // payload bytes of a break record

// The body of a break record.
struct StreamBreak {
  std::uint32_t magic;            // kBreakMagic
  std::uint32_t stream;           // header.streams when it was written: the stream it starts
  std::uint32_t attaches_before;  // header.break_attaches then
  std::uint32_t check;            // break_check(position): not a stale copy from an older lap
};
static_assert(sizeof(StreamBreak) == kBreakBody);

[[nodiscard]] constexpr std::uint32_t break_check(std::uint64_t position) noexcept {
  return static_cast<std::uint32_t>(position >> 3) ^ 0x5bd1e995u;
}

// Counts a producer in (after its attach counter increment, which returned `attaches_before`).
// Returns true if a break record is pending: this producer must try to write one before its
// first message (try_take_break()).
bool join_producers(Header& h, std::uint32_t attaches_before) noexcept;
// Counts a producer out (a clean detach, or its slot freed after its death).
void leave_producers(Header& h) noexcept;
// True if the pending break is ours to write (clears kBreakPending); false if another producer
// took it. Call once the space for the record is claimed (multi-producer: claims made after that
// of whoever clears the flag come after its record).
bool try_take_break(Header& h) noexcept;

// The break record at `position`, if the padding record of kBreakBody bytes there is one.
[[nodiscard]] std::optional<StreamBreak> read_break(const std::byte* body,
                                                    std::uint64_t position) noexcept;

}  // namespace ipckit::channel::detail
