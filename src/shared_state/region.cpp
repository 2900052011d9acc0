#include "shared_state/region.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <new>

#include "core/waiting.hpp"
#include "core/wall_clock.hpp"
#include "ipckit/core/fd.hpp"
#include "ipckit/posix/name.hpp"
#include "posix/staged_shm.hpp"

namespace ipckit::shared_state::detail {

namespace {

void init_header(std::byte* base, const Geometry& g, std::uint64_t writer) noexcept {
  auto self = self_identity();
  auto* h = new (base) Header{};
  h->layout_version = kLayoutVersion;
  h->header_size = kHeaderSize;
  h->table_size = g.table_size;
  h->buffer_count = g.buffer_count;
  h->reader_slots = g.reader_slots;
  h->slots_offset = kHeaderSize;
  h->buffers_offset = g.buffers_offset;
  h->buffer_stride = g.buffer_stride;
  h->creator_pid = static_cast<std::uint32_t>(self.pid);
  h->creator_uid = ::geteuid();
  h->creator_start_ticks = self.start_ticks;
  h->created_unix_ns = ipckit::detail::now_unix_ns();
  new (base + kHeaderSize) ReaderSlot[g.reader_slots]{};
  // Version 0 is the all-zero table in buffer 0 (ftruncate zero-fills).
  h->published.word.store(pack_published(0, 0), std::memory_order_relaxed);
  h->writer.owner.store(writer, std::memory_order_relaxed);
  h->magic.store(kMagic, std::memory_order_release);
}

}  // namespace

Result<std::string> Region::check_name(std::string_view name, std::string_view operation) {
  auto checked = posix::check_name(name, posix::NameKind::kSharedState, operation);
  if (!checked) return std::unexpected(std::move(checked.error()));
  return checked->substr(1);
}

Region::Region(std::string name, std::byte* base, Geometry g)
    : name_(std::move(name)),
      base_(base),
      geometry_(g),
      header_(std::launder(reinterpret_cast<Header*>(base))),
      slots_(std::launder(reinterpret_cast<ReaderSlot*>(base + kHeaderSize))) {}

Region::~Region() {
  ::munmap(base_, geometry_.total_size);
}

Result<std::shared_ptr<Region>> Region::create(std::string_view raw_name, std::size_t table_size,
                                               const SharedStateOptions& options) {
  auto name = check_name(raw_name, "create shared state");
  if (!name) return std::unexpected(name.error());
  auto g = make_geometry(table_size, options.buffers, options.max_readers);
  if (!g) return fail(EINVAL, "create shared state", *name, g.error());

  // Build under a private temporary name, then publish with a no-replace rename (StagedShm):
  // nobody can open a half-initialised object, and an existing object is never replaced.
  auto staged =
      posix::detail::StagedShm::create(*name, g->total_size, options.mode, "create shared state");
  if (!staged) return std::unexpected(staged.error());
  init_header(static_cast<std::byte*>(staged->base()), *g, self_identity().pack());
  if (auto published = staged->publish(); !published)
    return std::unexpected(std::move(published.error()));
  return std::shared_ptr<Region>(
      new Region(*name, static_cast<std::byte*>(staged->release_mapping()), *g));
}

Result<std::shared_ptr<Region>> Region::open(std::string_view raw_name) {
  auto shm = posix::detail::open_published(raw_name, posix::NameKind::kSharedState);
  if (!shm) return std::unexpected(std::move(shm.error()));
  const std::string& name = shm->name;
  const std::size_t size = shm->size;
  // Map the header page alone first: the sizes it claims are checked against the object's size
  // before anything beyond it is touched.
  const std::size_t head = size < kHeaderSize ? size : kHeaderSize;
  Parsed<Geometry> g = Parsed<Geometry>::failure("not an ipckit shared state (empty)");
  if (head > 0) {
    void* page = ::mmap(nullptr, head, PROT_READ, MAP_SHARED, shm->fd.get(), 0);
    if (page == MAP_FAILED) return fail_errno("mmap", name);
    g = parse_header(static_cast<const std::byte*>(page), size);
    ::munmap(page, head);
  }
  if (!g) return fail(EPROTO, "open shared state", name, g.error());
  void* base = ::mmap(nullptr, g->total_size, PROT_READ | PROT_WRITE, MAP_SHARED, shm->fd.get(), 0);
  if (base == MAP_FAILED) return fail_errno("mmap", name);
  auto region = std::shared_ptr<Region>(new Region(name, static_cast<std::byte*>(base), *g));
  (void)region->header().magic.load(std::memory_order_acquire);  // the creator's release
  return region;
}

Result<std::uint64_t> Region::published(std::memory_order order) const {
  const std::uint64_t word = header_->published.word.load(order);
  if (index_of(word) >= geometry_.buffer_count)
    return fail(EPROTO, "read shared state", name_,
                fmt::format("corrupted published word (buffer {} of {})", index_of(word),
                            geometry_.buffer_count));
  return word;
}

Result<std::size_t> Region::claim_slot() {
  const std::uint64_t me = self_identity().pack();
  for (int pass = 0; pass < 2; ++pass) {
    for (std::size_t i = 0; i < geometry_.reader_slots; ++i) {
      ReaderSlot& s = slots_[i];
      std::uint64_t expected = 0;
      if (s.who.load(std::memory_order_relaxed) == 0 &&
          s.who.compare_exchange_strong(expected, me, std::memory_order_acq_rel)) {
        // Stale bits of a reclaimed dead reader counted as pins until now: harmless, the
        // writer only avoided those buffers.
        s.pins.store(0, std::memory_order_release);
        return i;
      }
    }
    // Full: free the slots of dead readers (pinning or not), then look once more.
    for (std::size_t i = 0; i < geometry_.reader_slots; ++i) {
      std::uint64_t who = slots_[i].who.load(std::memory_order_acquire);
      if (who != 0 && !is_alive(ProcessIdentity::unpack(who)))
        slots_[i].who.compare_exchange_strong(who, 0, std::memory_order_acq_rel);
    }
  }
  return fail(EBUSY, "open shared state reader", name_,
              fmt::format("all {} reader slots are held by live readers", geometry_.reader_slots));
}

void Region::release_slot(std::size_t i) noexcept {
  // seq_cst: the writer's wait protocol requires it of the store that precedes a wake-up.
  slots_[i].pins.store(0, std::memory_order_seq_cst);
  slots_[i].who.store(0, std::memory_order_seq_cst);
  ipckit::detail::wake_sleepers(header_->space);
}

std::uint64_t Region::pinned_mask() const noexcept {
  std::uint64_t mask = 0;
  for (std::size_t i = 0; i < geometry_.reader_slots; ++i) {
    // Pins before who: a pin set by a live reader is seen together with its `who` (the reader
    // claimed the slot before pinning, and frees it only after unpinning).
    const std::uint64_t pins = slots_[i].pins.load(std::memory_order_seq_cst);
    if (pins != 0 && slots_[i].who.load(std::memory_order_seq_cst) != 0) mask |= pins;
  }
  return mask;
}

bool Region::reclaim_dead(std::uint64_t mask) noexcept {
  bool freed = false;
  for (std::size_t i = 0; i < geometry_.reader_slots; ++i) {
    ReaderSlot& s = slots_[i];
    if ((s.pins.load(std::memory_order_acquire) & mask) == 0) continue;
    std::uint64_t who = s.who.load(std::memory_order_acquire);
    if (who == 0 || is_alive(ProcessIdentity::unpack(who))) continue;
    // Only `who` is reset: clearing `pins` here could race with a new owner's first pin.
    if (s.who.compare_exchange_strong(who, 0, std::memory_order_acq_rel)) freed = true;
  }
  return freed;
}

}  // namespace ipckit::shared_state::detail
