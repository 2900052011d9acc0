// `ipckit fd send ADDR FILE...` and `ipckit fd recv ADDR [-- COMMAND...]`: descriptor passing
// (SCM_RIGHTS) from a shell. send opens each FILE read-only and hands the descriptors over in one
// message; recv accepts one connection, takes them, and either prints what each one refers to or
// runs COMMAND with the first one as its stdin. docs/cli.md documents the command.
#include <fcntl.h>
#include <fmt/core.h>
#include <poll.h>
#include <unistd.h>

#include <array>
#include <climits>
#include <csignal>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "cli/exit_codes.hpp"
#include "cli/output.hpp"
#include "ipckit/unix/fd_passing.hpp"
#include "ipckit/unix/listener.hpp"
#include "sock/sock_common.hpp"

namespace ipckit::cli::sock {

namespace {

constexpr std::string_view kFdSend = "fd send";
constexpr std::string_view kFdRecv = "fd recv";
// The payload that carries the descriptors: one byte, 0x00. It is also a complete one-batch
// sequence of uds::send_fds_batched(), so receive_fds_batched() accepts what `fd send` sends.
constexpr std::array<std::byte, 1> kPayload{std::byte{0}};
// exec(3) failures, as env(1), nohup(1) and the shells report them.
constexpr int kExitCannotExecute = 126;
constexpr int kExitCommandNotFound = 127;

// ------------------------------------------------------------------------------------------------
// send

struct SendOptions {
  std::string address;
  std::vector<std::string> files;
  PolicyOptions policy;
};

int run_send(const SendOptions& o) {
  auto address = parse_address(o.address);
  if (!address) return report(kFdSend, address.error());
  // Every FILE is opened before anything is sent: a missing one sends nothing.
  std::vector<Fd> owned;
  std::vector<FdView> views;
  for (const auto& file : o.files) {
    if (file == "-") {
      views.emplace_back(STDIN_FILENO);
      continue;
    }
    Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (!fd) return report(kFdSend, Error::from_errno("open", file));
    views.push_back(fd.view());
    owned.push_back(std::move(fd));
  }
  // With --allow-*, the listener is checked before any descriptor leaves.
  auto policy = client_policy(o.policy);
  auto socket = policy ? uds::connect_verified(*address, SocketType::kStream, *policy)
                       : UnixSocket::connect_to(*address, SocketType::kStream);
  if (!socket) return report(kFdSend, socket.error(), &*address);
  if (auto r = uds::send_fds(*socket, kPayload, views); !r) {
    return report(kFdSend, r.error(), &*address);
  }
  return kExitOk;
}

CLI::Validator file_validator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        if (text.empty()) return "invalid FILE '': empty";
        return {};
      },
      "FILE", "file");
}

// ------------------------------------------------------------------------------------------------
// recv

struct RecvOptions {
  std::string address;
  std::vector<std::string> command;
  bool verbose = false;
  PolicyOptions policy;
  std::string mode;
  double timeout = -1;
};

// Waits for one allowed connection on `listener` and one message on it.
Result<std::optional<std::vector<Fd>>> receive_one(const RecvOptions& o,
                                                   const uds::UnixListener& listener,
                                                   const UnixAddress& address) {
  const int timeout = to_poll_timeout(o.timeout);
  auto accepted = accept_next(listener, address, o.timeout);
  if (!accepted) return std::unexpected(accepted.error());
  if (!*accepted) return std::nullopt;
  std::optional<uds::Connection>& conn = *accepted;
  if (o.verbose) {
    print_peer(kFdRecv, fmt::format("connection on {} from", address.describe()), conn->peer);
  }
  std::array<std::byte, 256> buffer;
  for (;;) {
    auto waited = wait_for(conn->socket.fd(), POLLIN, timeout);
    if (!waited) return std::unexpected(waited.error());
    if (*waited == Ready::kStopped) return std::nullopt;
    if (*waited == Ready::kTimedOut) {
      return std::unexpected(timed_out("recvmsg", address, "descriptors", o.timeout));
    }
    auto got = uds::receive_fds(conn->socket.fd(), buffer, uds::kMaxFdsPerMessage);
    if (!got) {
      if (got.error().code() == EAGAIN || got.error().code() == EINTR) continue;
      return std::unexpected(got.error());
    }
    if (got->eof) {
      return fail(ECONNRESET, "recvmsg", address.describe(),
                  "the peer closed the connection without sending descriptors");
    }
    if (got->fds.empty()) {
      return fail(EPROTO, "recvmsg", address.describe(), "a message without descriptors came");
    }
    return std::optional<std::vector<Fd>>(std::move(got->fds));
  }
}

