// ipckit::posix::NamedSemaphore (sem_open(3), sem_close(3), sem_unlink(3)) and
// ipckit::posix::UnnamedSemaphore (sem_init(3) with pshared = 1, in memory the caller shares).
//
// What it is: a counter 0..kSemValueMax. post() adds one and wakes one waiter; wait() blocks
// until the counter is above zero and takes one. Unlike System V semaphores there is no undo:
// a process that dies after wait() and before post() leaves the count taken for good, so a
// semaphore used as a lock is lost with its holder (use the channel's or shared state's
// liveness tracking, or System V SEM_UNDO, when peers may crash).
//
// Lifetime: a named semaphore is a small file /dev/shm/sem.<name>. The name lives until
// sem_unlink(3) or reboot, whatever happens to the processes that used it; handles that are
// open stay usable after unlink. An unnamed semaphore lives in memory the caller provides and
// lasts as long as that memory.
//
// Names (posix::check_name, ipckit/posix/name.hpp, NameKind::kSemaphore): as for shared memory
// ("name" or "/name", normalised to "/name", no other '/', not "." or ".."), but at most 251
// bytes after the slash: glibc prefixes "sem." to form a 255-byte file name. Errors name the call
// and the name: "sem_open(/foo): No such file or directory".
//
// Ownership: a NamedSemaphore owns one sem_open() reference and sem_close()s it when destroyed;
// it is move-only. It never unlinks the name: removal is the explicit unlink(). (glibc holds no
// descriptor for an open semaphore: it maps the file and closes it.) An UnnamedSemaphore is
// owned by nobody but the memory it sits in: see its Safety notes.
//
// EINTR: wait() is restarted (an interrupted sem_wait took nothing); wait_until()/wait_for() are
// restarted with the same absolute CLOCK_MONOTONIC deadline, so signals never stretch the wait.
// The other calls do not block.
//
// Thread safety: every operation may be called from any thread and any process at once; the
// counter is updated atomically. Moving or destroying a NamedSemaphore while another thread uses
// it needs external synchronisation.
#pragma once

#include <semaphore.h>
#include <sys/types.h>

#include <chrono>
#include <climits>  // SEM_VALUE_MAX
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "ipckit/core/error.hpp"
#include "ipckit/posix/exclusive.hpp"

namespace ipckit::posix {

// The largest value a POSIX semaphore can hold (SEM_VALUE_MAX, INT_MAX on Linux).
inline constexpr unsigned kSemValueMax = SEM_VALUE_MAX;

class NamedSemaphore {
 public:
  // sem_open(3) with O_CREAT | O_EXCL, mode and initial value; then, if this call created it,
  // chmod(2) of /dev/shm/sem.<name> to `mode`, so that the umask does not change it.
  // With Exclusive::kNo and an existing semaphore, it is opened and `value` is NOT applied:
  // a count peers may be using is never reset. created() tells which case happened.
  // REQUIRES: a valid name; value <= kSemValueMax; mode holds permission bits only (0777).
  // Returns: the semaphore. Note: sem_open has no descriptor, so the chmod goes by path; a
  // peer that unlinks and re-creates the name in the instant between sem_open and chmod would
  // get its semaphore's mode changed. If the chmod fails, the new semaphore is unlinked again.
  // Errors: EEXIST (kYes and the name exists), EACCES (kNo and an existing semaphore the caller
  // may not read and write), EINVAL (bad name, value above kSemValueMax, mode bits outside
  // 0777), ENAMETOOLONG, EMFILE, ENFILE, ENOMEM. Man: sem_open(3), chmod(2).
  [[nodiscard]] static Result<NamedSemaphore> create(std::string_view name, unsigned value = 0,
                                                     mode_t mode = 0600,
                                                     Exclusive exclusive = Exclusive::kYes);

  // sem_open(3) with flags 0: opens an existing semaphore.
  // REQUIRES: a valid name. Returns: the semaphore; created() is false.
  // Errors: ENOENT (no such name), EACCES (the caller may not read and write it), EINVAL,
  // ENAMETOOLONG, EMFILE, ENFILE, ENOMEM. Man: sem_open(3).
  [[nodiscard]] static Result<NamedSemaphore> open(std::string_view name);

  // sem_unlink(3): removes the name now; open handles stay usable, and the semaphore is freed
  // when the last is closed. REQUIRES: a valid name. Never unlink a name your code did not
  // create. Errors: ENOENT, EACCES (neither owner nor privileged), EINVAL, ENAMETOOLONG.
  // Man: sem_unlink(3).
  [[nodiscard]] static Result<void> unlink(std::string_view name);

  NamedSemaphore(NamedSemaphore&& other) noexcept;
  // Closes the current semaphore (ignoring errors) and takes over `other`'s.
  NamedSemaphore& operator=(NamedSemaphore&& other) noexcept;
  NamedSemaphore(const NamedSemaphore&) = delete;
  NamedSemaphore& operator=(const NamedSemaphore&) = delete;
  ~NamedSemaphore();

  // The normalised name ("/name").
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  // True when create() made the semaphore, false when it opened an existing one.
  [[nodiscard]] bool created() const noexcept { return created_; }
  [[nodiscard]] bool is_open() const noexcept { return sem_ != nullptr; }

