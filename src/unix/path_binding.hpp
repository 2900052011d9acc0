// Internal: binding a socket to a filesystem path safely, and removing its file again; shared by
// UnixListener (stream, seqpacket) and BoundDatagram (datagram), so that every ipckit binder of
// a path, of any type, takes the same "<path>.lock" and follows the same takeover rule (see
// listener.hpp). Not installed.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "ipckit/core/error.hpp"
#include "ipckit/unix/address.hpp"
#include "ipckit/unix/lock_wait.hpp"
#include "ipckit/unix/socket.hpp"

namespace ipckit::uds::detail {

// Which file a binder bound: device, inode and change time. The change time (set when the
// file is made, to the nanosecond) tells a new file apart from an old one whose inode number
// tmpfs has handed out again.
struct FileId {
  dev_t dev = 0;
  ino_t ino = 0;
  std::int64_t ctime_ns = 0;

  static FileId of(const struct stat& st) noexcept {
    return {st.st_dev, st.st_ino,
            static_cast<std::int64_t>(st.st_ctim.tv_sec) * 1'000'000'000 + st.st_ctim.tv_nsec};
  }
  friend bool operator==(const FileId&, const FileId&) = default;
};

// The socket file a binder made: removed by unbind_path() in the process that bound it.
// UnixListener and BoundDatagram hold one each (as their private BoundFile), so the public
// headers show none of it.
struct BoundFile {
  std::string path;  // absolute
  FileId id;
  pid_t owner_pid = 0;                                        // only it removes the file
  std::chrono::milliseconds lock_timeout = kDefaultLockWait;  // unbind_path()'s wait for the lock
};

// Under the lock: lstat, probe a socket file there (stale: unlink; alive: EADDRINUSE; not a
// socket: EEXIST), bind `socket` to `address`, chmod to `mode`, then `ready()` (listen(2) for a
// listener); a failure after bind removes the new file. The result's lock_timeout is
// wait.timeout. REQUIRES: address.is_path().
// Errors: those of UnixListener::bind.
[[nodiscard]] Result<BoundFile> bind_path(const UnixSocket& socket, const UnixAddress& address,
                                          std::optional<mode_t> mode, const LockWait& wait,
                                          const std::function<Result<void>()>& ready);

// Under the lock (waiting at most file.lock_timeout): unlink(2) of the socket file if it is still
// `file`, then of the lock file (unless someone else's socket file is at the path now). Without
// the lock (it stayed held), the socket file is still removed if it is ours, the lock file is
// left, and the lock's error is returned. Does nothing in a process other than file.owner_pid.
[[nodiscard]] Result<void> unbind_path(const BoundFile& file);

}  // namespace ipckit::uds::detail
