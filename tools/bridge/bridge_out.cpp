// `ipckit bridge out CHANNEL ENDPOINT`: forwards every message of a local channel to a bridge
// in, releasing each only once the far side committed it (docs/bridge.md).
#include <unistd.h>

#include <memory>
#include <string>

#include "bridge/bridge_verbs.hpp"
#include "cli/channel_name.hpp"
#include "cli/exit_codes.hpp"
#include "cli/options.hpp"
#include "cli/report.hpp"
#include "cli/signals.hpp"
#include "cli/size.hpp"
#include "ipckit/bridge/endpoint.hpp"
#include "ipckit/bridge/out.hpp"
#include "ipckit/bridge/wire.hpp"

namespace ipckit::cli::bridge {

namespace {

struct OutFlags {
  std::string channel;
  std::string endpoint;
  std::string source;
  std::uint64_t window = 65536;
  std::uint64_t window_bytes = std::uint64_t{64} << 20;
  double ack_timeout = 3.0;
  std::string curve;
  std::string server_key;
  bool insecure = false;
  double stats = 0;
};

std::string default_source(const std::string& channel) {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return std::string(host) + ":" + channel;
}

int run_out(const OutFlags& f) {
  auto endpoint = ipckit::bridge::parse_endpoint(f.endpoint);
  if (!endpoint) return report("bridge out", endpoint.error());
  const bool curve = !f.curve.empty();
  if (curve != !f.server_key.empty()) {
    return report("bridge out",
                  Error(EINVAL, "bridge out", f.endpoint, "--curve and --server-key go together"));
  }
  if (auto ok = ipckit::bridge::check_plaintext(*endpoint, curve, f.insecure, "connect"); !ok) {
    return report("bridge out", ok.error());
  }
  ipckit::bridge::OutOptions options;
  options.endpoint = f.endpoint;
  options.source = f.source.empty() ? default_source(f.channel) : f.source;
  if (options.source.size() > ipckit::bridge::kMaxSourceName) {
    return report("bridge out",
                  Error(EINVAL, "bridge out", options.source,
                        "a source name has at most 200 bytes; give a shorter --source"));
  }
  options.window_messages = static_cast<std::size_t>(f.window);
  options.window_bytes = static_cast<std::size_t>(f.window_bytes);
  options.ack_timeout = std::chrono::milliseconds(static_cast<long>(f.ack_timeout * 1000));
  options.stats_interval = std::chrono::milliseconds(static_cast<long>(f.stats * 1000));
  if (curve) {
    auto keys = ipckit::bridge::read_keypair(f.curve);
    if (!keys) return report("bridge out", keys.error());
    auto server = ipckit::bridge::read_public_key(f.server_key);
    if (!server) return report("bridge out", server.error());
    options.curve = *keys;
    options.server_key = *server;
  }
  auto target = ChannelTarget::parse(f.channel);
  if (!target) return report("bridge out", target.error());
  auto channel = target->open();
  if (!channel) return report("bridge out", channel.error());
  if (auto installed = StopSignals::install(); !installed)
    return report("bridge out", installed.error());
  std::atomic<bool> stop{false};
  StopWatcher watcher(stop);
  ipckit::bridge::OutStats stats;
  auto ran = ipckit::bridge::run_out(*channel, options, stop, log_to_stderr, stats);
  if (!ran) return report("bridge out", ran.error());
  return kExitOk;
}

}  // namespace

Verb add_out(CLI::App& bridge) {
  auto f = std::make_shared<OutFlags>();
  auto* app = bridge.add_subcommand(
      "out", "Forward a channel's messages to a bridge in (released once committed there)");
  add_channel_name_argument(*app, f->channel);
  app->add_option("ENDPOINT", f->endpoint, "tcp://HOST:PORT, ipc://PATH or inproc://NAME")
      ->required();
  app->add_option("--source", f->source,
                  "This source's name at the bridge in (default HOST:CHANNEL)");
  app->add_option("--window", f->window, "Unacknowledged messages at most")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 24))
      ->default_str("65536");
  app->add_option("--window-bytes", f->window_bytes, "Unacknowledged bytes at most")
      ->transform(size_transformer())
      ->check(size_at_least(1))
      ->default_str("64M");
  app->add_option("--ack-timeout", f->ack_timeout,
                  "Seconds without an acknowledgement before saying hello again")
      ->check(CLI::Range(0.05, 3600.0))
      ->default_str("3");
  app->add_option("--curve", f->curve, "CURVE: this side's key file (ipckit bridge keygen)");
  app->add_option("--server-key", f->server_key, "CURVE: the bridge in's public key file");
  app->add_flag("--insecure", f->insecure, "Allow plaintext to a non-loopback address");
  app->add_option("--stats", f->stats, "Log a stats line every SECONDS (and one at exit)")
      ->check(CLI::Range(0.0, 86400.0));
  return {app, [f] { return run_out(*f); }};
}

}  // namespace ipckit::cli::bridge
