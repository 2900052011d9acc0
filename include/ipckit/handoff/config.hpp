// ipckit::handoff::Config: everything a handoff daemon is told: where it listens, which workers
// it trusts, how it screens clients and how it dispatches them. docs/handoff.md "Configuration"
// documents the file format (TOML) key by key; every field below has a key there.
//
// Two parts can change while the daemon runs (SIGHUP, Server::reload): `screening` and
// `workers.policy`. The listen addresses and the control address are fixed at start.
//
// Thread safety: plain values; parse_config/load_config are pure apart from reading the file.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ipckit/core/error.hpp"
#include "ipckit/net/cidr.hpp"
#include "ipckit/net/inet_address.hpp"
#include "ipckit/unix/access_policy.hpp"
#include "ipckit/unix/address.hpp"

namespace ipckit::handoff {

using Milliseconds = std::chrono::milliseconds;

// How clients are judged before a worker sees them. Each screen has its own counter (stats.hpp).
struct Screening {
  // Access by address: the longest matching prefix of `allow` and `deny` decides (deny wins a
  // tie); an address no rule matches is allowed when `allow` is empty and refused otherwise.
  std::vector<net::Cidr> allow;
  std::vector<net::Cidr> deny;
  // Rate: at most `rate_connections` new connections per `rate_period` per client address
  // (0: no limit). Concurrency: at most `max_per_address` clients per address held by the daemon
  // or by a worker and not yet done (0: no limit).
  std::uint32_t rate_connections = 0;
  Milliseconds rate_period{60'000};
  std::uint32_t max_per_address = 0;
  // Pregreet (postscreen's test): send `banner` + CRLF at once (if not empty), wait
  // `pregreet_wait`; a client that sends anything before the wait ends is dropped (0: no test).
  Milliseconds pregreet_wait{0};
  std::string banner;
  // Sent + CRLF to a client refused by any screen before it is closed (empty: just close).
  std::string reject_line;
  // A client that passed the pregreet test is remembered for `cache_ttl` (0: no cache); while
  // remembered, its address skips the wait (no banner) and is handed off at once.
  std::chrono::seconds cache_ttl{0};
  std::uint32_t cache_max_entries = 100'000;  // the oldest entry goes first when full

  friend bool operator==(const Screening&, const Screening&) = default;
};

enum class DispatchPolicy { kRoundRobin, kLeastBusy };

struct WorkerRules {
  uds::AccessPolicy policy = uds::AccessPolicy::same_user();  // who may register (SO_PEERCRED)
  DispatchPolicy dispatch = DispatchPolicy::kLeastBusy;
  std::uint32_t max_in_flight = 16;  // per worker: descriptors sent and not yet acknowledged
  // A worker that leaves a descriptor unacknowledged this long is dropped (stuck or not reading)
  // and its unacknowledged clients go to other workers.
  Milliseconds ack_timeout{5'000};
  // A client that no worker can take within this long gets `busy_line` + CRLF (if not empty)
  // and is closed.
  Milliseconds busy_timeout{5'000};
  std::string busy_line;

  friend bool operator==(const WorkerRules&, const WorkerRules&) = default;
};

enum class LogFormat { kLogfmt, kJson };
enum class LogLevel { kDebug, kInfo, kWarning, kError };

struct Config {
  std::vector<net::InetAddress> listen;  // may be empty when systemd passes the sockets
  uds::UnixAddress control;              // the workers' control socket
  std::optional<mode_t> control_mode{};  // path sockets: the socket file's mode (default 0600)
  Screening screening;
  WorkerRules workers;
  Milliseconds grace_period{10'000};  // SIGTERM: how long clients in flight may finish
  LogFormat log_format = LogFormat::kLogfmt;
  LogLevel log_level = LogLevel::kInfo;
};

// The bounds parse_config and validate enforce (docs/handoff.md "Configuration").
inline constexpr std::int64_t kMaxMilliseconds = 86'400'000;  // every *_ms value: one day
inline constexpr std::int64_t kMaxRatePeriodSeconds = 86'400;
inline constexpr std::int64_t kMaxCacheTtlSeconds = 2'592'000;  // 30 days
inline constexpr std::size_t kMaxLineBytes = 998;  // banner, reject_line, busy_line (SMTP's limit)

// Parses a TOML document (docs/handoff.md "Configuration") over `base` (keys absent from the
// text keep base's values; an array given replaces base's). `file` names the document in errors.
// Errors: EINVAL, operation "config", object "FILE:LINE", detail naming the problem:
// "unknown key 'screen.alow'", "'screen.rate.per_seconds' must be an integer from 1 to 86400",
// "'screen.deny': bad CIDR '10.0.0.1/8': host bits set", a TOML syntax error. One error: the
// problem on the earliest line. Never throws.
[[nodiscard]] Result<Config> parse_config(std::string_view text, std::string_view file,
                                          Config base = {});

// Reads `path` and parse_config()s it (errors name `path` as given). Errors: those of open/read
// (ENOENT, EACCES, EISDIR; object `path`), and those of parse_config.
[[nodiscard]] Result<Config> load_config(const std::string& path, Config base = {});

// Checks what parsing cannot: a control address unless `have_activated_control` (systemd passed a
// socket named "control"), at least one listen address unless `have_activated_listeners`, no listen
// address twice, control_mode only for a path, limits in range (the bounds above; counts that must
// be >= 1), one-line texts. Errors: EINVAL, operation "config", object the field's key
// ("workers.max_in_flight"), detail the problem.
[[nodiscard]] Result<void> validate(const Config& config, bool have_activated_listeners,
                                    bool have_activated_control = false);

[[nodiscard]] std::string_view to_string(
    DispatchPolicy policy) noexcept;  // "round-robin", "least-busy"

// The words of the file and of the command line: "least-busy"/"round-robin", "logfmt"/"json",
// "debug"/"info"/"warning"/"error". Returns: the value, or nullopt for any other word.
[[nodiscard]] std::optional<DispatchPolicy> parse_dispatch_policy(std::string_view word) noexcept;
[[nodiscard]] std::optional<LogFormat> parse_log_format(std::string_view word) noexcept;
[[nodiscard]] std::optional<LogLevel> parse_log_level(std::string_view word) noexcept;

}  // namespace ipckit::handoff
