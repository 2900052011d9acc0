// Sender::State: one producer's registration in a channel and its view of the ring. Internal.
//
// A Sender owns its State; the Sender's open Reservation points to it without a count (no atomic
// read-modify-write per message). If the Sender goes while its Reservation is open, the State
// owns itself (`orphaned_self`) until the Reservation closes. So the State lives, registered, until
// the last of them goes, and its destructor unregisters it once (in the process that made it: a
// fork() child's copy only unmaps). Used by one thread at a time.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "channel/attachment.hpp"
#include "channel/waiting.hpp"
#include "ipckit/channel/sender.hpp"

namespace ipckit::channel {

class Sender::State : public detail::Attachment {
 public:
  friend class Sender;  // reserve() opens the reservation with begin_write
  State(std::shared_ptr<detail::Segment> segment, std::size_t slot, WaitPolicy policy,
        bool maybe_break) noexcept;
  ~State();

  // The operations of Sender (see sender.hpp).
  Result<void> send(std::span<const std::byte> message, Timeout timeout);
  Result<bool> try_send(std::span<const std::byte> message);
  // Publishes the first `size` bytes of the open reservation. REQUIRES: size <= its size.
  // Inlined into Reservation::commit (the only caller): the zero-copy path costs what send does.
  [[gnu::always_inline]] inline Result<void> commit(std::size_t size);
  void abandon_write();  // drops the open reservation; never waits
  [[nodiscard]] std::size_t max_message() const noexcept;
  [[nodiscard]] const std::string& name() const noexcept;

  // Lifetime between a Sender and its Reservation (see above). Outside a call, writing_ is true
  // exactly while a Reservation is open (every commit and drop path clears it).
  std::unique_ptr<State> orphaned_self;  // set while the Sender is gone and a Reservation is open

 private:
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
  // kMulti: waits until the claim we gave up is published (0, ETIMEDOUT or EBADMSG).
  int settle_given_up(std::chrono::steady_clock::time_point deadline);
  template <class HasRoom>
  int wait_for_room(HasRoom& has_room, std::chrono::steady_clock::time_point deadline);

  bool writing_ = false;           // a reservation is open
  detail::WaitEpisode wait_;       // waiting for room, across calls (wait_for_room)
  std::uint64_t tail_ = 0;         // our view of the tail (authoritative while we own the side)
  std::uint64_t head_cache_ = 0;   // last head we read; the real head is never smaller
  std::uint64_t write_pos_ = 0;    // position of the open reservation's record
  std::uint64_t claim_start_ = 0;  // kMulti: the open claim, [claim_start_, claim_end_)
  std::uint64_t claim_end_ = 0;    // kMulti: 0 when no claim is open
  bool given_up_ = false;  // kMulti: the claim at claim_start_ was given up, not yet published
  Timeout reserve_timeout_ = kForever;  // how long commit() may wait for earlier claims
  // try_send's wait for earlier claims (kMulti), which are normally being copied: not a timeout.
  static constexpr Timeout kTryGrace = std::chrono::milliseconds(100);
  bool maybe_break_ = false;  // a break record may be owed before the first message
};

}  // namespace ipckit::channel
