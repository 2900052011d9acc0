// Receiver::State: one consumer's registration in a channel and its view of the ring. Internal.
//
// A Receiver owns its State (unique_ptr): the State is registered for its whole life and its
// destructor unregisters it once (in the process that made it: a fork() child's copy only
// unmaps). Used by one thread at a time.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "channel/attachment.hpp"
#include "channel/pacer.hpp"
#include "channel/waiting.hpp"
#include "ipckit/channel/receiver.hpp"

namespace ipckit::channel {

class Receiver::State : public detail::Attachment {
 public:
  State(std::shared_ptr<detail::Segment> segment, std::size_t slot, WaitPolicy policy,
        ReceiveMode mode);
  ~State();

  // The next message, peeked (in place, not released); nullopt when !wait and there is none.
  Result<std::optional<std::span<const std::byte>>> next(Timeout timeout, bool wait);
  // Read-ahead (Receiver::peek_ahead): the next message after ahead_, which moves past it.
  Result<std::optional<Receiver::Ahead>> next_ahead(Timeout timeout, bool wait);
  Result<void> release_through(std::uint64_t end);
  void rewind() noexcept { ahead_ = head_; }
  [[nodiscard]] std::uint64_t released_position() const noexcept { return head_; }
  // Copies the peeked `message` into `buffer` and releases it; returns its size. EMSGSIZE when
  // it does not fit (it stays in the ring).
  Result<std::size_t> copy_out(std::span<const std::byte> message, std::span<std::byte> buffer);
  // The same into a vector resized to the message.
  Result<void> copy_out(std::span<const std::byte> message, std::vector<std::byte>& buffer);
  void release();
  [[nodiscard]] std::size_t max_message() const noexcept;

 private:
  // Releases the message just copied out, unless the copy may have read zeros (EPROTO).
  Result<void> release_copied();
  void unpeek() noexcept;  // forgets the peeked message without consuming it
  // next() and next_ahead(): finds the next message at `cursor` (head_ or ahead_), skipping
  // padding, waiting until `deadline` if `wait`; true with peek_offset_/peek_length_/next_head_
  // set, false when !wait and there is none.
  Result<bool> find(std::uint64_t& cursor, std::chrono::steady_clock::time_point deadline,
                    bool wait);
  // Moves the released head to `to` and tells sleeping producers.
  void hand_back(std::uint64_t to) noexcept;
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

  bool peeked_ = false;            // a message is peeked and not released
  std::uint64_t head_ = 0;         // our view of the head (authoritative while we own the side)
  std::uint64_t tail_cache_ = 0;   // last tail we read; the real tail is never smaller
  std::uint64_t next_head_ = 0;    // head after the peeked record
  std::uint64_t ahead_ = 0;        // first byte not read ahead; == head_ when nothing is
  std::uint64_t peek_offset_ = 0;  // ring offset of the peeked payload
  std::uint32_t peek_length_ = 0;
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
  detail::WaitEpisode wait_;  // kStream: waiting for data, across calls (find)
  detail::Pacer pacer_;
  std::uint64_t lock_owner_ = 0;  // kMulti: our thread identity while we hold the consumer lock
};

}  // namespace ipckit::channel
