// sysv-shm-sem, posix-shm-futex and shm-spin: the shared-memory ring of kernel_shm_ring.hpp in
// three kinds of memory, with three ways to wait.
//
// Every Link maps its memory in the parent before the fork (the children inherit the mapping)
// and removes the name at once: the POSIX object is shm_unlink()ed and the System V segment
// IPC_RMID'd right after they are mapped, so only the System V semaphore set of sysv-shm-sem
// (which cannot be removed while in use) lives until the Link's destructor removes it.
#include <sys/mman.h>

#include <cstring>
#include <memory>
#include <vector>

#include "harness/janitor.hpp"
#include "harness/mechanisms/kernel_common.hpp"
#include "harness/mechanisms/kernel_shm_ring.hpp"
#include "ipckit/posix/shm.hpp"
#include "ipckit/sysv/semaphore_set.hpp"
#include "ipckit/sysv/shared_memory.hpp"

namespace ipckit::bench::kernel {
namespace {

// Two rings (A->B, then B->A) of `shape` in `bytes`; zeroed (and so paged in) by the caller.
struct TwoRings {
  RingView ab, ba;
  static TwoRings at(std::byte* base, const RingShape& shape) {
    return TwoRings{RingView::at(base, shape), RingView::at(base + shape.bytes(), shape)};
  }
};

// Holds the memory (whatever owns it: a Mapping, an attachment, an anonymous mmap) and, for
// sysv-shm-sem, the semaphore set.
template <class Wait, class Memory>
class ShmRingLink final : public Link {
 public:
  ShmRingLink(Memory memory, std::byte* base, RingShape shape,
              std::optional<sysv::SemaphoreSet> sems = std::nullopt)
      : memory_(std::move(memory)), rings_(TwoRings::at(base, shape)), sems_(sems) {}
  ~ShmRingLink() override {
    if (!sems_ || !owner_.is_this_process()) return;
    (void)sems_->remove();
    janitor::forget(janitor::Kind::kSysvSem, std::to_string(sems_->id().value));
  }

  Result<std::unique_ptr<Endpoint>> open(Role role, int /*index*/) override {
    const sysv::SemaphoreSet* sems = sems_ ? &*sems_ : nullptr;
    if (role == Role::kA)
      return std::make_unique<ShmRingEndpoint<Wait>>(rings_.ab, rings_.ba, sems, 0);
    return std::make_unique<ShmRingEndpoint<Wait>>(rings_.ba, rings_.ab, sems, 1);
  }

 private:
  OwnerPid owner_;
  Memory memory_;
  TwoRings rings_;
  std::optional<sysv::SemaphoreSet> sems_;
};

// An anonymous shared mapping (MAP_SHARED | MAP_ANONYMOUS): shared with the children, no name.
class AnonymousMapping {
 public:
  static Result<AnonymousMapping> make(std::size_t bytes) {
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return fail_errno("mmap(MAP_SHARED | MAP_ANONYMOUS)", "");
    return AnonymousMapping(p, bytes);
  }
  AnonymousMapping(AnonymousMapping&& o) noexcept
      : addr_(std::exchange(o.addr_, nullptr)), bytes_(o.bytes_) {}
  AnonymousMapping& operator=(AnonymousMapping&&) = delete;
  ~AnonymousMapping() {
    if (addr_ != nullptr) ::munmap(addr_, bytes_);
  }
  std::byte* data() const { return static_cast<std::byte*>(addr_); }

