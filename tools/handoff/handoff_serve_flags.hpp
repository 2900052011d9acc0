// The flags of `ipckit handoff serve` and how they override the config file: each flag given
// replaces the file's value (a repeatable flag given at least once replaces the whole list).
// docs/handoff.md "Configuration" pairs every flag with its key.
//
// Values are kept as typed and converted by apply_serve_flags(), so that a bad value is one line
// naming the flag and exit 2, like a bad config file, never half-applied. Single-threaded.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ipckit/core/error.hpp"
#include "ipckit/handoff/config.hpp"

namespace ipckit::cli::handoff {

struct ServeFlags {
  std::optional<std::string> config;  // --config FILE
  std::vector<std::string> listen;
  std::optional<std::string> control;
  std::optional<std::string> control_mode;
  std::vector<std::string> allow_uid;
  std::vector<std::string> allow_gid;
  std::vector<std::string> allow;
  std::vector<std::string> deny;
  std::optional<std::string> pregreet_wait;
  std::optional<std::string> banner;
  std::optional<std::string> reject_line;
  std::optional<std::string> rate;  // N/SECONDS
  std::optional<std::string> max_per_address;
  std::optional<std::string> cache_ttl;
  std::optional<std::string> cache_max_entries;
  std::optional<std::string> dispatch;
  std::optional<std::string> max_in_flight;
  std::optional<std::string> ack_timeout;
  std::optional<std::string> busy_timeout;
  std::optional<std::string> busy_line;
  std::optional<std::string> grace;
  std::optional<std::string> log_format;
  std::optional<std::string> log_level;
};

void add_serve_flags(CLI::App& serve, ServeFlags& flags);

// `config` with every flag given applied. Errors: EINVAL, operation "flag", object the flag
// ("--deny"), detail the problem ("bad CIDR '10.0.0.1/8': host bits set (the network is ...)").
[[nodiscard]] Result<::ipckit::handoff::Config> apply_serve_flags(::ipckit::handoff::Config config,
                                                                  const ServeFlags& flags);

// The file (if --config) over the defaults, then the flags: what the daemon runs with, and what
// a SIGHUP re-reads. Errors: those of load_config and apply_serve_flags.
[[nodiscard]] Result<::ipckit::handoff::Config> serve_config(const ServeFlags& flags);

// The flag that sets a config key ("workers.max_in_flight" → "--max-in-flight"), for messages of
// validate(); empty for a key no flag sets.
[[nodiscard]] std::string_view flag_for_key(std::string_view key) noexcept;

}  // namespace ipckit::cli::handoff
