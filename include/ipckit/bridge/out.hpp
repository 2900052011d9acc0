// ipckit::bridge::run_out: the source side of a bridge (`ipckit bridge out`).
//
// Reads the source channel ahead (Receiver::peek_ahead, ReceiveMode::kFollow: producers come and
// go), sends the messages in batches over a ZeroMQ DEALER socket to a bridge in, and releases
// them from the source ring only when the bridge in acknowledges that it committed them into
// its channel. Unacknowledged messages stay in the ring: after a lost connection, a restart of
// either side, or a gap, the out side says hello again, learns the last message committed, and
// sends again from there (docs/bridge.md, "Delivery").
//
// Blocks the calling thread until `stop` is set (returns success) or a fatal error: the bridge
// in refused this source (EPERM), the source channel is corrupted or truncated (EBADMSG,
// EPROTO). Connection trouble is never fatal: it is logged and retried with backoff.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "ipckit/bridge/curve.hpp"
#include "ipckit/channel/channel.hpp"
#include "ipckit/core/error.hpp"

namespace ipckit::bridge {

struct OutOptions {
  std::string endpoint;  // checked with parse_endpoint / check_plaintext by the caller
  std::string source;    // this source's name at the bridge in (1-200 bytes)
  std::size_t window_messages = 65536;      // unacknowledged messages at most
  std::size_t window_bytes = 64ULL << 20U;  // unacknowledged payload bytes at most
  std::size_t batch_bytes = 256U << 10U;    // one ZeroMQ message carries up to this much
  // No acknowledgement for this long while messages are in flight: say hello again.
  std::chrono::milliseconds ack_timeout{3000};
  // CURVE: our key pair and the bridge in's public key.
  std::optional<KeyPair> curve;
  std::string server_key;
  std::chrono::milliseconds stats_interval{0};  // 0: no periodic stats line
};

// What the out side did; read by the thread that runs it (or after it returns).
struct OutStats {
  std::uint64_t forwarded = 0;  // messages sent for the first time
  std::uint64_t forwarded_bytes = 0;
  std::uint64_t acknowledged = 0;  // messages released after the bridge in committed them
  std::uint64_t acknowledged_bytes = 0;
  std::uint64_t retransmitted = 0;  // messages sent again (after a rewind or a reconnect)
  std::uint64_t in_flight = 0;
  std::uint64_t in_flight_bytes = 0;
  std::uint64_t hellos = 0;
  std::uint64_t rtt_last_us = 0;  // from sending a batch to its acknowledgement
  std::uint64_t rtt_max_us = 0;
  std::string state = "connecting";  // connecting, handshake, streaming
};

// One logfmt line per event (without its newline).
using LogSink = std::function<void(std::string_view line)>;

[[nodiscard]] Result<void> run_out(const channel::Channel& source, const OutOptions& options,
                                   const std::atomic<bool>& stop, const LogSink& log,
                                   OutStats& stats);

}  // namespace ipckit::bridge
