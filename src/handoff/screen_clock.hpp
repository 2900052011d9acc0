// The clock every screen and deadline of the handoff engine uses: the monotonic clock, passed
// in as `now` by the caller so that tests can drive time without sleeping. Internal.
#pragma once

#include <chrono>

namespace ipckit::handoff::detail {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

}  // namespace ipckit::handoff::detail
