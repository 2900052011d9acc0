#include "ipckit/shared_state/shared_state.hpp"

#include <sys/mman.h>

#include "shared_state/region.hpp"

namespace ipckit::shared_state {

Result<void> SharedState::unlink(std::string_view name) {
  // Only ever remove a shared state: check the header first, so a typo cannot delete someone
  // else's shared-memory object.
  auto region = detail::Region::open(name);
  if (!region) return std::unexpected(region.error());
  const std::string bare = (*region)->name();
  region->reset();
  if (::shm_unlink(("/" + bare).c_str()) != 0) return fail_errno("shm_unlink", bare);
  return {};
}

Result<SharedStateInfo> SharedState::inspect(std::string_view name) {
  auto region = detail::Region::open(name);
  if (!region) return std::unexpected(region.error());
  const detail::Region& r = **region;
  const detail::Header& h = r.header();
  const detail::Geometry& g = r.geometry();
  SharedStateInfo info;
  info.name = r.name();
  info.table_size = g.table_size;
  info.buffers = g.buffer_count;
  info.max_readers = g.reader_slots;
  info.version = detail::version_of(h.published.word.load(std::memory_order_acquire));
  const std::uint64_t owner = h.writer.owner.load(std::memory_order_acquire);
  if (owner != 0) {
    auto id = detail::ProcessIdentity::unpack(owner);
    info.writer_pid = id.pid;
    info.writer_alive = detail::is_alive(id);
  }
  for (std::size_t i = 0; i < g.reader_slots; ++i) {
    const std::uint64_t pins = r.slot(i).pins.load(std::memory_order_acquire);
    if (r.slot(i).who.load(std::memory_order_acquire) == 0) continue;
    ++info.readers;
    info.pinned |= pins;
  }
  info.creator_pid = static_cast<pid_t>(h.creator_pid);
  info.creator_uid = h.creator_uid;
  info.created_unix_ns = static_cast<std::int64_t>(h.created_unix_ns);
  return info;
}

}  // namespace ipckit::shared_state
