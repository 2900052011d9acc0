// ipckit::sysv::SharedMemory (a System V shared memory segment) and ShmAttachment (one mapping
// of it into this process).
//
// A SharedMemory is only a handle: the segment's id, a copyable value that owns nothing.
// Destroying it does nothing; removing the segment is always an explicit remove(). Segments live
// in the kernel until they are removed, whatever happens to the processes that made or used
// them: a forgotten segment stays until `ipcrm` or reboot.
//
// A ShmAttachment is RAII: it owns one shmat() mapping and detaches it (shmdt) exactly once,
// when it is destroyed, move-assigned over or detach()ed. A removed segment that is still
// attached survives, unreachable by key, until its last attachment goes away.
//
// Peer death: when a process dies, or calls exec, the kernel detaches all its attachments; the
// segment and its contents stay as they were, including anything half-written. After fork() the
// child holds its own copy of each attachment (nattch counts it), which its ShmAttachment
// objects detach as usual.
//
// Thread safety: SharedMemory's calls are single syscalls on an id and may be made from any
// thread at once. A ShmAttachment is a value: distinct objects may be used from distinct threads,
// one object from several threads needs external synchronisation. The bytes of the segment are
// shared with every attached process with no synchronisation at all: coordinate access with a
// System V semaphore (docs/sysv-semaphores.md) or with atomics.
//
// Blocking: none of these calls blocks, so none fails with EINTR and none is retried.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <span>

#include "ipckit/core/error.hpp"
#include "ipckit/sysv/ids.hpp"
#include "ipckit/sysv/key.hpp"

namespace ipckit::sysv {

// How attach() maps the segment.
enum class Access {
  kReadWrite,  // the caller needs read and write permission on the segment
  kReadOnly,   // SHM_RDONLY: the caller needs read permission; writes fault (SIGSEGV)
};

// A snapshot of a segment's kernel bookkeeping (struct shmid_ds), taken by SharedMemory::stat().
struct ShmStat {
  Key key;               // IPC_PRIVATE once the segment has been removed while still attached
  std::size_t size;      // shm_segsz: the size asked for at creation, in bytes
  mode_t mode;           // permission bits only (0777 mask)
  uid_t uid;             // owner
  gid_t gid;             // owner's group
  uid_t cuid;            // creator
  gid_t cgid;            // creator's group
  pid_t cpid;            // creator's pid
  pid_t lpid;            // pid of the last shmat/shmdt
  std::uint64_t nattch;  // current number of attachments, across all processes
  std::time_t atime;     // last shmat, 0 if never
  std::time_t dtime;     // last shmdt, 0 if never
  std::time_t ctime;     // creation or last IPC_SET
  bool removed = false;  // SHM_DEST: removed, destroyed when nattch drops to 0
};

class SharedMemory;

// One mapping of a segment into this process. Move-only; the moved-from object is empty
// (data() == nullptr, size() == 0).
class ShmAttachment {
 public:
  ~ShmAttachment();
  ShmAttachment(const ShmAttachment&) = delete;
  ShmAttachment& operator=(const ShmAttachment&) = delete;
  ShmAttachment(ShmAttachment&& other) noexcept;
  // Detaches the current mapping (ignoring errors) and takes over `other`'s.
  ShmAttachment& operator=(ShmAttachment&& other) noexcept;

  // The start of the mapping; nullptr when empty. Must remain attached while the caller uses it.
  // Safety: writing through a read-only attachment raises SIGSEGV; the pointer dangles once
  // this object is destroyed, moved from or detached.
  [[nodiscard]] void* data() const noexcept { return addr_; }
  // The segment's size in bytes (shm_segsz at attach time).
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool read_only() const noexcept { return read_only_; }
  [[nodiscard]] bool attached() const noexcept { return addr_ != nullptr; }
  // The segment this attachment maps.
  [[nodiscard]] ShmId id() const noexcept { return id_; }

  // The mapping as bytes. Safety: writing through a read-only attachment raises SIGSEGV; the
  // span dangles once this object is destroyed, moved from or detached.
  [[nodiscard]] std::span<std::byte> bytes() const noexcept {
    return {static_cast<std::byte*>(addr_), size_};
  }

  // shmdt(2). Detaches now and reports failure (the destructor ignores it). Afterwards the
  // object is empty, whatever the outcome.
  // REQUIRES: attached().
  // Returns: nothing on success. Errors: EINVAL when the object is empty (nothing attached).
  [[nodiscard]] Result<void> detach();

 private:
  friend class SharedMemory;
  ShmAttachment(void* addr, std::size_t size, bool read_only, ShmId id) noexcept
      : addr_(addr), size_(size), read_only_(read_only), id_(id) {}
  void reset() noexcept;

