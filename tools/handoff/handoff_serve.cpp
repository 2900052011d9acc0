// `ipckit handoff serve`: the handoff daemon, a thin shell over handoff::Server.
//
// Order of work, so that a refused command line starts nothing: the flags and the config file are
// read and validated first (exit 2, one line, nothing bound); then the systemd sockets are taken,
// the listeners and the control socket bound (exit 1 on failure); then READY=1 goes to the
// service manager and the event loop runs until SIGTERM/SIGINT (exit 0). SIGHUP re-reads the file
// and re-applies the flags (RunOptions::reload); a bad file then is logged and the running
// configuration kept.
#include <fmt/core.h>
#include <signal.h>

#include <memory>
#include <string>
#include <vector>

#include "cli/exit_codes.hpp"
#include "cli/output.hpp"
#include "cli/report.hpp"
#include "handoff/handoff_serve_flags.hpp"
#include "handoff/handoff_verbs.hpp"
#include "ipckit/handoff/config.hpp"
#include "ipckit/handoff/server.hpp"
#include "ipckit/net/socket_activation.hpp"
#include "ipckit/unix/sd_notify.hpp"

namespace ipckit::cli::handoff {

namespace {

using ::ipckit::handoff::Config;
using ::ipckit::handoff::Server;

constexpr std::string_view kServe = "handoff serve";
// The LISTEN_FDNAMES name of an activated control socket (server.hpp); every other one listens.
constexpr std::string_view kControlName = "control";

bool has_tcp_listeners(const std::vector<net::ActivatedSocket>& activated) {
  for (const auto& s : activated) {
    if (s.name != kControlName) return true;
  }
  return false;
}

bool has_control(const std::vector<net::ActivatedSocket>& activated) {
  for (const auto& s : activated) {
    if (s.name == kControlName) return true;
  }
  return false;
}

// validate()'s error, with the flag that sets the field when there is one:
// "workers.max_in_flight (--max-in-flight): must be from 1 to ...".
Error explain_field(const Error& e) {
  const std::string_view flag = flag_for_key(e.object());
  if (flag.empty()) return e;
  return Error(e.code(), e.operation(), e.object() + " (" + std::string(flag) + ")", e.detail());
}

// Everything that makes the configuration, for start and for each SIGHUP.
Result<Config> make_config(const ServeFlags& flags, bool activated_listeners,
                           bool activated_control) {
  auto config = serve_config(flags);
  if (!config) return config;
  // Sockets from systemd replace the file's listen addresses (Server::start takes one or the
  // other); --listen with them is a mistake, refused in run_serve().
  if (activated_listeners) config->listen.clear();
  if (auto valid = ::ipckit::handoff::validate(*config, activated_listeners, activated_control);
      !valid) {
    return std::unexpected(explain_field(valid.error()));
  }
  return config;
}

// Tells systemd (Type=notify); a failure is worth a line, not a refusal to serve.
void notify(std::string_view state) {
  if (auto sent = uds::sd_notify(state); !sent) {
    warn("{}: {}", kServe, sent.error().message());
  }
}

int run_serve(const ServeFlags& flags) {
  // SIGTERM, SIGINT and SIGHUP wait (blocked) until run() takes them through its signalfd, so
  // none arriving between READY=1 and the loop kills the daemon by its default action.
  sigset_t stop_and_reload;
  sigemptyset(&stop_and_reload);
  sigaddset(&stop_and_reload, SIGTERM);
  sigaddset(&stop_and_reload, SIGINT);
  sigaddset(&stop_and_reload, SIGHUP);
  ::pthread_sigmask(SIG_BLOCK, &stop_and_reload, nullptr);

  auto activated = net::activated_sockets();
  if (!activated) return report(kServe, activated.error());
  const bool activated_listeners = has_tcp_listeners(*activated);
  if (activated_listeners && !flags.listen.empty()) {
    warn("{}: --listen: systemd passed listening sockets; use one or the other", kServe);
    return kExitDaemonUsage;
  }
  const bool activated_control = has_control(*activated);
  auto config = make_config(flags, activated_listeners, activated_control);
  if (!config) return usage_failure(kServe, config.error());

  auto server = Server::start(*config, std::move(*activated));
  if (!server) return report(kServe, server.error());

  std::string status = "STATUS=listening on";
  for (const auto& address : server->listening())
    status += " " + address.to_string();
  notify("READY=1\n" + status);

  ::ipckit::handoff::RunOptions options;
  options.handle_signals = true;
  options.reload = [flags, activated_listeners, activated_control]() -> Result<Config> {
    return make_config(flags, activated_listeners, activated_control);
  };
  options.on_stop = [] { notify("STOPPING=1"); };
  auto ran = server->run(std::move(options));
  if (!ran) return report(kServe, ran.error());
  return kExitOk;
}

}  // namespace

Verb add_serve(CLI::App& handoff) {
  auto flags = std::make_shared<ServeFlags>();
  auto* app = handoff.add_subcommand(
      "serve", "Run the daemon: accept TCP clients, screen them, hand them to workers");
  add_serve_flags(*app, *flags);
  return {app, [flags] { return run_serve(*flags); }};
}

}  // namespace ipckit::cli::handoff
