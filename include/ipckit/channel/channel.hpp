// ipckit::channel::Channel: a named shared-memory ring that delivers every message exactly once,
// in order, between unrelated processes.
//
// A channel is a POSIX shared-memory object (/dev/shm/NAME) or a System V segment holding a
// 4 KiB header and a ring. Channel::create makes and publishes it atomically (nobody can open a
// half-built channel); Channel::open maps an existing one after checking its header. A Channel
// handle only maps the segment: to move messages, take a Sender or a Receiver from it.
//
// Delivery: lossless and in order. With one producer, messages arrive in send order. With
// several producers (Producers::kMulti), each producer's messages arrive in its send order, and
// messages of different producers are interleaved in the order their sends completed. With
// several consumers (Consumers::kMulti), each message goes to exactly one consumer, and consumers
// take messages in ring order.
//
// Crash safety: a producer that dies mid-message never exposes it, and the space is reused. A
// consumer that dies before releasing a message leaves it in the ring: the next receiver gets it
// again (at-least-once for the message being processed at the crash, exactly-once otherwise). A
// process blocked on a peer that died is woken within 100 ms and told (EPIPE for a sender;
// ECONNRESET for a receiver, whose EPIPE means a clean end of stream).
//
// Hostile peers: a process that can write the segment can corrupt or lose messages and make
// calls fail (EBADMSG, EPROTO) or wait until their timeout, but cannot kill this process with a
// signal or make a timed call return late. To survive its file being truncated, the first POSIX
// channel opened or created installs a process-wide SIGBUS handler that handles faults inside
// channel mappings and passes every other SIGBUS to the handler installed before it; a handler
// installed later must chain likewise. See docs/channel.md, "Hostile peers".
//
// Lifetime: the segment outlives every process until Channel::unlink (or IPC_RMID) removes it;
// processes that have it mapped keep using it after that.
//
// Thread safety: Channel is immutable after construction and may be shared between threads.
// Sender and Receiver are each for one thread at a time (take one per thread).
//
// fork(): a handle belongs to the process that opened the channel. In a child, an inherited
// Channel, Sender, Receiver or Reservation does nothing to the channel: sender(), receiver(),
// send, try_send, reserve, commit, recv, try_recv, peek and try_peek fail with EBUSY, release()
// does nothing, and destroying the copy (returning from main, exit() with a static handle) only
// unmaps it. The parent stays registered, keeps its sides, and its stream goes on. Open the
// channel again in the child. Operations check a counter that pthread_atfork bumps in every
// child (one load, no system call, on every message); destructors also compare getpid().
// info(), name() and the other accessors only read, and work anywhere.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ipckit/channel/options.hpp"
#include "ipckit/channel/receiver.hpp"
#include "ipckit/channel/sender.hpp"
#include "ipckit/core/error.hpp"
#include "ipckit/sysv/key.hpp"

namespace ipckit::channel {

namespace detail {
class Segment;
}

// A process attached to a channel, as registered in its header.
struct ParticipantInfo {
  pid_t pid = 0;
  bool producer = false;
  bool consumer = false;
  bool alive = false;
};

struct ChannelInfo {
  std::string name;
  std::size_t capacity = 0;
  std::size_t max_message = 0;
  Producers producers = Producers::kSingle;
  Consumers consumers = Consumers::kSingle;
  pid_t creator_pid = 0;
  uid_t creator_uid = 0;
  bool creator_alive = false;
  std::int64_t created_unix_ns = 0;
  std::uint64_t head = 0;  // bytes consumed since creation
  std::uint64_t tail = 0;  // bytes published since creation
  std::vector<ParticipantInfo> participants;
  // Header fields that cannot be true (a damaged or hostile header): "creator pid", "creation
  // time", "positions" (head/tail impossible: head and tail are then reported equal),
  // "participants" (an impossible pid; left out of `participants`). Their values above are
  // meaningless: show "corrupted", not the number. Empty: every field is plausible.
  std::vector<std::string> corrupted;
  // Fill level in bytes (tail - head, including record headers and padding).
  [[nodiscard]] std::uint64_t used() const noexcept { return tail - head; }
  // No live process is registered and the creator is gone: nobody will use it again.
  [[nodiscard]] bool stale() const noexcept;
};

class Channel {
 public:
  // Creates /dev/shm/NAME (shm_open) and publishes it only once fully initialised.
  // REQUIRES: `name` passes posix::check_name(name, NameKind::kChannel) (ipckit/posix/name.hpp):
  // 1 to 200 bytes, no '/' except an optional leading one, not "." or "..".
  // Errors: EEXIST (a channel or other object has that name), EINVAL (bad name or options),
  // ENAMETOOLONG (name over 200 bytes), ENOSPC (/dev/shm too small for the segment), EACCES.
  [[nodiscard]] static Result<Channel> create(std::string_view name,
                                              const ChannelOptions& options = {});
  // Maps an existing channel. Errors: ENOENT (no such object), EACCES, EPROTO (not an ipckit
  // channel, another layout version, or a corrupted/truncated header).
  [[nodiscard]] static Result<Channel> open(std::string_view name);
  // Removes the name (shm_unlink) after checking a copy of its header (as inspect() reads it).
  // Mapped users keep working; new opens fail with ENOENT.
  [[nodiscard]] static Result<void> unlink(std::string_view name);

  // The same on a System V segment named by `key` (IPC_PRIVATE is refused: nobody could open it).
  [[nodiscard]] static Result<Channel> create(sysv::Key key, const ChannelOptions& options = {});
  [[nodiscard]] static Result<Channel> open(sysv::Key key);
  [[nodiscard]] static Result<void> unlink(sysv::Key key);

  // Reads a private copy of a channel's header: pread(2) from a read-only descriptor (System V:
  // a copy out of a SHM_RDONLY attach), so read permission suffices, nothing is registered, and
  // an object resized while it is read gives an error, never a signal. Errors: ENOENT, EACCES,
  // EPROTO (not a channel, corrupted header, or "segment truncated while in use").
  [[nodiscard]] static Result<ChannelInfo> inspect(std::string_view name);
  [[nodiscard]] static Result<ChannelInfo> inspect(sysv::Key key);

  // Attaches a producer. With Producers::kSingle it takes the producer side for the Sender's
  // lifetime: a second live Sender fails with EBUSY; a dead one's side is taken over.
  // Errors: EBUSY (side taken, 64 processes attached already, or this Channel was inherited
  // across fork()).
  [[nodiscard]] Result<Sender> sender(const WaitPolicy& policy = {}) const;
  // Attaches a consumer; the same rules with Consumers::kSingle. `mode`: what the Receiver does
  // when producers go (options.hpp).
  [[nodiscard]] Result<Receiver> receiver(const WaitPolicy& policy = {},
                                          ReceiveMode mode = ReceiveMode::kStream) const;

  [[nodiscard]] ChannelInfo info() const;
  [[nodiscard]] const std::string& name() const noexcept;
  [[nodiscard]] std::size_t capacity() const noexcept;
  [[nodiscard]] std::size_t max_message() const noexcept;

  Channel(Channel&&) noexcept;
  Channel& operator=(Channel&&) noexcept;
  ~Channel();

 private:
  explicit Channel(std::shared_ptr<detail::Segment> segment, std::size_t slot);
  std::shared_ptr<detail::Segment> segment_;
  std::size_t slot_;  // participant slot of this handle
};

}  // namespace ipckit::channel
