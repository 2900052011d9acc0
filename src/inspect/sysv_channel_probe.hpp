// Telling ipckit channels apart from other System V segments, for list_ipc_objects(). Not
// installed.
//
// A channel segment is a 4096-byte header page and a power-of-two ring (docs/channel-format.md).
// Only the stable part of the header is checked: the magic at offset 0, header_size at 12 and
// capacity at 16. The layout version is not: a channel of another layout version is still a
// channel, and Channel::inspect says why it cannot be read.
#pragma once

#include <cstdint>

namespace ipckit::inspect::detail {

// Whether a segment of `size` bytes could hold a channel: at least 4096 + 4096 bytes, and
// size - 4096 a power of two. Pure; used to attach only the segments that could be channels.
[[nodiscard]] bool channel_sized(std::uint64_t size) noexcept;

// shmat(2) `shmid` with SHM_RDONLY, reads the first 24 bytes, shmdt(2). REQUIRES: nothing.
// Returns: true when the segment is channel_sized(size) and starts with the channel magic, a
// header_size of 4096 and a capacity of size - 4096. False for anything else, including a
// segment that cannot be attached (EACCES, removed meanwhile): the caller lists it as plain
// System V shared memory. Never reads past the first page. Attaching sets the segment's lpid.
[[nodiscard]] bool is_channel_segment(int shmid, std::uint64_t size) noexcept;

}  // namespace ipckit::inspect::detail
