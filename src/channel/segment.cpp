#include "channel/segment.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <ctime>
#include <new>
#include <thread>

#include "channel/bus_guard.hpp"
#include "channel/creating_leftovers.hpp"
#include "channel/streams.hpp"
#include "core/syscall.hpp"
#include "core/wall_clock.hpp"
#include "ipckit/core/fd.hpp"
#include "ipckit/posix/name.hpp"
#include "posix/staged_shm.hpp"

namespace ipckit::channel::detail {

namespace {

std::uint32_t flags_of(const ChannelOptions& o) {
  std::uint32_t f = 0;
  if (o.producers == Producers::kMulti) f |= kFlagMultiProducer;
  if (o.consumers == Consumers::kMulti) f |= kFlagMultiConsumer;
  return f;
}

Result<Geometry> geometry_for(const ChannelOptions& o, const std::string& object) {
  auto g = make_geometry(o.capacity, o.max_message, flags_of(o));
  if (!g) return fail(EINVAL, "create channel", object, g.error());
  return *g;
}

}  // namespace

void init_header(Header& h, const Geometry& g) noexcept {
  auto self = self_identity();
  h.version = kLayoutVersion;
  h.header_size = kHeaderSize;
  h.capacity = g.capacity;
  h.flags = g.flags;
  h.max_message = g.max_message;
  h.creator_pid = static_cast<std::uint32_t>(self.pid);
  h.creator_uid = ::geteuid();
  h.creator_start_ticks = self.start_ticks;
  h.created_unix_ns = ipckit::detail::now_unix_ns();
  h.magic.store(kMagic, std::memory_order_release);
}

Result<std::string> Segment::check_name(std::string_view name, std::string_view operation) {
  auto checked = posix::check_name(name, posix::NameKind::kChannel, operation);
  if (!checked) return std::unexpected(std::move(checked.error()));
  return checked->substr(1);
}

Segment::Segment(std::string name, void* base, std::size_t size, bool sysv, Geometry g)
    : name_(std::move(name)),
      base_(base),
      size_(size),
      sysv_(sysv),
      geometry_(g),
      header_(static_cast<Header*>(base)),
      ring_(static_cast<std::byte*>(base) + kHeaderSize) {}

Segment::~Segment() {
  unguard_mapping(guard_);
  if (sysv_) {
    ::shmdt(base_);
  } else {
    ::munmap(base_, size_);
  }
}

std::unexpected<Error> Segment::truncated_failure(std::string operation) const {
  return fail(EPROTO, std::move(operation), name_,
              "segment truncated while in use (its file shrank)");
}

Result<std::shared_ptr<Segment>> Segment::adopt(std::string name, void* base, std::size_t size,
                                                Geometry g) {
  std::shared_ptr<Segment> s(new Segment(std::move(name), base, size, false, g));
  s->guard_ = guard_mapping(base, size, &s->truncated_);
  if (s->guard_ < 0) return fail_errno("guard channel mapping", s->name_);
  return s;
}

Result<std::shared_ptr<Segment>> Segment::create(std::string_view raw_name,
                                                 const ChannelOptions& options) {
  auto name = check_name(raw_name, "create channel");
  if (!name) return std::unexpected(name.error());
  auto g = geometry_for(options, *name);
  if (!g) return std::unexpected(g.error());
  const std::size_t size = kHeaderSize + g->capacity;

  // Build under a private temporary name, then publish with a no-replace rename (StagedShm).
  // Temporaries of earlier creators that died are removed first (creating_leftovers.hpp).
  remove_dead_creating_leftovers(*name);
  auto staged = posix::detail::StagedShm::create(*name, size, options.mode, "create channel");
  if (!staged) return std::unexpected(staged.error());
  // The segment owns the mapping from here on; `staged` still owns the temporary name.
  auto segment = adopt(*name, staged->release_mapping(), size, *g);
  if (!segment) return segment;
  init_header(*new ((*segment)->base_) Header{}, *g);
  if ((*segment)->truncated()) return (*segment)->truncated_failure("create channel");
  if (auto published = staged->publish(); !published)
    return std::unexpected(std::move(published.error()));
  return segment;
}

Result<std::shared_ptr<Segment>> Segment::open(std::string_view raw_name) {
  auto shm = posix::detail::open_published(raw_name, posix::NameKind::kChannel);
  if (!shm) return std::unexpected(std::move(shm.error()));
  const std::string& name = shm->name;
  const std::size_t size = shm->size;
  if (size < kHeaderSize) {
    return fail(EPROTO, "open channel", name,
                size == 0 ? "not an ipckit channel (empty object)"
                          : "not an ipckit channel (smaller than a header)");
  }
  void* base = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, shm->fd.get(), 0);
  if (base == MAP_FAILED) return fail_errno("mmap", name);
  // The file may shrink between fstat and here: read the header under a guard too.
  std::atomic<bool> cut{false};
  const int ticket = guard_mapping(base, size, &cut);
  if (ticket < 0) {
    auto e = Error::from_errno("guard channel mapping", name);
    ::munmap(base, size);
    return std::unexpected(e);
  }
  auto g = parse_header(static_cast<const std::byte*>(base), size);
  (void)static_cast<Header*>(base)->magic.load(std::memory_order_acquire);  // creator's release
  unguard_mapping(ticket);
  const bool truncated = cut.load(std::memory_order_acquire);
  if (!g || truncated) {
    ::munmap(base, size);
    return fail(EPROTO, "open channel", name,
                truncated ? "segment truncated while opening it" : g.error());
  }
  return adopt(name, base, size, *g);
}

