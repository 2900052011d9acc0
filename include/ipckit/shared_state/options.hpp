// Options for creating a shared state, and the timeout type of its blocking calls.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>

#include "ipckit/core/timeout.hpp"

namespace ipckit::shared_state {

struct SharedStateOptions {
  // Table buffers, 2..64. The object holds this many copies of the table: the published one,
  // the one the writer fills, and spares for snapshots of older versions that readers still
  // hold. The writer waits only when every buffer but the published one is pinned. With N
  // buffers it never waits as long as every snapshot is released before the writer begins the
  // (N-1)th update after the one it shows: with the default 3, a reader may hold a snapshot
  // across one update, not two. Raise it for readers that hold snapshots longer.
  std::size_t buffers = 3;
  // Reader handles that may be open at once, 1..4096 (a 64-byte slot each).
  std::size_t max_readers = 128;
  // Permission bits of the object (umask is not applied). Readers need read and write access:
  // they record their pins in the object.
  mode_t mode = 0600;
};

// What a Draft's table holds when the writer gets it.
enum class Prefill {
  kCurrent,  // a copy of the published table (copy-forward): for partial updates
  kNone,     // whatever older complete version the buffer last held: for full rewrites
};

// A relative timeout for blocking calls (ipckit/core/timeout.hpp). kForever waits until the call
// can complete.
using ipckit::kForever;
using ipckit::Timeout;

}  // namespace ipckit::shared_state
