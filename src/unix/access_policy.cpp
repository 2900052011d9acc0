#include "ipckit/unix/access_policy.hpp"

#include <fmt/core.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>
#include <string_view>

namespace ipckit::uds {

AccessPolicy AccessPolicy::anyone() {
  AccessPolicy policy;
  policy.anyone_ = true;
  return policy;
}

AccessPolicy AccessPolicy::same_user() {
  return only({::geteuid()});
}

AccessPolicy AccessPolicy::only(std::initializer_list<uid_t> uids,
                                std::initializer_list<gid_t> gids) {
  AccessPolicy policy;
  policy.uids_.insert(uids.begin(), uids.end());
  policy.gids_.insert(gids.begin(), gids.end());
  return policy;
}

AccessPolicy& AccessPolicy::allow_user(uid_t uid) {
  uids_.insert(uid);
  return *this;
}

AccessPolicy& AccessPolicy::allow_group(gid_t gid) {
  gids_.insert(gid);
  return *this;
}

bool AccessPolicy::allows(const PeerCredentials& peer) const {
  return anyone_ || uids_.contains(peer.uid) || gids_.contains(peer.gid);
}

std::string AccessPolicy::describe() const {
  if (anyone_) return "anyone";
  return fmt::format("uids {{{}}} gids {{{}}}", fmt::join(uids_, ", "), fmt::join(gids_, ", "));
}

std::string Refusal::message() const {
  return fmt::format("ipckit: refused connection from pid {} uid {} on {}: {}", peer.pid, peer.uid,
                     listener.describe(), reason);
}

void log_refusal_to_stderr(const Refusal& refusal) noexcept {
  try {
    const std::string line = refusal.message() + "\n";
    // One write(2), so lines from several threads or processes do not interleave.
    const int saved = errno;
    (void)!::write(STDERR_FILENO, line.data(), line.size());
    errno = saved;
  } catch (...) {  // NOLINT(bugprone-empty-catch): logging must never take the server down
  }
}

Result<std::uint32_t> parse_id(std::string_view text) {
  const auto invalid = [&] {
    return fail(EINVAL, "parse", fmt::format("'{}'", text), "expected a decimal number");
  };
  if (text.empty() || text.size() > 10 || text.find_first_not_of("0123456789") != text.npos) {
    return invalid();
  }
  std::uint64_t value = 0;
  for (char c : text)
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  if (value >= 0xffffffffU) {
    return fail(value == 0xffffffffU ? EINVAL : ERANGE, "parse", fmt::format("'{}'", text),
                "ids go up to 4294967294");
  }
  return static_cast<std::uint32_t>(value);
}

Result<PeerCredentials> verify_peer(const UnixSocket& socket, const AccessPolicy& policy,
                                    const UnixAddress& address) {
  auto creds = peer_credentials(socket.fd());
  if (!creds) {
    return std::unexpected(
        Error(creds.error().code(), "connect", address.describe(), creds.error().detail()));
  }
  if (!*creds) {
    const PeerCredentials none{
        .pid = 0, .uid = static_cast<uid_t>(-1), .gid = static_cast<gid_t>(-1)};
    if (policy.allows_anyone()) return none;
    return fail(EINVAL, "connect", address.describe(),
                "a datagram socket has no peer credentials to check");
  }
  const PeerCredentials& peer = **creds;
  if (!policy.allows(peer)) {
    return fail(EACCES, "connect", address.describe(),
                fmt::format("peer pid {} uid {} gid {} is not allowed (allowing {})", peer.pid,
                            peer.uid, peer.gid, policy.describe()));
  }
  return peer;
}

Result<UnixSocket> connect_verified(const UnixAddress& address, SocketType type,
                                    const AccessPolicy& policy) {
  auto socket = UnixSocket::connect_to(address, type);
  if (!socket) return socket;
  if (auto peer = verify_peer(*socket, policy, address); !peer) {
    return std::unexpected(std::move(peer.error()));
  }
  return socket;
}

}  // namespace ipckit::uds
