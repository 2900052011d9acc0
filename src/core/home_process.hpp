// The process that made a handle, and a cheap test of whether the caller still runs in it.
// Internal.
//
// fork() copies every handle into the child, where it still names the parent's registration in
// shared memory (a channel's participant slot and side, a shared state's writer role and reader
// slot). A copy that acted there, or whose destructor unregistered, would act in the parent's
// name. Handles keep a HomeProcess and do nothing to shared state outside it.
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <string>

#include "ipckit/core/error.hpp"

namespace ipckit::detail {

// Bumped in the child after every fork() (pthread_atfork, process_identity.cpp). Never changes
// in the process that made a handle, and only grows in its descendants.
extern std::atomic<std::uint32_t> fork_generation;

class HomeProcess {
 public:
  HomeProcess() noexcept
      : generation_(fork_generation.load(std::memory_order_relaxed)), pid_(::getpid()) {}

  // True in the process that made this object; false in a fork() child. One relaxed load, no
  // system call: fit for every message.
  [[nodiscard]] bool here() const noexcept {
    return generation_ == fork_generation.load(std::memory_order_relaxed);
  }
  // here(), and getpid() is still the maker's: also false in a child made by a raw clone() that
  // ran no pthread_atfork handlers. One system call: for destructors and slow paths.
  [[nodiscard]] bool here_exactly() const noexcept { return here() && ::getpid() == pid_; }
  [[nodiscard]] pid_t pid() const noexcept { return pid_; }

  // The error of an operation tried on a handle outside its home process: EBUSY (the
  // registration belongs to another process), like SharedStateWriter::begin in a fork child.
  [[nodiscard]] std::unexpected<Error> refuse(std::string operation, std::string object) const;

 private:
  std::uint32_t generation_;
  pid_t pid_;
};

}  // namespace ipckit::detail
