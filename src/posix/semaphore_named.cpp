#include <fcntl.h>
#include <fmt/core.h>
#include <sys/stat.h>

#include <cerrno>
#include <utility>

#include "core/deadline.hpp"
#include "ipckit/posix/name.hpp"
#include "ipckit/posix/semaphore.hpp"
#include "posix/semaphore_ops.hpp"
#include "posix/unlink_if_failed.hpp"

namespace ipckit::posix {

namespace {

constexpr mode_t kPermissionBits = 0777;
// glibc keeps "/name" as the file /dev/shm/sem.name (hence NameKind::kSemaphore's limit).
constexpr std::string_view kSemPrefix = "/dev/shm/sem.";
// How often create(kNo) retries when the name vanishes between O_EXCL and the plain open.
constexpr int kCreateAttempts = 64;

std::string sem_path(const std::string& name) {
  return std::string(kSemPrefix) + name.substr(1);
}

Error sem_error(int code, const std::string& name, const char* operation) {
  return Error(code, operation, name);
}

}  // namespace

Result<NamedSemaphore> NamedSemaphore::create(std::string_view name, unsigned value, mode_t mode,
                                              Exclusive exclusive) {
  auto checked = check_name(name, NameKind::kSemaphore, "sem_open");
  if (!checked) return std::unexpected(std::move(checked.error()));
  std::string n = std::move(*checked);
  if (value > kSemValueMax) {
    return fail(EINVAL, "sem_open", n,
                fmt::format("initial value {} is above SEM_VALUE_MAX ({})", value, kSemValueMax));
  }
  if ((mode & ~kPermissionBits) != 0) {
    return fail(EINVAL, "sem_open", n, fmt::format("mode {:#o} has bits outside 0777", mode));
  }
  for (int attempt = 0; attempt < kCreateAttempts; ++attempt) {
    sem_t* sem = ::sem_open(n.c_str(), O_CREAT | O_EXCL, mode, value);
    if (sem != SEM_FAILED) {
      detail::UnlinkIfFailed undo(n, true, ::sem_unlink);
      // sem_open applied the umask; set the bits asked for exactly.
      const std::string path = sem_path(n);
      if (::chmod(path.c_str(), mode) != 0) {
        Error error = Error::from_errno("chmod", path);
        ::sem_close(sem);
        return std::unexpected(std::move(error));
      }
      undo.dismiss();
      return NamedSemaphore(sem, std::move(n), true);
    }
    if (errno != EEXIST || exclusive == Exclusive::kYes) return fail_errno("sem_open", n);
    sem = ::sem_open(n.c_str(), 0);
    if (sem != SEM_FAILED) return NamedSemaphore(sem, std::move(n), false);
    if (errno != ENOENT) return fail_errno("sem_open", n);
    // Unlinked by someone between our two calls: try to create it again.
  }
  return fail(EAGAIN, "sem_open", n, "the name keeps appearing and disappearing");
}

Result<NamedSemaphore> NamedSemaphore::open(std::string_view name) {
  auto checked = check_name(name, NameKind::kSemaphore, "sem_open");
  if (!checked) return std::unexpected(std::move(checked.error()));
  sem_t* sem = ::sem_open(checked->c_str(), 0);
  if (sem == SEM_FAILED) return fail_errno("sem_open", *checked);
  return NamedSemaphore(sem, std::move(*checked), false);
}

Result<void> NamedSemaphore::unlink(std::string_view name) {
  auto checked = check_name(name, NameKind::kSemaphore, "sem_unlink");
  if (!checked) return std::unexpected(std::move(checked.error()));
  if (::sem_unlink(checked->c_str()) != 0) return fail_errno("sem_unlink", *checked);
  return {};
}

NamedSemaphore::NamedSemaphore(NamedSemaphore&& other) noexcept
    : sem_(std::exchange(other.sem_, nullptr)),
      name_(std::move(other.name_)),
      created_(std::exchange(other.created_, false)) {}

NamedSemaphore& NamedSemaphore::operator=(NamedSemaphore&& other) noexcept {
  if (this != &other) {
    reset();
    sem_ = std::exchange(other.sem_, nullptr);
    name_ = std::move(other.name_);
    created_ = std::exchange(other.created_, false);
  }
  return *this;
}

NamedSemaphore::~NamedSemaphore() {
  reset();
}

void NamedSemaphore::reset() noexcept {
  if (sem_ != nullptr) ::sem_close(sem_);  // nothing useful to do with a failure here
  sem_ = nullptr;
}

Result<void> NamedSemaphore::close() {
  if (sem_ == nullptr) return fail(EINVAL, "sem_close", name_, "the semaphore is not open");
  if (::sem_close(std::exchange(sem_, nullptr)) != 0) return fail_errno("sem_close", name_);
  return {};
}

Result<void> NamedSemaphore::wait() const {
  if (sem_ == nullptr) return fail(EINVAL, "sem_wait", name_, "the semaphore is not open");
  if (const int err = detail::sem_wait_retrying(sem_); err != 0) {
    return std::unexpected(sem_error(err, name_, "sem_wait"));
  }
  return {};
}

Result<bool> NamedSemaphore::try_wait() const {
  if (sem_ == nullptr) return fail(EINVAL, "sem_trywait", name_, "the semaphore is not open");
  bool took = false;
  if (const int err = detail::sem_try_wait(sem_, took); err != 0) {
    return std::unexpected(sem_error(err, name_, "sem_trywait"));
  }
  return took;
}

Result<void> NamedSemaphore::wait_until(std::chrono::steady_clock::time_point deadline) const {
  if (sem_ == nullptr) return fail(EINVAL, "sem_clockwait", name_, "the semaphore is not open");
  if (const int err = detail::sem_wait_until(sem_, deadline); err != 0) {
    return std::unexpected(sem_error(err, name_, "sem_clockwait"));
  }
  return {};
}

Result<void> NamedSemaphore::wait_for(std::chrono::nanoseconds timeout) const {
  return wait_until(ipckit::detail::deadline_after(timeout));
}

Result<void> NamedSemaphore::post() const {
  if (sem_ == nullptr) return fail(EINVAL, "sem_post", name_, "the semaphore is not open");
  if (const int err = detail::sem_post_once(sem_); err != 0) {
    return std::unexpected(sem_error(err, name_, "sem_post"));
  }
  return {};
}

Result<int> NamedSemaphore::value() const {
  if (sem_ == nullptr) return fail(EINVAL, "sem_getvalue", name_, "the semaphore is not open");
  int value = 0;
  if (const int err = detail::sem_get_value(sem_, value); err != 0) {
    return std::unexpected(sem_error(err, name_, "sem_getvalue"));
  }
  return value;
}

}  // namespace ipckit::posix
