#include "handoff/handoff_serve_flags.hpp"

#include <fmt/core.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <limits>
#include <utility>

#include "cli/options.hpp"
#include "cli/values.hpp"
#include "ipckit/net/cidr.hpp"
#include "ipckit/net/inet_address.hpp"
#include "ipckit/unix/access_policy.hpp"
#include "ipckit/unix/address.hpp"

namespace ipckit::cli::handoff {

using ::ipckit::handoff::Config;
using ::ipckit::handoff::Milliseconds;

namespace {

constexpr std::uint64_t kMaxU32 = std::numeric_limits<std::uint32_t>::max();

[[nodiscard]] std::unexpected<Error> bad(std::string_view flag, std::string detail) {
  return fail(EINVAL, "flag", std::string(flag), std::move(detail));
}

[[nodiscard]] std::string quote_value(std::string_view text) {
  return "'" + escape_controls(text) + "'";
}

// The reason of a library parse error, without its "operation(object): " prefix.
[[nodiscard]] std::string reason_of(const Error& e) {
  const std::string message = e.message();
  return e.detail().empty() ? message.substr(message.rfind(": ") + 2) : e.detail();
}

[[nodiscard]] Result<std::uint64_t> number(std::string_view flag, const std::string& text,
                                           std::uint64_t min, std::uint64_t max) {
  if (auto v = parse_unsigned(text, min, max)) return *v;
  return bad(flag, fmt::format("invalid value {} (a whole number from {} to {})", quote_value(text),
                               min, max));
}

[[nodiscard]] Result<std::string> one_line(std::string_view flag, const std::string& text) {
  if (text.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
    return bad(flag,
               fmt::format("invalid value {} (one line: no CR, LF or NUL)", quote_value(text)));
  }
  if (text.size() > ::ipckit::handoff::kMaxLineBytes) {
    return bad(flag, fmt::format("at most {} bytes", ::ipckit::handoff::kMaxLineBytes));
  }
  return text;
}

[[nodiscard]] Result<std::vector<net::Cidr>> cidrs(std::string_view flag,
                                                   const std::vector<std::string>& texts) {
  std::vector<net::Cidr> out;
  for (const auto& text : texts) {
    auto cidr = net::Cidr::parse(text);
    if (!cidr) return bad(flag, "bad CIDR " + quote_value(text) + ": " + reason_of(cidr.error()));
    out.push_back(*cidr);
  }
  return out;
}

// "30/60": at most 30 connections per 60 seconds per address.
[[nodiscard]] Result<std::pair<std::uint32_t, std::uint32_t>> rate(const std::string& text) {
  const auto slash = text.find('/');
  const std::string what =
      fmt::format("invalid value {} (N/SECONDS: N from 0 to {}, SECONDS from 1 to {}, e.g. 30/60)",
                  quote_value(text), kMaxU32, ::ipckit::handoff::kMaxRatePeriodSeconds);
  if (slash == std::string::npos) return bad("--rate", what);
  auto n = parse_unsigned(text.substr(0, slash), 0, kMaxU32);
  auto seconds =
      parse_unsigned(text.substr(slash + 1), 1, ::ipckit::handoff::kMaxRatePeriodSeconds);
  if (!n || !seconds) return bad("--rate", what);
  return std::pair{static_cast<std::uint32_t>(*n), static_cast<std::uint32_t>(*seconds)};
}

// Applies an optional numeric flag through `set`.
template <class Set>
[[nodiscard]] Result<void> apply_number(std::string_view flag,
                                        const std::optional<std::string>& text, std::uint64_t min,
                                        std::uint64_t max, Set set) {
  if (!text) return {};
  auto v = number(flag, *text, min, max);
  if (!v) return std::unexpected(v.error());
  set(*v);
  return {};
}

struct KeyFlag {
  std::string_view key;
  std::string_view flag;
};

constexpr std::array kKeyFlags{
    KeyFlag{"listen", "--listen"},
    KeyFlag{"control", "--control"},
    KeyFlag{"control_mode", "--control-mode"},
    KeyFlag{"grace_ms", "--grace"},
    KeyFlag{"screen.allow", "--allow"},
    KeyFlag{"screen.deny", "--deny"},
    KeyFlag{"screen.reject_line", "--reject-line"},
    KeyFlag{"screen.max_per_address", "--max-per-address"},
    KeyFlag{"screen.rate.per_seconds", "--rate"},
    KeyFlag{"screen.pregreet.wait_ms", "--pregreet-wait"},
    KeyFlag{"screen.pregreet.banner", "--banner"},
    KeyFlag{"screen.cache.ttl_seconds", "--cache-ttl"},
    KeyFlag{"screen.cache.max_entries", "--cache-max-entries"},
    KeyFlag{"workers.allow_uids", "--allow-uid"},
    KeyFlag{"workers.dispatch", "--dispatch"},
    KeyFlag{"workers.max_in_flight", "--max-in-flight"},
    KeyFlag{"workers.ack_timeout_ms", "--ack-timeout"},
    KeyFlag{"workers.busy_timeout_ms", "--busy-timeout"},
    KeyFlag{"workers.busy_line", "--busy-line"},
    KeyFlag{"log.format", "--log-format"},
    KeyFlag{"log.level", "--log-level"},
};

}  // namespace

std::string_view flag_for_key(std::string_view key) noexcept {
  for (const auto& kf : kKeyFlags) {
    if (kf.key == key) return kf.flag;
  }
  return {};
}

void add_serve_flags(CLI::App& serve, ServeFlags& f) {
  // One value per occurrence for the repeatable ones, so "--deny A --deny B" is the only form.
  const auto many = [&](const char* name, std::vector<std::string>& into, const char* help,
                        const char* type) {
    serve.add_option(name, into, help)->allow_extra_args(false)->type_name(type);
  };
  const auto one = [&](const char* name, std::optional<std::string>& into, const char* help,
                       const char* type) { serve.add_option(name, into, help)->type_name(type); };
  one("--config", f.config, "Read this TOML file first (flags override it; SIGHUP re-reads it)",
      "FILE");
  many("--listen", f.listen, "Listen on HOST:PORT, [IPV6]:PORT or *:PORT (repeatable)", "ADDR");
  one("--control", f.control, "The workers' control socket: a path or @name", "ADDR");
  one("--control-mode", f.control_mode, "A path control socket's mode, in octal (default 0600)",
      "MODE");
  many("--allow-uid", f.allow_uid, "Workers with this uid may register (repeatable)", "UID");
  many("--allow-gid", f.allow_gid, "Workers with this gid may register (repeatable)", "GID");
  many("--allow", f.allow, "Allow clients in this CIDR (repeatable; then others are refused)",
       "CIDR");
  many("--deny", f.deny, "Refuse clients in this CIDR (repeatable)", "CIDR");
  one("--pregreet-wait", f.pregreet_wait, "Drop clients that talk within MS of connecting", "MS");
  one("--banner", f.banner, "Send this line at once, before the pregreet wait", "TEXT");
  one("--reject-line", f.reject_line, "Send this line to a refused client before closing", "TEXT");
  one("--rate", f.rate, "At most N connections per SECONDS per client address", "N/SECONDS");
  one("--max-per-address", f.max_per_address, "At most N clients at once per address", "N");
  one("--cache-ttl", f.cache_ttl, "Let a client that passed skip the wait for SECONDS", "SECONDS");
  one("--cache-max-entries", f.cache_max_entries, "Remember at most N passed addresses", "N");
  one("--dispatch", f.dispatch, "least-busy or round-robin", "POLICY");
  one("--max-in-flight", f.max_in_flight, "Unacknowledged clients per worker", "N");
  one("--ack-timeout", f.ack_timeout, "Drop a worker that leaves a client unacknowledged MS", "MS");
  one("--busy-timeout", f.busy_timeout, "Close a client no worker takes within MS", "MS");
  one("--busy-line", f.busy_line, "Send this line to a client no worker took", "TEXT");
  one("--grace", f.grace, "On SIGTERM, let clients in flight finish for MS", "MS");
  one("--log-format", f.log_format, "logfmt or json", "FORMAT");
  one("--log-level", f.log_level, "debug, info, warning or error", "LEVEL");
}

Result<Config> apply_serve_flags(Config c, const ServeFlags& f) {
  using namespace ::ipckit::handoff;
  const std::uint64_t max_ms = kMaxMilliseconds;
  if (!f.listen.empty()) {
    c.listen.clear();
    for (const auto& text : f.listen) {
      auto address = net::InetAddress::parse(text);
      if (!address) {
        return bad("--listen",
                   "bad address " + quote_value(text) + ": " + reason_of(address.error()));
      }
      c.listen.push_back(*address);
    }
  }
  if (f.control) {
    if (f.control->empty()) return bad("--control", "must not be empty");
    auto address = uds::UnixAddress::parse(*f.control);
    if (!address) {
      return bad("--control",
                 "bad address " + quote_value(*f.control) + ": " + reason_of(address.error()));
    }
    c.control = *address;
  }
  if (f.control_mode) {
    // The floor's --mode rule (octal, at most 0777), kept on one line with the flag's name.
    std::string text = *f.control_mode;
    if (std::string why = mode_validator()(text); !why.empty()) return bad("--control-mode", why);
    c.control_mode = mode_value(text);
  }
  if (!f.allow_uid.empty() || !f.allow_gid.empty()) {
    uds::AccessPolicy policy = uds::AccessPolicy::only({});
    for (const auto& text : f.allow_uid) {
      auto id = uds::parse_id(text);
      if (!id) return bad("--allow-uid", "invalid uid " + quote_value(text));
      policy.allow_user(*id);
    }
    for (const auto& text : f.allow_gid) {
      auto id = uds::parse_id(text);
      if (!id) return bad("--allow-gid", "invalid gid " + quote_value(text));
      policy.allow_group(*id);
    }
    c.workers.policy = std::move(policy);
  }
  if (!f.allow.empty()) {
    auto list = cidrs("--allow", f.allow);
    if (!list) return std::unexpected(list.error());
    c.screening.allow = std::move(*list);
  }
  if (!f.deny.empty()) {
    auto list = cidrs("--deny", f.deny);
    if (!list) return std::unexpected(list.error());
    c.screening.deny = std::move(*list);
  }
  Screening& s = c.screening;
  WorkerRules& w = c.workers;
  const auto ms = [](Milliseconds& into) {
    return [&into](std::uint64_t v) { into = Milliseconds(static_cast<std::int64_t>(v)); };
  };
  const auto u32 = [](std::uint32_t& into) {
    return [&into](std::uint64_t v) { into = static_cast<std::uint32_t>(v); };
  };
  Result<void> numbers[] = {
      apply_number("--pregreet-wait", f.pregreet_wait, 0, max_ms, ms(s.pregreet_wait)),
      apply_number("--max-per-address", f.max_per_address, 0, kMaxU32, u32(s.max_per_address)),
      apply_number("--cache-ttl", f.cache_ttl, 0, kMaxCacheTtlSeconds,
                   [&](std::uint64_t v) {
                     s.cache_ttl = std::chrono::seconds(static_cast<std::int64_t>(v));
                   }),
      apply_number("--cache-max-entries", f.cache_max_entries, 1, kMaxU32,
                   u32(s.cache_max_entries)),
      apply_number("--max-in-flight", f.max_in_flight, 1, kMaxU32, u32(w.max_in_flight)),
      apply_number("--ack-timeout", f.ack_timeout, 1, max_ms, ms(w.ack_timeout)),
      apply_number("--busy-timeout", f.busy_timeout, 0, max_ms, ms(w.busy_timeout)),
      apply_number("--grace", f.grace, 0, max_ms, ms(c.grace_period)),
  };
  for (auto& r : numbers) {
    if (!r) return std::unexpected(r.error());
  }
  if (f.rate) {
    auto r = rate(*f.rate);
    if (!r) return std::unexpected(r.error());
    s.rate_connections = r->first;
    s.rate_period = std::chrono::seconds(r->second);
  }
  const std::pair<const std::optional<std::string>*, std::pair<std::string_view, std::string*>>
      lines[] = {{&f.banner, {"--banner", &s.banner}},
                 {&f.reject_line, {"--reject-line", &s.reject_line}},
                 {&f.busy_line, {"--busy-line", &w.busy_line}}};
  for (const auto& [text, target] : lines) {
    if (!*text) continue;
    auto line = one_line(target.first, **text);
    if (!line) return std::unexpected(line.error());
    *target.second = std::move(*line);
  }
  if (f.dispatch) {
    auto d = parse_dispatch_policy(*f.dispatch);
    if (!d) {
      return bad("--dispatch",
                 "invalid value " + quote_value(*f.dispatch) + " (least-busy or round-robin)");
    }
    w.dispatch = *d;
  }
  if (f.log_format) {
    auto v = parse_log_format(*f.log_format);
    if (!v)
      return bad("--log-format",
                 "invalid value " + quote_value(*f.log_format) + " (logfmt or json)");
    c.log_format = *v;
  }
  if (f.log_level) {
    auto v = parse_log_level(*f.log_level);
    if (!v) {
      return bad("--log-level",
                 "invalid value " + quote_value(*f.log_level) + " (debug, info, warning or error)");
    }
    c.log_level = *v;
  }
  return c;
}

Result<Config> serve_config(const ServeFlags& flags) {
  Config base;
  if (flags.config) {
    auto loaded = ::ipckit::handoff::load_config(*flags.config, base);
    if (!loaded) return std::unexpected(loaded.error());
    base = std::move(*loaded);
  }
  return apply_serve_flags(std::move(base), flags);
}

}  // namespace ipckit::cli::handoff
