// ipckit::channel::Receiver: the consuming end of a channel.
//
// A Receiver is registered in the channel header for its whole life. With Consumers::kSingle it
// owns the consumer side outright; with Consumers::kMulti it takes the consumer lock for each
// message, so several processes share the work and each message goes to exactly one of them.
//
// Delivery contract: a message leaves the ring only when it is released (recv releases after the
// copy; peek leaves it until release(); peek_ahead until release_through()). A Receiver that dies
// before releasing leaves the message for the next receiver, which gets it again.
//
// End of stream (ReceiveMode, options.hpp): a kStream Receiver reads one stream and then reports
// its end, whatever the timing of the next producer; a kFollow Receiver reads every producer's
// messages and reports each producer's end or death once. Producer deaths are looked for at most
// every 100 ms while waiting (kFollow: also across calls), and by every producer that attaches.
//
// Thread safety: one thread at a time per Receiver. Move-only; moving is noexcept and moves only
// the handle.
//
// fork(): an inherited Receiver fails with EBUSY in the child, release() there does nothing, and
// its destructor only unmaps: the parent remains the consumer (see channel.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "ipckit/channel/options.hpp"
#include "ipckit/core/error.hpp"

namespace ipckit::channel {

namespace detail {
class Segment;
}

class Receiver {
 public:
  // Copies the next message into `buffer` and releases it; returns its size. Waits up to
  // `timeout`. Errors: EMSGSIZE (the message is larger than `buffer`; it stays in the ring and
  // the error's detail says its size), ETIMEDOUT, EPIPE (ReceiveMode::kStream: every message of
  // this receiver's stream was taken and all its producers left: end of stream; kFollow: one
  // producer ended, and the Receiver goes on), ECONNRESET (kStream: the same, but a producer
  // died while this Receiver was attached: the stream may be cut short; kFollow: one producer
  // died), EBADMSG (corrupted record or positions), EPROTO (the segment's file shrank: every
  // later call fails too; a span peeked before reads as zeros), EBUSY (this Receiver was
  // inherited across fork(); nothing taken), EBADF (moved-from Receiver). Once kStream reported
  // the end, every later call reports it again.
  [[nodiscard]] Result<std::size_t> recv(std::span<std::byte> buffer, Timeout timeout = kForever);
  // The same, into a vector resized to the message.
  [[nodiscard]] Result<void> recv(std::vector<std::byte>& message, Timeout timeout = kForever);

  // Non-blocking recv: std::nullopt when the ring is empty (or, kMulti, the lock is busy), or
  // holds only what follows the end of this receiver's stream. Never reports an end (EPIPE,
  // ECONNRESET): that takes a blocking call.
  [[nodiscard]] Result<std::optional<std::size_t>> try_recv(std::span<std::byte> buffer);

  // Zero copy: the next message, in place. It stays valid, and stays in the ring, until
  // release() (or the Receiver is destroyed). Peeking again before release() returns the same
  // message. With Consumers::kMulti the consumer lock is held until release().
  [[nodiscard]] Result<std::span<const std::byte>> peek(Timeout timeout = kForever);
  [[nodiscard]] Result<std::optional<std::span<const std::byte>>> try_peek();
  // Removes the peeked message from the ring. No-op when nothing is peeked (or moved from).
  void release();

  // Read-ahead (Consumers::kSingle only): take several messages in place without releasing any,
  // then release a prefix of them once they are safe elsewhere (ipckit bridge: once the far end
  // acknowledged them). Positions are the channel's byte counters (ChannelInfo::head/tail):
  // they only grow for the life of the channel, so a message's `start` identifies it in this
  // channel incarnation (ChannelInfo::created_unix_ns + creator_pid), across restarts of the
  // consumer: a Receiver that dies with messages read ahead leaves them all in the ring, and the
  // next Receiver reads them again at the same positions.
  struct Ahead {
    std::span<const std::byte> message;  // valid until released (or the Receiver goes)
    std::uint64_t start = 0;             // position of the message's record
    std::uint64_t end = 0;               // position after it: what release_through() takes
  };
  // The message after the last one read ahead (after the released head if none), left in the
  // ring. Waits and reports ends and errors like peek(). EINVAL on a kMulti channel; EBUSY while
  // a peek() is pending (release() it first). While messages are read ahead and not released,
  // recv, peek and their try_ forms fail with EBUSY: release_through() or rewind() first.
  [[nodiscard]] Result<Ahead> peek_ahead(Timeout timeout = kForever);
  [[nodiscard]] Result<std::optional<Ahead>> try_peek_ahead();
  // Releases every message read ahead up to `end` (an Ahead::end this Receiver returned).
  // EINVAL if `end` is not after the released head or not within what was read ahead; EBUSY in
  // a fork() child; EBADF when moved from.
  [[nodiscard]] Result<void> release_through(std::uint64_t end);
  // Forgets what was read ahead and not released: the next peek_ahead() starts again at the
  // released head (ipckit bridge: retransmission after a lost connection).
  void rewind() noexcept;
  // The released head: the position of the first message not released. 0 when moved from.
  [[nodiscard]] std::uint64_t released_position() const noexcept;

  // The largest payload; 0 for a moved-from Receiver.
  [[nodiscard]] std::size_t max_message() const noexcept;

  // Moving moves the handle only: the registration (participant slot, consumer side) and a
  // peeked message (and its span) go with it; the registration is given back once, when the
  // Receiver that holds it goes. A moved-from Receiver is empty: every call fails with EBADF,
  // release() does nothing, and destroying or assigning to it gives back nothing.
  // Self-move-assignment leaves the Receiver unchanged.
  Receiver(Receiver&&) noexcept;
  Receiver& operator=(Receiver&&) noexcept;
  ~Receiver();

 private:
  friend class Channel;
  class State;  // the registration and the consumer's view of the ring (src/channel/)
  Receiver(std::shared_ptr<detail::Segment> segment, std::size_t slot, WaitPolicy policy,
           ReceiveMode mode);
  std::unique_ptr<State> state_;  // null once moved from
};

}  // namespace ipckit::channel
