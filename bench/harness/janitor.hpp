// What a killed `ipckit bench` leaves behind, removed by a process that outlives it.
//
// A Link removes its objects in its destructor, and the round processes die with the bench
// (PR_SET_PDEATHSIG); but a SIGKILLed bench runs no destructor, and the objects that have a name
// or an id until the round ends (a channel's /dev/shm entry, a private System V queue or
// semaphore set) would stay. So the first remember() starts a janitor: a small process (a
// grandchild, reparented at once, so the bench never waits for it) that ignores the terminal's
// signals, reads "remember"/"forget" lines from a socket only the bench writes, and, when that
// socket reaches end of file (the bench and its round processes are all gone, however they
// ended), removes what is still remembered. A clean run forgets everything
// first, so its janitor removes nothing and exits with it. One window stays: a System V object is
// told right after msgget/semget/shmget returns its id, so a SIGKILL between the two (a few
// microseconds per round) leaves that one object.
//
// It removes only what this bench made: names carry the bench's pid (unique_name), and a System V
// id is removed only while it is still a private-key object of the bench's uid (an id is not
// reused until its sequence number wraps, so a set the bench removed but did not yet forget is
// never confused with a new one).
//
// The janitor process calls only system calls on preallocated memory after fork() (the bench may
// be multi-threaded). Thread safety: remember() and forget() may be called from any thread.
#pragma once

#include <string_view>

namespace ipckit::bench::janitor {

enum class Kind {
  kPosixShm,  // a /dev/shm name ("/ipckit-bench-..."): channels, shared state; shm_unlink(3)
  kPosixMq,   // a message-queue name ("/ipckit-bench-..."); mq_unlink(3)
  kSysvMsg,   // a System V message-queue id; msgctl(IPC_RMID)
  kSysvShm,   // a System V segment id; shmctl(IPC_RMID)
  kSysvSem,   // a System V semaphore-set id; semctl(IPC_RMID)
};

// Before creating a named object (so no moment exists when it is made and not remembered), or
// right after creating one with an id. Without a janitor (fork failed), does nothing.
void remember(Kind kind, std::string_view what) noexcept;
// Right after removing it.
void forget(Kind kind, std::string_view what) noexcept;

// The janitor's pid, or -1 before the first remember(). For tests.
int janitor_pid() noexcept;

}  // namespace ipckit::bench::janitor
