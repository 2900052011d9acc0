#include "core/futex.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <ctime>

#include "core/deadline.hpp"

namespace ipckit::detail {

namespace {
long futex(std::atomic<std::uint32_t>& word, int op, std::uint32_t val,
           const struct timespec* timeout) noexcept {
  // Shared futex (no FUTEX_PRIVATE_FLAG): the sleepers are in other processes.
  return ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), op, val, timeout, nullptr,
                   0);
}
}  // namespace

int futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected,
               std::chrono::nanoseconds timeout) noexcept {
  if (timeout.count() <= 0) return ETIMEDOUT;
  const timespec ts = relative_timespec(timeout);
  if (futex(word, FUTEX_WAIT, expected, &ts) == 0) return 0;
  return errno;
}

void futex_wake(std::atomic<std::uint32_t>& word, int count) noexcept {
  futex(word, FUTEX_WAKE, static_cast<std::uint32_t>(count), nullptr);
}

}  // namespace ipckit::detail
