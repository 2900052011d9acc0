#include "ipckit/channel/receiver.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

#include "channel/claims.hpp"
#include "channel/receiver_state.hpp"
#include "channel/segment.hpp"
#include "channel/side_lock.hpp"
#include "channel/streams.hpp"
#include "channel/waiting.hpp"
#include "ipckit/core/copy.hpp"

namespace ipckit::channel {

using detail::kRoleProducer;

Receiver::Receiver(std::shared_ptr<detail::Segment> segment, std::size_t slot, WaitPolicy policy,
                   ReceiveMode mode)
    : state_(std::make_unique<State>(std::move(segment), slot, policy, mode)) {}

Receiver::Receiver(Receiver&&) noexcept = default;
Receiver& Receiver::operator=(Receiver&&) noexcept = default;
Receiver::~Receiver() = default;

Receiver::State::State(std::shared_ptr<detail::Segment> segment, std::size_t slot,
                       WaitPolicy policy, ReceiveMode mode)
    : Attachment(std::move(segment), slot, policy, detail::Side::kConsumer), mode_(mode) {
  auto& h = segment_->header();
  head_ = h.consumer.head.load(std::memory_order_acquire);
  ahead_ = head_;
  tail_cache_ = head_;
  producer_deaths_ = h.attaches.producer_deaths.load(std::memory_order_seq_cst);
  // The registrations, then the stream counter: a producer seen registered has counted its
  // stream in already (Channel::sender).
  joined_ = segment_->any_registered(kRoleProducer);
  stream_ = h.attaches.streams.load(std::memory_order_seq_cst);
  if (mode_ == ReceiveMode::kFollow) {
    deaths_seen_ = producer_deaths_;
    ends_seen_ = h.attaches.producer_ends.load(std::memory_order_seq_cst);
    scan_producers();
  }
}

Receiver::State::~State() {
  if (!at_home()) return;  // a fork child's copy: the registration is the parent's
  unpeek();                // a peeked message that was not released stays for the next receiver
  leave(false);
}

Error Receiver::State::end_of_stream() const {
  if (segment_->header().attaches.producer_deaths.load(std::memory_order_seq_cst) !=
      producer_deaths_) {
    return fail(ECONNRESET, "recv", segment_->name(),
                "a producer died: the stream may be incomplete")
        .error();
  }
  return fail(EPIPE, "recv", segment_->name(), "the channel is empty and every producer has left")
      .error();
}

void Receiver::State::join_stream(std::uint32_t stream) noexcept {
  joined_ = true;
  stream_ = stream;
  // Deaths before this stream are not this stream's.
  producer_deaths_ = segment_->header().attaches.producer_deaths.load(std::memory_order_seq_cst);
}

bool Receiver::State::stream_ended() noexcept {
  auto& a = segment_->header().attaches;
  const std::uint32_t stream = a.streams.load(std::memory_order_seq_cst);
  if (stream == stream_) return false;
  // Still waiting for our first producer, and none attached before the new stream's first one:
  // that one is ours.
  if (!joined_ && a.break_attaches.load(std::memory_order_seq_cst) == peer_attaches_) {
    join_stream(stream);
    return false;
  }
  return true;
}

void Receiver::State::scan_producers() {
  const auto& h = segment_->header();
  // The counter first: a producer registers before it counts its attach (Channel::sender).
  attaches_seen_ = h.attaches.producers.load(std::memory_order_seq_cst);
  for (const auto& p : h.participants) {
    const std::uint64_t who = p.who.load(std::memory_order_seq_cst);
    if (who == 0 || who == detail::kSlotReserved) continue;
    if ((p.role.load(std::memory_order_relaxed) & kRoleProducer) == 0) continue;
    if (std::find(known_.begin(), known_.end(), who) == known_.end()) known_.push_back(who);
  }
}

bool Receiver::State::events_pending() const noexcept {
  const auto& a = segment_->header().attaches;
  return a.producer_deaths.load(std::memory_order_seq_cst) != deaths_seen_ ||
         a.producer_ends.load(std::memory_order_seq_cst) != ends_seen_;
}

Error Receiver::State::next_event() {
  const auto& h = segment_->header();
  const bool died = h.attaches.producer_deaths.load(std::memory_order_seq_cst) != deaths_seen_;
  if (died) {
    ++deaths_seen_;
  } else {
    ++ends_seen_;
  }
  // Whom: a producer we saw that is no longer registered; for a death, preferably one whose
  // process is gone, for an end one whose process lives. A producer that came and went between
  // two looks was never seen: it is "a producer".
  auto registered = [&](std::uint64_t who) {
    for (const auto& p : h.participants) {
      if (p.who.load(std::memory_order_seq_cst) == who &&
          (p.role.load(std::memory_order_relaxed) & kRoleProducer) != 0)
        return true;
    }
    return false;
  };
  auto pick = known_.end();
  for (auto it = known_.begin(); it != known_.end(); ++it) {
    if (registered(*it)) continue;
    if (pick == known_.end()) pick = it;
    if (detail::is_alive(detail::ProcessIdentity::unpack(*it)) != died) {
      pick = it;
      break;
    }
  }
  std::string who = "a producer";
  if (pick != known_.end()) {
    who = fmt::format("producer {}", detail::ProcessIdentity::unpack(*pick).pid);
    known_.erase(pick);
  }
  return fail(died ? ECONNRESET : EPIPE, "recv", segment_->name(),
              fmt::format("{} {}", who, died ? "died" : "ended"))
      .error();
}

std::size_t Receiver::State::max_message() const noexcept {
  return segment_->geometry().max_message;
}

void Receiver::State::unpeek() noexcept {
  if (!peeked_ && lock_owner_ == 0) return;
  peeked_ = false;
  if (multi_ && lock_owner_ != 0) {
    auto& h = segment_->header();
    detail::give_side(h.consumer_side.owner, h.consumer_lock, lock_owner_);
    lock_owner_ = 0;
  }
}

Result<std::optional<std::span<const std::byte>>> Receiver::State::next(Timeout timeout,
                                                                        bool wait) {
  using Peeked = std::optional<std::span<const std::byte>>;
  if (!segment_->home().here()) return segment_->home().refuse("recv", segment_->name());
  auto& h = segment_->header();
  std::byte* ring = segment_->ring();
  if (segment_->truncated()) {
    unpeek();
    return segment_->truncated_failure("recv");
  }
  if (peeked_) return Peeked(std::span<const std::byte>(ring + peek_offset_, peek_length_));
  if (ended_) {
    if (!wait) return Peeked{};
    return std::unexpected(end_of_stream());
  }
  if (ahead_ != head_) {
    return fail(EBUSY, "recv", segment_->name(),
                "messages are read ahead: release_through() or rewind() first");
  }

  const auto deadline = wait ? detail::deadline_after(timeout) : detail::Clock::time_point{};
  if (multi_) {
    const std::uint64_t me = detail::self_thread_identity().pack();
    pid_t holder = 0;
    int rc = wait ? detail::take_side(h.consumer_side.owner, h.consumer_lock, me, policy_, deadline)
                  : detail::try_take_side(h.consumer_side.owner, me, holder);
    if (rc == EBUSY) return Peeked{};
    if (rc != 0) return fail(rc, "recv", segment_->name(), "waiting for the consumer lock");
    lock_owner_ = me;
    head_ = h.consumer.head.load(std::memory_order_relaxed);
    ahead_ = head_;
    // Other consumers moved head past the tail we last saw: that tail is no longer a bound.
    if (tail_cache_ < head_) tail_cache_ = head_;
  }

  auto found = find(head_, deadline, wait);
  if (!found) return std::unexpected(found.error());
  if (!*found) return Peeked{};
  peeked_ = true;
  return Peeked(std::span<const std::byte>(ring + peek_offset_, peek_length_));
}

Result<std::optional<Receiver::Ahead>> Receiver::State::next_ahead(Timeout timeout, bool wait) {
  using Next = std::optional<Receiver::Ahead>;
  if (!segment_->home().here()) return segment_->home().refuse("recv", segment_->name());
  if (multi_) {
    return fail(EINVAL, "recv", segment_->name(), "read-ahead needs a single-consumer channel");
  }
  if (peeked_) {
    return fail(EBUSY, "recv", segment_->name(), "a peeked message is not released");
  }
  if (segment_->truncated()) return segment_->truncated_failure("recv");
  if (ended_) {
    if (!wait) return Next{};
    return std::unexpected(end_of_stream());
  }
  auto found =
      find(ahead_, wait ? detail::deadline_after(timeout) : detail::Clock::time_point{}, wait);
  if (!found) return std::unexpected(found.error());
  if (!*found) return Next{};
  Receiver::Ahead next{std::span<const std::byte>(segment_->ring() + peek_offset_, peek_length_),
                       ahead_, next_head_};
  ahead_ = next_head_;
  return next;
}

Result<void> Receiver::State::release_through(std::uint64_t end) {
  if (!segment_->home().here()) return segment_->home().refuse("release", segment_->name());
  if (end <= head_ || end > ahead_) {
    return fail(EINVAL, "release", segment_->name(),
                fmt::format("position {} is not within the messages read ahead ({}, {}]", end,
                            head_, ahead_));
  }
  hand_back(end);
  return {};
}

void Receiver::State::hand_back(std::uint64_t to) noexcept {
  head_ = to;
  if (ahead_ < head_) ahead_ = head_;
  auto& h = segment_->header();
  h.consumer.head.store(head_, std::memory_order_seq_cst);  // hand back; see waiting.hpp
  detail::wake_sleepers(h.space);
}

Result<bool> Receiver::State::find(std::uint64_t& cursor,
                                   std::chrono::steady_clock::time_point deadline, bool wait) {
  const auto& g = segment_->geometry();
  auto& h = segment_->header();
  std::byte* ring = segment_->ring();
  const bool follow = mode_ == ReceiveMode::kFollow;

  bool waited = false;  // this call waited for data: tell the pacer how that went
  unsigned polls = 0;
  for (;;) {
    if (cursor == tail_cache_) {
      auto has_data = [&] {
        if (segment_->truncated()) return true;  // ends the wait: reported below
        tail_cache_ = h.producer.tail.load(std::memory_order_seq_cst);
        // kFollow: note new producers while they are still registered, to name them at their
        // end. After the tail: a producer whose message we see has counted its attach.
        if (follow && h.attaches.producers.load(std::memory_order_relaxed) != attaches_seen_)
          scan_producers();
        return tail_cache_ != cursor;
      };
      if (!has_data()) {
        if (!wait) {
          unpeek();
          return false;
        }
        if (follow) {
          if (const auto now = detail::Clock::now(); now >= next_liveness_) {
            next_liveness_ = now + detail::kLivenessInterval;
            // The tail may be stuck behind a dead producer's claim: skip it, then look again.
            if ((g.flags & detail::kFlagMultiProducer) != 0) {
              const auto rescue = detail::rescue_dead_claim(*segment_);
              if (rescue == detail::Rescue::kRescued) continue;
              if (rescue == detail::Rescue::kCorrupt) {
                unpeek();
                return fail(EBADMSG, "recv", segment_->name(), "corrupted channel state (claims)");
              }
            }
            (void)segment_->any_alive(kRoleProducer);  // frees dead producers: counts their deaths
            scan_producers();
          }
          if (events_pending()) {
            unpeek();
            return std::unexpected(next_event());
          }
        }
        auto producers_left = [&] {
          if (follow) return events_pending();
          if (stream_ended()) return true;
          return peer_gone(segment_->any_registered(kRoleProducer));
        };
        bool corrupt = false;  // the claim words say the tail can never move on
        auto producers_dead = [&] {
          // A multi-producer ring can be stuck behind the claim of a dead producer: skip it.
          if ((g.flags & detail::kFlagMultiProducer) != 0) {
            auto rescue = detail::rescue_dead_claim(*segment_);
            if (rescue == detail::Rescue::kRescued) return false;
            corrupt = rescue == detail::Rescue::kCorrupt;
            if (corrupt) return true;
          }
          bool alive = segment_->any_alive(kRoleProducer);
          if (follow) {
            scan_producers();
            return events_pending();
          }
          if (stream_ended()) return true;
          return peer_gone(alive);
        };
        WaitPolicy paced = policy_;
        paced.poll_interval = pacer_.interval(policy_);
        // kStream counts the wait across calls too (WaitEpisode, waiting.hpp); kFollow did above.
        int rc = -1;
        if (!follow && wait_.due(detail::Clock::now()) && producers_dead()) rc = EPIPE;
        if (rc < 0) {
          rc = detail::wait_until(h.data, paced, deadline, has_data, producers_dead, producers_left,
                                  &polls);
          waited = rc == 0;
        }
        if (rc == EPIPE && corrupt) {
          unpeek();
          return fail(EBADMSG, "recv", segment_->name(), "corrupted channel state (claims)");
        }
        if (rc == EPIPE) {
          unpeek();
          if (follow) return std::unexpected(next_event());
          ended_ = true;
          return std::unexpected(end_of_stream());
        }
        if (rc != 0) {
          unpeek();
          return fail(rc, "recv", segment_->name());
        }
      }
      // Data after reaching the tail: any wait is over. (Not on the path that reads messages
      // already known to be there.)
      wait_.end();
    }
    if (segment_->truncated()) {
      unpeek();
      return segment_->truncated_failure("recv");
    }
    auto record = detail::parse_record(ring, g, cursor, tail_cache_);
    if (!record) {
      unpeek();
      return fail(EBADMSG, "recv", segment_->name(),
                  fmt::format("{} at position {}", record.error(), cursor));
    }
    if (waited) {
      pacer_.waited(polls, tail_cache_ - cursor > record->size);
      waited = false;
    }
    if (record->padding) {
      // A break record: the stream before it ended. kStream stops there, unless it was still
      // waiting for its first producer (then the new stream is its own); kFollow goes on.
      if (!follow && record->size == detail::record_size(detail::kBreakBody)) {
        auto b =
            detail::read_break(ring + (cursor & g.mask) + sizeof(detail::RecordHeader), cursor);
        if (b && static_cast<std::int32_t>(b->stream - stream_) > 0) {
          if (joined_ || b->attaches_before != peer_attaches_) {
            ended_ = true;
            unpeek();
            if (!wait) return false;
            return std::unexpected(end_of_stream());
          }
          join_stream(b->stream);
        }
      }
      // Padding is released at once when nothing before it is read ahead and unreleased.
      const bool nothing_ahead = cursor == head_;
      cursor += record->size;
      if (nothing_ahead) hand_back(cursor);
      continue;
    }
    pacer_.took();
    next_head_ = cursor + record->size;
    peek_offset_ = record->offset;
    peek_length_ = record->length;
    return true;
  }
}

void Receiver::State::release() {
  if (!peeked_ || !segment_->home().here()) return;  // a fork child's copy never hands back
  auto& h = segment_->header();
  peeked_ = false;
  head_ = next_head_;
  ahead_ = head_;
  h.consumer.head.store(head_, std::memory_order_seq_cst);  // hand back; see waiting.hpp
  if (multi_) {
    detail::give_side(h.consumer_side.owner, h.consumer_lock, lock_owner_);
    lock_owner_ = 0;
  }
  detail::wake_sleepers(h.space);
}

Result<std::size_t> Receiver::State::copy_out(std::span<const std::byte> message,
                                              std::span<std::byte> buffer) {
  if (message.size() > buffer.size()) {
    unpeek();
    return fail(EMSGSIZE, "recv", segment_->name(),
                fmt::format("the next message has {} bytes, more than the {}-byte buffer",
                            message.size(), buffer.size()));
  }
  copy_bytes(buffer.data(), message.data(), message.size());
  auto released = release_copied();
  if (!released) return std::unexpected(released.error());
  return message.size();
}

Result<void> Receiver::State::copy_out(std::span<const std::byte> message,
                                       std::vector<std::byte>& buffer) {
  buffer.assign(message.begin(), message.end());
  return release_copied();
}

Result<void> Receiver::State::release_copied() {
  if (segment_->truncated()) {  // the copy may have read zeros
    unpeek();
    return segment_->truncated_failure("recv");
  }
  release();
  return {};
}

// The handles: a moved-from one has no State.

Result<std::span<const std::byte>> Receiver::peek(Timeout timeout) {
  if (!state_) return detail::moved_from("recv", "Receiver");
  auto r = state_->next(timeout, true);
  if (!r) return std::unexpected(r.error());
  return **r;
}

Result<std::optional<std::span<const std::byte>>> Receiver::try_peek() {
  if (!state_) return detail::moved_from("recv", "Receiver");
  return state_->next({}, false);
}

Result<std::size_t> Receiver::recv(std::span<std::byte> buffer, Timeout timeout) {
  if (!state_) return detail::moved_from("recv", "Receiver");
  auto r = state_->next(timeout, true);
  if (!r) return std::unexpected(r.error());
  return state_->copy_out(**r, buffer);
}

Result<void> Receiver::recv(std::vector<std::byte>& message, Timeout timeout) {
  if (!state_) return detail::moved_from("recv", "Receiver");
  auto r = state_->next(timeout, true);
  if (!r) return std::unexpected(r.error());
  return state_->copy_out(**r, message);
}

Result<std::optional<std::size_t>> Receiver::try_recv(std::span<std::byte> buffer) {
  if (!state_) return detail::moved_from("recv", "Receiver");
  auto r = state_->next({}, false);
  if (!r) return std::unexpected(r.error());
  if (!*r) return std::optional<std::size_t>{};
  auto size = state_->copy_out(**r, buffer);
  if (!size) return std::unexpected(size.error());
  return std::optional<std::size_t>{*size};
}

void Receiver::release() {
  if (state_) state_->release();
}

Result<Receiver::Ahead> Receiver::peek_ahead(Timeout timeout) {
  if (!state_) return detail::moved_from("recv", "Receiver");
  auto r = state_->next_ahead(timeout, true);
  if (!r) return std::unexpected(r.error());
  return **r;
}

Result<std::optional<Receiver::Ahead>> Receiver::try_peek_ahead() {
  if (!state_) return detail::moved_from("recv", "Receiver");
  return state_->next_ahead({}, false);
}

Result<void> Receiver::release_through(std::uint64_t end) {
  if (!state_) return detail::moved_from("release", "Receiver");
  return state_->release_through(end);
}

void Receiver::rewind() noexcept {
  if (state_) state_->rewind();
}

std::uint64_t Receiver::released_position() const noexcept {
  return state_ ? state_->released_position() : 0;
}

std::size_t Receiver::max_message() const noexcept {
  return state_ ? state_->max_message() : 0;
}

}  // namespace ipckit::channel