 private:
  AnonymousMapping(void* addr, std::size_t bytes) : addr_(addr), bytes_(bytes) {}
  void* addr_;
  std::size_t bytes_;
};

std::size_t two_rings_bytes(const RingShape& shape) {
  return 2 * shape.bytes();
}

// Zeroes the rings: a fresh control block and every page faulted in before the round.
void clear(std::byte* base, const RingShape& shape) {
  std::memset(base, 0, two_rings_bytes(shape));
}

Result<std::unique_ptr<Link>> make_shm_spin_link(const Cell& cell) {
  const RingShape shape = RingShape::for_size(cell.size);
  auto memory = AnonymousMapping::make(two_rings_bytes(shape));
  if (!memory) return std::unexpected(memory.error());
  std::byte* base = memory->data();
  clear(base, shape);
  return std::make_unique<ShmRingLink<SpinWait, AnonymousMapping>>(std::move(*memory), base, shape);
}

Result<std::unique_ptr<Link>> make_posix_shm_futex_link(const Cell& cell) {
  const RingShape shape = RingShape::for_size(cell.size);
  const std::string name = "/" + unique_name("futex");
  janitor::remember(janitor::Kind::kPosixShm, name);
  auto object = posix::SharedMemoryObject::create(name, two_rings_bytes(shape));
  if (!object) {
    janitor::forget(janitor::Kind::kPosixShm, name);
    return std::unexpected(object.error());
  }
  auto mapping = object->map(posix::ShmAccess::kReadWrite);
  auto unlinked = posix::SharedMemoryObject::unlink(name);  // whatever map() did
  janitor::forget(janitor::Kind::kPosixShm, name);
  if (!mapping) return std::unexpected(mapping.error());
  if (!unlinked) return std::unexpected(unlinked.error());
  std::byte* base = static_cast<std::byte*>(mapping->data());
  clear(base, shape);
  return std::make_unique<ShmRingLink<FutexWait, posix::Mapping>>(std::move(*mapping), base, shape);
}

Result<std::unique_ptr<Link>> make_sysv_shm_sem_link(const Cell& cell) {
  const RingShape shape = RingShape::for_size(cell.size);
  auto segment = sysv::SharedMemory::create(sysv::Key::private_key(), two_rings_bytes(shape));
  if (!segment) return std::unexpected(segment.error());
  const std::string segment_id = std::to_string(segment->id().value);
  janitor::remember(janitor::Kind::kSysvShm, segment_id);
  auto attachment = segment->attach(sysv::Access::kReadWrite);
  auto removed = segment->remove();  // the attachment keeps it alive until detached
  janitor::forget(janitor::Kind::kSysvShm, segment_id);
  if (!attachment) return std::unexpected(attachment.error());
  if (!removed) return std::unexpected(removed.error());
  // Counters per direction d: [2d] free slots, [2d+1] full slots.
  const auto slots =
      static_cast<unsigned short>(std::min<std::uint32_t>(shape.slots, sysv::kSemValueMax));
  const unsigned short initial[4] = {slots, 0, slots, 0};
  auto sems = sysv::SemaphoreSet::create(sysv::Key::private_key(), 4, initial);
  if (!sems) return std::unexpected(sems.error());
  janitor::remember(janitor::Kind::kSysvSem, std::to_string(sems->id().value));
  std::byte* base = static_cast<std::byte*>(attachment->data());
  clear(base, shape);
  return std::make_unique<ShmRingLink<SemWait, sysv::ShmAttachment>>(std::move(*attachment), base,
                                                                     shape, *sems);
}

}  // namespace

Mechanism shm_spin_mechanism() {
  return link_mechanism(
      "shm-spin",
      "the floor: an SPSC ring per direction in MAP_SHARED anonymous memory, both sides "
      "busy-wait on the other's counter (pause); messages written and read in place",
      make_shm_spin_link);
}

Mechanism posix_shm_futex_mechanism() {
  return link_mechanism(
      "posix-shm-futex",
      "the blocking reference: the shm-spin ring in POSIX shared memory (shm_open, unlinked once "
      "mapped); an empty or full ring waits in FUTEX_WAIT at once (no spinning), FUTEX_WAKE only "
      "when the peer sleeps",
      make_posix_shm_futex_link);
}

Mechanism sysv_shm_sem_mechanism() {
  return link_mechanism(
      "sysv-shm-sem",
      "the shm-spin ring in a System V segment (IPC_RMID once attached), free and full slots "
      "counted by System V semaphores: one semop(2) per wait and per post",
      make_sysv_shm_sem_link);
}

}  // namespace ipckit::bench::kernel
