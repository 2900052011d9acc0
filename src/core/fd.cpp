#include "ipckit/core/fd.hpp"

#include <unistd.h>

namespace ipckit {

void Fd::reset(int fd) noexcept {
  int old = std::exchange(fd_, fd);
  if (old >= 0) ::close(old);
}

}  // namespace ipckit
