#include <time.h>

#include <algorithm>
#include <cerrno>

#include "posix/semaphore_ops.hpp"

namespace ipckit::posix::detail {

int sem_wait_retrying(sem_t* sem) noexcept {
  while (::sem_wait(sem) != 0) {
    if (errno != EINTR) return errno;
  }
  return 0;
}

int sem_try_wait(sem_t* sem, bool& took) noexcept {
  took = false;
  if (::sem_trywait(sem) == 0) {
    took = true;
    return 0;
  }
  return errno == EAGAIN ? 0 : errno;
}

int sem_wait_until(sem_t* sem, std::chrono::steady_clock::time_point deadline) noexcept {
  // steady_clock is CLOCK_MONOTONIC on Linux: its epoch is the clock's zero.
  const auto since_epoch =
      std::max(deadline.time_since_epoch(), std::chrono::steady_clock::duration::zero());
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch - secs);
  timespec abs{};
  abs.tv_sec = static_cast<time_t>(secs.count());
  abs.tv_nsec = static_cast<long>(nanos.count());
  while (::sem_clockwait(sem, CLOCK_MONOTONIC, &abs) != 0) {
    if (errno != EINTR) return errno;
  }
  return 0;
}

int sem_post_once(sem_t* sem) noexcept {
  return ::sem_post(sem) == 0 ? 0 : errno;
}

int sem_get_value(sem_t* sem, int& value) noexcept {
  return ::sem_getvalue(sem, &value) == 0 ? 0 : errno;
}

}  // namespace ipckit::posix::detail
