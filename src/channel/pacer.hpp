// Adaptive pacing of a consumer's polls (WaitPolicy::adaptive_polling). Internal.
//
// A consumer faster than its producers finds the ring empty after every message and then reads
// each record right after it is written; every producer's next atomic instruction waits for
// that cache line to come back (docs/channel.md, "Waiting"). Looking at the ring only once per
// microsecond fixes that, but costs up to a microsecond of latency, which a ping-pong peer pays
// on every message. The pacer tells the two apart by trying: after a run of short waits it paces
// one wait; if that wait ends with more than one message waiting, producers are streaming and
// pacing stays on until two paced waits in a row yield a single message. If the trial yields one,
// the peer is waiting for us (more time would not have brought more): pacing stays off, and the
// next trial comes 1024 messages later, so a ping-pong pays the microsecond on one message in
// 1024 and its median not at all.
#pragma once

#include <chrono>
#include <cstdint>

#include "ipckit/channel/options.hpp"

namespace ipckit::channel::detail {

class Pacer {
 public:
  static constexpr std::chrono::nanoseconds kInterval = std::chrono::microseconds(1);
  static constexpr unsigned kQuickPolls = 8;  // a wait this short is "short"
  static constexpr std::uint32_t kRunBeforeTrial = 16;
  static constexpr std::uint32_t kTrialSpacing = 1024;

  // The poll interval for the next wait on an empty ring.
  [[nodiscard]] std::chrono::nanoseconds interval(const WaitPolicy& policy) noexcept {
    if (policy.poll_interval.count() > 0) return policy.poll_interval;
    if (!policy.adaptive_polling || policy.mode == WaitMode::kBlock) return {};
    if (pacing_) return kInterval;
    if (short_waits_ >= kRunBeforeTrial && next_trial_in_ == 0) {
      trial_ = true;
      return kInterval;
    }
    return {};
  }

  // After that wait: how many polls it took (wait_until's count), and whether more than one
  // message was waiting when it ended.
  void waited(unsigned polls, bool several) noexcept {
    if (trial_) {
      trial_ = false;
      pacing_ = several;
      if (!several) {  // a peer waiting for us: try again much later
        next_trial_in_ = kTrialSpacing;
        short_waits_ = 0;
      }
      return;
    }
    if (pacing_) {
      // A stream has hiccups (a producer descheduled): stop after two single messages in a row,
      // and allow the next trial as soon as the waits are short again.
      singles_ = several ? 0 : singles_ + 1;
      if (singles_ >= 2) {
        pacing_ = false;
        singles_ = 0;
        short_waits_ = 0;
      }
      return;
    }
    short_waits_ = polls <= kQuickPolls ? short_waits_ + 1 : 0;
  }

  // Once per message taken.
  void took() noexcept {
    if (next_trial_in_ > 0) --next_trial_in_;
  }

  [[nodiscard]] bool pacing() const noexcept { return pacing_; }

 private:
  bool pacing_ = false;
  bool trial_ = false;
  std::uint32_t singles_ = 0;  // paced waits in a row that brought a single message
  std::uint32_t short_waits_ = 0;
  std::uint32_t next_trial_in_ = 0;
};

}  // namespace ipckit::channel::detail
