#include "ipckit/channel/sender.hpp"

#include <fmt/core.h>

#include <cstring>
#include <utility>

#include "channel/claims.hpp"
#include "channel/segment.hpp"
#include "channel/sender_state.hpp"
#include "channel/streams.hpp"
#include "channel/waiting.hpp"
#include "ipckit/core/copy.hpp"

namespace ipckit::channel {

using detail::kRoleConsumer;
using detail::RecordHeader;

Sender::Sender(std::shared_ptr<detail::Segment> segment, std::size_t slot, WaitPolicy policy,
               bool maybe_break)
    : state_(std::make_unique<State>(std::move(segment), slot, policy, maybe_break)) {}

Sender::Sender(Sender&&) noexcept = default;

Sender::~Sender() {
  let_go();
}

Sender& Sender::operator=(Sender&& other) noexcept {
  if (this != &other) {
    let_go();
    state_ = std::move(other.state_);
  }
  return *this;
}

void Sender::let_go() noexcept {
  if (!state_) return;
  if (state_->writing_) {  // outside a call, a write in progress is an open Reservation
    State* state = state_.get();
    state->orphaned_self = std::move(state_);  // freed when the Reservation closes
    return;
  }
  state_.reset();
}

Sender::State::State(std::shared_ptr<detail::Segment> segment, std::size_t slot, WaitPolicy policy,
                     bool maybe_break) noexcept
    : Attachment(std::move(segment), slot, policy, detail::Side::kProducer),
      tail_(segment_->header().producer.tail.load(std::memory_order_acquire)),
      head_cache_(segment_->header().consumer.head.load(std::memory_order_acquire)),
      maybe_break_(maybe_break) {}

Sender::State::~State() {
  if (!at_home()) return;  // a fork child's copy: the registration is the parent's
  if (writing_) abandon_write();
  auto& h = segment_->header();
  detail::leave_producers(h);
  h.attaches.producer_ends.fetch_add(1, std::memory_order_seq_cst);
  // A claim given up and still unpublished keeps the slot: whoever publishes it frees the slot.
  leave(given_up_ && !segment_->truncated() &&
        detail::settle_claim(*segment_, slot_, claim_start_, true) == detail::Settled::kHandedOver);
}

std::uint64_t Sender::position() const noexcept {
  return state_ ? state_->tail_ : 0;
}

std::size_t Sender::State::max_message() const noexcept {
  return segment_->geometry().max_message;
}

Result<std::optional<std::span<std::byte>>> Sender::State::begin_write(std::size_t size,
                                                                       Timeout timeout, bool wait,
                                                                       bool for_break) {
  if (!segment_->home().here()) return segment_->home().refuse("send", segment_->name());
  const auto& g = segment_->geometry();
  auto& h = segment_->header();
  if (size > g.max_message && !for_break) {
    return fail(EMSGSIZE, "send", segment_->name(),
                fmt::format("message of {} bytes is larger than the channel's maximum of {}", size,
                            g.max_message));
  }
  if (writing_) return fail(EINVAL, "send", segment_->name(), "a reservation is already open");
  if (segment_->truncated()) return segment_->truncated_failure("send");
  if (maybe_break_) {
    auto wrote = write_break(timeout, wait);
    if (!wrote) return std::unexpected(wrote.error());
    if (!*wrote) return std::optional<std::span<std::byte>>{};
  }
  auto deadline = wait ? detail::deadline_after(timeout) : detail::Clock::time_point{};
  const std::uint64_t record = detail::record_size(size);
  // The space a record written at `position` takes: padding to the end of the ring first if it
  // would not fit before it.
  auto needed_at = [&](std::uint64_t position) {
    const std::uint64_t offset = position & g.mask;
    return (offset + record > g.capacity ? g.capacity - offset : 0) + record;
  };
  auto where = [&] { return multi_ ? h.claim.claim.load(std::memory_order_seq_cst) : tail_; };

  if (multi_ && given_up_) {
    // Our last claim was given up unpublished: this slot names it until it is published.
    if (int rc = settle_given_up(wait ? deadline : detail::deadline_after(kTryGrace)); rc != 0) {
      if (!wait && rc == ETIMEDOUT) return std::optional<std::span<std::byte>>{};
      return fail(rc, "send", segment_->name(),
                  rc == EBADMSG ? "corrupted channel state (claims)"
                                : "an earlier message of this sender is still unpublished");
    }
  }
  if (multi_) detail::let_pending_claims_publish(h, policy_);
  std::uint64_t start = where();
  for (;;) {
    if (start + needed_at(start) - head_cache_ > g.capacity) {
      // The claim first, then the head: claim <= head + capacity held when the claim was read,
      // and the head only grows. Other producers and the consumer may still move both past the
      // claim we read in between (head > start): read again.
      // 0: room at `start`; EAGAIN: no room yet; EBADMSG: impossible positions; EPROTO: the
      // segment was truncated.
      int state = EAGAIN;
      auto check = [&] {
        if (segment_->truncated()) return EPROTO;
        std::uint64_t tail = 0;
        for (int attempt = 0; attempt < 8; ++attempt) {
          // kMulti: the tail, then the claim: a claim is never behind a tail read before it.
          if (multi_) tail = h.producer.tail.load(std::memory_order_seq_cst);
          start = where();
          head_cache_ = h.consumer.head.load(std::memory_order_seq_cst);
          if (head_cache_ <= start) break;
        }
        if (start < tail) return EBADMSG;
        if (head_cache_ > start) {
          // The head past where we write: impossible with one producer (the tail is ours); with
          // several, the head is never past a tail read after it.
          if (!multi_ || head_cache_ > h.producer.tail.load(std::memory_order_seq_cst))
            return EBADMSG;
          return EAGAIN;
        }
        if (!detail::positions_valid(g, head_cache_, start)) return EBADMSG;
        return start + needed_at(start) - head_cache_ <= g.capacity ? 0 : EAGAIN;
      };
      auto settled = [&] {
        state = check();
        return state != EAGAIN;
      };
      if (!settled()) {
        if (!wait) return std::optional<std::span<std::byte>>{};
        int rc = wait_for_room(settled, deadline);
        if (state == EAGAIN) {
          return fail(rc, "send", segment_->name(),
                      rc == EPIPE ? "the channel is full and no consumer is left" : "");
        }
      }
      if (state == EPROTO) return segment_->truncated_failure("send");
      if (state == EBADMSG)
        return fail(EBADMSG, "send", segment_->name(), "corrupted channel state (head/tail)");
    }
    if (!multi_) break;
    // Name the claim in our slot before making it, so that it can be skipped if we die.
    auto& mine = h.participants[slot_];
    const std::uint64_t end = start + needed_at(start);
    mine.claim_start.store(start, std::memory_order_relaxed);
    mine.claim_end.store(end, std::memory_order_relaxed);
    if (h.claim.claim.compare_exchange_strong(start, end, std::memory_order_seq_cst)) {
      claim_start_ = start;
      claim_end_ = end;
      break;
    }
    mine.claim_end.store(0, std::memory_order_relaxed);  // `start` now holds the current claim
  }

  std::byte* ring = segment_->ring();
  const std::uint64_t position = start + (needed_at(start) - record);  // after any padding
  if (position != start) detail::write_padding(ring, g, start, position);
  write_pos_ = position;
  writing_ = true;
  const std::uint64_t offset = position & g.mask;
  // Ask for ownership of the lines the next records will use while this one is written: the
  // consumer has them cached, and waiting for them at the store is the producer's main cost.
  __builtin_prefetch(ring + ((offset + record + 64) & g.mask), 1);
  __builtin_prefetch(ring + ((offset + record + 128) & g.mask), 1);
  return std::optional<std::span<std::byte>>{
      std::span<std::byte>(ring + offset + sizeof(RecordHeader), size)};
}

template <class HasRoom>
int Sender::State::wait_for_room(HasRoom& has_room, detail::Clock::time_point deadline) {
  auto& h = segment_->header();
  auto consumers_left = [&] { return peer_gone(segment_->any_registered(kRoleConsumer)); };
  auto consumers_dead = [&] { return peer_gone(segment_->any_alive(kRoleConsumer)); };
  if (has_room()) {
    wait_.end();
    return 0;
  }
  if (wait_.due(detail::Clock::now()) && consumers_dead()) return EPIPE;  // waiting.hpp
  const int rc =
      detail::wait_until(h.space, policy_, deadline, has_room, consumers_dead, consumers_left);
  if (rc == 0) wait_.end();
  return rc;
}

int Sender::State::settle_given_up(detail::Clock::time_point deadline) {
  auto& h = segment_->header();
  bool corrupt = false;
  auto settled = [&] {
    return detail::settle_claim(*segment_, slot_, claim_start_, false) == detail::Settled::kYes;
  };
  auto rescued_or_corrupt = [&] {
    corrupt = detail::rescue_dead_claim(*segment_) == detail::Rescue::kCorrupt;
    return corrupt;
  };
  int rc = detail::wait_until(h.producer_turn, policy_, deadline, settled, rescued_or_corrupt,
                              [] { return false; });
  if (rc == 0) given_up_ = false;
  return rc == EPIPE ? EBADMSG : rc;
}

Result<bool> Sender::State::write_break(Timeout timeout, bool wait) {
  maybe_break_ = false;
  auto space = begin_write(detail::kBreakBody, timeout, wait, true);
  if (!space || !*space) {
    maybe_break_ = true;  // owed still
    if (!space) return std::unexpected(space.error());
    return false;
  }
  auto& h = segment_->header();
  // Ours to write only if no other producer of the new stream took it first; if one did, its
  // record precedes this claim and ours is plain padding.
  detail::StreamBreak body{};
  if (detail::try_take_break(h)) {
    body = {detail::kBreakMagic, h.attaches.streams.load(std::memory_order_seq_cst),
            h.attaches.break_attaches.load(std::memory_order_seq_cst),
            detail::break_check(write_pos_)};
  }
  std::memcpy((*space)->data(), &body, sizeof body);
  auto written = finish_write(detail::kBreakBody, detail::deadline_after(timeout), true);
  if (!written) return std::unexpected(written.error());
  return true;
}

Result<void> Sender::State::finish_write(std::size_t size, detail::Clock::time_point deadline,
                                         bool padding) {
  if (segment_->truncated()) {
    // Publish nothing: the record may be in pages only this process sees.
    writing_ = false;
    claim_end_ = 0;
    return segment_->truncated_failure("send");
  }
  auto& h = segment_->header();
  const auto& g = segment_->geometry();
  std::byte* ring = segment_->ring();
  const std::uint64_t end = write_pos_ + detail::record_size(size);
  RecordHeader rh{padding ? static_cast<std::uint32_t>(end - write_pos_) | detail::kPaddingBit
                          : static_cast<std::uint32_t>(size),
                  detail::record_tag(write_pos_)};
  std::memcpy(ring + (write_pos_ & g.mask), &rh, sizeof rh);
  writing_ = false;
  if (multi_) {
    // A commit shorter than the reservation leaves the rest of the claim to padding.
    if (end != claim_end_) detail::write_padding(ring, g, end, claim_end_);
    int rc = detail::publish_in_turn(*segment_, slot_, policy_, claim_start_, claim_end_, deadline);
    claim_end_ = 0;
    if (rc == 0) return {};
    given_up_ = true;  // the claim is padding now, published by whoever reaches it
    return fail(rc, "send", segment_->name(),
                rc == EBADMSG ? "corrupted channel state (claims)"
                              : "earlier messages of other senders are still unpublished");
  }
  tail_ = end;
  h.producer.tail.store(tail_, std::memory_order_seq_cst);  // publish; see waiting.hpp
  detail::wake_sleepers(h.data);
  return {};
}

void Sender::State::abandon_write() {
  writing_ = false;
  if (!segment_->home().here()) return;  // the parent's reservation: not ours to give up
  if (multi_) {
    // The claim cannot be handed back (later claims follow it): it is published as padding,
    // now if its turn has come, else by whoever reaches it. Never waits.
    if (!segment_->truncated()) {
      detail::abandon_claim(*segment_, slot_, claim_start_, claim_end_);
      given_up_ = true;
    }
    claim_end_ = 0;
    return;
  }
  // Nothing was published: forget the padding and the record written past the tail.
  tail_ = segment_->header().producer.tail.load(std::memory_order_relaxed);
}

Result<void> Sender::State::send(std::span<const std::byte> message, Timeout timeout) {
  auto space = begin_write(message.size(), timeout, true);
  if (!space) return std::unexpected(space.error());
  copy_bytes((*space)->data(), message.data(), message.size());
  return finish_write(message.size(), detail::deadline_after(timeout));
}

Result<bool> Sender::State::try_send(std::span<const std::byte> message) {
  auto space = begin_write(message.size(), Timeout::zero(), false);
  if (!space) return std::unexpected(space.error());
  if (!*space) return false;
  copy_bytes((*space)->data(), message.data(), message.size());
  auto sent = finish_write(message.size(), detail::deadline_after(kTryGrace));
  if (!sent && sent.error().code() == ETIMEDOUT) return false;  // given up: nothing is sent
  if (!sent) return std::unexpected(sent.error());
  return true;
}

inline Result<void> Sender::State::commit(std::size_t size) {
  if (!segment_->home().here()) {
    writing_ = false;  // the parent's reservation: not ours to publish or give up
    return segment_->home().refuse("commit", segment_->name());
  }
  return finish_write(size, detail::deadline_after(reserve_timeout_));
}

const std::string& Sender::State::name() const noexcept {
  return segment_->name();
}

// The handles: a moved-from one has no State.

Result<void> Sender::send(std::span<const std::byte> message, Timeout timeout) {
  if (!state_) return detail::moved_from("send", "Sender");
  return state_->send(message, timeout);
}

Result<void> Sender::send(std::string_view message, Timeout timeout) {
  return send(std::as_bytes(std::span(message.data(), message.size())), timeout);
}

Result<bool> Sender::try_send(std::span<const std::byte> message) {
  if (!state_) return detail::moved_from("send", "Sender");
  return state_->try_send(message);
}

Result<Reservation> Sender::reserve(std::size_t size, Timeout timeout) {
  if (!state_) return detail::moved_from("send", "Sender");
  // begin_write directly, and the span's words read one by one: the reservation is built from
  // the words begin_write just stored (a wider load of them would stall store forwarding).
  auto space = state_->begin_write(size, timeout, true);
  if (!space) return std::unexpected(space.error());
  state_->reserve_timeout_ = timeout;
  std::byte* data = (*space)->data();
  return Reservation(state_.get(), std::span<std::byte>(data, size));
}

std::size_t Sender::max_message() const noexcept {
  return state_ ? state_->max_message() : 0;
}

inline void Reservation::close() noexcept {
  Sender::State* state = std::exchange(state_, nullptr);
  std::unique_ptr<Sender::State> orphan =
      std::move(state->orphaned_self);  // the Sender went: free it
}

void Reservation::drop() noexcept {
  state_->abandon_write();
  close();
}

Result<void> Reservation::commit(std::size_t size) {
  if (!state_) return fail(EINVAL, "commit", "", "the reservation is already closed");
  if (size > data_.size()) {  // the reservation stays open
    return fail(EINVAL, "commit", state_->name(),
                fmt::format("{} bytes is more than the {} reserved", size, data_.size()));
  }
  data_ = {};
  auto committed = state_->commit(size);
  close();
  return committed;
}

}  // namespace ipckit::channel
