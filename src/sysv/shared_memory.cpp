#include "ipckit/sysv/shared_memory.hpp"

#include <fmt/core.h>
#include <sys/shm.h>

#include <cerrno>
#include <cstdint>
#include <utility>
#include "sysv/remove_by_id.hpp"

namespace ipckit::sysv {

namespace {

constexpr mode_t kPermissionBits = 0777;

// shmat(2) reports failure as (void*)-1, not nullptr.
void* const kShmatFailed =
    reinterpret_cast<void*>(std::intptr_t{-1});  // NOLINT(performance-no-int-to-ptr)

Result<shmid_ds> stat_raw(ShmId id) {
  shmid_ds ds{};
  if (::shmctl(id.value, IPC_STAT, &ds) != 0) return fail_errno("shmctl", id.describe());
  return ds;
}

}  // namespace

// ---- ShmAttachment ----

ShmAttachment::~ShmAttachment() {
  reset();
}

ShmAttachment::ShmAttachment(ShmAttachment&& other) noexcept
    : addr_(std::exchange(other.addr_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      read_only_(std::exchange(other.read_only_, false)),
      id_(std::exchange(other.id_, ShmId())) {}

ShmAttachment& ShmAttachment::operator=(ShmAttachment&& other) noexcept {
  if (this != &other) {
    reset();
    addr_ = std::exchange(other.addr_, nullptr);
    size_ = std::exchange(other.size_, 0);
    read_only_ = std::exchange(other.read_only_, false);
    id_ = std::exchange(other.id_, ShmId());
  }
  return *this;
}

void ShmAttachment::reset() noexcept {
  if (addr_ != nullptr) ::shmdt(addr_);  // nothing useful to do with a failure here
  addr_ = nullptr;
  size_ = 0;
  read_only_ = false;
  id_ = ShmId();
}

Result<void> ShmAttachment::detach() {
  if (addr_ == nullptr) return fail(EINVAL, "shmdt", "", "not attached");
  const std::string object = id_.describe();
  const int rc = ::shmdt(std::exchange(addr_, nullptr));
  const int saved = errno;
  reset();
  if (rc != 0) return fail(saved, "shmdt", object);
  return {};
}

// ---- SharedMemory ----

Result<SharedMemory> SharedMemory::create(Key key, std::size_t size, mode_t mode,
                                          Exclusive exclusive) {
  if (size == 0) return fail(EINVAL, "shmget", key.describe(), "size must be greater than 0");
  if ((mode & ~kPermissionBits) != 0) {
    return fail(EINVAL, "shmget", key.describe(),
                fmt::format("mode {:#o} has bits outside 0777", mode));
  }
  int flags = IPC_CREAT | static_cast<int>(mode);
  if (exclusive == Exclusive::kYes) flags |= IPC_EXCL;
  const int id = ::shmget(key.value(), size, flags);
  if (id < 0) return fail_errno("shmget", key.describe());
  return SharedMemory(ShmId(id));
}

Result<SharedMemory> SharedMemory::open(Key key, std::size_t min_size) {
  // shmget(IPC_PRIVATE, ...) would create a new segment instead of finding one.
  if (key.is_private()) {
    return fail(EINVAL, "shmget", key.describe(), "IPC_PRIVATE names no existing segment");
  }
  const int id = ::shmget(key.value(), min_size, 0);
  if (id < 0) return fail_errno("shmget", key.describe());
  return SharedMemory(ShmId(id));
}

Result<SharedMemory> SharedMemory::from_id(ShmId id) {
  auto ds = stat_raw(id);
  if (!ds) return std::unexpected(std::move(ds.error()));
  return SharedMemory(id);
}

Result<ShmAttachment> SharedMemory::attach(Access access) const {
  const bool read_only = access == Access::kReadOnly;
  void* addr = ::shmat(id_.value, nullptr, read_only ? SHM_RDONLY : 0);
  if (addr == kShmatFailed) return fail_errno("shmat", id_.describe());
  // Own the mapping first, so that a failing IPC_STAT still detaches it.
  ShmAttachment attachment(addr, 0, read_only, id_);
  auto ds = stat_raw(id_);
  if (!ds) return std::unexpected(std::move(ds.error()));
  attachment.size_ = ds->shm_segsz;
  return attachment;
}

Result<ShmStat> SharedMemory::stat() const {
  auto ds = stat_raw(id_);
  if (!ds) return std::unexpected(std::move(ds.error()));
  return ShmStat{
      .key = Key(ds->shm_perm.__key),
      .size = ds->shm_segsz,
      .mode = static_cast<mode_t>(ds->shm_perm.mode & kPermissionBits),
      .uid = ds->shm_perm.uid,
      .gid = ds->shm_perm.gid,
      .cuid = ds->shm_perm.cuid,
      .cgid = ds->shm_perm.cgid,
      .cpid = ds->shm_cpid,
      .lpid = ds->shm_lpid,
      .nattch = ds->shm_nattch,
      .atime = ds->shm_atime,
      .dtime = ds->shm_dtime,
      .ctime = ds->shm_ctime,
      .removed = (ds->shm_perm.mode & SHM_DEST) != 0,
  };
}

Result<void> SharedMemory::set_mode(mode_t mode) const {
  if ((mode & ~kPermissionBits) != 0) {
    return fail(EINVAL, "shmctl", id_.describe(),
                fmt::format("mode {:#o} has bits outside 0777", mode));
  }
  auto ds = stat_raw(id_);
  if (!ds) return std::unexpected(std::move(ds.error()));
  ds->shm_perm.mode = static_cast<decltype(ds->shm_perm.mode)>(mode);
  if (::shmctl(id_.value, IPC_SET, &*ds) != 0) return fail_errno("shmctl", id_.describe());
  return {};
}

Result<void> SharedMemory::remove() const {
  if (::shmctl(id_.value, IPC_RMID, nullptr) != 0) return fail_errno("shmctl", id_.describe());
  return {};
}

Result<void> SharedMemory::remove(ShmId id) {
  return detail::removed_by_id(::shmctl(id.value, IPC_RMID, nullptr), "shmctl", id,
                               "shared memory segment");
}

Result<void> SharedMemory::remove(Key key) {
  if (key.is_private()) {
    return fail(EINVAL, "shmget", key.describe(), "IPC_PRIVATE names no existing segment");
  }
  const int id = ::shmget(key.value(), 0, 0);
  if (id < 0) return fail_errno("shmget", key.describe());
  return remove(ShmId(id));
}

}  // namespace ipckit::sysv
