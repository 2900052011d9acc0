#include "ipckit/channel/receiver.hpp"

#include <fmt/core.h>

#include <cstring>
#include <utility>

#include "channel/claims.hpp"
#include "channel/segment.hpp"
#include "channel/side_lock.hpp"
#include "channel/waiting.hpp"

namespace ipckit::channel {

using detail::kRoleProducer;

Receiver::Receiver(std::shared_ptr<detail::Segment> segment, std::size_t slot, WaitPolicy policy)
    : segment_(std::move(segment)), slot_(slot), policy_(policy) {
  auto& h = segment_->header();
  multi_ = (segment_->geometry().flags & detail::kFlagMultiConsumer) != 0;
  head_ = h.consumer.head.load(std::memory_order_acquire);
  tail_cache_ = head_;
  // Counter first, registrations second: a peer that registers in between is seen by one of the
  // two (it registers before it bumps the counter).
  peer_attaches_ = h.attaches.producers.load(std::memory_order_seq_cst);
  saw_producer_ = segment_->any_registered(kRoleProducer);
  h.attaches.consumers.fetch_add(1, std::memory_order_seq_cst);
  producer_deaths_ = h.attaches.producer_deaths.load(std::memory_order_seq_cst);
}

Receiver& Receiver::operator=(Receiver&& other) noexcept {
  if (this != &other) {
    release_side();
    segment_ = std::move(other.segment_);
    slot_ = other.slot_;
    policy_ = other.policy_;
    multi_ = other.multi_;
    peeked_ = std::exchange(other.peeked_, false);
    head_ = other.head_;
    tail_cache_ = other.tail_cache_;
    next_head_ = other.next_head_;
    peek_offset_ = other.peek_offset_;
    peek_length_ = other.peek_length_;
    saw_producer_ = other.saw_producer_;
    peer_attaches_ = other.peer_attaches_;
    producer_deaths_ = other.producer_deaths_;
    pacer_ = other.pacer_;
    lock_owner_ = std::exchange(other.lock_owner_, 0);
  }
  return *this;
}

Receiver::~Receiver() {
  release_side();
}

void Receiver::release_side() noexcept {
  if (!segment_) return;
  unpeek();  // a peeked message that was not released stays for the next receiver
  auto& h = segment_->header();
  if (!multi_)
    detail::give_side(h.consumer_side.owner, h.consumer_lock, detail::self_identity().pack());
  segment_->detach(slot_);
  // Producers blocked on a full ring re-check whether any consumer is left.
  detail::wake_sleepers(h.space);
  segment_.reset();
}

bool Receiver::peer_attached_since_start() const noexcept {
  return segment_->header().attaches.producers.load(std::memory_order_acquire) != peer_attaches_;
}

std::size_t Receiver::max_message() const noexcept {
  return segment_->geometry().max_message;
}

void Receiver::unpeek() noexcept {
  if (!peeked_ && lock_owner_ == 0) return;
  peeked_ = false;
  if (multi_ && lock_owner_ != 0) {
    auto& h = segment_->header();
    detail::give_side(h.consumer_side.owner, h.consumer_lock, lock_owner_);
    lock_owner_ = 0;
  }
}

Result<std::optional<std::span<const std::byte>>> Receiver::next(Timeout timeout, bool wait) {
  using Peeked = std::optional<std::span<const std::byte>>;
  const auto& g = segment_->geometry();
  auto& h = segment_->header();
  std::byte* ring = segment_->ring();
  if (segment_->truncated()) {
    unpeek();
    return segment_->truncated_failure("recv");
  }
  if (peeked_) return Peeked(std::span<const std::byte>(ring + peek_offset_, peek_length_));
  auto deadline = wait ? detail::deadline_after(timeout) : detail::Clock::time_point{};

  if (multi_) {
    const std::uint64_t me = detail::self_thread_identity().pack();
    pid_t holder = 0;
    int rc = wait ? detail::take_side(h.consumer_side.owner, h.consumer_lock, me, policy_, deadline)
                  : detail::try_take_side(h.consumer_side.owner, me, holder);
    if (rc == EBUSY) return Peeked{};
    if (rc != 0) return fail(rc, "recv", segment_->name(), "waiting for the consumer lock");
    lock_owner_ = me;
    head_ = h.consumer.head.load(std::memory_order_relaxed);
    // Other consumers moved head past the tail we last saw: that tail is no longer a bound.
    if (tail_cache_ < head_) tail_cache_ = head_;
  }

  bool waited = false;  // this call waited for data: tell the pacer how that went
  unsigned polls = 0;
  for (;;) {
    if (head_ == tail_cache_) {
      auto has_data = [&] {
        if (segment_->truncated()) return true;  // ends the wait: reported below
        tail_cache_ = h.producer.tail.load(std::memory_order_seq_cst);
        return tail_cache_ != head_;
      };
      if (!has_data()) {
        if (!wait) {
          unpeek();
          return Peeked{};
        }
        auto producers_left = [&] {
          bool registered = segment_->any_registered(kRoleProducer);
          saw_producer_ = saw_producer_ || registered || peer_attached_since_start();
          return saw_producer_ && !registered;
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
          saw_producer_ = saw_producer_ || alive || peer_attached_since_start();
          return saw_producer_ && !alive;
        };
        WaitPolicy paced = policy_;
        paced.poll_interval = pacer_.interval(policy_);
        int rc = detail::wait_until(h.data, paced, deadline, has_data, producers_dead,
                                    producers_left, &polls);
        waited = rc == 0;
        if (rc == EPIPE && corrupt) {
          unpeek();
          return fail(EBADMSG, "recv", segment_->name(), "corrupted channel state (claims)");
        }
        if (rc == EPIPE &&
            h.attaches.producer_deaths.load(std::memory_order_seq_cst) != producer_deaths_) {
          unpeek();
          return fail(ECONNRESET, "recv", segment_->name(),
                      "a producer died: the stream may be incomplete");
        }
        if (rc != 0) {
          unpeek();
          return fail(rc, "recv", segment_->name(),
                      rc == EPIPE ? "the channel is empty and every producer has left" : "");
        }
      }
    }
    if (segment_->truncated()) {
      unpeek();
      return segment_->truncated_failure("recv");
    }
    auto record = detail::parse_record(ring, g, head_, tail_cache_);
    if (!record) {
      unpeek();
      return fail(EBADMSG, "recv", segment_->name(),
                  fmt::format("{} at position {}", record.error(), head_));
    }
    if (waited) {
      pacer_.waited(polls, tail_cache_ - head_ > record->size);
      waited = false;
    }
    if (record->padding) {
      head_ += record->size;
      h.consumer.head.store(head_, std::memory_order_seq_cst);
      detail::wake_sleepers(h.space);
      continue;
    }
    pacer_.took();
    peeked_ = true;
    next_head_ = head_ + record->size;
    peek_offset_ = record->offset;
    peek_length_ = record->length;
    return Peeked(std::span<const std::byte>(ring + peek_offset_, peek_length_));
  }
}

void Receiver::release() {
  if (!peeked_) return;
  auto& h = segment_->header();
  head_ = next_head_;
  h.consumer.head.store(head_, std::memory_order_seq_cst);  // hand back; see waiting.hpp
  peeked_ = false;
  if (multi_) {
    detail::give_side(h.consumer_side.owner, h.consumer_lock, lock_owner_);
    lock_owner_ = 0;
  }
  detail::wake_sleepers(h.space);
}

Result<std::span<const std::byte>> Receiver::peek(Timeout timeout) {
  auto r = next(timeout, true);
  if (!r) return std::unexpected(r.error());
  return **r;
}

Result<std::optional<std::span<const std::byte>>> Receiver::try_peek() {
  return next({}, false);
}

Result<std::size_t> Receiver::recv(std::span<std::byte> buffer, Timeout timeout) {
  auto r = next(timeout, true);
  if (!r) return std::unexpected(r.error());
  auto message = **r;
  if (message.size() > buffer.size()) {
    unpeek();
    return fail(EMSGSIZE, "recv", segment_->name(),
                fmt::format("the next message has {} bytes, more than the {}-byte buffer",
                            message.size(), buffer.size()));
  }
  if (!message.empty()) std::memcpy(buffer.data(), message.data(), message.size());
  if (segment_->truncated()) {  // the copy may have read zeros
    unpeek();
    return segment_->truncated_failure("recv");
  }
  release();
  return message.size();
}

Result<void> Receiver::recv(std::vector<std::byte>& message, Timeout timeout) {
  auto r = next(timeout, true);
  if (!r) return std::unexpected(r.error());
  message.assign((*r)->begin(), (*r)->end());
  if (segment_->truncated()) {  // the copy may have read zeros
    unpeek();
    return segment_->truncated_failure("recv");
  }
  release();
  return {};
}

Result<std::optional<std::size_t>> Receiver::try_recv(std::span<std::byte> buffer) {
  auto r = next({}, false);
  if (!r) return std::unexpected(r.error());
  if (!*r) return std::optional<std::size_t>{};
  auto message = **r;
  if (message.size() > buffer.size()) {
    unpeek();
    return fail(EMSGSIZE, "recv", segment_->name(),
                fmt::format("the next message has {} bytes, more than the {}-byte buffer",
                            message.size(), buffer.size()));
  }
  if (!message.empty()) std::memcpy(buffer.data(), message.data(), message.size());
  if (segment_->truncated()) {  // the copy may have read zeros
    unpeek();
    return segment_->truncated_failure("recv");
  }
  release();
  return std::optional<std::size_t>{message.size()};
}

}  // namespace ipckit::channel
