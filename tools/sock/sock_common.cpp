#include "sock/sock_common.hpp"
#include "cli/completion_hints.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <utility>

#include "cli/exit_codes.hpp"
#include "cli/output.hpp"
#include "cli/usage.hpp"
#include "cli/values.hpp"

namespace ipckit::cli::sock {

namespace {

// Whether `object` names a bare descriptor, as the library's socket calls do: "fd 5",
// "socket 5".
bool names_descriptor(std::string_view object) {
  for (std::string_view prefix : {"fd ", "socket "}) {
    if (!object.starts_with(prefix)) continue;
    const std::string_view digits = object.substr(prefix.size());
    return !digits.empty() && digits.find_first_not_of("0123456789") == std::string_view::npos;
  }
  return false;
}

Error about(const Error& e, const UnixAddress* address) {
  if (address == nullptr || !names_descriptor(e.object())) return e;
  return Error(e.code(), e.operation(), address->describe(), e.detail());
}

CLI::Validator id_validator(std::string_view what) {
  return CLI::Validator(
      [what = std::string(what)](std::string& text) -> std::string {
        auto id = uds::parse_id(text);
        if (id) return {};
        return fmt::format("invalid {} '{}': {}", what, text, id.error().detail());
      },
      what == "uid" ? "UID" : "GID", std::string(what));
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// Command line.

Result<UnixAddress> parse_address(std::string_view text) {
  if (text.empty() || text == "@") {
    return fail(EINVAL, "address", fmt::format("'{}'", text),
                "expected a path, or @name for an abstract name");
  }
  auto address = UnixAddress::parse(text);
  if (!address) return std::unexpected(address.error());
  return address;
}

CLI::Validator address_validator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        if (auto problem = control_character_problem(text))
          return fmt::format("invalid address '{}': {}", escape_controls(text), *problem);
        auto address = parse_address(text);
        if (address) return {};
        const Error& e = address.error();
        return fmt::format("invalid address '{}': {}", text,
                           e.detail().empty() ? std::string(std::strerror(e.code())) : e.detail());
      },
      "ADDR", "socket address");
}

void add_address_argument(CLI::App& app, std::string& address, const std::string& help) {
  app.add_option("ADDR", address, help)->required()->check(address_validator());
}

void add_socket_mode_option(CLI::App& app, std::string& mode) {
  app.add_option("--mode", mode, "Permission bits of a path socket's file, in octal")
      ->check(mode_validator());
}

void add_type_option(CLI::App& app, std::string& type) {
  app.add_option("--type", type, "Socket type: stream, dgram or seqpacket")
      ->check(CLI::IsMember({"stream", "dgram", "datagram", "seqpacket"}))
      ->default_str("stream");
  hint(app.get_option("--type"), {.choices = {"stream", "dgram", "seqpacket"}});
}

SocketType type_value(const std::string& text) {
  if (text == "dgram" || text == "datagram") return SocketType::kDatagram;
  if (text == "seqpacket") return SocketType::kSeqPacket;
  return SocketType::kStream;
}

std::string_view type_word(SocketType type) noexcept {
  switch (type) {
    case SocketType::kDatagram:
      return "dgram";
    case SocketType::kSeqPacket:
      return "seqpacket";
    case SocketType::kStream:
      break;
  }
  return "stream";
}

void add_policy_options(CLI::App& app, PolicyOptions& options, PolicyRole role) {
  const bool server = role == PolicyRole::kServer;
  // One value per occurrence, so that "--allow-uid 0 ADDR" leaves ADDR alone.
  auto* uid =
      app.add_option("--allow-uid", options.uids,
                     server ? "Accept peers with this effective uid (repeatable)"
                            : "Talk only to a listener with this effective uid (repeatable)")
          ->allow_extra_args(false)
          ->check(id_validator("uid"));
  auto* gid =
      app.add_option("--allow-gid", options.gids,
                     server ? "Accept peers with this effective gid (repeatable)"
                            : "Talk only to a listener with this effective gid (repeatable)")
          ->allow_extra_args(false)
          ->check(id_validator("gid"));
  app.add_flag("--allow-any", options.any, server ? "Accept every peer" : "Talk to any listener")
      ->excludes(uid)
      ->excludes(gid);
}

bool policy_given(const PolicyOptions& options) noexcept {
  return options.any || !options.uids.empty() || !options.gids.empty();
}

std::optional<uds::AccessPolicy> client_policy(const PolicyOptions& options) {
  if (!policy_given(options)) return std::nullopt;
  return policy_for(options, UnixAddress::unnamed());
}

