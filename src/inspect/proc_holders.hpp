// One pass over /proc/PID/{maps,fd}: who maps or holds which object. Not installed.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace ipckit::inspect::detail {

struct DevIno {
  dev_t dev = 0;
  ino_t ino = 0;
  friend bool operator==(const DevIno&, const DevIno&) = default;
};

struct DevInoHash {
  std::size_t operator()(const DevIno& d) const noexcept {
    return std::hash<std::uint64_t>{}(static_cast<std::uint64_t>(d.ino) * 1000003u ^
                                      static_cast<std::uint64_t>(d.dev));
  }
};

// A named FIFO some process holds open.
struct FifoSeen {
  std::string path;
  uid_t uid = 0;
  mode_t perms = 0;
};

struct ProcScan {
  std::unordered_map<int, std::vector<pid_t>> sysv_shm;              // shmid -> pids mapping it
  std::unordered_map<DevIno, std::vector<pid_t>, DevInoHash> files;  // maps and fds
  std::unordered_map<std::uint64_t, std::vector<pid_t>> sockets;     // socket inode -> pids
  std::unordered_map<DevIno, FifoSeen, DevInoHash> fifos;
  std::unordered_map<pid_t, std::string> commands;  // of every pid that holds something
  int unreadable = 0;
};

// readdir(3) of /proc, then for each process open/read of maps and readlink(2)/stat(2) of each
// fd. `maps` and `fds` say which to read. Processes that vanish are skipped; those that cannot
// be read (EACCES) are counted in `unreadable`. System V mappings count only for processes in
// this process's IPC namespace (shmids are per namespace).
[[nodiscard]] ProcScan scan_processes(bool maps, bool fds);

}  // namespace ipckit::inspect::detail
