// ipckit::bridge::run_in: the destination side of a bridge (`ipckit bridge in`).
//
// Binds a ZeroMQ ROUTER socket; each bridge out says hello with its source name and source
// channel incarnation, then sends batches of messages. Each message is committed into the
// destination channel once: the Ledger (ledger.hpp) remembers, per source, the last message
// committed, across crashes and restarts of this side; retransmitted messages are dropped, and
// a gap (a batch lost with a connection) is answered with a rewind. Every batch is answered
// with the last message committed, which lets the out side release its ring.
//
// Back-pressure: a full destination channel blocks the commit (in slices, so `stop` is seen
// within 100 ms); no more acknowledgements go out; the sources' windows fill, and then their
// channels. Nothing is dropped.
//
// Blocks until `stop` is set (success) or a fatal error (the endpoint cannot be bound, the
// destination channel is corrupted or truncated).
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "ipckit/bridge/curve.hpp"
#include "ipckit/bridge/ledger.hpp"
#include "ipckit/bridge/out.hpp"
#include "ipckit/channel/channel.hpp"

namespace ipckit::bridge {

struct InOptions {
  std::string endpoint;
  // CURVE: our key pair, and the public keys (Z85) of the sources allowed to connect.
  std::optional<KeyPair> curve;
  std::set<std::string> allowed_keys;
  std::chrono::milliseconds stats_interval{0};
};

struct InStats {
  std::uint64_t received = 0;   // messages that arrived (duplicates included)
  std::uint64_t committed = 0;  // messages sent into the destination channel
  std::uint64_t committed_bytes = 0;
  std::uint64_t duplicates = 0;  // retransmitted messages dropped
  std::uint64_t rewinds = 0;     // gaps answered with a rewind
  std::uint64_t hellos = 0;
  std::uint64_t refused = 0;  // sources refused (wrong CURVE key, bad hello)
  std::uint64_t bad_frames = 0;
};

[[nodiscard]] Result<void> run_in(const channel::Channel& destination, Ledger& ledger,
                                  const InOptions& options, const std::atomic<bool>& stop,
                                  const LogSink& log, InStats& stats);

}  // namespace ipckit::bridge
