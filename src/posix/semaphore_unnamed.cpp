#include <fmt/core.h>

#include <cerrno>
#include <cstdint>
#include <new>
#include <type_traits>

#include "core/deadline.hpp"
#include "ipckit/posix/semaphore.hpp"
#include "posix/semaphore_ops.hpp"

namespace ipckit::posix {

static_assert(sizeof(UnnamedSemaphore) == sizeof(sem_t), "an UnnamedSemaphore is its sem_t");
static_assert(alignof(UnnamedSemaphore) == alignof(sem_t));
static_assert(std::is_standard_layout_v<UnnamedSemaphore>);

Result<UnnamedSemaphore*> UnnamedSemaphore::init(std::span<std::byte> memory, unsigned value) {
  void* where = memory.data();
  const std::string object = fmt::format("unnamed semaphore at {}", where);
  if (where == nullptr || memory.size() < sizeof(UnnamedSemaphore)) {
    return fail(EINVAL, "sem_init", object,
                fmt::format("memory of {} bytes is smaller than a semaphore ({} bytes)",
                            memory.size(), sizeof(UnnamedSemaphore)));
  }
  if (reinterpret_cast<std::uintptr_t>(where) % alignof(UnnamedSemaphore) != 0) {
    return fail(EINVAL, "sem_init", object,
                fmt::format("memory is not aligned to {} bytes", alignof(UnnamedSemaphore)));
  }
  if (value > kSemValueMax) {
    return fail(EINVAL, "sem_init", object,
                fmt::format("initial value {} is above SEM_VALUE_MAX ({})", value, kSemValueMax));
  }
  auto* sem = ::new (where) UnnamedSemaphore;
  if (::sem_init(&sem->sem_, 1, value) != 0) {
    const int err = errno;
    sem->~UnnamedSemaphore();
    return fail(err, "sem_init", object);
  }
  return sem;
}

UnnamedSemaphore* UnnamedSemaphore::at(void* memory) noexcept {
  return std::launder(static_cast<UnnamedSemaphore*>(memory));
}

std::string UnnamedSemaphore::describe() const {
  return fmt::format("unnamed semaphore at {}", static_cast<const void*>(this));
}

Result<void> UnnamedSemaphore::wait() {
  if (const int err = detail::sem_wait_retrying(&sem_); err != 0) {
    return fail(err, "sem_wait", describe());
  }
  return {};
}

Result<bool> UnnamedSemaphore::try_wait() {
  bool took = false;
  if (const int err = detail::sem_try_wait(&sem_, took); err != 0) {
    return fail(err, "sem_trywait", describe());
  }
  return took;
}

Result<void> UnnamedSemaphore::wait_until(std::chrono::steady_clock::time_point deadline) {
  if (const int err = detail::sem_wait_until(&sem_, deadline); err != 0) {
    return fail(err, "sem_clockwait", describe());
  }
  return {};
}

Result<void> UnnamedSemaphore::wait_for(std::chrono::nanoseconds timeout) {
  return wait_until(ipckit::detail::deadline_after(timeout));
}

Result<void> UnnamedSemaphore::post() {
  if (const int err = detail::sem_post_once(&sem_); err != 0) {
    return fail(err, "sem_post", describe());
  }
  return {};
}

Result<int> UnnamedSemaphore::value() {
  int value = 0;
  if (const int err = detail::sem_get_value(&sem_, value); err != 0) {
    return fail(err, "sem_getvalue", describe());
  }
  return value;
}

Result<void> UnnamedSemaphore::destroy() {
  if (::sem_destroy(&sem_) != 0) return fail_errno("sem_destroy", describe());
  this->~UnnamedSemaphore();
  return {};
}

}  // namespace ipckit::posix
