// Options for creating a channel and for waiting on one.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <limits>

#include "ipckit/core/timeout.hpp"

namespace ipckit::channel {

// Who may use each side of the ring. Fixed at creation.
enum class Producers { kSingle, kMulti };
enum class Consumers { kSingle, kMulti };

struct ChannelOptions {
  // Ring bytes: a power of two from 4 KiB to 16 GiB. The segment is this plus one 4 KiB page.
  std::size_t capacity = std::size_t{1} << 20;
  // Largest message payload; 0 means capacity / 4, which is also the upper limit.
  std::size_t max_message = 0;
  // Permission bits of the segment (umask is not applied).
  mode_t mode = 0600;
  Producers producers = Producers::kSingle;
  Consumers consumers = Consumers::kSingle;
};

// How a blocking call waits for data, space, or its side's lock.
enum class WaitMode {
  kBlock,          // sleep in the kernel at once (futex); lowest CPU use, ~20 us wake-up
  kSpinThenBlock,  // spin for `spin`, then sleep; the default
  kBusyPoll,       // never sleep: one core at 100% for the lowest latency
};

struct WaitPolicy {
  WaitMode mode = WaitMode::kSpinThenBlock;
  std::chrono::nanoseconds spin = std::chrono::microseconds(50);
  // While spinning, look at the ring only once per `poll_interval`. A consumer that looks less
  // often than messages arrive takes them in batches and stays off the cache lines the producers
  // are writing: more throughput when the producers are slower than the consumer (typically
  // multi-producer), for up to `poll_interval` more latency. An idle strategy in Aeron's sense;
  // see docs/channel.md. 0: look continuously, or adaptively (below).
  std::chrono::nanoseconds poll_interval{0};
  // With poll_interval 0, a receiver that keeps finding one fresh message at a time tries a
  // 1 us interval now and then, and keeps it while it brings batches (streaming producers);
  // a peer that waits for each reply sees one slower message in 1024. false: never pace.
  bool adaptive_polling = true;
};

// What a Receiver does when producers go (docs/channel.md, "End of stream").
enum class ReceiveMode {
  // A pipeline reads one stream: the producers attached when it attached (or, if none was, the
  // next one to attach) and those that join while one of them is still attached. When the last
  // of them has left or died, recv delivers what they sent, then reports the end (EPIPE: all
  // left; ECONNRESET: one died), and keeps reporting it. A producer that attaches after that
  // starts a new stream, which this receiver never reads, even if it had not noticed the end yet.
  kStream,
  // A collector (like `tail -F`): receives across producers, forever. Each producer's end is
  // reported once, by one recv/peek call that fails with EPIPE ("producer N ended") or
  // ECONNRESET ("producer N died"); the Receiver then goes on.
  kFollow,
};

// A relative timeout for blocking calls (ipckit/core/timeout.hpp). kForever waits until the
// operation completes or the peer is gone.
using ipckit::kForever;
using ipckit::Timeout;

}  // namespace ipckit::channel
