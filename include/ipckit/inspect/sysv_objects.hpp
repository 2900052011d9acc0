// ipckit::inspect: the System V IPC objects that exist right now, and the kernel's limits on them.
//
// This is the data model behind `ipckit ipcs`, `ipckit lsipc` and `ipcrm -a`: one list per
// kind (shared memory segments, semaphore sets, message queues) with every field those tools
// print, plus the system-wide limits (IPC_INFO, /proc/sys/kernel) and usage counters (SHM_INFO,
// SEM_INFO, MSG_INFO). Everything here is a snapshot: plain values, copied out of the kernel at
// the moment of the call and never refreshed. Objects can appear, change and vanish between two
// calls (and between two lines of /proc), so a later lookup by id may fail.
//
// Where the lists come from: /proc/sysvipc/{shm,sem,msg}, which shows every object of the
// caller's IPC namespace whatever its permissions (Source::kAuto, Source::kProc). When /proc is
// not mounted, kAuto falls back to the *_STAT calls (Source::kSyscalls), which list only the
// objects the caller may read, exactly as `ipcrm -a` sees them. Listing changes nothing.
//
// Thread safety: every function is a pure function of its arguments or a few read-only
// syscalls; call them from any thread. None blocks, so none fails with EINTR.
//
// Lifetime: System V objects live in the kernel until they are removed, whatever happens to the
// processes that made them; reading them here keeps nothing alive.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "ipckit/core/error.hpp"
#include "ipckit/sysv/ids.hpp"
#include "ipckit/sysv/key.hpp"

