// The main() of a peer harness (bench/peers/*): parses the round's arguments, runs one round of
// `mechanism` with run_link_round() (or the mechanism's own run), prints the RoundResult as one
// JSON line on stdout, and exits 0 (also when the round failed: the error is in the JSON).
//
//   ipckit-bench-zmq --probe
//       prints {"name":..,"modes":[..],"tests":[..],"note":..} and exits 0, or one line on
//       stderr saying why it cannot run here (e.g. iox-roudi missing) and exits 1
//   ipckit-bench-zmq --test latency|throughput --size N [--mode M] [--producers N]
//                    [--load idle|busy-cpu] [--duration-ms N] [--cpus A,B|none] [--deadline-s N]
//
// Exit 2 on a usage error, with one line on stderr.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "harness/mechanism.hpp"

namespace ipckit::bench {

int peer_main(int argc, char** argv, const Mechanism& mechanism);

// The same, with `unavailable` asked first: a reason this peer cannot run on this machine (e.g.
// "iox-roudi not found"), or nullopt. With a reason, --probe prints it on stderr and exits 1,
// and a round prints a RoundResult whose error is that reason.
int peer_main(int argc, char** argv, const Mechanism& mechanism,
              const std::function<std::optional<std::string>()>& unavailable);

}  // namespace ipckit::bench
