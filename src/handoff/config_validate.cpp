// validate(): what the parser cannot check alone, and the bounds again for values that came from
// the command line rather than the file (docs/handoff.md "Configuration").
#include <cerrno>
#include <cstdint>
#include <string>

#include "handoff/config_text.hpp"
#include "ipckit/handoff/config.hpp"

namespace ipckit::handoff {

namespace {

[[nodiscard]] std::unexpected<Error> bad(std::string field, std::string what) {
  return fail(EINVAL, "config", std::move(field), std::move(what));
}

[[nodiscard]] Result<void> in_range(std::string field, std::int64_t value, std::int64_t min,
                                    std::int64_t max) {
  if (value >= min && value <= max) return {};
  return bad(std::move(field), "must be from " + std::to_string(min) + " to " +
                                   std::to_string(max) + ", not " + std::to_string(value));
}

[[nodiscard]] Result<void> one_line(std::string field, const std::string& text) {
  if (auto why = line_problem(text)) return bad(std::move(field), *why);
  return {};
}

}  // namespace

Result<void> validate(const Config& c, bool have_activated_listeners, bool have_activated_control) {
  if (c.control.is_unnamed() && !have_activated_control) {
    return bad("control", "no control socket address given");
  }
  if (c.listen.empty() && !have_activated_listeners) {
    return bad("listen", "nothing to listen on: no address given and no socket from systemd");
  }
  for (std::size_t i = 0; i < c.listen.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (c.listen[i] == c.listen[j] && c.listen[i].port() != 0) {
        return bad("listen", "'" + c.listen[i].to_string() + "' is listed twice");
      }
    }
  }
  if (c.control_mode) {
    if (!c.control.is_path()) {
      return bad("control_mode", "applies only to a path control socket, not an @abstract name");
    }
    if (auto r = in_range("control_mode", *c.control_mode, 0, 0777); !r) return r;
  }
  const Screening& s = c.screening;
  const WorkerRules& w = c.workers;
  const std::int64_t max_ms = kMaxMilliseconds;
  Result<void> checks[] = {
      in_range("grace_ms", c.grace_period.count(), 0, max_ms),
      in_range("screen.rate.per_seconds", s.rate_period.count(), 1000,
               kMaxRatePeriodSeconds * 1000),
      in_range("screen.pregreet.wait_ms", s.pregreet_wait.count(), 0, max_ms),
      one_line("screen.pregreet.banner", s.banner),
      one_line("screen.reject_line", s.reject_line),
      in_range("screen.cache.ttl_seconds", s.cache_ttl.count(), 0, kMaxCacheTtlSeconds),
      in_range("screen.cache.max_entries", s.cache_max_entries, 1, UINT32_MAX),
      in_range("workers.max_in_flight", w.max_in_flight, 1, UINT32_MAX),
      in_range("workers.ack_timeout_ms", w.ack_timeout.count(), 1, max_ms),
      in_range("workers.busy_timeout_ms", w.busy_timeout.count(), 0, max_ms),
      one_line("workers.busy_line", w.busy_line),
  };
  for (auto& r : checks) {
    if (!r) return r;
  }
  if (!w.policy.allows_anyone() && w.policy.users().empty() && w.policy.groups().empty()) {
    return bad("workers.allow_uids", "no uid or gid may register a worker");
  }
  return {};
}

}  // namespace ipckit::handoff
