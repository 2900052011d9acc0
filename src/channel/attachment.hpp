// What a Sender and a Receiver share: one registration of this process on one side of a
// channel. Internal.
//
// Channel::sender/receiver take the registration (the side's owner word on a single-producer or
// single-consumer channel, and a participant slot) and hand it to the handle's State, which
// derives from Attachment. The State is the registration: it is made once, never copied or
// moved, and its destructor gives everything back once with leave(), in the process that made
// it only (a fork() child's copy gives back nothing: the registration is the parent's). Sender
// and Receiver are pointers to their State, so moving a handle moves nothing else.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "channel/segment.hpp"
#include "ipckit/channel/options.hpp"
#include "ipckit/core/error.hpp"

namespace ipckit::channel::detail {

enum class Side { kProducer, kConsumer };

class Attachment {
 public:
  Attachment(const Attachment&) = delete;
  Attachment& operator=(const Attachment&) = delete;

 protected:
  // Adopts the registration in `slot` on `side` and counts this attach in: the peer side's attach
  // counter first, then whether a peer is registered, then our own counter (a peer that
  // registers in between is seen by one of the first two: it registers before it counts).
  Attachment(std::shared_ptr<Segment> segment, std::size_t slot, WaitPolicy policy,
             Side side) noexcept;
  ~Attachment() = default;

  // True in the process that made the registration: only there may the State give it back.
  [[nodiscard]] bool at_home() const noexcept { return segment_->home().here_exactly(); }
  // Gives the registration back: the side (single-producer/consumer channels), then the
  // participant slot unless `keep_slot` (someone else frees it), then wakes the peer side's
  // sleepers so they re-check whether anyone is left. REQUIRES: at_home(); called once.
  void leave(bool keep_slot) noexcept;

  // Whether the peer side is gone, given whether a peer is `present` now (registered, or alive):
  // true once a peer was seen (at our attach, attached since, or present now) and none is.
  [[nodiscard]] bool peer_gone(bool present) noexcept;

  std::shared_ptr<Segment> segment_;
  std::size_t slot_;
  WaitPolicy policy_;
  Side side_;
  bool multi_;  // the side is shared (Producers/Consumers::kMulti): no owner word is held
  bool saw_peer_ = false;
  std::uint32_t peer_attaches_ = 0;  // the peer side's attach counter when we attached
};

// The error of `operation` on a moved-from Sender or Receiver (`handle`): EBADF, as for any
// other moved-from ipckit handle.
[[nodiscard]] std::unexpected<Error> moved_from(std::string operation, std::string handle);

}  // namespace ipckit::channel::detail
