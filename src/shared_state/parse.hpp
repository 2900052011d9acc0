// Validation of the shared state's header. Pure functions over bytes, so that a fuzz target can
// drive them directly; nothing here trusts the object.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/parsed.hpp"
#include "shared_state/layout.hpp"

namespace ipckit::shared_state::detail {

using ipckit::detail::Parsed;

// The object's shape, copied out of the header once at open and trusted from then on.
struct Geometry {
  std::uint64_t table_size = 0;
  std::uint64_t buffer_stride = 0;
  std::uint64_t buffers_offset = 0;
  std::uint64_t total_size = 0;  // bytes of the whole object
  std::uint32_t buffer_count = 0;
  std::uint32_t reader_slots = 0;
};

// Checks creation parameters and derives the layout; the error is a static string.
Parsed<Geometry> make_geometry(std::size_t table_size, std::size_t buffers,
                               std::size_t readers) noexcept;

// Checks the header of an object of `object_size` bytes. REQUIRES: `bytes` points to at least
// min(object_size, kHeaderSize) readable bytes. Returns the geometry, or why the object is not a
// usable shared state (a static string).
Parsed<Geometry> parse_header(const std::byte* bytes, std::size_t object_size) noexcept;

}  // namespace ipckit::shared_state::detail
