// `ipckit bridge in ENDPOINT CHANNEL`: commits what bridge outs send into a local channel,
// exactly once per message across crashes and reconnects (docs/bridge.md).
#include <fmt/core.h>

#include <memory>
#include <string>
#include <vector>

#include "bridge/bridge_verbs.hpp"
#include "cli/channel_name.hpp"
#include "cli/exit_codes.hpp"
#include "cli/options.hpp"
#include "cli/report.hpp"
#include "cli/signals.hpp"
#include "cli/size.hpp"
#include "ipckit/bridge/endpoint.hpp"
#include "ipckit/bridge/in.hpp"
#include "ipckit/bridge/wire.hpp"

namespace ipckit::cli::bridge {

namespace {

struct InFlags {
  std::string endpoint;
  std::string channel;
  std::uint64_t capacity = std::uint64_t{1} << 20;
  std::uint64_t max_message = 0;
  std::string mode = "0600";
  std::string curve;
  std::vector<std::string> allow;
  bool insecure = false;
  double stats = 0;
};

int run_in(const InFlags& f) {
  auto endpoint = ipckit::bridge::parse_endpoint(f.endpoint);
  if (!endpoint) return report("bridge in", endpoint.error());
  const bool curve = !f.curve.empty();
  if (curve && f.allow.empty()) {
    return report("bridge in", Error(EINVAL, "bridge in", f.endpoint,
                                     "--curve needs at least one --allow KEY.pub (the sources "
                                     "that may connect)"));
  }
  if (!curve && !f.allow.empty()) {
    return report("bridge in", Error(EINVAL, "bridge in", f.endpoint, "--allow needs --curve"));
  }
  if (auto ok = ipckit::bridge::check_plaintext(*endpoint, curve, f.insecure, "bind"); !ok) {
    return report("bridge in", ok.error());
  }
  ipckit::bridge::InOptions options;
  options.endpoint = f.endpoint;
  options.stats_interval = std::chrono::milliseconds(static_cast<long>(f.stats * 1000));
  if (curve) {
    auto keys = ipckit::bridge::read_keypair(f.curve);
    if (!keys) return report("bridge in", keys.error());
    options.curve = *keys;
    for (const auto& path : f.allow) {
      auto key = ipckit::bridge::read_public_key(path);
      if (!key) return report("bridge in", key.error());
      options.allowed_keys.insert(*key);
    }
  }
  auto target = ChannelTarget::parse(f.channel);
  if (!target) return report("bridge in", target.error());
  auto channel = target->open();
  if (!channel && channel.error().code() == ENOENT) {
    channel::ChannelOptions create;
    create.capacity = static_cast<std::size_t>(f.capacity);
    create.max_message = static_cast<std::size_t>(f.max_message);
    create.mode = mode_value(f.mode);
    channel = target->create(create);
    if (!channel && channel.error().code() == EEXIST) channel = target->open();  // raced
  }
  if (!channel) return report("bridge in", channel.error());
  const auto info = channel->info();
  auto ledger = ipckit::bridge::Ledger::take(
      ledger_label(*target),
      ipckit::bridge::source_incarnation(info.created_unix_ns, info.creator_pid),
      mode_value(f.mode));
  if (!ledger) return report("bridge in", ledger.error());
  if (auto installed = StopSignals::install(); !installed)
    return report("bridge in", installed.error());
  std::atomic<bool> stop{false};
  StopWatcher watcher(stop);
  ipckit::bridge::InStats stats;
  auto ran = ipckit::bridge::run_in(*channel, *ledger, options, stop, log_to_stderr, stats);
  if (!ran) return report("bridge in", ran.error());
  return kExitOk;
}

}  // namespace

Verb add_in(CLI::App& bridge) {
  auto f = std::make_shared<InFlags>();
  auto* app = bridge.add_subcommand(
      "in", "Bind ENDPOINT and commit what bridge outs send into a channel, exactly once");
  app->add_option("ENDPOINT", f->endpoint, "tcp://HOST:PORT, ipc://PATH or inproc://NAME")
      ->required();
  add_channel_name_argument(*app, f->channel);
  app->add_option("--capacity", f->capacity, "When the channel is made here: its ring size")
      ->transform(size_transformer())
      ->default_str("1M");
  app->add_option("--max-message", f->max_message,
                  "When the channel is made here: its largest message (default capacity / 4)")
      ->transform(size_transformer())
      ->check(size_at_least(1));
  app->add_option("--mode", f->mode, "Permission bits of a channel made here and of the ledger")
      ->check(mode_validator())
      ->default_str("0600");
  app->add_option("--curve", f->curve, "CURVE: this side's key file (ipckit bridge keygen)");
  app->add_option("--allow", f->allow, "CURVE: a public key file of a source that may connect");
  app->add_flag("--insecure", f->insecure, "Allow plaintext on a non-loopback address");
  app->add_option("--stats", f->stats, "Log a stats line every SECONDS (and one at exit)")
      ->check(CLI::Range(0.0, 86400.0));
  return {app, [f] { return run_in(*f); }};
}

}  // namespace ipckit::cli::bridge
