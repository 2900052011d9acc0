#include "channel/attachment.hpp"

#include <utility>

#include "channel/side_lock.hpp"
#include "channel/waiting.hpp"

namespace ipckit::channel::detail {

Attachment::Attachment(std::shared_ptr<Segment> segment, std::size_t slot, WaitPolicy policy,
                       Side side) noexcept
    : segment_(std::move(segment)),
      slot_(slot),
      policy_(policy),
      side_(side),
      multi_((segment_->geometry().flags &
              (side == Side::kProducer ? kFlagMultiProducer : kFlagMultiConsumer)) != 0) {
  auto& a = segment_->header().attaches;
  const bool producer = side_ == Side::kProducer;
  peer_attaches_ = (producer ? a.consumers : a.producers).load(std::memory_order_seq_cst);
  saw_peer_ = segment_->any_registered(producer ? kRoleConsumer : kRoleProducer);
  (producer ? a.producers : a.consumers).fetch_add(1, std::memory_order_seq_cst);
}

void Attachment::leave(bool keep_slot) noexcept {
  auto& h = segment_->header();
  const bool producer = side_ == Side::kProducer;
  if (!multi_) {
    give_side(producer ? h.producer_side.owner : h.consumer_side.owner,
              producer ? h.producer_turn : h.consumer_lock, self_identity().pack());
  }
  if (!keep_slot) segment_->detach(slot_);
  // Consumers blocked on an empty ring (producers on a full one) re-check whether a peer is left.
  wake_sleepers(producer ? h.data : h.space);
}

bool Attachment::peer_gone(bool present) noexcept {
  const auto& a = segment_->header().attaches;
  saw_peer_ =
      saw_peer_ || present ||
      (side_ == Side::kProducer ? a.consumers : a.producers).load(std::memory_order_acquire) !=
          peer_attaches_;
  return saw_peer_ && !present;
}

std::unexpected<Error> moved_from(std::string operation, std::string handle) {
  return fail(EBADF, std::move(operation), "",
              "moved-from " + std::move(handle) + ": it no longer holds a channel");
}

}  // namespace ipckit::channel::detail
