// The iox-roudi daemon of one iceoryx round, started and stopped by the round's Link.
//
// Contract: start() serializes with every other ipckit bench iceoryx round on the machine (an
// abstract Unix socket name held while a RouDi of ours runs; nothing in the filesystem), refuses
// to run when a RouDi that is not ours is running (iceoryx 2.0 allows one per machine: we never
// share, signal or clean up after it), then starts iox-roudi with our own mempool config and
// waits until it says it is ready. The destructor stops exactly the RouDi it started, by its pid
// (our unreaped child, so the pid cannot have been reused): SIGTERM, then SIGKILL after a grace
// period; when RouDi did not exit cleanly it removes the objects RouDi left (shared memory,
// socket, lock files) while holding iceoryx's own RouDi lock, so never another RouDi's. The daemon
// gets SIGTERM if the harness process dies (PR_SET_PDEATHSIG), and shuts down cleanly on it. A
// stale RouDi's leftovers (lock files, /dev/shm segments, its socket) are cleaned by iox-roudi
// itself at start (it purges what an earlier RouDi left when it gets the lock).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <sys/types.h>

#include "ipckit/core/error.hpp"
#include "private_dir.hpp"

namespace ipckit::bench {

class IceoryxRoudi {
 public:
  // The iox-roudi program: $IPCKIT_IOX_ROUDI, else the one found at build time, else "iox-roudi"
  // on $PATH. Empty when none is there (the probe reports it).
  static std::string program();

  // REQUIRES: config_toml is a RouDi config (mempools). Waits at most `wait` for the lock and
  // for RouDi to be ready.
  static Result<std::unique_ptr<IceoryxRoudi>> start(const std::string& config_toml,
                                                     std::chrono::seconds wait);
  ~IceoryxRoudi();
  IceoryxRoudi(const IceoryxRoudi&) = delete;
  IceoryxRoudi& operator=(const IceoryxRoudi&) = delete;

 private:
  IceoryxRoudi(int lock_fd, PrivateDir dir) : lock_fd_(lock_fd), dir_(std::move(dir)) {}
  void stop();
  static void remove_roudi_leftovers();

  int lock_fd_;     // the bound abstract socket: held while our RouDi runs
  PrivateDir dir_;  // config file and RouDi's log
  pid_t pid_ = -1;  // our RouDi, not yet reaped
};

}  // namespace ipckit::bench
