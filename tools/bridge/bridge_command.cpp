// `ipckit bridge out|in|keygen|stat|forget`: a channel carried between machines over ZeroMQ,
// with nothing lost or duplicated across crashes and reconnects (docs/bridge.md).
//
// This file registers `bridge`, dispatches to its verbs, and holds the small ones; out and in
// live in bridge_out.cpp and bridge_in.cpp.
#include <fmt/core.h>
#include <poll.h>
#include <unistd.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "bridge/bridge_verbs.hpp"
#include "cli/exit_codes.hpp"
#include "cli/output.hpp"
#include "cli/report.hpp"
#include "cli/signals.hpp"
#include "ipckit/bridge/curve.hpp"
#include "ipckit/bridge/ledger.hpp"
#include "ipckit/bridge/wire.hpp"

namespace ipckit::cli::bridge {

StopWatcher::StopWatcher(std::atomic<bool>& stop)
    : stop_(stop), thread_([this] {
        while (!done_.load(std::memory_order_relaxed)) {
          pollfd p{StopSignals::fd().get(), POLLIN, 0};
          (void)poll(&p, 1, 100);
          if (StopSignals::caught() != 0) {
            stop_.store(true, std::memory_order_relaxed);
            return;
          }
        }
      }) {}

StopWatcher::~StopWatcher() {
  done_.store(true, std::memory_order_relaxed);
  thread_.join();
}

void log_to_stderr(std::string_view line) {
  std::string text(line);
  text += '\n';
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(STDERR_FILENO, text.data() + done, text.size() - done);
    if (n <= 0) return;  // a log line is not worth stopping the bridge for
    done += static_cast<std::size_t>(n);
  }
}

std::string ledger_label(const ChannelTarget& target) {
  if (target.is_sysv()) {
    return fmt::format("sysv-{:#010x}", static_cast<std::uint32_t>(target.key()->value()));
  }
  return target.text();
}

namespace {

Verb add_keygen(CLI::App& bridge) {
  auto base = std::make_shared<std::string>();
  auto* app =
      bridge.add_subcommand("keygen", "Make a CURVE key pair: BASE.key (secret) and BASE.pub");
  app->add_option("BASE", *base, "Path of the key files, without .key/.pub")->required();
  return {app, [base] {
            auto keys = ipckit::bridge::generate_keypair();
            if (!keys) return report("bridge keygen", keys.error());
            auto wrote = ipckit::bridge::write_keypair(*base, *keys);
            if (!wrote) return report("bridge keygen", wrote.error());
            return kExitOk;
          }};
}

struct StatFlags {
  std::string channel;
  bool json = false;
};

std::string position_text(std::uint64_t p) {
  return p == ipckit::bridge::kNone ? std::string("none") : fmt::format("{}", p);
}

Verb add_stat(CLI::App& bridge) {
  auto f = std::make_shared<StatFlags>();
  auto* app = bridge.add_subcommand(
      "stat", "Show what a bridge in committed into CHANNEL, per source (its ledger)");
  add_channel_name_argument(*app, f->channel);
  app->add_flag("--json", f->json, "One JSON object");
  return {
      app, [f] {
        auto target = ChannelTarget::parse(f->channel);
        if (!target) return report("bridge stat", target.error());
        auto sources = ipckit::bridge::Ledger::read(ledger_label(*target));
        if (!sources) return report("bridge stat", sources.error());
        std::string text;
        if (f->json) {
          nlohmann::json out;
          out["channel"] = f->channel;
          out["ledger"] = "/dev/shm/" + ipckit::bridge::Ledger::object_name(ledger_label(*target));
          out["sources"] = nlohmann::json::array();
          for (const auto& s : *sources) {
            nlohmann::json j;
            j["name"] = s.name;
            j["incarnation"] = s.incarnation;
            if (s.last == ipckit::bridge::kNone) {
              j["last_committed"] = nullptr;
            } else {
              j["last_committed"] = s.last;
            }
            j["committed"] = s.committed;
            j["duplicates"] = s.duplicates;
            j["pending"] = s.pending;
            out["sources"].push_back(std::move(j));
          }
          text = out.dump(2) + "\n";
        } else {
          text = fmt::format("{:<40} {:>20} {:>12} {:>10} {}\n", "SOURCE", "LAST-COMMITTED",
                             "COMMITTED", "DUPLICATES", "PENDING");
          for (const auto& s : *sources) {
            text += fmt::format("{:<40} {:>20} {:>12} {:>10} {}\n", s.name, position_text(s.last),
                                s.committed, s.duplicates, s.pending ? "yes" : "no");
          }
        }
        write_text(stdout, text);  // a write error is reported at exit (cli/output.hpp)
        return kExitOk;
      }};
}

Verb add_forget(CLI::App& bridge) {
  auto channel = std::make_shared<std::string>();
  auto* app = bridge.add_subcommand(
      "forget", "Remove CHANNEL's bridge ledger (refused while a bridge in serves it)");
  add_channel_name_argument(*app, *channel);
  return {app, [channel] {
            auto target = ChannelTarget::parse(*channel);
            if (!target) return report("bridge forget", target.error());
            const std::string label = ledger_label(*target);
            auto removed = ipckit::bridge::Ledger::remove(label);
            if (!removed) return report("bridge forget", removed.error());
            return kExitOk;
          }};
}

Runner register_bridge(CLI::App& app) {
  auto* bridge = app.add_subcommand(
      "bridge", "Carry a channel to other hosts over ZeroMQ, exactly once across crashes");
  bridge->require_subcommand(1);
  return dispatch({add_out(*bridge), add_in(*bridge), add_keygen(*bridge), add_stat(*bridge),
                   add_forget(*bridge)});
}

}  // namespace

IPCKIT_COMMAND(850, register_bridge);

}  // namespace ipckit::cli::bridge
