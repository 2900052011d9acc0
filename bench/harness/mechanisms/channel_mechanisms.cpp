// The channel's part of the registry: `channel` (five modes, up to 4 producers) and
// `shared-state`.
#include "harness/mechanism.hpp"
#include "harness/mechanisms/channel_link.hpp"
#include "harness/mechanisms/shared_state_mechanism.hpp"
#include "harness/runner.hpp"

namespace ipckit::bench {

std::vector<Mechanism> channel_mechanisms() {
  Mechanism channel;
  channel.name = "channel";
  channel.modes = channel_modes();
  channel.tests = {Test::kLatency, Test::kThroughput};
  channel.max_producers = 4;
  channel.note =
      "lossless, no daemon; busy-poll modes keep both CPUs busy, spin-then-block spins 50 us "
      "then sleeps on a futex, block sleeps at once; -peek reads in place (peek/release), "
      "-zero-copy also writes in place (reserve/commit); several producers: a multi-producer "
      "channel";
  channel.cannot = channel_cannot;
  channel.run = [](const Cell& cell, const RoundOptions& options) {
    return run_link_round(make_channel_link, cell, options);
  };
  std::vector<Mechanism> all;
  all.push_back(std::move(channel));
  all.push_back(shared_state_mechanism());
  return all;
}

}  // namespace ipckit::bench
