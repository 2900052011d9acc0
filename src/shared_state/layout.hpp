// The shared state's shared-memory layout, byte for byte. docs/shared-state.md is the prose spec
// of this file; change both together and bump kLayoutVersion on any incompatible change.
//
// Object = a 4096-byte header page, then the reader-slot table (64 bytes per slot, padded to a
// multiple of 4096), then `buffer_count` buffers of `table_size` bytes, each starting on a
// 4096-byte boundary (stride = table_size rounded up to 4096).
//
// Publication: the writer fills a buffer that is neither published nor pinned, then stores
// {version, index} into `published` as one 64-bit word. A reader pins the published buffer in its
// slot's `pins` mask, re-reads `published`, and uses the buffer only if it is still the published
// one. Nothing read from shared memory is trusted: an index is checked against the buffer count
// learned when the object was opened.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "core/wait_line.hpp"

namespace ipckit::shared_state::detail {

inline constexpr std::uint64_t kMagic = 0x3154534b43504949ull;  // "IIPCKST1" little-endian
inline constexpr std::uint32_t kLayoutVersion = 1;
inline constexpr std::size_t kHeaderSize = 4096;
inline constexpr std::size_t kAlign = 4096;  // slot table and buffers start on this boundary
inline constexpr std::size_t kSlotSize = 64;
inline constexpr std::size_t kMinBuffers = 2;
inline constexpr std::size_t kMaxBuffers = 64;  // one bit per buffer in a slot's pin mask
inline constexpr std::size_t kMaxReaders = 4096;
inline constexpr std::size_t kMaxTableSize = std::size_t{1} << 40;  // 1 TiB

// `published` packs the version above an 8-bit buffer index.
inline constexpr unsigned kIndexBits = 8;
inline constexpr std::uint64_t kIndexMask = (std::uint64_t{1} << kIndexBits) - 1;
inline constexpr std::uint64_t kMaxVersion = ~std::uint64_t{0} >> kIndexBits;

[[nodiscard]] constexpr std::uint64_t pack_published(std::uint64_t version,
                                                     std::uint32_t index) noexcept {
  return (version << kIndexBits) | index;
}
[[nodiscard]] constexpr std::uint64_t version_of(std::uint64_t published) noexcept {
  return published >> kIndexBits;
}
[[nodiscard]] constexpr std::uint32_t index_of(std::uint64_t published) noexcept {
  return static_cast<std::uint32_t>(published & kIndexMask);
}

// The same futex line as the channel's: `seq` is bumped before every FUTEX_WAKE, `sleepers`
// counts processes that may sleep on it (see core/waiting.hpp for the protocol).
using ipckit::detail::WaitLine;

struct alignas(128) PublishedLine {
  std::atomic<std::uint64_t> word;  // pack_published(version, index)
};
struct alignas(128) WriterLine {
  std::atomic<std::uint64_t> owner;  // packed ProcessIdentity of the writer, 0 when none
};

struct Header {
  // Identity: written once by the creator before the object is published; read-only after.
  std::atomic<std::uint64_t> magic;  // kMagic; written last (release) on creation
  std::uint32_t layout_version;      // kLayoutVersion
  std::uint32_t header_size;         // kHeaderSize
  std::uint64_t table_size;          // bytes per table, 1..kMaxTableSize
  std::uint32_t buffer_count;        // kMinBuffers..kMaxBuffers
  std::uint32_t reader_slots;        // 1..kMaxReaders
  std::uint64_t slots_offset;        // = kHeaderSize
  std::uint64_t buffers_offset;      // = kHeaderSize + round_up(reader_slots * kSlotSize)
  std::uint64_t buffer_stride;       // = round_up(table_size)
  std::uint32_t creator_pid;
  std::uint32_t creator_uid;
  std::uint64_t creator_start_ticks;
  std::uint64_t created_unix_ns;  // CLOCK_REALTIME at creation
  std::uint64_t reserved0[6];

  PublishedLine published;  // offset 128
  WriterLine writer;        // offset 256
  WaitLine updates;         // offset 384: readers wait here for a newer version
  WaitLine space;           // offset 512: the writer waits here for a buffer to be unpinned
};
static_assert(offsetof(Header, table_size) == 16);
static_assert(offsetof(Header, created_unix_ns) == 72);
static_assert(offsetof(Header, published) == 128);
static_assert(offsetof(Header, writer) == 256);
static_assert(offsetof(Header, updates) == 384);
static_assert(offsetof(Header, space) == 512);
static_assert(sizeof(Header) <= kHeaderSize);
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);

// One reader handle. `who` is a packed ProcessIdentity, or 0 for a free slot. Bit b of `pins` is
// set while the handle pins buffer b; `pins` means nothing while `who` is 0 (a reclaimed dead
// reader's stale bits stay until the next owner clears them).
struct alignas(kSlotSize) ReaderSlot {
  std::atomic<std::uint64_t> who;
  std::atomic<std::uint64_t> pins;
};
static_assert(sizeof(ReaderSlot) == kSlotSize);

[[nodiscard]] constexpr std::uint64_t round_up(std::uint64_t n) noexcept {
  return (n + kAlign - 1) & ~std::uint64_t{kAlign - 1};
}

}  // namespace ipckit::shared_state::detail
