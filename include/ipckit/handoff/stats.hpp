// ipckit::handoff::Stats: a handoff daemon's live counters, as `ipckit handoff stats` shows them.
//
// Counters count since the daemon started (a reload does not reset them); gauges (in_flight,
// screening, waiting, per-worker load) are the state at the moment of the request.
// Thread safety: plain values.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ipckit/core/error.hpp"
#include "ipckit/core/timeout.hpp"
#include "ipckit/unix/access_policy.hpp"
#include "ipckit/unix/address.hpp"

namespace ipckit::handoff {

struct WorkerStats {
  std::uint32_t worker = 0;  // the daemon's number
  std::string name;
  pid_t pid = 0;
  uid_t uid = 0;
  std::uint32_t capacity = 0;
  std::uint32_t in_flight = 0;   // sent, not acknowledged
  std::uint32_t active = 0;      // acknowledged, not done
  std::uint64_t handed_off = 0;  // acknowledged, in total
};

struct Stats {
  pid_t daemon_pid = 0;
  std::int64_t uptime_ms = 0;
  std::uint64_t accepted = 0;  // TCP connections accepted
  // Refused, by reason: "access", "rate", "concurrency", "pregreet", "busy", "shutdown".
  std::map<std::string, std::uint64_t> rejected;
  std::uint64_t cache_hits = 0;       // handed off at once thanks to the pass cache
  std::uint64_t handed_off = 0;       // acknowledged by a worker
  std::uint64_t redispatched = 0;     // sent to a worker that died or stalled first, sent again
  std::uint64_t client_gone = 0;      // hung up while being screened or waiting for a worker
  std::uint64_t workers_refused = 0;  // control connections refused (policy or protocol)
  std::uint64_t workers_dropped = 0;  // workers dropped (died, stalled, protocol errors)
  std::uint64_t reloads = 0;
  std::uint32_t screening = 0;  // clients in the pregreet wait now
  std::uint32_t waiting = 0;    // clients screened, waiting for a worker now
  std::uint32_t in_flight = 0;  // clients sent to a worker and not acknowledged now
  std::uint32_t cache_entries = 0;
  std::vector<WorkerStats> workers;
};

// The reply's JSON text (docs/handoff.md "Stats") and back.
[[nodiscard]] std::string to_json(const Stats& stats);
// Errors: EPROTO ("not a stats reply").
[[nodiscard]] Result<Stats> stats_from_json(std::string_view json);

// Connects to the daemon's control socket (checking the daemon against `daemon_policy`, empty as
// in WorkerOptions), sends {"op":"stats"} and reads the reply.
// Errors: those of connect_verified, EPERM (refused; the detail is the daemon's reason),
// ETIMEDOUT (no reply within `timeout`, counted from the call), ECONNRESET (the daemon closed
// the connection without replying), EPROTO (the reply is not a valid stats reply).
[[nodiscard]] Result<Stats> fetch_stats(const uds::UnixAddress& control,
                                        std::optional<uds::AccessPolicy> daemon_policy = {},
                                        Timeout timeout = std::chrono::seconds(5));

}  // namespace ipckit::handoff
