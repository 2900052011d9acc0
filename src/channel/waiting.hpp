// How channel operations wait: the shared wait protocol (core/waiting.hpp), driven by the
// channel's public WaitPolicy. Internal.
#pragma once

#include <utility>

#include "channel/layout.hpp"
#include "core/waiting.hpp"
#include "ipckit/channel/options.hpp"

namespace ipckit::channel::detail {

using ipckit::detail::Clock;
using ipckit::detail::cpu_relax;
using ipckit::detail::deadline_after;
using ipckit::detail::kLivenessInterval;
using ipckit::detail::wake_sleepers;

// The spin phase a WaitPolicy asks for.
[[nodiscard]] inline ipckit::detail::SpinPolicy spin_policy(const WaitPolicy& policy) noexcept {
  using Mode = ipckit::detail::SpinPolicy::Mode;
  const Mode mode = policy.mode == WaitMode::kBlock      ? Mode::kNone
                    : policy.mode == WaitMode::kBusyPoll ? Mode::kForever
                                                         : Mode::kBounded;
  return {.mode = mode, .length = policy.spin, .poll_interval = policy.poll_interval};
}

// ipckit::detail::wait_until with the spin phase of `policy`; same contract.
template <class Ready, class PeerGone, class CheapGone>
int wait_until(WaitLine& line, const WaitPolicy& policy, Clock::time_point deadline, Ready&& ready,
               PeerGone&& peer_gone, CheapGone&& cheap_gone, unsigned* polls = nullptr) {
  return ipckit::detail::wait_until(line, spin_policy(policy), deadline, std::forward<Ready>(ready),
                                    std::forward<PeerGone>(peer_gone),
                                    std::forward<CheapGone>(cheap_gone), polls);
}

// One wait for a peer, counted across calls. wait_until looks for dead peers after
// kLivenessInterval of one wait; a caller that waits in short slices (a poll loop, the Python
// binding) never waits that long in one call. A Sender or Receiver keeps one WaitEpisode: each
// call that must wait asks due(), and the episode ends when the wait is over (room or data came).
// Single-threaded, like its owner.
class WaitEpisode {
 public:
  // Starts the episode, or says whether it has lasted kLivenessInterval since it started and
  // since the last check: then the caller looks for dead peers now.
  [[nodiscard]] bool due(Clock::time_point now) noexcept {
    if (since_ == Clock::time_point{}) {
      since_ = now;
      return false;
    }
    if (now - since_ < kLivenessInterval || now < next_check_) return false;
    next_check_ = now + kLivenessInterval;
    return true;
  }
  void end() noexcept { since_ = {}; }

 private:
  Clock::time_point since_{};  // the first call of this wait; {}: not waiting
  Clock::time_point next_check_{};
};

}  // namespace ipckit::channel::detail
