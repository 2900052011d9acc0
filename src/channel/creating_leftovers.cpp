#include "channel/creating_leftovers.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "core/file_lease.hpp"
#include "ipckit/core/fd.hpp"
#include "ipckit/inspect/ipc_listing.hpp"
#include "ipckit/inspect/stale_signs.hpp"

namespace ipckit::channel::detail {

void remove_dead_creating_leftovers(const std::string& name) noexcept {
  try {
    DIR* dir = ::opendir("/dev/shm");
    if (dir == nullptr) return;
    const std::string prefix = name + ".creating-";
    while (const dirent* e = ::readdir(dir)) {
      const std::string file = e->d_name;
      if (!file.starts_with(prefix)) continue;
      const auto leftover = inspect::parse_creating_leftover(file);
      if (!leftover || leftover->channel != name || inspect::process_alive(leftover->creator))
        continue;
      const std::string path = "/dev/shm/" + file;
      Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
      if (!fd) continue;
      // Unlink while holding the lease: nobody can have opened it in between.
      (void)ipckit::detail::held_elsewhere(fd.get(), path,
                                           [&] { (void)::unlinkat(dirfd(dir), file.c_str(), 0); });
    }
    ::closedir(dir);
  } catch (...) {  // std::bad_alloc: leftovers stay, creation goes on
  }
}

}  // namespace ipckit::channel::detail
