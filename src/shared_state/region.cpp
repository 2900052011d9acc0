#include "shared_state/region.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <stdio.h>  // renameat2
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <ctime>
#include <new>
#include <random>

#include "channel/waiting.hpp"
#include "ipckit/core/fd.hpp"
#include "ipckit/posix/name.hpp"

namespace ipckit::shared_state::detail {

namespace {

constexpr const char* kShmDir = "/dev/shm/";

std::uint64_t now_unix_ns() {
  struct timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

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
  h->created_unix_ns = now_unix_ns();
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
  const auto size = static_cast<off_t>(g->total_size);

  // Build under a private temporary name, then publish with a no-replace rename: nobody can
  // open a half-initialised object, and an existing object is never replaced.
  std::mt19937_64 rng(std::random_device{}() ^ static_cast<std::uint64_t>(::getpid()));
  const std::string tmp = fmt::format("{}.creating-{}-{:x}", *name, ::getpid(), rng());
  Fd fd(::shm_open(("/" + tmp).c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd) return fail_errno("shm_open", *name);
  auto drop_tmp = [&] { ::shm_unlink(("/" + tmp).c_str()); };

  if (::fchmod(fd.get(), options.mode & 07777) != 0 || ::ftruncate(fd.get(), size) != 0) {
    auto e = Error::from_errno("create shared state", *name);
    drop_tmp();
    return std::unexpected(e);
  }
  // Allocate every page now: an undersized /dev/shm fails here with ENOSPC, not later with SIGBUS.
  if (int rc = ::posix_fallocate(fd.get(), 0, size); rc != 0) {
    drop_tmp();
    return fail(
        rc, "posix_fallocate", *name,
        rc == ENOSPC ? fmt::format("/dev/shm has no room for {} bytes", g->total_size) : "");
  }
  void* base = ::mmap(nullptr, g->total_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
  if (base == MAP_FAILED) {
    auto e = Error::from_errno("mmap", *name);
    drop_tmp();
    return std::unexpected(e);
  }
  init_header(static_cast<std::byte*>(base), *g, self_identity().pack());

  const std::string from = kShmDir + tmp;
  const std::string to = kShmDir + *name;
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) != 0) {
    auto e = Error::from_errno("create shared state", *name);
    ::munmap(base, g->total_size);
    drop_tmp();
    return std::unexpected(e);
  }
  return std::shared_ptr<Region>(new Region(*name, static_cast<std::byte*>(base), *g));
}

Result<std::shared_ptr<Region>> Region::open(std::string_view raw_name) {
  auto name = check_name(raw_name);
  if (!name) return std::unexpected(name.error());
  Fd fd(::shm_open(("/" + *name).c_str(), O_RDWR | O_CLOEXEC, 0));
  if (!fd) return fail_errno("shm_open", *name);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return fail_errno("fstat", *name);
  const auto size = static_cast<std::size_t>(st.st_size);
  // Map the header page alone first: the sizes it claims are checked against the object's size
  // before anything beyond it is touched.
  const std::size_t head = size < kHeaderSize ? size : kHeaderSize;
  Parsed<Geometry> g = Parsed<Geometry>::failure("not an ipckit shared state (empty)");
  if (head > 0) {
    void* page = ::mmap(nullptr, head, PROT_READ, MAP_SHARED, fd.get(), 0);
    if (page == MAP_FAILED) return fail_errno("mmap", *name);
    g = parse_header(static_cast<const std::byte*>(page), size);
    ::munmap(page, head);
  }
  if (!g) return fail(EPROTO, "open shared state", *name, g.error());
  void* base = ::mmap(nullptr, g->total_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
  if (base == MAP_FAILED) return fail_errno("mmap", *name);
  auto region = std::shared_ptr<Region>(new Region(*name, static_cast<std::byte*>(base), *g));
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
  channel::detail::wake_sleepers(header_->space);
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
