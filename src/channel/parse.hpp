// Validation of everything the channel reads from shared memory. Pure functions over bytes, so
// that libFuzzer can drive them directly (fuzz/); nothing here trusts the segment.
#pragma once

#include <cstddef>
#include <cstdint>

#include "channel/layout.hpp"
#include "core/parsed.hpp"

namespace ipckit::channel::detail {

using ipckit::detail::Parsed;

// The channel's shape, copied out of the header once at open and trusted from then on.
struct Geometry {
  std::uint64_t capacity = 0;
  std::uint64_t mask = 0;
  std::uint32_t max_message = 0;
  std::uint32_t flags = 0;
};

// Checks a header of a segment of `segment_size` bytes. REQUIRES: `bytes` points to at least
// min(segment_size, kHeaderSize) readable bytes. Returns the geometry, or why it is not a usable
// channel (a static string).
Parsed<Geometry> parse_header(const std::byte* bytes, std::size_t segment_size) noexcept;

// Checks the creation options; the error is a static string.
Parsed<Geometry> make_geometry(std::size_t capacity, std::size_t max_message,
                               std::uint32_t flags) noexcept;

// One record located at `head`, with everything checked against `g` and `tail`.
struct Record {
  bool padding = false;
  std::uint64_t offset = 0;  // of the payload in the ring
  std::uint32_t length = 0;  // payload bytes (0 for padding)
  std::uint64_t size = 0;    // bytes to advance head by
};

// Parses the record at `head`. REQUIRES: head < tail. `ring` has g.capacity readable bytes.
// Fails (static string) if positions are inconsistent or the record is malformed.
Parsed<Record> parse_record(const std::byte* ring, const Geometry& g, std::uint64_t head,
                            std::uint64_t tail) noexcept;

// Checks that head and tail, as read from shared memory, describe a possible ring state.
[[nodiscard]] inline bool positions_valid(const Geometry& g, std::uint64_t head,
                                          std::uint64_t tail) noexcept {
  return head <= tail && tail - head <= g.capacity && (head % kRecordAlign) == 0 &&
         (tail % kRecordAlign) == 0;
}

}  // namespace ipckit::channel::detail
