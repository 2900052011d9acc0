// What the kernel mechanisms of `ipckit bench` share (bench/harness/mechanisms/kernel_*.cpp):
// unique object names, the "made by this process" guard every Link's destructor uses, and
// limits read from /proc.
//
// Ownership rule of every kernel Link: the parent process makes it, so only the parent removes
// its objects. A forked child that destroys its copy of a Link (it exits through a destructor)
// must never remove the parent's objects: OwnerPid says whether this process is the maker.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "harness/link.hpp"
#include "harness/mechanism.hpp"
#include "harness/runner.hpp"

namespace ipckit::bench::kernel {

// A name no other round, test or process uses at the same time:
// "ipckit-bench-<pid>-<counter>-<what>" (no leading slash).
std::string unique_name(std::string_view what);

// The process that made an object; removal happens only there.
class OwnerPid {
 public:
  OwnerPid() : pid_(::getpid()) {}
  [[nodiscard]] bool is_this_process() const { return ::getpid() == pid_; }

 private:
  pid_t pid_;
};

// An integer from a /proc/sys file ("/proc/sys/kernel/msgmax"), or nullopt if unreadable.
std::optional<long> read_proc_long(const std::string& path);

// Each family's mechanisms (kernel_mechanisms() lists them in table order).
Mechanism pipe_mechanism();
Mechanism fifo_mechanism();
Mechanism unix_stream_mechanism();
Mechanism tcp_mechanism();
Mechanism unix_dgram_mechanism();
Mechanism unix_seqpacket_mechanism();
Mechanism sysv_msg_mechanism();
Mechanism posix_mq_mechanism();
Mechanism sysv_shm_sem_mechanism();
Mechanism posix_shm_futex_mechanism();
Mechanism shm_spin_mechanism();
Mechanism fd_passing_mechanism();

}  // namespace ipckit::bench::kernel
