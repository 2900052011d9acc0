#include "ipckit/unix/access_policy.hpp"

#include <fmt/core.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <cerrno>
#include <string>

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

}  // namespace ipckit::uds
