// Peers: other IPC libraries, measured by small harness programs built only when their Debian
// packages were found (bench/peers/), installed beside ipckit (libexec/ipckit/), run one round
// per invocation (peer_main.hpp), so that neither `ipckit` nor its package depends on them.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "harness/mechanism.hpp"

namespace ipckit::bench {

struct PeerStatus {
  std::string name;  // "iceoryx", "boost-mq", "zmq", "nng"
  bool found = false;
  std::filesystem::path program;  // the harness, when found
  std::string why_missing;        // when not found: one line, e.g. "ipckit-bench-nng not
                                  // installed: built only when libnng-dev is found"
};

// Looks for each known peer's harness in: $IPCKIT_BENCH_PEERS (a directory), then
// <ipckit's directory>/../libexec/ipckit/, then the build tree's bench/peers/ (when running
// from the build tree). A harness that is there but fails its probe is reported with why.
std::vector<PeerStatus> find_peers();

// The directories find_peers() searches, in order.
std::vector<std::filesystem::path> peer_directories();
// find_peers() over `dirs` only (tests use it to point at harnesses of their own).
std::vector<PeerStatus> find_peers_in(const std::vector<std::filesystem::path>& dirs);

// A Mechanism whose rounds run `status.program` (one process per round) and parse its JSON.
Mechanism peer_mechanism(const PeerStatus& status);

}  // namespace ipckit::bench
