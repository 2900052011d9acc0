// ipckit::channel::Receiver: the consuming end of a channel.
//
// A Receiver is registered in the channel header for its whole life. With Consumers::kSingle it
// owns the consumer side outright; with Consumers::kMulti it takes the consumer lock for each
// message, so several processes share the work and each message goes to exactly one of them.
//
// Delivery contract: a message leaves the ring only when it is released (recv releases after the
// copy; peek leaves it until release()). A Receiver that dies before releasing leaves the message
// for the next receiver, which gets it again.
//
// End of stream (ReceiveMode, options.hpp): a kStream Receiver reads one stream and then reports
// its end, whatever the timing of the next producer; a kFollow Receiver reads every producer's
// messages and reports each producer's end or death once. Producer deaths are looked for at most
// every 100 ms while waiting (kFollow: also across calls), and by every producer that attaches.
//
// Thread safety: one thread at a time per Receiver. Move-only; moving is noexcept.
//
// fork(): an inherited Receiver fails with EBUSY in the child, release() there does nothing, and
// its destructor only unmaps: the parent remains the consumer (see channel.hpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "ipckit/channel/detail/pacer.hpp"
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
  // inherited across fork(); nothing taken). Once kStream reported the end, every later call
  // reports it again.
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
  // Removes the peeked message from the ring. No-op when nothing is peeked.
  void release();

  [[nodiscard]] std::size_t max_message() const noexcept;

  // A moved-from Receiver holds no segment: its destructor releases nothing.
  Receiver(Receiver&&) noexcept = default;
  Receiver& operator=(Receiver&&) noexcept;
  ~Receiver();

 private:
  friend class Channel;
  Receiver(std::shared_ptr<detail::Segment> segment, std::size_t slot, WaitPolicy policy,
           ReceiveMode mode);
  Result<std::optional<std::span<const std::byte>>> next(Timeout timeout, bool wait);
  void unpeek() noexcept;  // forgets the peeked message without consuming it
  void release_side() noexcept;
  [[nodiscard]] bool peer_attached_since_start() const noexcept;
  // kStream: the end of this receiver's stream, as reported (EPIPE or ECONNRESET).
  [[nodiscard]] Error end_of_stream() const;
  // kStream, on an empty ring: true if a new stream started after ours (see streams.hpp);
  // joins it instead if we were still waiting for our first producer.
  [[nodiscard]] bool stream_ended() noexcept;
  void join_stream(std::uint32_t stream) noexcept;
  // kFollow: notes the producers registered now; whether a producer ended or died unreported;
  // and the report of one of them.
  void scan_producers();
  [[nodiscard]] bool events_pending() const noexcept;
  [[nodiscard]] Error next_event();

  std::shared_ptr<detail::Segment> segment_;
  std::size_t slot_ = 0;
  WaitPolicy policy_;
  bool multi_ = false;
  bool peeked_ = false;            // a message is peeked and not released
  std::uint64_t head_ = 0;         // our view of the head (authoritative while we own the side)
  std::uint64_t tail_cache_ = 0;   // last tail we read; the real tail is never smaller
  std::uint64_t next_head_ = 0;    // head after the peeked record
  std::uint64_t peek_offset_ = 0;  // ring offset of the peeked payload
  std::uint32_t peek_length_ = 0;
  bool saw_producer_ = false;
  std::uint32_t peer_attaches_ = 0;    // the peer side's attach counter when we attached
  std::uint32_t producer_deaths_ = 0;  // producers found dead, when we attached
  ReceiveMode mode_ = ReceiveMode::kStream;
  bool joined_ = false;               // kStream: we read stream_ (else we wait for a first one)
  bool ended_ = false;                // kStream: our stream's end was reached
  std::uint32_t stream_ = 0;          // kStream: header.streams of our stream
  std::uint32_t ends_seen_ = 0;       // kFollow: producer ends reported (header counter)
  std::uint32_t deaths_seen_ = 0;     // kFollow: producer deaths reported (header counter)
  std::uint32_t attaches_seen_ = 0;   // kFollow: producer attaches when we last scanned
  std::vector<std::uint64_t> known_;  // kFollow: producers seen, not yet reported gone
  // kFollow: when to look for dead producers next, across calls (a caller that polls with short
  // timeouts must not outrun the liveness interval).
  std::chrono::steady_clock::time_point next_liveness_{};
  detail::Pacer pacer_;
  std::uint64_t lock_owner_ = 0;  // kMulti: our thread identity while we hold the consumer lock
};

}  // namespace ipckit::channel