uds::AccessPolicy policy_for(const PolicyOptions& options, const UnixAddress& address) {
  if (options.any) return uds::AccessPolicy::anyone();
  if (options.uids.empty() && options.gids.empty()) {
    return address.is_path() ? uds::AccessPolicy::anyone() : uds::AccessPolicy::same_user();
  }
  auto policy = uds::AccessPolicy::only({});
  for (uid_t uid : options.uids)
    policy.allow_user(uid);
  for (gid_t gid : options.gids)
    policy.allow_group(gid);
  return policy;
}

int dgram_policy_usage(std::string_view prefix) {
  return cli::usage_error(
      fmt::format("{} {}", program_name(), prefix),
      fmt::format(
          "{}: --allow-uid, --allow-gid and --allow-any need a stream or seqpacket socket: a "
          "datagram socket has no peer credentials to check",
          prefix));
}

uds::LockWait lock_wait(double timeout_seconds) {
  uds::LockWait wait{.cancel = StopSignals::fd()};
  // The same milliseconds, rounded and capped, as the poll(2) waits of the command.
  if (timeout_seconds >= 0)
    wait.timeout = std::chrono::milliseconds(to_poll_timeout(timeout_seconds));
  return wait;
}

int report_bind(std::string_view prefix, const Error& e, const UnixAddress& address) {
  if (StopSignals::caught() != 0) return kExitFailure;
  return report(prefix, e, &address);
}

int report(std::string_view prefix, const Error& e, const UnixAddress* address) {
  const Error named = about(e, address);
  return cli::report(prefix, named);
}

void print_peer(std::string_view prefix, std::string_view what, const uds::PeerCredentials& peer) {
  warn("{}: {} pid {} uid {} gid {}", prefix, what, peer.pid, peer.uid, peer.gid);
}

// ------------------------------------------------------------------------------------------------
// Stop signals and waiting.

Result<Ready> wait_for(FdView fd, short events, int timeout_ms) {
  std::array<pollfd, 2> fds{pollfd{StopSignals::fd().get(), POLLIN, 0},
                            pollfd{fd.get(), events, 0}};
  if (StopSignals::caught() != 0) return Ready::kStopped;
  const int n = ::poll(fds.data(), fds.size(), timeout_ms);
  if (StopSignals::caught() != 0) return Ready::kStopped;
  if (n < 0) {
    if (errno == EINTR) return Ready::kReady;  // spurious: the caller tries and waits again
    return fail_errno("poll", fmt::format("fd {}", fd.get()));
  }
  return n == 0 ? Ready::kTimedOut : Ready::kReady;
}

Result<uds::UnixListener> listen_on(const UnixAddress& address, SocketType type,
                                    const std::string& mode, const uds::AccessPolicy& policy,
                                    double timeout_seconds) {
  return uds::UnixListener::bind(address, {.type = type,
                                           .blocking = uds::Blocking::kNo,
                                           .mode = optional_mode(mode),
                                           .policy = policy,
                                           .lock_wait = lock_wait(timeout_seconds)});
}

Result<uds::BoundDatagram> bind_datagram(const UnixAddress& address, const std::string& mode,
                                         double timeout_seconds) {
  return uds::BoundDatagram::bind(address, {.blocking = uds::Blocking::kNo,
                                            .mode = optional_mode(mode),
                                            .pass_credentials = true,
                                            .lock_wait = lock_wait(timeout_seconds)});
}

Error timed_out(const char* operation, const UnixAddress& address, std::string_view what,
                double timeout_seconds) {
  return Error(ETIMEDOUT, operation, address.describe(),
               fmt::format("no {} for {}", what, describe_seconds(timeout_seconds)));
}

Result<std::optional<uds::Connection>> accept_next(const uds::UnixListener& listener,
                                                   const UnixAddress& address,
                                                   double timeout_seconds) {
  for (;;) {
    auto waited = wait_for(listener.fd(), POLLIN, to_poll_timeout(timeout_seconds));
    if (!waited) return std::unexpected(waited.error());
    if (*waited == Ready::kStopped) return std::nullopt;
    if (*waited == Ready::kTimedOut) {
      return std::unexpected(timed_out("accept", address, "connection", timeout_seconds));
    }
    auto conn = listener.accept(uds::Blocking::kNo);
    if (conn) return std::optional<uds::Connection>(std::move(*conn));
    const int code = conn.error().code();
    if (code != EAGAIN && code != EINTR && code != ECONNABORTED) {
      return std::unexpected(conn.error());
    }
  }
}

