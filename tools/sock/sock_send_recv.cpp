// `ipckit sock send ADDR [MESSAGE]` and `ipckit sock recv ADDR [--count N]`: one message (or a
// few) at a time, for scripts. On a stream socket a message is what one connection carries, from
// connect to EOF; on dgram and seqpacket sockets messages keep their boundaries.
#include <fmt/core.h>
#include <poll.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cli/completion_hints.hpp"
#include "cli/exit_codes.hpp"
#include "cli/output.hpp"
#include "cli/usage.hpp"
#include "cli/values.hpp"
#include "ipckit/unix/listener.hpp"
#include "sock/sock_common.hpp"

namespace ipckit::cli::sock {

namespace {

using Bytes = std::span<const std::byte>;

constexpr std::string_view kSend = "sock send";
constexpr std::string_view kRecv = "sock recv";

Bytes as_bytes(std::string_view text) {
  return std::as_bytes(std::span(text.data(), text.size()));
}

// ------------------------------------------------------------------------------------------------
// send

struct SendOptions {
  std::string address;
  std::string type = "stream";
  std::string message;
  CLI::Option* message_option = nullptr;
  bool lines = false;
  PolicyOptions policy;
};

// One message: sendto(2) for a datagram socket, send(2) for a connected seqpacket socket.
Result<void> send_message(const UnixSocket& socket, const UnixAddress& to, Bytes data) {
  if (socket.type() == SocketType::kDatagram) {
    auto sent = socket.send_to(data, to);
    if (!sent) return std::unexpected(sent.error());
    return {};
  }
  auto sent = socket.send(data);
  if (!sent) return std::unexpected(sent.error());
  return {};
}

// --lines: each line of stdin (without its '\n') is one message; a last line without one too.
Result<void> send_lines(const UnixSocket& socket, const UnixAddress& to) {
  std::string line;
  std::uint64_t number = 0;
  std::array<char, 65536> chunk;
  for (;;) {
    const ssize_t n = ::read(STDIN_FILENO, chunk.data(), chunk.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("read", "stdin");
    }
    if (n == 0) break;
    for (char c : std::string_view(chunk.data(), static_cast<std::size_t>(n))) {
      if (c != '\n') {
        line += c;
        if (line.size() > kMaxMessage) {
          return fail(EMSGSIZE, "read", "stdin",
                      fmt::format("line {} is longer than {} bytes", number + 1, kMaxMessage));
        }
        continue;
      }
      ++number;
      if (auto r = send_message(socket, to, as_bytes(line)); !r) return r;
      line.clear();
    }
  }
  if (!line.empty()) return send_message(socket, to, as_bytes(line));
  return {};
}

// A stream: the bytes of MESSAGE, or of stdin as they come.
Result<void> send_stream(const UnixSocket& socket, const SendOptions& o) {
  if (o.message_option->count() > 0) return socket.send_all(as_bytes(o.message));
  std::vector<std::byte> chunk(std::size_t{64} << 10);
  for (;;) {
    const ssize_t n = ::read(STDIN_FILENO, chunk.data(), chunk.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("read", "stdin");
    }
    if (n == 0) return socket.shutdown(uds::Shutdown::kWrite);
    if (auto r = socket.send_all(Bytes(chunk).first(static_cast<std::size_t>(n))); !r) return r;
  }
}

int run_send(const SendOptions& o) {
  auto address = parse_address(o.address);
  if (!address) return report(kSend, address.error());
  const SocketType type = type_value(o.type);
  if (o.lines && type == SocketType::kStream) {
    return cli::usage_error(
        fmt::format("{} {}", program_name(), kSend),
        "sock send: --lines needs a message socket (--type dgram or seqpacket)");
  }
  if (type == SocketType::kDatagram && policy_given(o.policy)) return dgram_policy_usage(kSend);
  auto socket = UnixSocket::create(type);
  if (!socket) return report(kSend, socket.error());
  if (type != SocketType::kDatagram) {
    if (auto r = socket->connect(*address); !r) return report(kSend, r.error(), &*address);
    if (auto policy = client_policy(o.policy)) {
      if (auto r = uds::verify_peer(*socket, *policy, *address); !r) {
        return report(kSend, r.error(), &*address);
      }
    }
  }
  Result<void> sent;
  if (type == SocketType::kStream) {
    sent = send_stream(*socket, o);
  } else if (o.lines) {
    sent = send_lines(*socket, *address);
  } else if (o.message_option->count() > 0) {
    sent = send_message(*socket, *address, as_bytes(o.message));
  } else {
    auto data = read_stdin(kMaxMessage);
    if (!data) return report(kSend, data.error());
    sent = send_message(*socket, *address, *data);
  }
  if (!sent) return report(kSend, sent.error(), &*address);
  return kExitOk;
}

}  // namespace

Verb add_send(CLI::App& sock) {
  auto o = std::make_shared<SendOptions>();
  auto* app = sock.add_subcommand("send", "Send one message (MESSAGE, or stdin) to ADDR");
  add_address_argument(*app, o->address);
  hint(app->get_option("ADDR"), {.live = Live::kUnixSocket});
  o->message_option =
      app->add_option("MESSAGE", o->message, "The message's bytes (default: all of stdin)");
  add_type_option(*app, o->type);
  app->add_flag("--lines", o->lines, "Send each line of stdin as one message (dgram, seqpacket)")
      ->excludes(o->message_option);
  add_policy_options(*app, o->policy, PolicyRole::kClient);
  return {app, [o] { return run_send(*o); }};
}

// ------------------------------------------------------------------------------------------------
// recv

namespace {

struct RecvOptions {
  std::string address;
  std::string type = "stream";
  std::uint64_t count = 1;
  bool lines = false;
  bool verbose = false;
  PolicyOptions policy;
  std::string mode;
  double timeout = -1;
};

Result<void> end_message(bool lines) {
  if (!lines) return {};
  return write_stdout(as_bytes("\n"));
}

// Reads `conn` until EOF (stream) or until EOF or `count` messages (seqpacket), writing each
// message to stdout. Returns: messages received; a stream connection counts as one.
Result<std::uint64_t> drain(const RecvOptions& o, const UnixSocket& conn,
                            const UnixAddress& address, std::uint64_t wanted) {
  const bool stream = conn.type() == SocketType::kStream;
  std::vector<std::byte> buffer(kMaxMessage);
  std::uint64_t received = 0;
  while (received < wanted) {
    auto waited = wait_for(conn.fd(), POLLIN, to_poll_timeout(o.timeout));
    if (!waited) return std::unexpected(waited.error());
    if (*waited == Ready::kStopped) return std::unexpected(StopSignals::stopped("poll", ""));
    if (*waited == Ready::kTimedOut) {
      return std::unexpected(timed_out("recv", address, stream ? "data" : "message", o.timeout));
    }
    auto got = conn.receive_from(buffer);
    if (!got) {
      if (got.error().code() == EAGAIN || got.error().code() == EINTR) continue;
      return std::unexpected(got.error());
    }
    if (got->truncated) {
      return fail(EMSGSIZE, "recvmsg", address.describe(),
                  fmt::format("a message longer than {} bytes was cut; it is lost", buffer.size()));
    }
    if (got->size == 0) {  // EOF (an empty seqpacket message reads the same)
      if (stream) {
        if (auto r = end_message(o.lines); !r) return std::unexpected(r.error());
        ++received;
      }
      break;
    }
    if (auto r = write_stdout(std::span(buffer).first(got->size)); !r) {
      return std::unexpected(r.error());
    }
    if (!stream) {
      if (auto r = end_message(o.lines); !r) return std::unexpected(r.error());
      ++received;
    }
  }
  return received;
}

int run_recv(const RecvOptions& o) {
  auto address = parse_address(o.address);
  if (!address) return report(kRecv, address.error());
  if (auto r = StopSignals::install(); !r) return report(kRecv, r.error());
  const SocketType type = type_value(o.type);
  const uds::AccessPolicy policy = policy_for(o.policy, *address);
  if (type == SocketType::kDatagram) {
    return print_datagrams({.prefix = kRecv,
                            .mode = o.mode,
                            .timeout = o.timeout,
                            .count = o.count,
                            .lines = o.lines,
                            .verbose = o.verbose},
                           *address, policy);
  }

  auto listener = listen_on(*address, type, o.mode, policy, o.timeout);
  if (!listener) return report_bind(kRecv, listener.error(), *address);
  std::uint64_t received = 0;
  while (received < o.count) {
    auto conn = accept_next(*listener, *address, o.timeout);
    if (!conn) return report(kRecv, conn.error(), &*address);
    if (!*conn) return kExitFailure;  // stopped by a signal
    if (o.verbose) {
      print_peer(kRecv, fmt::format("connection on {} from", address->describe()), (*conn)->peer);
    }
    auto got = drain(o, (*conn)->socket, *address, o.count - received);
    if (StopSignals::caught() != 0) return kExitFailure;
    if (!got) return report(kRecv, got.error(), &*address);
    received += *got;
  }
  return kExitOk;
}

}  // namespace

Verb add_recv(CLI::App& sock) {
  auto o = std::make_shared<RecvOptions>();
  auto* app = sock.add_subcommand("recv", "Receive messages on ADDR and print them");
  add_address_argument(*app, o->address);
  add_type_option(*app, o->type);
  app->add_option("--count", o->count, "Stop after N messages (a stream: N connections)")
      ->check(unsigned_validator(1, UINT64_MAX))
      ->default_str("1");
  app->add_flag("--lines", o->lines, "Write a newline after each message");
  app->add_flag("-v,--verbose", o->verbose, "Print each sender's pid, uid and gid on stderr");
  add_policy_options(*app, o->policy);
  add_socket_mode_option(*app, o->mode);
  add_timeout_option(*app, o->timeout, "message");
  return {app, [o] { return run_recv(*o); }};
}

}  // namespace ipckit::cli::sock
