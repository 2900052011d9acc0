#include "core/file_lease.hpp"

#include <fcntl.h>
#include <signal.h>

#include <cerrno>

namespace ipckit::detail {

Result<bool> held_elsewhere(int fd, const std::string& object,
                            const std::function<void()>& while_sole) {
  // A break of our lease (someone opening the file meanwhile) would send SIGIO, which kills a
  // process that does not handle it; SIGURG is ignored by default.
  if (::fcntl(fd, F_SETSIG, SIGURG) != 0) return fail_errno("fcntl(F_SETSIG)", object);
  if (::fcntl(fd, F_SETLEASE, F_WRLCK) != 0) {
    if (errno == EAGAIN) return true;
    if (errno == EPERM) return fail(EACCES, "fcntl(F_SETLEASE)", object);
    return fail_errno("fcntl(F_SETLEASE)", object);
  }
  if (while_sole) while_sole();
  (void)::fcntl(fd, F_SETLEASE, F_UNLCK);
  return false;
}

}  // namespace ipckit::detail
