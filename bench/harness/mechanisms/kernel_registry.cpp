#include "harness/mechanisms/kernel_common.hpp"

namespace ipckit::bench {

// Table order: the kernel's byte streams (pipe first, the ratio baseline), message sockets and
// queues, the shared-memory handshakes (ending with the two references: posix-shm-futex for
// blocking, shm-spin the floor), then descriptor passing.
std::vector<Mechanism> kernel_mechanisms() {
  using namespace kernel;
  std::vector<Mechanism> all;
  all.push_back(pipe_mechanism());
  all.push_back(fifo_mechanism());
  all.push_back(unix_stream_mechanism());
  all.push_back(unix_dgram_mechanism());
  all.push_back(unix_seqpacket_mechanism());
  all.push_back(tcp_mechanism());
  all.push_back(sysv_msg_mechanism());
  all.push_back(posix_mq_mechanism());
  all.push_back(sysv_shm_sem_mechanism());
  all.push_back(posix_shm_futex_mechanism());
  all.push_back(shm_spin_mechanism());
  all.push_back(fd_passing_mechanism());
  return all;
}

}  // namespace ipckit::bench
