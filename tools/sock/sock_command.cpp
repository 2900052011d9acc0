// `ipckit sock listen|connect|send|recv ADDR`: Unix domain sockets from a shell, on paths and
// abstract names (@name), of type stream, dgram or seqpacket; enough to stand in for socat on
// local sockets.
//
// This file registers `sock` and holds listen and connect, the two verbs that copy both ways;
// send and recv live in sock_send_recv.cpp, and what they share in sock_common.hpp (the rest is on
// the CLI floor, tools/cli/). docs/cli.md documents the command and its exit codes.
#include <fmt/core.h>
#include <poll.h>

#include <memory>
#include <string>
#include <vector>

#include "cli/command.hpp"
#include "cli/completion_hints.hpp"
#include "cli/exit_codes.hpp"
#include "cli/output.hpp"
#include "ipckit/unix/listener.hpp"
#include "sock/sock_common.hpp"

namespace ipckit::cli::sock {

namespace {

struct ListenOptions {
  std::string address;
  std::string type = "stream";
  bool keep_listening = false;
  bool verbose = false;
  PolicyOptions policy;
  std::string mode;
  double timeout = -1;
};

constexpr std::string_view kListen = "sock listen";
constexpr std::string_view kConnect = "sock connect";

// Whether a failure is about the standard streams (the command cannot go on) rather than about
// one connection (a --keep-listening listener reports it and serves the next).
bool about_stdio(const Error& e) {
  return e.object() == "stdin" || e.object() == "stdout";
}

int run_listen(const ListenOptions& o) {
  auto address = parse_address(o.address);
  if (!address) return report(kListen, address.error());
  if (auto r = StopSignals::install(); !r) return report(kListen, r.error());
  const SocketType type = type_value(o.type);
  const uds::AccessPolicy policy = policy_for(o.policy, *address);
  if (type == SocketType::kDatagram) {
    return print_datagrams({.prefix = kListen,
                            .mode = o.mode,
                            .timeout = o.timeout,
                            .verbose = o.verbose,
                            .announce = true},
                           *address, policy);
  }

  auto listener = listen_on(*address, type, o.mode, policy, o.timeout);
  if (!listener) return report_bind(kListen, listener.error(), *address);
  if (o.verbose) {
    warn("{}: listening on {} ({}, allowing {})", kListen, address->describe(), type_word(type),
         policy.describe());
  }
  Input input;
  for (;;) {
    auto conn = accept_next(*listener, *address, o.timeout);
    if (!conn) return report(kListen, conn.error(), &*address);
    if (!*conn) return kExitFailure;  // stopped by a signal
    if (o.verbose) {
      print_peer(kListen, fmt::format("connection on {} from", address->describe()), (*conn)->peer);
    }
    auto copied = copy_both_ways((*conn)->socket, *address, input);
    if (StopSignals::caught() != 0) return kExitFailure;
    if (!copied) {
      const int code = report(kListen, copied.error(), &*address);
      if (!o.keep_listening || about_stdio(copied.error())) return code;
    }
    if (!o.keep_listening) return kExitOk;
  }
}

Verb add_listen(CLI::App& sock) {
  auto o = std::make_shared<ListenOptions>();
  auto* app = sock.add_subcommand(
      "listen", "Accept a connection on ADDR and copy stdin to it and it to stdout");
  add_address_argument(*app, o->address);
  add_type_option(*app, o->type);
  app->add_flag("--keep-listening", o->keep_listening,
                "After a connection ends, accept the next one (until a signal)");
  app->add_flag("-v,--verbose", o->verbose, "Print each peer's pid, uid and gid on stderr");
  add_policy_options(*app, o->policy);
  add_socket_mode_option(*app, o->mode);
  add_timeout_option(*app, o->timeout, "connection (dgram: message)");
  return {app, [o] { return run_listen(*o); }};
}

// ------------------------------------------------------------------------------------------------
// connect

struct ConnectOptions {
  std::string address;
  std::string type = "stream";
  bool verbose = false;
  PolicyOptions policy;
};

int run_connect(const ConnectOptions& o) {
  auto address = parse_address(o.address);
  if (!address) return report(kConnect, address.error());
  const SocketType type = type_value(o.type);
  if (type == SocketType::kDatagram && policy_given(o.policy)) return dgram_policy_usage(kConnect);
  auto socket = UnixSocket::create(type);
  if (!socket) return report(kConnect, socket.error());
  // A datagram socket is autobound, so that the peer can answer.
  if (type == SocketType::kDatagram) {
    if (auto r = socket->bind(UnixAddress::unnamed()); !r) return report(kConnect, r.error());
  }
  if (auto r = socket->connect(*address); !r) return report(kConnect, r.error(), &*address);
  if (auto policy = client_policy(o.policy)) {
    if (auto r = uds::verify_peer(*socket, *policy, *address); !r) {
      return report(kConnect, r.error(), &*address);
    }
  }
  if (o.verbose) {
    auto peer = uds::peer_credentials(*socket);
    if (!peer) return report(kConnect, peer.error(), &*address);
    if (*peer) {
      print_peer(kConnect, fmt::format("connected to {}, listener", address->describe()), **peer);
    } else {
      warn("{}: connected to {} (a datagram socket has no peer credentials)", kConnect,
           address->describe());
    }
  }
  Input input;
  auto copied = copy_both_ways(*socket, *address, input);
  if (!copied) return report(kConnect, copied.error(), &*address);
  return kExitOk;
}

Verb add_connect(CLI::App& sock) {
  auto o = std::make_shared<ConnectOptions>();
  auto* app =
      sock.add_subcommand("connect", "Connect to ADDR and copy stdin to it and it to stdout");
  add_address_argument(*app, o->address);
  hint(app->get_option("ADDR"), {.live = Live::kUnixSocket});
  add_type_option(*app, o->type);
  app->add_flag("-v,--verbose", o->verbose, "Print the listener's pid, uid and gid on stderr");
  add_policy_options(*app, o->policy, PolicyRole::kClient);
  return {app, [o] { return run_connect(*o); }};
}

Runner register_sock(CLI::App& app) {
  auto* sock = app.add_subcommand(
      "sock", "Unix domain sockets: listen, connect, send and receive (stream, dgram, seqpacket)");
  sock->require_subcommand(1);
  return dispatch({add_listen(*sock), add_connect(*sock), add_send(*sock), add_recv(*sock)},
                  OnStop::kDieOfSignal);
}

}  // namespace

IPCKIT_COMMAND(300, register_sock);

}  // namespace ipckit::cli::sock