  void* addr_ = nullptr;
  std::size_t size_ = 0;
  bool read_only_ = false;
  ShmId id_;
};

class SharedMemory {
 public:
  // shmget(2) with IPC_CREAT (and IPC_EXCL when exclusive == kYes). The segment is zero-filled.
  // REQUIRES: size > 0 and no larger than SHMMAX; mode holds permission bits only (0777).
  // Returns: a handle to the new segment, or with kNo to the existing one of that key.
  // Errors: EEXIST (kYes and the key exists), EINVAL (size 0, above SHMMAX, bits outside 0777,
  // or kNo and an existing segment smaller than size), EACCES (kNo and an existing segment the
  // caller may not use), ENOSPC (SHMMNI/SHMALL reached), ENOMEM.
  [[nodiscard]] static Result<SharedMemory> create(Key key, std::size_t size, mode_t mode = 0600,
                                                   Exclusive exclusive = Exclusive::kYes);

  // shmget(2) with flags 0: looks up the existing segment of `key`. Like shmget, this checks no
  // permission: attach() and stat() do.
  // REQUIRES: !key.is_private() (IPC_PRIVATE names no existing object; use from_id).
  // Returns: a handle to the segment.
  // Errors: ENOENT (no segment has that key), EINVAL (segment smaller than min_size, or an
  // IPC_PRIVATE key).
  [[nodiscard]] static Result<SharedMemory> open(Key key, std::size_t min_size = 0);

  // shmctl(2) IPC_STAT: checks that `id` names a live segment the caller may read.
  // REQUIRES: nothing; any id is checked.
  // Returns: a handle to it. Errors: EINVAL or EIDRM (no such id, or removed), EACCES (no read
  // permission).
  [[nodiscard]] static Result<SharedMemory> from_id(ShmId id);

  [[nodiscard]] ShmId id() const noexcept { return id_; }

  // shmat(2) at an address the kernel picks, then shmctl(2) IPC_STAT for the size.
  // REQUIRES: nothing. Linux (unlike POSIX) lets a removed segment be attached while it still
  // has other attachments.
  // Returns: an attachment the caller owns. Errors: EACCES (no read, or for kReadWrite no
  // write, permission), EINVAL or EIDRM (the segment has been removed and destroyed), ENOMEM.
  [[nodiscard]] Result<ShmAttachment> attach(Access access = Access::kReadWrite) const;

  // shmctl(2) IPC_STAT. REQUIRES: nothing. Returns: a snapshot of the segment's bookkeeping.
  // Errors: EINVAL or EIDRM (removed), EACCES (no read permission).
  [[nodiscard]] Result<ShmStat> stat() const;

  // shmctl(2) IPC_STAT then IPC_SET: replaces the permission bits, keeping owner and group.
  // REQUIRES: mode holds permission bits only (0777). Errors: EPERM (caller is neither owner
  // nor creator, and lacks CAP_SYS_ADMIN), EINVAL (bits outside 0777, or removed), EIDRM,
  // EACCES (the IPC_STAT needs read permission).
  [[nodiscard]] Result<void> set_mode(mode_t mode) const;

  // shmctl(2) IPC_RMID: removes the segment's key at once and destroys the segment when its
  // last attachment goes away. Existing attachments stay valid. REQUIRES: nothing.
  // Returns: nothing on success. Errors: EPERM (neither owner nor creator, no CAP_SYS_ADMIN),
  // EINVAL or EIDRM (already removed).
  [[nodiscard]] Result<void> remove() const;

  // shmctl(id, IPC_RMID) on an id (from ipcs, a listing, a peer), as `ipcrm -m ID` does: no
  // IPC_STAT first, since removing needs ownership, not read permission (from_id(id).remove()
  // would refuse an owner's 0000 segment with EACCES).
  // REQUIRES: nothing; any id is tried. Returns: nothing once the segment is removed.
  // Errors: ENOENT (no shared memory segment has this id, or another remover is destroying it: the
  // kernel's EINVAL or EIDRM; the message says "no shared memory segment has this id"), EPERM
  // (neither owner nor creator, no CAP_SYS_ADMIN). Man: shmctl(2).
  [[nodiscard]] static Result<void> remove(ShmId id);

  // shmget(key, 0, 0) then shmctl(IPC_RMID), as `ipcrm -M KEY` does.
  // REQUIRES: !key.is_private(). Errors: ENOENT (no segment has that key, or it went before
  // IPC_RMID), EINVAL (IPC_PRIVATE), EPERM, as remove(id). Man: shmctl(2).
  [[nodiscard]] static Result<void> remove(Key key);

  friend bool operator==(const SharedMemory&, const SharedMemory&) = default;

 private:
  explicit SharedMemory(ShmId id) noexcept : id_(id) {}
  ShmId id_;
};

}  // namespace ipckit::sysv