Result<std::shared_ptr<Segment>> Segment::create(sysv::Key key, const ChannelOptions& options) {
  const std::string object = key.describe();
  if (key.is_private())
    return fail(EINVAL, "create channel", object, "IPC_PRIVATE cannot be opened by others");
  auto g = geometry_for(options, object);
  if (!g) return std::unexpected(g.error());
  const std::size_t size = kHeaderSize + g->capacity;
  // Created with no permissions, so no unprivileged process opens it half-built; the mode is
  // set once the header is complete. (Root bypasses modes: open() also waits for the magic.)
  int id = ::shmget(key.value(), size, IPC_CREAT | IPC_EXCL | 0600);
  if (id < 0) return fail_errno("shmget", object);
  void* base = ::shmat(id, nullptr, 0);
  // NOLINTNEXTLINE(performance-no-int-to-ptr): shmat(2) fails with (void*)-1
  if (base == reinterpret_cast<void*>(-1)) {
    auto e = Error::from_errno("shmat", object);
    ::shmctl(id, IPC_RMID, nullptr);
    return std::unexpected(e);
  }
  init_header(*new (base) Header{}, *g);
  struct shmid_ds ds {};
  if (::shmctl(id, IPC_STAT, &ds) == 0) {
    ds.shm_perm.mode = static_cast<unsigned short>(options.mode & 0777);
    ::shmctl(id, IPC_SET, &ds);
  }
  return std::shared_ptr<Segment>(new Segment(object, base, size, true, *g));
}

Result<std::shared_ptr<Segment>> Segment::open(sysv::Key key) {
  const std::string object = key.describe();
  int id = ::shmget(key.value(), 0, 0);
  if (id < 0) return fail_errno("shmget", object);
  struct shmid_ds ds {};
  if (::shmctl(id, IPC_STAT, &ds) != 0) return fail_errno("shmctl", object);
  const auto size = static_cast<std::size_t>(ds.shm_segsz);
  void* base = ::shmat(id, nullptr, 0);
  // NOLINTNEXTLINE(performance-no-int-to-ptr): shmat(2) fails with (void*)-1
  if (base == reinterpret_cast<void*>(-1)) return fail_errno("shmat", object);
  // A creator may still be initialising the header: give it a moment before calling the segment
  // foreign.
  auto g = parse_header(static_cast<const std::byte*>(base), size);
  for (int i = 0; i < 50 && !g && size >= kHeaderSize &&
                  static_cast<Header*>(base)->magic.load(std::memory_order_acquire) == 0;
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    g = parse_header(static_cast<const std::byte*>(base), size);
  }
  if (!g) {
    ::shmdt(base);
    return fail(EPROTO, "open channel", object, g.error());
  }
  (void)static_cast<Header*>(base)->magic.load(std::memory_order_acquire);  // creator's release
  return std::shared_ptr<Segment>(new Segment(object, base, size, true, *g));
}

Result<std::size_t> Segment::attach(std::uint32_t role) {
  const std::uint64_t me = self_identity().pack();
  for (int pass = 0; pass < 2; ++pass) {
    for (std::size_t i = 0; i < kMaxParticipants; ++i) {
      Participant& p = header_->participants[i];
      std::uint64_t expected = 0;
      // Reserve the slot, write the role, then publish who: a reader that sees `who` also sees
      // this slot's role.
      if (p.who.load(std::memory_order_relaxed) == 0 &&
          p.who.compare_exchange_strong(expected, kSlotReserved, std::memory_order_acq_rel)) {
        p.role.store(role, std::memory_order_relaxed);
        p.claim_state.store(0, std::memory_order_relaxed);  // a dead owner may have left one
        p.who.store(me, std::memory_order_release);
        return i;
      }
    }
    (void)any_alive(~0u);  // frees the slots of dead processes, then try once more
  }
  return fail(EBUSY, "attach channel", name_,
              fmt::format("{} processes are attached already", kMaxParticipants));
}

void Segment::detach(std::size_t slot) noexcept {
  // seq_cst: a peer about to sleep either sees this or is woken by the detaching handle.
  header_->participants[slot].who.store(0, std::memory_order_seq_cst);
}

bool Segment::any_registered(std::uint32_t role) const noexcept {
  for (const Participant& p : header_->participants) {
    std::uint64_t who = p.who.load(std::memory_order_seq_cst);
    if (who != 0 && who != kSlotReserved && (p.role.load(std::memory_order_relaxed) & role) != 0)
      return true;
  }
  return false;
}

bool Segment::claim_blocks_tail(const Participant& p) const noexcept {
  return p.claim_end.load(std::memory_order_acquire) != 0 &&
         p.claim_start.load(std::memory_order_acquire) >=
             header_->producer.tail.load(std::memory_order_seq_cst);
}

bool Segment::any_alive(std::uint32_t role) const noexcept {
  bool found = false;
  for (Participant& p : header_->participants) {
    std::uint64_t who = p.who.load(std::memory_order_acquire);
    if (who == 0 || who == kSlotReserved) continue;
    const std::uint32_t slot_role = p.role.load(std::memory_order_relaxed);
    if (is_alive(ProcessIdentity::unpack(who))) {
      if ((slot_role & role) != 0) found = true;
    } else if (claim_blocks_tail(p)) {
      // Keep the slot: it names the claim rescue_dead_claim() must skip.
    } else if (p.who.compare_exchange_strong(who, 0, std::memory_order_acq_rel)) {
      if ((slot_role & kRoleProducer) != 0) {
        leave_producers(*header_);
        header_->attaches.producer_deaths.fetch_add(1, std::memory_order_seq_cst);
      }
      if ((slot_role & kRoleConsumer) != 0)
        header_->attaches.consumer_deaths.fetch_add(1, std::memory_order_seq_cst);
    }
  }
  return found;
}

}  // namespace ipckit::channel::detail
