#include "ipckit/handoff/protocol.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <limits>

#include "handoff/protocol_json.hpp"

namespace ipckit::handoff::protocol {

namespace {

using detail::get_bool;
using detail::get_member;
using detail::get_signed;
using detail::get_string;
using detail::get_unsigned;
using detail::Json;
using detail::protocol_error;

constexpr std::string_view kWorkerMessage = "worker message";
constexpr std::string_view kDaemonMessage = "daemon message";
constexpr std::size_t kMaxName = 64;

bool printable_name(std::string_view name) {
  return !name.empty() && name.size() <= kMaxName &&
         std::ranges::all_of(name, [](char c) { return c >= 0x20 && c < 0x7f; });
}

Json encode_client(const ClientInfo& info) {
  Json json = {{"op", "client"},
               {"id", info.id},
               {"peer", info.peer.to_string()},
               {"local", info.local.to_string()},
               {"accepted_unix_ns", info.accepted_unix_ns},
               {"screens", info.screens},
               {"banner_sent", info.banner_sent},
               {"redispatched", info.redispatched}};
  return json;
}

Result<net::InetAddress> get_address(const Json& json, const char* key) {
  auto text = get_string(json, key, kDaemonMessage);
  if (!text) return std::unexpected(text.error());
  auto address = net::InetAddress::parse(*text);
  if (!address) {
    return protocol_error(kDaemonMessage,
                          fmt::format("'{}': bad address {}", key, detail::quote(*text)));
  }
  return *address;
}

Result<DaemonMessage> decode_client(const Json& json) {
  Client client;
  ClientInfo& info = client.info;
  auto id = get_unsigned(json, "id", kDaemonMessage);
  if (!id) return std::unexpected(id.error());
  info.id = *id;
  auto peer = get_address(json, "peer");
  if (!peer) return std::unexpected(peer.error());
  info.peer = *peer;
  auto local = get_address(json, "local");
  if (!local) return std::unexpected(local.error());
  info.local = *local;
  auto accepted = get_signed(json, "accepted_unix_ns", kDaemonMessage);
  if (!accepted) return std::unexpected(accepted.error());
  info.accepted_unix_ns = *accepted;
  auto screens = get_member(json, "screens", Json::value_t::array, kDaemonMessage);
  if (!screens) return std::unexpected(screens.error());
  for (const Json& screen : **screens) {
    if (!screen.is_string()) return protocol_error(kDaemonMessage, "'screens' must hold strings");
    info.screens.push_back(screen.get<std::string>());
  }
  auto banner_sent = get_bool(json, "banner_sent", kDaemonMessage);
  if (!banner_sent) return std::unexpected(banner_sent.error());
  info.banner_sent = *banner_sent;
  auto redispatched =
      get_unsigned(json, "redispatched", kDaemonMessage, 0, std::numeric_limits<unsigned>::max());
  if (!redispatched) return std::unexpected(redispatched.error());
  info.redispatched = static_cast<unsigned>(*redispatched);
  return client;
}

Result<DaemonMessage> decode_registered(const Json& json) {
  auto worker =
      get_unsigned(json, "worker", kDaemonMessage, 0, std::numeric_limits<std::uint32_t>::max());
  if (!worker) return std::unexpected(worker.error());
  auto pid =
      get_unsigned(json, "daemon_pid", kDaemonMessage, 1, std::numeric_limits<std::int32_t>::max());
  if (!pid) return std::unexpected(pid.error());
  return Registered{.worker = static_cast<std::uint32_t>(*worker),
                    .daemon_pid = static_cast<std::int32_t>(*pid)};
}

Result<WorkerMessage> decode_register(const Json& json) {
  auto version = get_unsigned(json, "protocol", kWorkerMessage);
  if (!version) return std::unexpected(version.error());
  if (*version != static_cast<std::uint64_t>(kVersion)) {
    return protocol_error(kWorkerMessage,
                          fmt::format("unsupported protocol {} (this is {})", *version, kVersion));
  }
  auto name = get_string(json, "name", kWorkerMessage);
  if (!name) return std::unexpected(name.error());
  if (!printable_name(*name)) {
    return protocol_error(kWorkerMessage, "name must be 1-64 printable characters");
  }
  auto capacity =
      get_unsigned(json, "capacity", kWorkerMessage, 0, std::numeric_limits<std::uint32_t>::max());
  if (!capacity) return std::unexpected(capacity.error());
  if (*capacity == 0) return protocol_error(kWorkerMessage, "capacity must be at least 1");
  return Register{.name = *std::move(name), .capacity = static_cast<std::uint32_t>(*capacity)};
}

// The "op" member, or EPROTO.
Result<std::string> get_op(const Json& json, std::string_view object) {
  const auto it = json.find("op");
  if (it == json.end()) return protocol_error(object, "no op");
  if (!it->is_string()) return protocol_error(object, "op must be a string");
  return it->get<std::string>();
}

}  // namespace

std::string encode(const WorkerMessage& message) {
  struct Visitor {
    Json operator()(const Register& m) const {
      return {
          {"op", "register"}, {"protocol", kVersion}, {"name", m.name}, {"capacity", m.capacity}};
    }
    Json operator()(const Ack& m) const { return {{"op", "ack"}, {"id", m.id}}; }
    Json operator()(const Done& m) const { return {{"op", "done"}, {"id", m.id}}; }
    Json operator()(const StatsRequest&) const { return {{"op", "stats"}}; }
  };
  return detail::dump(std::visit(Visitor{}, message));
}

std::string encode(const DaemonMessage& message) {
  if (const auto* reply = std::get_if<StatsReply>(&message)) return reply->json;
  struct Visitor {
    Json operator()(const Registered& m) const {
      return {{"op", "registered"}, {"worker", m.worker}, {"daemon_pid", m.daemon_pid}};
    }
    Json operator()(const Client& m) const { return encode_client(m.info); }
    Json operator()(const Refused& m) const { return {{"op", "refused"}, {"reason", m.reason}}; }
    Json operator()(const StatsReply&) const { return {}; }  // handled above
  };
  return detail::dump(std::visit(Visitor{}, message));
}

Result<WorkerMessage> decode_worker_message(std::string_view payload) {
  auto json = detail::parse_object(payload, kWorkerMessage);
  if (!json) return std::unexpected(json.error());
  auto op = get_op(*json, kWorkerMessage);
  if (!op) return std::unexpected(op.error());
  if (*op == "register") return decode_register(*json);
  if (*op == "ack" || *op == "done") {
    auto id = get_unsigned(*json, "id", kWorkerMessage);
    if (!id) return std::unexpected(id.error());
    if (*op == "ack") return Ack{.id = *id};
    return Done{.id = *id};
  }
  if (*op == "stats") return StatsRequest{};
  return protocol_error(kWorkerMessage, fmt::format("unknown op {}", detail::quote(*op)));
}

Result<DaemonMessage> decode_daemon_message(std::string_view payload) {
  auto json = detail::parse_object(payload, kDaemonMessage);
  if (!json) return std::unexpected(json.error());
  auto op = get_op(*json, kDaemonMessage);
  if (!op) return std::unexpected(op.error());
  if (*op == "client") return decode_client(*json);
  if (*op == "registered") return decode_registered(*json);
  if (*op == "refused") {
    auto reason = get_string(*json, "reason", kDaemonMessage);
    if (!reason) return std::unexpected(reason.error());
    return Refused{.reason = *std::move(reason)};
  }
  // The reply's members are checked by stats_from_json(), which decodes it.
  if (*op == "stats") return StatsReply{.json = std::string(payload)};
  return protocol_error(kDaemonMessage, fmt::format("unknown op {}", detail::quote(*op)));
}

}  // namespace ipckit::handoff::protocol
