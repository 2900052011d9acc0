// Ownership of one side (producer or consumer) of the ring, through the side's owner word.
// Internal.
//
// The owner word holds the packed ProcessIdentity of the process that owns the side, or 0. A
// single-producer (single-consumer) channel takes it once per Sender (Receiver); a
// multi-consumer one takes it around each message; on a multi-producer channel the producer word
// only serialises the skipping of dead producers' claims (claims.hpp). A process that dies
// holding it leaves its identity behind; the next taker that finds the holder dead (pid gone, or
// reused with another start time) takes the side over. Whatever the dead holder had half-written
// lies beyond the published position and is simply overwritten.
#pragma once

#include <atomic>
#include <cstdint>

#include "channel/layout.hpp"
#include "channel/waiting.hpp"

namespace ipckit::channel::detail {

// One attempt: takes the side if it is free or its holder is dead. Returns 0, or EBUSY with
// the live holder's pid in `holder`.
int try_take_side(std::atomic<std::uint64_t>& owner, std::uint64_t me, pid_t& holder) noexcept;

// Takes the side, waiting per `policy` until `deadline`. Returns 0 or ETIMEDOUT.
int take_side(std::atomic<std::uint64_t>& owner, WaitLine& line, std::uint64_t me,
              const WaitPolicy& policy, Clock::time_point deadline) noexcept;

// Gives the side back and wakes one waiter.
void give_side(std::atomic<std::uint64_t>& owner, WaitLine& line, std::uint64_t me) noexcept;

}  // namespace ipckit::channel::detail
