// Internal: the operations NamedSemaphore and UnnamedSemaphore share, on a raw sem_t*. Each
// returns 0 or the errno value, and the caller names the object in the Error. Not installed.
#pragma once

#include <semaphore.h>

#include <chrono>

namespace ipckit::posix::detail {

// sem_wait, restarted on EINTR.
int sem_wait_retrying(sem_t* sem) noexcept;

// sem_trywait: 0 and took = true, or 0 and took = false on EAGAIN, or an errno value.
int sem_try_wait(sem_t* sem, bool& took) noexcept;

// sem_clockwait(CLOCK_MONOTONIC), restarted on EINTR with the same absolute deadline.
int sem_wait_until(sem_t* sem, std::chrono::steady_clock::time_point deadline) noexcept;

int sem_post_once(sem_t* sem) noexcept;

int sem_get_value(sem_t* sem, int& value) noexcept;

}  // namespace ipckit::posix::detail
