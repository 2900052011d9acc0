// ipckit::channel::Sender: the producing end of a channel.
//
// A Sender is registered in the channel header for its whole life (so consumers can tell that a
// producer exists, and that it died). With Producers::kSingle it owns the producer side outright
// and sends without any atomic read-modify-write; with Producers::kMulti it claims space for each
// message (or reservation) with one compare-and-swap and publishes it after the producers that
// claimed before it (docs/channel-format.md, "Side ownership").
//
// Thread safety: one thread at a time per Sender (and its open Reservation); take one Sender per
// thread (kMulti) instead. Move-only; moving is noexcept and moves only the handle.
//
// fork(): an inherited Sender (or Reservation) fails with EBUSY in the child and its destructor
// only unmaps: the parent remains the producer (see channel.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <utility>

#include "ipckit/channel/options.hpp"
#include "ipckit/core/error.hpp"

namespace ipckit::channel {

namespace detail {
class Segment;
}

class Reservation;

class Sender {
 public:
  // Sends one message, waiting for space up to `timeout` (kMulti: and, up to `timeout` again,
  // for the producers that claimed space before it to publish).
  // Errors: EMSGSIZE (larger than max_message; nothing sent), ETIMEDOUT (nothing sent), EPIPE
  // (the ring is full and every consumer that was attached has died or left), EBADMSG (shared
  // state corrupted), EPROTO (the segment's file shrank: every later call fails too), EBUSY (this
  // Sender was inherited across fork(); nothing sent), EBADF (moved-from Sender).
  [[nodiscard]] Result<void> send(std::span<const std::byte> message, Timeout timeout = kForever);
  [[nodiscard]] Result<void> send(std::string_view message, Timeout timeout = kForever);

  // Sends without waiting for space. Returns false when the ring has no room; nothing is sent
  // then. (kMulti: may wait up to 100 ms for producers that claimed space just before to
  // publish; false if they did not.) Errors as send(), never ETIMEDOUT/EPIPE.
  [[nodiscard]] Result<bool> try_send(std::span<const std::byte> message);

  // Reserves `size` bytes for in-place writing; waits for space like send(). One open
  // Reservation at a time: a second reserve() (or a send) fails with EINVAL until it is
  // committed or dropped. The Reservation shares this Sender's registration: the Sender may be
  // moved or destroyed while it lives (the producer then stays registered, and on a kSingle
  // channel keeps the producer side, until the Reservation is committed or dropped).
  // Errors as send().
  [[nodiscard]] Result<Reservation> reserve(std::size_t size, Timeout timeout = kForever);

  // The largest payload; 0 for a moved-from Sender.
  [[nodiscard]] std::size_t max_message() const noexcept;

  // Producers::kSingle: the channel's published position (ChannelInfo::tail) between this
  // Sender's calls; the next message lands at or after it, and the published position passes it
  // only when that message is committed (ipckit bridge records it before a send and compares it
  // after a crash). With kMulti: where this Sender last wrote, a lower bound only. 0 when moved
  // from.
  [[nodiscard]] std::uint64_t position() const noexcept;

  // Moving moves the handle only: the registration (participant slot, producer side) stays
  // registered once and is given back once, when the last of the Sender and its open
  // Reservation goes. A moved-from Sender is empty: every call fails with EBADF, and destroying
  // or assigning to it gives back nothing. Self-move-assignment leaves the Sender unchanged.
  Sender(Sender&&) noexcept;
  Sender& operator=(Sender&&) noexcept;
  ~Sender();

 private:
  friend class Channel;
  friend class Reservation;
  class State;  // the registration and the producer's view of the ring (src/channel/)
  Sender(std::shared_ptr<detail::Segment> segment, std::size_t slot, WaitPolicy policy,
         bool maybe_break);
  // Gives up this handle's ownership of the State; an open Reservation keeps it alive.
  void let_go() noexcept;
  // The only owner of the State, except while the Sender is gone and its Reservation is open
  // (the State then owns itself until the Reservation closes). A Reservation points to the State
  // without owning a count, so reserve() and commit() do no atomic read-modify-write.
  std::unique_ptr<State> state_;  // null once moved from
};

// Space reserved in the ring for one message, written in place (zero copy) and then published
// with commit(). Dropping a Reservation without commit() publishes nothing and frees the space.
// With Producers::kMulti, claims made after this one are published only after commit() or drop:
// keep it short. It holds its Sender's registration too (see Sender::reserve), so it
// stays valid when its Sender is moved or destroyed. Thread safety: a Sender and its open
// Reservation are used by one thread at a time.
class Reservation {
 public:
  // The writable space: exactly the size asked of Sender::reserve; empty once committed or
  // moved from. Safety: the span dangles once the Reservation is committed or destroyed (the
  // space then belongs to the consumer, or to the next message); do not keep it past that.
  [[nodiscard]] std::span<std::byte> data() const noexcept { return data_; }
  // Publishes the first `size` bytes as one message. REQUIRES: size <= data().size().
  // Returns EINVAL (and publishes nothing) when size is larger (the reservation stays open) or
  // the reservation was already committed or moved from; EBUSY in a fork() child (the
  // reservation stays the parent's).
  // kMulti: waits for earlier claims up to the timeout given to reserve(); errors as
  // Sender::send.
  [[nodiscard]] Result<void> commit(std::size_t size);

  Reservation(Reservation&& other) noexcept
      : state_(std::exchange(other.state_, nullptr)), data_(std::exchange(other.data_, {})) {}
  Reservation& operator=(Reservation&&) = delete;
  ~Reservation() {
    if (state_) drop();
  }

 private:
  friend class Sender;
  Reservation(Sender::State* state, std::span<std::byte> data) noexcept
      : state_(state), data_(data) {}
  void drop() noexcept;  // publishes nothing and frees the space
  // Closes the reservation's hold on the State (which the State owns itself if its Sender went).
  [[gnu::always_inline]] inline void close() noexcept;
  Sender::State* state_;  // null once committed or moved from
  std::span<std::byte> data_;
};

}  // namespace ipckit::channel