// ------------------------------------------------------------------------------------------------
// Datagrams.

int print_datagrams(const DatagramSink& sink, const UnixAddress& address,
                    const uds::AccessPolicy& policy) {
  auto bound = bind_datagram(address, sink.mode, sink.timeout);
  if (!bound) return report_bind(sink.prefix, bound.error(), address);
  if (sink.verbose && sink.announce) {
    warn("{}: receiving on {} (dgram, allowing {})", sink.prefix, address.describe(),
         policy.describe());
  }
  std::vector<std::byte> buffer(kMaxMessage);
  for (std::uint64_t received = 0; received < sink.count; ++received) {
    Ready ready = Ready::kReady;
    auto message = receive_datagram(*bound, policy, buffer, to_poll_timeout(sink.timeout), ready);
    if (!message) return report(sink.prefix, message.error(), &address);
    if (!*message) {
      if (ready == Ready::kStopped) return kExitFailure;
      return report(sink.prefix, timed_out("recvmsg", address, "message", sink.timeout));
    }
    if (sink.verbose) {
      print_peer(sink.prefix, fmt::format("{} bytes from", (*message)->size), (*message)->sender);
    }
    auto written = write_stdout(std::span(buffer).first((*message)->size));
    if (written && sink.lines) written = write_stdout(std::as_bytes(std::span("\n", 1)));
    if (!written) {
      return StopSignals::caught() != 0 ? kExitFailure : report(sink.prefix, written.error());
    }
  }
  return kExitOk;
}

Result<std::optional<Message>> receive_datagram(const uds::BoundDatagram& bound,
                                                const uds::AccessPolicy& policy,
                                                std::span<std::byte> buffer, int timeout_ms,
                                                Ready& ready) {
  for (;;) {
    auto waited = wait_for(bound.socket().fd(), POLLIN, timeout_ms);
    if (!waited) return std::unexpected(waited.error());
    ready = *waited;
    if (ready != Ready::kReady) return std::optional<Message>();
    auto got = uds::receive_with_credentials(bound.socket().fd(), buffer);
    if (!got) {
      if (got.error().code() == EAGAIN || got.error().code() == EINTR) continue;
      return std::unexpected(about(got.error(), &bound.address()));
    }
    if (got->truncated) {
      return fail(EMSGSIZE, "recvmsg", bound.address().describe(),
                  fmt::format("a message longer than {} bytes was cut; it is lost", buffer.size()));
    }
    // SO_PASSCRED is on, so the kernel always attaches credentials.
    const uds::PeerCredentials sender = got->credentials.value_or(uds::PeerCredentials{
        .pid = 0, .uid = static_cast<uid_t>(-1), .gid = static_cast<gid_t>(-1)});
    if (!got->credentials || !policy.allows(sender)) {
      uds::log_refusal_to_stderr(
          uds::Refusal{.peer = sender, .listener = bound.address(), .reason = "not allowed"});
      continue;
    }
    return std::optional<Message>(Message{.size = got->size, .sender = sender});
  }
}

// ------------------------------------------------------------------------------------------------
// Standard streams.

Result<void> write_stdout(std::span<const std::byte> data) {
  while (!data.empty()) {
    const ssize_t n = ::write(STDOUT_FILENO, data.data(), data.size());
    if (n < 0) {
      if (errno != EINTR) return fail_errno("write", "stdout");
      if (StopSignals::caught() != 0)
        return std::unexpected(StopSignals::stopped("write", "stdout"));
      continue;
    }
    data = data.subspan(static_cast<std::size_t>(n));
  }
  return {};
}

Result<std::vector<std::byte>> read_stdin(std::size_t limit) {
  std::vector<std::byte> data;
  std::array<std::byte, 65536> chunk;
  for (;;) {
    const ssize_t n = ::read(STDIN_FILENO, chunk.data(), chunk.size());
    if (n < 0) {
      if (errno != EINTR) return fail_errno("read", "stdin");
      if (StopSignals::caught() != 0) return std::unexpected(StopSignals::stopped("read", "stdin"));
      continue;
    }
    if (n == 0) return data;
    data.insert(data.end(), chunk.begin(), chunk.begin() + n);
    if (data.size() > limit) {
      return fail(EMSGSIZE, "read", "stdin",
                  fmt::format("a message of more than {} bytes is too long", limit));
    }
  }
}

}  // namespace ipckit::cli::sock