  // sem_wait(3), restarted on EINTR: blocks until the count is above zero, then takes one.
  // REQUIRES: is_open(). Errors: EINVAL (closed handle). Man: sem_wait(3).
  [[nodiscard]] Result<void> wait() const;

  // sem_trywait(3): takes one if the count is above zero, without blocking.
  // REQUIRES: is_open(). Returns: true if it took one, false if the count was 0 (EAGAIN is
  // not an error). Errors: EINVAL (closed handle). Man: sem_wait(3).
  [[nodiscard]] Result<bool> try_wait() const;

  // sem_clockwait(3) on CLOCK_MONOTONIC (steady_clock), restarted on EINTR with the same
  // deadline. A deadline already past still takes one if the count is above zero.
  // REQUIRES: is_open(). Errors: ETIMEDOUT (the deadline passed with the count at 0), EINVAL.
  // Man: sem_clockwait(3) (glibc >= 2.30).
  [[nodiscard]] Result<void> wait_until(std::chrono::steady_clock::time_point deadline) const;
  // wait_until(now + timeout); a negative timeout counts as zero.
  [[nodiscard]] Result<void> wait_for(std::chrono::nanoseconds timeout) const;

  // sem_post(3): adds one and wakes one waiter.
  // REQUIRES: is_open(). Errors: EOVERFLOW (the count is already kSemValueMax), EINVAL.
  // Man: sem_post(3).
  [[nodiscard]] Result<void> post() const;

  // sem_getvalue(3). REQUIRES: is_open(). Returns: the count (0 while processes wait: Linux
  // never reports waiters as a negative value). Errors: EINVAL. Man: sem_getvalue(3).
  [[nodiscard]] Result<int> value() const;

  // sem_close(3). Closes now and reports failure (the destructor ignores it); afterwards
  // is_open() is false. REQUIRES: is_open(). Errors: EINVAL (already closed). Man: sem_close(3).
  [[nodiscard]] Result<void> close();

 private:
  NamedSemaphore(sem_t* sem, std::string name, bool created) noexcept
      : sem_(sem), name_(std::move(name)), created_(created) {}
  void reset() noexcept;

  sem_t* sem_ = nullptr;
  std::string name_;
  bool created_ = false;
};

// A process-shared semaphore that lives inside memory the caller provides (typically a
// SharedMemoryObject mapping, or MAP_SHARED | MAP_ANONYMOUS memory inherited across fork()).
// The object IS the sem_t: it is made in place by init() and reached by other processes through
// at(). It cannot be copied or moved (a copied sem_t is not a semaphore).
//
// Safety: the memory must be MAP_SHARED (a private mapping silently gives each process its own
// counter, and post() in one never wakes the other), suitably aligned, and must remain mapped
// while any process uses the semaphore. Call init() exactly once, before any process uses it,
// and destroy() only when no process waits on it or will use it again.
class UnnamedSemaphore {
 public:
  // sem_init(3) with pshared = 1: constructs a semaphore with count `value` at the start of
  // `memory`.
  // REQUIRES: memory.size() >= sizeof(UnnamedSemaphore); memory aligned to
  // alignof(UnnamedSemaphore); value <= kSemValueMax; see Safety above.
  // Returns: the semaphore, which lives in `memory`: the caller owns that memory, which must
  // remain mapped while the semaphore is used. Errors: EINVAL (too small, misaligned, or value
  // above kSemValueMax). Man: sem_init(3).
  [[nodiscard]] static Result<UnnamedSemaphore*> init(std::span<std::byte> memory, unsigned value);

  // The semaphore another process (or the same one) already init()ed at `memory`.
  // Safety: unchecked: `memory` must hold a semaphore made by init() and not yet destroyed.
  [[nodiscard]] static UnnamedSemaphore* at(void* memory) noexcept;

  UnnamedSemaphore(const UnnamedSemaphore&) = delete;
  UnnamedSemaphore& operator=(const UnnamedSemaphore&) = delete;
  UnnamedSemaphore(UnnamedSemaphore&&) = delete;
  UnnamedSemaphore& operator=(UnnamedSemaphore&&) = delete;
  ~UnnamedSemaphore() = default;

  // As NamedSemaphore's, with the same errors and EINTR handling.
  [[nodiscard]] Result<void> wait();
  [[nodiscard]] Result<bool> try_wait();
  [[nodiscard]] Result<void> wait_until(std::chrono::steady_clock::time_point deadline);
  [[nodiscard]] Result<void> wait_for(std::chrono::nanoseconds timeout);
  [[nodiscard]] Result<void> post();
  [[nodiscard]] Result<int> value();

  // sem_destroy(3), then ends the object's lifetime; the memory is the caller's again.
  // Safety: no process may be waiting on it, nor use it afterwards (undefined behaviour).
  // Errors: EINVAL (not a semaphore). Man: sem_destroy(3).
  [[nodiscard]] Result<void> destroy();

 private:
  UnnamedSemaphore() = default;
  [[nodiscard]] std::string describe() const;

  sem_t sem_;
};

}  // namespace ipckit::posix
