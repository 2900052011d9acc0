#include "shared_state/parse.hpp"

#include <cstring>

namespace ipckit::shared_state::detail {

Parsed<Geometry> make_geometry(std::size_t table_size, std::size_t buffers,
                               std::size_t readers) noexcept {
  if (table_size == 0 || table_size > kMaxTableSize)
    return Parsed<Geometry>::failure("table size must be from 1 byte to 1 TiB");
  if (buffers < kMinBuffers || buffers > kMaxBuffers)
    return Parsed<Geometry>::failure("buffers must be from 2 to 64");
  if (readers == 0 || readers > kMaxReaders)
    return Parsed<Geometry>::failure("max readers must be from 1 to 4096");
  // No overflow: table <= 2^40 and buffers <= 2^6, readers * kSlotSize <= 2^18.
  Geometry g;
  g.table_size = table_size;
  g.buffer_stride = round_up(table_size);
  g.buffers_offset = kHeaderSize + round_up(readers * kSlotSize);
  g.total_size = g.buffers_offset + g.buffer_stride * buffers;
  g.buffer_count = static_cast<std::uint32_t>(buffers);
  g.reader_slots = static_cast<std::uint32_t>(readers);
  return g;
}

Parsed<Geometry> parse_header(const std::byte* bytes, std::size_t object_size) noexcept {
  if (object_size == 0) return Parsed<Geometry>::failure("not an ipckit shared state (empty)");
  if (object_size < kHeaderSize)
    return Parsed<Geometry>::failure("not an ipckit shared state (smaller than a header)");
  // Copy the identity fields out once; the shared copy may change under us.
  struct {
    std::uint64_t magic;
    std::uint32_t layout_version;
    std::uint32_t header_size;
    std::uint64_t table_size;
    std::uint32_t buffer_count;
    std::uint32_t reader_slots;
    std::uint64_t slots_offset;
    std::uint64_t buffers_offset;
    std::uint64_t buffer_stride;
  } id;
  static_assert(sizeof id == offsetof(Header, creator_pid));
  std::memcpy(&id, bytes, sizeof id);
  if (id.magic == 0) return Parsed<Geometry>::failure("not an ipckit shared state (no header)");
  if (id.magic != kMagic)
    return Parsed<Geometry>::failure("not an ipckit shared state (bad magic)");
  if (id.layout_version != kLayoutVersion)
    return Parsed<Geometry>::failure("unsupported shared state layout version");
  if (id.header_size != kHeaderSize)
    return Parsed<Geometry>::failure("corrupted header (header size)");
  auto g = make_geometry(id.table_size, id.buffer_count, id.reader_slots);
  if (!g) return Parsed<Geometry>::failure("corrupted header (sizes)");
  if (id.slots_offset != kHeaderSize || id.buffers_offset != g->buffers_offset ||
      id.buffer_stride != g->buffer_stride)
    return Parsed<Geometry>::failure("corrupted header (offsets)");
  if (object_size < g->total_size)
    return Parsed<Geometry>::failure("object is truncated (smaller than its buffers)");
  if (object_size > g->total_size)
    return Parsed<Geometry>::failure("corrupted header (object is larger than its layout)");
  return g;
}

}  // namespace ipckit::shared_state::detail