namespace ipckit::inspect {

// The mode word's state flags above the permission bits, as the kernel reports them.
inline constexpr mode_t kModePermissionBits = 0777;
inline constexpr mode_t kShmDestFlag = 01000;    // SHM_DEST: removed, dies at the last detach
inline constexpr mode_t kShmLockedFlag = 02000;  // SHM_LOCKED: pinned in RAM by SHM_LOCK

// The ipc_perm fields every object has (besides its key and id).
struct IpcPerm {
  mode_t mode = 0;  // permission bits plus, for segments, kShmDestFlag and kShmLockedFlag
  uid_t uid = 0;    // owner
  gid_t gid = 0;    // owner's group
  uid_t cuid = 0;   // creator
  gid_t cgid = 0;   // creator's group
  friend bool operator==(const IpcPerm&, const IpcPerm&) = default;
};

// One shared memory segment (a line of /proc/sysvipc/shm, or SHM_STAT).
struct ShmObject {
  sysv::Key key{IPC_PRIVATE};  // IPC_PRIVATE also once a still-attached segment is removed
  sysv::ShmId id;
  IpcPerm perm;
  std::uint64_t size = 0;             // shm_segsz, bytes
  pid_t cpid = 0;                     // creator
  pid_t lpid = 0;                     // last shmat/shmdt, 0 if none
  std::uint64_t nattch = 0;           // attachments across all processes
  std::int64_t atime = 0;             // last shmat, seconds since the epoch; 0 = never
  std::int64_t dtime = 0;             // last shmdt; 0 = never
  std::int64_t ctime = 0;             // creation or last IPC_SET
  std::optional<std::uint64_t> rss;   // resident bytes (/proc only, Linux >= 2.6.32)
  std::optional<std::uint64_t> swap;  // swapped-out bytes (/proc only)
  [[nodiscard]] bool removed() const noexcept { return (perm.mode & kShmDestFlag) != 0; }
  [[nodiscard]] bool locked() const noexcept { return (perm.mode & kShmLockedFlag) != 0; }
  friend bool operator==(const ShmObject&, const ShmObject&) = default;
};

// One semaphore set (a line of /proc/sysvipc/sem, or SEM_STAT).
struct SemObject {
  sysv::Key key{IPC_PRIVATE};
  sysv::SemId id;
  IpcPerm perm;
  std::uint64_t nsems = 0;  // semaphores in the set
  std::int64_t otime = 0;   // last semop; 0 = never
  std::int64_t ctime = 0;   // creation or last IPC_SET/SETVAL/SETALL
  friend bool operator==(const SemObject&, const SemObject&) = default;
};

// One semaphore of a set (semctl GETVAL, GETNCNT, GETZCNT, GETPID).
struct SemCounter {
  int value = 0;
  int ncount = 0;  // processes blocked waiting for the value to grow
  int zcount = 0;  // processes blocked waiting for the value to be zero
  pid_t pid = 0;   // last process to semop this semaphore, 0 if none
  friend bool operator==(const SemCounter&, const SemCounter&) = default;
};

// One message queue (a line of /proc/sysvipc/msg, or MSG_STAT).
struct MsgObject {
  sysv::Key key{IPC_PRIVATE};
  sysv::MsqId id;
  IpcPerm perm;
  std::uint64_t cbytes = 0;  // bytes of all messages now queued
  std::uint64_t qnum = 0;    // messages now queued
  pid_t lspid = 0;           // last msgsnd, 0 if none
  pid_t lrpid = 0;           // last msgrcv, 0 if none
  std::int64_t stime = 0;    // last msgsnd; 0 = never
  std::int64_t rtime = 0;    // last msgrcv; 0 = never
  std::int64_t ctime = 0;    // creation or last IPC_SET
  // msg_qbytes, the queue's byte limit: /proc does not show it, so lists from /proc leave it
  // empty; read it with read_msg_qbytes() (needs read permission).
  std::optional<std::uint64_t> qbytes;
  friend bool operator==(const MsgObject&, const MsgObject&) = default;
};

// Where a list comes from (see the contract above).
enum class Source {
  kAuto,      // /proc/sysvipc, or the *_STAT syscalls when /proc/sysvipc cannot be opened
  kProc,      // /proc/sysvipc only: every object of the IPC namespace
  kSyscalls,  // SHM_INFO + SHM_STAT (and SEM_, MSG_): only objects the caller may read
};

// Parses the text of /proc/sysvipc/shm (header line included), in kernel (id slot) order.
// Lines that do not parse (too few fields, stray characters) are skipped, as util-linux does.
// Returns: the segments; rss and swap are set when the line has those columns.
[[nodiscard]] std::vector<ShmObject> parse_proc_shm(std::string_view text);
// Parses /proc/sysvipc/sem likewise.
[[nodiscard]] std::vector<SemObject> parse_proc_sem(std::string_view text);
// Parses /proc/sysvipc/msg likewise (qbytes stays empty: /proc does not show it).
[[nodiscard]] std::vector<MsgObject> parse_proc_msg(std::string_view text);

// read(2) of /proc/sysvipc/shm, or shmctl(2) SHM_INFO then SHM_STAT on each slot.
// REQUIRES: nothing.
// Returns: the segments, in id slot order. Errors: from open/read of /proc (kProc only), or
// the errno of SHM_INFO (ENOSYS when the kernel has no System V IPC). man proc(5), shmctl(2).
[[nodiscard]] Result<std::vector<ShmObject>> list_shm(Source source = Source::kAuto);
// Semaphore sets, as list_shm (semctl(2) SEM_INFO, SEM_STAT).
[[nodiscard]] Result<std::vector<SemObject>> list_sem(Source source = Source::kAuto);
// Message queues, as list_shm (msgctl(2) MSG_INFO, MSG_STAT; the syscall path fills qbytes).
[[nodiscard]] Result<std::vector<MsgObject>> list_msg(Source source = Source::kAuto);

// semctl(2) GETVAL, GETNCNT, GETZCNT and GETPID for semaphores 0 .. nsems-1 of a set.
// REQUIRES: nsems is the set's size (SemObject::nsems).
// Returns: one SemCounter per semaphore. Errors: the first failing call, with operation()
// "semctl(GETVAL)" (or GETNCNT, GETZCNT, GETPID): EACCES (no read permission), EINVAL or
// EIDRM (the set is gone or smaller than nsems).
[[nodiscard]] Result<std::vector<SemCounter>> read_sem_counters(sysv::SemId id,
                                                                std::uint64_t nsems);

// msgctl(2) IPC_STAT for msg_qbytes. REQUIRES: nothing.
// Returns: the queue's byte limit. Errors: EACCES (no read permission), EINVAL or EIDRM (gone).
[[nodiscard]] Result<std::uint64_t> read_msg_qbytes(sysv::MsqId id);

// ---- System-wide limits (what the kernel allows) ----

struct ShmLimits {
  std::uint64_t shmmni = 0;  // most segments system-wide
  std::uint64_t shmmax = 0;  // largest segment, bytes
  std::uint64_t shmall = 0;  // most shared memory in total, pages (of sysconf(_SC_PAGESIZE))
  std::uint64_t shmmin = 1;  // smallest segment, bytes (fixed at 1 on Linux)
};

struct SemLimits {
  int semmni = 0;           // most sets system-wide
  int semmsl = 0;           // most semaphores per set
  int semmns = 0;           // most semaphores system-wide
  int semopm = 0;           // most operations per semop call
  unsigned semvmx = 32767;  // largest semaphore value (fixed at SEMVMX on Linux)
};

struct MsgLimits {
  int msgmni = 0;            // most queues system-wide
  std::uint64_t msgmax = 0;  // largest message, bytes
  int msgmnb = 0;            // default byte limit of a new queue (msg_qbytes)
};

// read(2) of /proc/sys/kernel/{shmmni,shmmax,shmall}, or shmctl(2) IPC_INFO when any of them
// cannot be read. REQUIRES: nothing. Returns: the limits. Errors: the errno of IPC_INFO.
[[nodiscard]] Result<ShmLimits> read_shm_limits();
// /proc/sys/kernel/sem ("SEMMSL SEMMNS SEMOPM SEMMNI"), or semctl(2) IPC_INFO.
[[nodiscard]] Result<SemLimits> read_sem_limits();
// /proc/sys/kernel/{msgmni,msgmnb,msgmax}, or msgctl(2) IPC_INFO.
[[nodiscard]] Result<MsgLimits> read_msg_limits();

// ---- System-wide usage (what the objects of this IPC namespace use now) ----

struct ShmUsage {                    // shmctl(2) SHM_INFO (struct shm_info)
  int segments = 0;                  // used_ids
  std::uint64_t pages = 0;           // shm_tot: pages of all segments
  std::uint64_t resident = 0;        // shm_rss: resident pages
  std::uint64_t swapped = 0;         // shm_swp: swapped-out pages
  std::uint64_t swap_attempts = 0;   // always 0 since Linux 2.4
  std::uint64_t swap_successes = 0;  // always 0 since Linux 2.4
};

struct SemUsage {      // semctl(2) SEM_INFO (struct seminfo)
  int sets = 0;        // semusz: sets in use
  int semaphores = 0;  // semaem: semaphores in all sets
};

struct MsgUsage {    // msgctl(2) MSG_INFO (struct msginfo)
  int queues = 0;    // msgpool: queues in use
  int messages = 0;  // msgmap: messages queued in all queues
  int bytes = 0;     // msgtql: bytes queued in all queues
};

// shmctl(2) SHM_INFO. REQUIRES: nothing. Errors: ENOSYS (no System V IPC in this kernel).
[[nodiscard]] Result<ShmUsage> read_shm_usage();
// semctl(2) SEM_INFO. REQUIRES: nothing. Errors: ENOSYS.
[[nodiscard]] Result<SemUsage> read_sem_usage();
// msgctl(2) MSG_INFO. REQUIRES: nothing. Errors: ENOSYS.
[[nodiscard]] Result<MsgUsage> read_msg_usage();

}  // namespace ipckit::inspect