// readlink(2) of /proc/self/fd/N: "/etc/hostname", "pipe:[1234]", "socket:[5678]".
Result<std::string> link_target(const Fd& fd) {
  const std::string link = fmt::format("/proc/self/fd/{}", fd.get());
  std::array<char, PATH_MAX> target;
  const ssize_t n = ::readlink(link.c_str(), target.data(), target.size());
  if (n < 0) return fail_errno("readlink", link);
  return std::string(target.data(), static_cast<std::size_t>(n));
}

// dup2(2) of the first descriptor onto stdin, then execvp(3). Returns only on failure.
int exec_with_stdin(const std::vector<std::string>& command, std::vector<Fd> fds) {
  std::fflush(stdout);
  const int first = fds.front().get();
  if (first == STDIN_FILENO) {
    // Already stdin (ours was closed): clear close-on-exec so that it survives exec.
    if (::fcntl(first, F_SETFD, 0) != 0) {
      return report(kFdRecv, Error::from_errno("fcntl", "stdin"));
    }
    (void)fds.front().release();
  } else if (::dup2(first, STDIN_FILENO) < 0) {
    return report(kFdRecv, Error::from_errno("dup2", fmt::format("fd {}", first)));
  }
  fds.clear();  // the rest are closed (they are close-on-exec anyway)
  std::vector<char*> argv;
  for (const auto& arg : command)
    argv.push_back(const_cast<char*>(arg.c_str()));  // execvp's signature; it never writes
  argv.push_back(nullptr);
  std::signal(SIGPIPE, SIG_DFL);  // ipckit ignores it; the command gets the default back
  ::execvp(argv[0], argv.data());
  const int code = errno == ENOENT ? kExitCommandNotFound : kExitCannotExecute;
  (void)report(kFdRecv, Error::from_errno("exec", command.front()));
  return code;
}

int run_recv(RecvOptions& o) {
  auto address = parse_address(o.address);
  if (!address) return report(kFdRecv, address.error());
  if (auto r = StopSignals::install(); !r) return report(kFdRecv, r.error());
  const uds::AccessPolicy policy = policy_for(o.policy, *address);
  std::vector<Fd> fds;
  {
    auto listener = listen_on(*address, SocketType::kStream, o.mode, policy, o.timeout);
    if (!listener) return report_bind(kFdRecv, listener.error(), *address);
    auto got = receive_one(o, *listener, *address);
    if (!got) return report(kFdRecv, got.error(), &*address);
    if (!*got) return kExitFailure;  // stopped by a signal
    fds = std::move(**got);
  }  // the listener is closed (its socket file removed) before COMMAND runs or output is written
  if (!o.command.empty()) return exec_with_stdin(o.command, std::move(fds));
  for (const auto& fd : fds) {
    auto target = link_target(fd);
    if (!target) return report(kFdRecv, target.error());
    fmt::print("{}\n", *target);
  }
  return kExitOk;
}

Verb add_fd_send(CLI::App& fd) {
  auto o = std::make_shared<SendOptions>();
  auto* app = fd.add_subcommand(
      "send", "Open each FILE read-only and send the descriptors to ADDR in one message");
  add_address_argument(*app, o->address, "A path, or @name for an abstract name (stream)");
  app->add_option("FILE", o->files, "Files to open ('-': send stdin's descriptor itself)")
      ->required()
      ->check(file_validator());
  add_policy_options(*app, o->policy, PolicyRole::kClient);
  app->callback([o] {
    if (o->files.size() > uds::kMaxFdsPerMessage) {
      throw CLI::ValidationError("FILE", fmt::format("at most {} files fit in one message, not {}",
                                                     uds::kMaxFdsPerMessage, o->files.size()));
    }
  });
  return {app, [o] { return run_send(*o); }};
}

Verb add_fd_recv(CLI::App& fd) {
  auto o = std::make_shared<RecvOptions>();
  auto* app =
      fd.add_subcommand("recv", "Accept one connection on ADDR and take the descriptors it sends");
  add_address_argument(*app, o->address, "A path, or @name for an abstract name (stream)");
  app->add_option("COMMAND", o->command,
                  "After '--': run COMMAND with the first descriptor as its stdin");
  app->add_flag("-v,--verbose", o->verbose, "Print the sender's pid, uid and gid on stderr");
  add_policy_options(*app, o->policy);
  add_socket_mode_option(*app, o->mode);
  add_timeout_option(*app, o->timeout, "connection or message");
  return {app, [o] { return run_recv(*o); }};
}

Runner register_fd(CLI::App& app) {
  auto* fd = app.add_subcommand(
      "fd", "Descriptor passing (SCM_RIGHTS): send open files to another process, receive them");
  fd->require_subcommand(1);
  return dispatch({add_fd_send(*fd), add_fd_recv(*fd)}, OnStop::kDieOfSignal);
}

}  // namespace

IPCKIT_COMMAND(310, register_fd);

}  // namespace ipckit::cli::sock
