// Stats as the JSON object of the daemon's {"op":"stats",...} reply (docs/handoff.md "Stats").
#include <fmt/core.h>

#include <limits>

#include "handoff/protocol_json.hpp"
#include "ipckit/handoff/stats.hpp"

namespace ipckit::handoff {

namespace {

using detail::get_member;
using detail::get_signed;
using detail::get_string;
using detail::get_unsigned;
using detail::Json;
using detail::protocol_error;

constexpr std::string_view kReply = "stats reply";
constexpr auto kU32 = std::numeric_limits<std::uint32_t>::max();
constexpr auto kPidMax = static_cast<std::uint64_t>(std::numeric_limits<pid_t>::max());

// Reads the unsigned member `key` into `out` (of any unsigned width up to `max`).
template <class T>
Result<void> read_unsigned(const Json& json, const char* key, T& out,
                           std::uint64_t max = std::numeric_limits<T>::max()) {
  auto value = get_unsigned(json, key, kReply, 0, max);
  if (!value) return std::unexpected(value.error());
  out = static_cast<T>(*value);
  return {};
}

Json worker_json(const WorkerStats& w) {
  return {{"worker", w.worker},     {"name", w.name},
          {"pid", w.pid},           {"uid", w.uid},
          {"capacity", w.capacity}, {"in_flight", w.in_flight},
          {"active", w.active},     {"handed_off", w.handed_off}};
}

Result<WorkerStats> worker_from_json(const Json& json) {
  if (!json.is_object()) return protocol_error(kReply, "'workers' must hold objects");
  WorkerStats w;
  auto name = get_string(json, "name", kReply);
  if (!name) return std::unexpected(name.error());
  w.name = *std::move(name);
  for (auto r :
       {read_unsigned(json, "worker", w.worker), read_unsigned(json, "pid", w.pid, kPidMax),
        read_unsigned(json, "uid", w.uid), read_unsigned(json, "capacity", w.capacity),
        read_unsigned(json, "in_flight", w.in_flight), read_unsigned(json, "active", w.active),
        read_unsigned(json, "handed_off", w.handed_off)}) {
    if (!r) return std::unexpected(r.error());
  }
  return w;
}

}  // namespace

std::string to_json(const Stats& s) {
  Json rejected = Json::object();
  for (const auto& [reason, count] : s.rejected)
    rejected[reason] = count;
  Json workers = Json::array();
  for (const WorkerStats& w : s.workers)
    workers.push_back(worker_json(w));
  const Json json = {{"op", "stats"},
                     {"daemon_pid", s.daemon_pid},
                     {"uptime_ms", s.uptime_ms},
                     {"accepted", s.accepted},
                     {"rejected", std::move(rejected)},
                     {"cache_hits", s.cache_hits},
                     {"handed_off", s.handed_off},
                     {"redispatched", s.redispatched},
                     {"client_gone", s.client_gone},
                     {"workers_refused", s.workers_refused},
                     {"workers_dropped", s.workers_dropped},
                     {"reloads", s.reloads},
                     {"screening", s.screening},
                     {"waiting", s.waiting},
                     {"in_flight", s.in_flight},
                     {"cache_entries", s.cache_entries},
                     {"workers", std::move(workers)}};
  return detail::dump(json);
}

Result<Stats> stats_from_json(std::string_view text) {
  auto parsed = detail::parse_object(text, kReply);
  if (!parsed) return std::unexpected(parsed.error());
  const Json& json = *parsed;
  const auto op = json.find("op");
  if (op == json.end() || !op->is_string() || op->get<std::string>() != "stats")
    return protocol_error(kReply, "not a stats reply");

  Stats s;
  auto uptime = get_signed(json, "uptime_ms", kReply);
  if (!uptime) return std::unexpected(uptime.error());
  s.uptime_ms = *uptime;
  for (auto r : {read_unsigned(json, "daemon_pid", s.daemon_pid, kPidMax),
                 read_unsigned(json, "accepted", s.accepted),
                 read_unsigned(json, "cache_hits", s.cache_hits),
                 read_unsigned(json, "handed_off", s.handed_off),
                 read_unsigned(json, "redispatched", s.redispatched),
                 read_unsigned(json, "client_gone", s.client_gone),
                 read_unsigned(json, "workers_refused", s.workers_refused),
                 read_unsigned(json, "workers_dropped", s.workers_dropped),
                 read_unsigned(json, "reloads", s.reloads),
                 read_unsigned(json, "screening", s.screening, kU32),
                 read_unsigned(json, "waiting", s.waiting, kU32),
                 read_unsigned(json, "in_flight", s.in_flight, kU32),
                 read_unsigned(json, "cache_entries", s.cache_entries, kU32)}) {
    if (!r) return std::unexpected(r.error());
  }

  auto rejected = get_member(json, "rejected", Json::value_t::object, kReply);
  if (!rejected) return std::unexpected(rejected.error());
  for (const auto& [reason, count] : (*rejected)->items()) {
    if (!count.is_number_unsigned()) {
      return protocol_error(kReply, fmt::format("'rejected' count of {} must be a non-negative "
                                                "integer",
                                                detail::quote(reason)));
    }
    s.rejected[reason] = count.get<std::uint64_t>();
  }

  auto workers = get_member(json, "workers", Json::value_t::array, kReply);
  if (!workers) return std::unexpected(workers.error());
  for (const Json& entry : **workers) {
    auto w = worker_from_json(entry);
    if (!w) return std::unexpected(w.error());
    s.workers.push_back(*std::move(w));
  }
  return s;
}

}  // namespace ipckit::handoff
