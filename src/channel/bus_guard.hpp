// Turns the SIGBUS of a shrunk shared-memory file into an error. Internal.
//
// Touching a page of a MAP_SHARED mapping that lies past the end of its file raises SIGBUS, and
// anyone allowed to write a /dev/shm object can ftruncate it (POSIX shm cannot be sealed against
// shrinking). A guarded mapping is a range registered here. The process-wide SIGBUS handler,
// installed with the first registration, looks the faulting address up in the registry; when it
// lies in a guarded range, it maps zero-filled private pages over the range from the faulting
// page to its end (the faulting access is then retried and reads zeros, or writes to a private
// page nobody else sees) and sets the range's `truncated` flag. The library checks that flag at
// the edges of every call (a relaxed load of process-local memory: no syscall, nothing shared)
// and fails the call with EPROTO. Every other SIGBUS (another address, a kill(2)) goes to the
// handler that was installed before ours, or gets the default action.
//
// The handler is async-signal-safe: a lock-free table scan, a raw mmap system call and an atomic
// store. An application that installs its own SIGBUS handler after the first channel is opened
// must chain to the one it replaces (as sanitizers do), or truncation kills it as before.
#pragma once

#include <atomic>
#include <cstddef>

namespace ipckit::channel::detail {

// Guards [base, base + size). `truncated` must stay valid until unguard_mapping(). Returns a
// ticket for unguard_mapping(), or -1 when the table (kMaxGuardedMappings) is full or the
// handler cannot be installed (errno is set: ENFILE, or sigaction's error).
[[nodiscard]] int guard_mapping(void* base, std::size_t size,
                                std::atomic<bool>* truncated) noexcept;

// Stops guarding. Call before unmapping. A ticket of -1 is ignored.
void unguard_mapping(int ticket) noexcept;

inline constexpr std::size_t kMaxGuardedMappings = 1024;

}  // namespace ipckit::channel::detail
