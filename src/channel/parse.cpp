#include "channel/parse.hpp"

#include <bit>
#include <cstring>

namespace ipckit::channel::detail {

Parsed<Geometry> make_geometry(std::size_t capacity, std::size_t max_message,
                               std::uint32_t flags) noexcept {
  if (capacity < kMinCapacity || capacity > kMaxCapacity || !std::has_single_bit(capacity))
    return Parsed<Geometry>::failure("capacity must be a power of two from 4 KiB to 16 GiB");
  if ((flags & ~kKnownFlags) != 0) return Parsed<Geometry>::failure("unknown mode flags");
  std::uint64_t limit = capacity / 4;
  if (max_message == 0) max_message = limit;
  if (max_message > limit)
    return Parsed<Geometry>::failure("max message is larger than capacity / 4");
  Geometry g;
  g.capacity = capacity;
  g.mask = capacity - 1;
  g.max_message = static_cast<std::uint32_t>(max_message);
  g.flags = flags;
  return g;
}

Parsed<Geometry> parse_header(const std::byte* bytes, std::size_t segment_size) noexcept {
  if (segment_size < kHeaderSize)
    return Parsed<Geometry>::failure("segment is smaller than a header");
  // Copy the identity fields out once; the shared copy may change under us.
  struct {
    std::uint64_t magic;
    std::uint32_t version;
    std::uint32_t header_size;
    std::uint64_t capacity;
    std::uint32_t flags;
    std::uint32_t max_message;
  } id;
  static_assert(offsetof(Header, max_message) + sizeof(std::uint32_t) == 32);
  std::memcpy(&id, bytes, sizeof id);
  if (id.magic == 0) return Parsed<Geometry>::failure("not an ipckit channel (no header)");
  if (id.magic != kMagic) return Parsed<Geometry>::failure("not an ipckit channel (bad magic)");
  if (id.version != kLayoutVersion)
    return Parsed<Geometry>::failure("unsupported channel layout version");
  if (id.header_size != kHeaderSize)
    return Parsed<Geometry>::failure("corrupted header (header size)");
  auto g = make_geometry(id.capacity, id.max_message, id.flags);
  if (!g) return Parsed<Geometry>::failure("corrupted header (geometry)");
  if (id.max_message == 0) return Parsed<Geometry>::failure("corrupted header (max message)");
  if (segment_size < kHeaderSize + id.capacity)
    return Parsed<Geometry>::failure("segment is truncated (smaller than its capacity)");
  return g;
}

Parsed<Record> parse_record(const std::byte* ring, const Geometry& g, std::uint64_t head,
                            std::uint64_t tail) noexcept {
  if (!positions_valid(g, head, tail) || head == tail)
    return Parsed<Record>::failure("inconsistent head and tail");
  const std::uint64_t available = tail - head;
  const std::uint64_t offset = head & g.mask;
  RecordHeader rh;
  std::memcpy(&rh, ring + offset, sizeof rh);  // offset is 8-aligned, capacity a multiple of 8
  if (rh.tag != record_tag(head)) return Parsed<Record>::failure("corrupted record (tag)");
  Record r;
  if ((rh.length & kPaddingBit) != 0) {
    std::uint64_t pad = rh.length & ~kPaddingBit;
    if (pad == 0 || pad % kRecordAlign != 0 || pad > g.capacity - offset || pad > available)
      return Parsed<Record>::failure("corrupted record (padding)");
    r.padding = true;
    r.size = pad;
    return r;
  }
  if (rh.length > g.max_message) return Parsed<Record>::failure("corrupted record (length)");
  r.length = rh.length;
  r.size = record_size(rh.length);
  if (r.size > available || offset + r.size > g.capacity)
    return Parsed<Record>::failure("corrupted record (extent)");
  r.offset = offset + sizeof(RecordHeader);
  return r;
}

}  // namespace ipckit::channel::detail
