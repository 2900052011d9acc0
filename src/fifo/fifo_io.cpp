// Fifo: reading, and writing without dying of SIGPIPE.
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

#include "core/syscall.hpp"
#include "ipckit/fifo.hpp"

namespace ipckit {

namespace {

// Blocks SIGPIPE in the calling thread while it lives, then restores the thread's mask.
// A write(2) that fails with EPIPE also raises SIGPIPE at the writing thread; with SIGPIPE
// blocked it stays pending, and consume() takes it (sigtimedwait with a zero timeout) before
// the mask is restored, so it is never delivered. If a SIGPIPE was already pending before the
// write, the two merged into one (standard signals do not queue): that one is left pending for
// whoever raised it, exactly as if this write had not happened.
class SigpipeBlocked {
 public:
  SigpipeBlocked() {
    ::sigemptyset(&pipe_);
    ::sigaddset(&pipe_, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
    sigset_t pending{};
    was_pending_ = ::sigpending(&pending) == 0 && ::sigismember(&pending, SIGPIPE) == 1;
  }
  ~SigpipeBlocked() { ::pthread_sigmask(SIG_SETMASK, &old_, nullptr); }
  SigpipeBlocked(const SigpipeBlocked&) = delete;
  SigpipeBlocked& operator=(const SigpipeBlocked&) = delete;

  // Takes the SIGPIPE that a write which failed with EPIPE raised. Keeps errno.
  void consume() const {
    if (was_pending_) return;
    const int saved = errno;
    const timespec zero{0, 0};
    while (::sigtimedwait(&pipe_, nullptr, &zero) < 0 && errno == EINTR) {
    }
    errno = saved;
  }

 private:
  sigset_t pipe_{};
  sigset_t old_{};
  bool was_pending_ = false;
};

}  // namespace

Result<std::size_t> Fifo::read(std::span<std::byte> buffer) const {
  // read(2) returns EINTR only when it read nothing, so a restart repeats nothing.
  const ssize_t n =
      detail::retry_eintr([&] { return ::read(fd_.get(), buffer.data(), buffer.size()); });
  if (n < 0) return fail_errno("read", path_);
  return static_cast<std::size_t>(n);
}

Result<std::size_t> Fifo::write(std::span<const std::byte> data) const {
  const SigpipeBlocked blocked;
  // write(2) returns EINTR only when it wrote nothing, so a restart repeats nothing.
  const ssize_t n =
      detail::retry_eintr([&] { return ::write(fd_.get(), data.data(), data.size()); });
  if (n < 0) {
    if (errno == EPIPE) {
      blocked.consume();
      return fail(EPIPE, "write", path_, "no process has the FIFO open for reading (EPIPE)");
    }
    return fail_errno("write", path_);
  }
  return static_cast<std::size_t>(n);
}

Result<std::size_t> Fifo::write(std::string_view text) const {
  return write(std::as_bytes(std::span(text)));
}

Result<void> Fifo::write_all(std::span<const std::byte> data) const {
  while (!data.empty()) {
    auto n = write(data);
    if (!n) return std::unexpected(std::move(n.error()));
    data = data.subspan(*n);
  }
  return {};
}

}  // namespace ipckit
