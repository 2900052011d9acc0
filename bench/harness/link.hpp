// The two ends of a mechanism under test. A Link is made in the parent process before the
// round's processes are forked: it creates every named object both ends need (unique names,
// docs/bench.md "Hygiene") and removes them in its destructor, also after a failed round, so a
// round leaves nothing behind. Each forked process then calls open() once for its role.
#pragma once

#include <cstddef>
#include <memory>
#include <span>

#include "ipckit/core/error.hpp"

namespace ipckit::bench {

// A: the sender (throughput) or the pinger (latency); B: the receiver or the ponger.
enum class Role { kA, kB };

// One process's end. Every call blocks until done (the mechanism is used losslessly); errors
// are returned, never thrown.
class Endpoint {
 public:
  virtual ~Endpoint() = default;
  // Room for the next outgoing message of `size` bytes: in place (zero-copy modes) or the
  // endpoint's own buffer. Valid until send().
  virtual Result<std::span<std::byte>> prepare(std::size_t size) = 0;
  // Sends the prepared message: exactly one message of `size` bytes, to the other role.
  virtual Result<void> send(std::size_t size) = 0;
  // The next incoming message, whole, valid until release() or the next receive().
  virtual Result<std::span<const std::byte>> receive() = 0;
  // Done with the message receive() returned (in-place modes free it here).
  virtual void release() {}
};

class Link {
 public:
  virtual ~Link() = default;
  // In the role's own process, after fork(). `index` numbers the A processes (0..producers-1);
  // it is 0 for B.
  virtual Result<std::unique_ptr<Endpoint>> open(Role role, int index) = 0;
};

}  // namespace ipckit::bench
