#include "ipckit/net/socket_activation.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <optional>
#include <string_view>

#include "net/decimal.hpp"

namespace ipckit::net {

namespace {

constexpr int kFirstFd = 3;  // SD_LISTEN_FDS_START

std::optional<std::string> take_env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

std::unexpected<Error> bad(const char* variable, const std::string& value, std::string why) {
  return fail(EINVAL, "socket activation", fmt::format("{}={}", variable, value), std::move(why));
}

// LISTEN_FDNAMES split at ':'; an empty value names nothing (as systemd reads it).
std::vector<std::string> split_names(std::string_view text) {
  std::vector<std::string> names;
  if (text.empty()) return names;
  for (;;) {
    const auto colon = text.find(':');
    names.emplace_back(text.substr(0, colon));
    if (colon == std::string_view::npos) return names;
    text.remove_prefix(colon + 1);
  }
}

Result<std::vector<ActivatedSocket>> read_activation(const std::optional<std::string>& pid_text,
                                                     const std::optional<std::string>& fds_text,
                                                     const std::optional<std::string>& names_text) {
  std::vector<ActivatedSocket> sockets;
  if (!pid_text) return sockets;
  const auto pid = parse_decimal(*pid_text, INT_MAX);
  if (!pid || *pid == 0) return bad("LISTEN_PID", *pid_text, "not a process id");
  if (static_cast<pid_t>(*pid) != ::getpid()) return sockets;  // meant for another process
  if (!fds_text) return sockets;
  const auto count = parse_decimal(*fds_text, INT_MAX - kFirstFd);
  if (!count) return bad("LISTEN_FDS", *fds_text, "not a number of descriptors");
  const int n = static_cast<int>(*count);
  std::vector<std::string> names;
  if (names_text) {
    names = split_names(*names_text);
    if (names.size() != static_cast<std::size_t>(n)) {
      return bad("LISTEN_FDNAMES", *names_text,
                 fmt::format("{} names for LISTEN_FDS={} descriptors", names.size(), n));
    }
  } else {
    names.assign(static_cast<std::size_t>(n), "unknown");
  }
  // Check every promised descriptor before owning any: on error none is closed (they may not
  // be ours after all), on success all are.
  for (int fd = kFirstFd; fd < kFirstFd + n; ++fd) {
    if (::fcntl(fd, F_GETFD) < 0) {
      return fail(errno, "socket activation", fmt::format("fd {}", fd),
                  fmt::format("LISTEN_FDS={} promised fd {}, which is not open", n, fd));
    }
  }
  sockets.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const int fd = kFirstFd + i;
    const int flags = ::fcntl(fd, F_GETFD);
    if (flags < 0 || ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC) != 0) {
      return fail_errno("fcntl F_SETFD", fmt::format("fd {}", fd));
    }
    sockets.push_back(ActivatedSocket{Fd(fd), std::move(names[static_cast<std::size_t>(i)])});
  }
  return sockets;
}

}  // namespace

Result<std::vector<ActivatedSocket>> activated_sockets() {
  const auto pid_text = take_env("LISTEN_PID");
  const auto fds_text = take_env("LISTEN_FDS");
  const auto names_text = take_env("LISTEN_FDNAMES");
  // Removed whatever they said, as sd_listen_fds(1) does: children must not see them.
  ::unsetenv("LISTEN_PID");
  ::unsetenv("LISTEN_FDS");
  ::unsetenv("LISTEN_FDNAMES");
  return read_activation(pid_text, fds_text, names_text);
}

}  // namespace ipckit::net
