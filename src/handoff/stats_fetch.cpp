// fetch_stats(): one {"op":"stats"} request on a fresh control connection.
#include <fmt/core.h>

#include <cerrno>
#include <variant>
#include <vector>

#include "handoff/worker_io.hpp"
#include "ipckit/handoff/stats.hpp"

namespace ipckit::handoff {

Result<Stats> fetch_stats(const uds::UnixAddress& control,
                          std::optional<uds::AccessPolicy> daemon_policy, Timeout timeout) {
  constexpr const char* kOperation = "handoff stats";
  const std::string object = control.describe();
  const auto deadline = ipckit::detail::deadline_after(timeout);
  const uds::AccessPolicy policy =
      daemon_policy ? *std::move(daemon_policy) : detail::default_daemon_policy(control);
  auto socket = uds::connect_verified(control, uds::SocketType::kSeqPacket, policy);
  if (!socket) return std::unexpected(socket.error());
  if (auto sent = detail::send_message(*socket, protocol::StatsRequest{}, kOperation, object);
      !sent) {
    return std::unexpected(sent.error());
  }
  if (auto ready = detail::wait_readable(*socket, deadline, kOperation, object); !ready) {
    return std::unexpected(ready.error().with_detail("no stats reply in time"));
  }
  std::vector<std::byte> buffer(protocol::kMaxMessage);
  auto reply = detail::receive_daemon_message(*socket, buffer, 0, kOperation, object);
  if (!reply) return std::unexpected(reply.error());
  if (const auto* refused = std::get_if<protocol::Refused>(&reply->message)) {
    return fail(EPERM, kOperation, object, refused->reason);
  }
  const auto* stats = std::get_if<protocol::StatsReply>(&reply->message);
  if (stats == nullptr) return fail(EPROTO, kOperation, object, "not a stats reply");
  auto decoded = stats_from_json(stats->json);
  if (!decoded) return fail(EPROTO, kOperation, object, decoded.error().detail());
  return decoded;
}

}  // namespace ipckit::handoff
