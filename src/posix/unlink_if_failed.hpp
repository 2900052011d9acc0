// UnlinkIfFailed: undoes a half-done create() of a POSIX named object. Internal.
#pragma once

#include <string>

namespace ipckit::posix::detail {

// When it goes out of scope, unlinks the name a create() made, with that family's call
// (shm_unlink, mq_unlink, sem_unlink), unless dismiss() was called first. Armed only when this
// create() made the name: an object that was merely opened is never removed.
// REQUIRES: `name` outlives the guard. Never fails (an unlink error is ignored: the create()
// already reports the error that made it give up).
class UnlinkIfFailed {
 public:
  using Unlink = int (*)(const char*);

  UnlinkIfFailed(const std::string& name, bool armed, Unlink unlink) noexcept
      : name_(name), armed_(armed), unlink_(unlink) {}
  ~UnlinkIfFailed() {
    if (armed_) unlink_(name_.c_str());
  }
  UnlinkIfFailed(const UnlinkIfFailed&) = delete;
  UnlinkIfFailed& operator=(const UnlinkIfFailed&) = delete;

  // The create() succeeded: the name stays.
  void dismiss() noexcept { armed_ = false; }

 private:
  const std::string& name_;
  bool armed_;
  Unlink unlink_;
};

}  // namespace ipckit::posix::detail
