// ipckit::channel::Sender: the producing end of a channel.
//
// A Sender is registered in the channel header for its whole life (so consumers can tell that a
// producer exists, and that it died). With Producers::kSingle it owns the producer side outright
// and sends without any atomic read-modify-write; with Producers::kMulti it claims space for each
// message (or reservation) with one compare-and-swap and publishes it after the producers that
// claimed before it (docs/channel-format.md, "Side ownership").
//
// Thread safety: one thread at a time per Sender; take one Sender per thread (kMulti) instead.
// Move-only; moving is noexcept.
//
// fork(): an inherited Sender (or Reservation) fails with EBUSY in the child and its destructor
// only unmaps: the parent remains the producer (see channel.hpp).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "ipckit/channel/options.hpp"
#include "ipckit/core/error.hpp"

namespace ipckit::channel {

namespace detail {
class Segment;
}

class Sender;

// Space reserved in the ring for one message, written in place (zero copy) and then published
// with commit(). Dropping a Reservation without commit() publishes nothing and frees the space.
// With Producers::kMulti, claims made after this one are published only after commit() or drop:
// keep it short.
class Reservation {
 public:
  // The writable space: exactly the size asked of Sender::reserve.
  [[nodiscard]] std::span<std::byte> data() const noexcept { return data_; }
  // Publishes the first `size` bytes as one message. REQUIRES: size <= data().size().
  // Returns EINVAL (and publishes nothing) when size is larger, EBUSY in a fork() child (the
  // reservation stays the parent's). kMulti: waits for earlier claims up to the timeout given to
  // reserve(); errors as Sender::send.
  [[nodiscard]] Result<void> commit(std::size_t size);

  Reservation(Reservation&&) noexcept;
  Reservation& operator=(Reservation&&) = delete;
  ~Reservation();

 private:
  friend class Sender;
  Reservation(Sender* sender, std::span<std::byte> data) : sender_(sender), data_(data) {}
  Sender* sender_;
  std::span<std::byte> data_;
};

class Sender {
 public:
  // Sends one message, waiting for space up to `timeout` (kMulti: and, up to `timeout` again,
  // for the producers that claimed space before it to publish).
  // Errors: EMSGSIZE (larger than max_message; nothing sent), ETIMEDOUT (nothing sent), EPIPE
  // (the ring is full and every consumer that was attached has died or left), EBADMSG (shared
  // state corrupted), EPROTO (the segment's file shrank: every later call fails too), EBUSY (this
  // Sender was inherited across fork(); nothing sent).
  [[nodiscard]] Result<void> send(std::span<const std::byte> message, Timeout timeout = kForever);
  [[nodiscard]] Result<void> send(std::string_view message, Timeout timeout = kForever);

  // Sends without waiting for space. Returns false when the ring has no room; nothing is sent
  // then. (kMulti: may wait up to 100 ms for producers that claimed space just before to
  // publish; false if they did not.) Errors as send(), never ETIMEDOUT/EPIPE.
  [[nodiscard]] Result<bool> try_send(std::span<const std::byte> message);

  // Reserves `size` bytes for in-place writing; waits for space like send().
  // REQUIRES: this Sender is neither moved nor destroyed while the Reservation lives; one open
  // Reservation at a time (a second reserve() fails with EINVAL).
  [[nodiscard]] Result<Reservation> reserve(std::size_t size, Timeout timeout = kForever);

  [[nodiscard]] std::size_t max_message() const noexcept;

  // A moved-from Sender holds no segment: its destructor releases nothing.
  Sender(Sender&&) noexcept = default;
  Sender& operator=(Sender&&) noexcept;
  ~Sender();

 private:
  friend class Channel;
  friend class Reservation;
  Sender(std::shared_ptr<detail::Segment> segment, std::size_t slot, WaitPolicy policy,
         bool maybe_break);
  // The space for a record of `size` bytes, or nullopt when !wait and there is none now.
  // `for_break`: the space of a break record, which max_message does not limit.
  Result<std::optional<std::span<std::byte>>> begin_write(std::size_t size, Timeout timeout,
                                                          bool wait, bool for_break = false);
  // Publishes the open reservation (a padding record when `padding`), waiting for earlier claims
  // (kMulti) until `deadline`.
  Result<void> finish_write(std::size_t size, std::chrono::steady_clock::time_point deadline,
                            bool padding = false);
  // Writes the break record this Sender may owe (src/channel/streams.hpp) before its first
  // message. Returns false when !wait and there is no room.
  Result<bool> write_break(Timeout timeout, bool wait);
  void abandon_write();  // never waits
  // kMulti: waits until the claim we gave up is published (0, ETIMEDOUT or EBADMSG).
  int settle_given_up(std::chrono::steady_clock::time_point deadline);
  template <class HasRoom>
  int wait_for_room(HasRoom& has_room, std::chrono::steady_clock::time_point deadline);
  void release_side() noexcept;
  [[nodiscard]] bool peer_attached_since_start() const noexcept;

  std::shared_ptr<detail::Segment> segment_;
  std::size_t slot_ = 0;
  WaitPolicy policy_;
  bool multi_ = false;
  bool writing_ = false;          // a reservation is open
  std::uint64_t tail_ = 0;        // our view of the tail (authoritative while we own the side)
  std::uint64_t head_cache_ = 0;  // last head we read; the real head is never smaller
  std::uint64_t write_pos_ = 0;   // position of the open reservation's record
  bool saw_consumer_ = false;
  std::uint32_t peer_attaches_ = 0;  // the peer side's attach counter when we attached
  std::uint64_t claim_start_ = 0;    // kMulti: the open claim, [claim_start_, claim_end_)
  std::uint64_t claim_end_ = 0;      // kMulti: 0 when no claim is open
  bool given_up_ = false;  // kMulti: the claim at claim_start_ was given up, not yet published
  Timeout reserve_timeout_ = kForever;  // how long commit() may wait for earlier claims
  // try_send's wait for earlier claims (kMulti), which are normally being copied: not a timeout.
  static constexpr Timeout kTryGrace = std::chrono::milliseconds(100);
  bool maybe_break_ = false;  // a break record may be owed before the first message
};

}  // namespace ipckit::channel
