// ipckit::Timeout and ipckit::kForever: how long a blocking ipckit call may wait.
//
// A Timeout is relative: the call gives up (ETIMEDOUT) once it has waited that long, measured on
// the monotonic clock, so changes of the wall clock never shorten or stretch it. kForever waits
// until the call can complete or reports why it never will (a peer that is gone, a corrupted
// object). With a zero timeout a call gives up as soon as it finds it cannot complete at once.
//
// The channel and the shared state spell these ipckit::channel::Timeout and
// ipckit::shared_state::Timeout (and kForever): the same type and constant, declared here once.
// Thread safety: plain values.
#pragma once

#include <chrono>

namespace ipckit {

using Timeout = std::chrono::nanoseconds;
inline constexpr Timeout kForever = Timeout::max();

}  // namespace ipckit
