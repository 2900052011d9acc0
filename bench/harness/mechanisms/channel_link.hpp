// The channel as a benchmark Link (docs/bench.md, "channel"): one mode per way of using it.
//
//   busy-poll            send + recv, both sides WaitMode::kBusyPoll
//   spin-then-block      send + recv, the default WaitPolicy (spin 50 us, then a futex)
//   block                send + recv, WaitMode::kBlock (every wait sleeps at once)
//   busy-poll-peek       send + peek/release (the receiver reads in place), busy-poll
//   busy-poll-zero-copy  reserve/commit (the sender writes in place) + peek/release, busy-poll
//
// The Link creates the channels in the parent (one A->B channel; latency adds a B->A one),
// multi-producer when the cell has more than one producer, with a ring of at least 1 MiB and
// four messages; each process opens them again after fork() (an inherited handle refuses to
// work in a child). The Link's destructor unlinks them.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/link.hpp"
#include "harness/round.hpp"

namespace ipckit::bench {

// The channel's modes, in the order tables show them.
const std::vector<std::string>& channel_modes();

// Errors: EINVAL (unknown mode, size 0), and Channel::create's (ENOSPC: /dev/shm too small).
Result<std::unique_ptr<Link>> make_channel_link(const Cell& cell);

// Why the channel cannot run `cell` (a message larger than the biggest ring), or nullopt.
std::optional<std::string> channel_cannot(const Cell& cell);

}  // namespace ipckit::bench
