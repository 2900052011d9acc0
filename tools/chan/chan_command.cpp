// `ipckit chan create|send|recv|stat|rm NAME ...`: the shared-memory channel from a shell.
//
// This file registers `chan`, dispatches to its verbs, and holds the two small ones (create, rm).
// send, recv and stat live in chan_send.cpp, chan_recv.cpp and chan_stat.cpp; what they share is
// on the CLI floor (chan_verbs.hpp says where). docs/cli.md documents the command and its exit
// codes.
#include <fmt/core.h>

#include <memory>
#include <string>
#include <vector>

#include "chan/chan_verbs.hpp"
#include "cli/command.hpp"
#include "cli/completion_hints.hpp"
#include "cli/exit_codes.hpp"
#include "cli/io.hpp"
#include "cli/options.hpp"
#include "cli/report.hpp"
#include "cli/size.hpp"

namespace ipckit::cli::chan {

namespace {

struct CreateOptions {
  std::string name;
  std::uint64_t capacity = std::uint64_t{1} << 20;
  std::uint64_t max_message = 0;
  std::string mode = "0600";
  bool multi_producer = false;
  bool multi_consumer = false;
};

Result<void> remove(const std::string& name) {
  auto target = Target::parse(name);
  if (!target) return std::unexpected(target.error());
  return target->unlink();
}

}  // namespace

Verb add_create(CLI::App& chan) {
  auto o = std::make_shared<CreateOptions>();
  auto* app = chan.add_subcommand("create", "Create a channel (fails if NAME exists)");
  add_channel_name_argument(*app, o->name);
  app->add_option("--capacity", o->capacity, "Ring size: a power of two from 4K to 16G")
      ->transform(size_transformer())
      ->default_str("1M");
  app->add_option("--max-message", o->max_message, "Largest message (default: capacity / 4)")
      ->transform(size_transformer())
      ->check(size_at_least(1));
  app->add_option("--mode", o->mode, "Permission bits, in octal")
      ->check(mode_validator())
      ->default_str("0600");
  app->add_flag("--multi-producer", o->multi_producer, "Allow several senders at once");
  app->add_flag("--multi-consumer", o->multi_consumer,
                "Allow several receivers at once (each message goes to one of them)");
  return {app, [o] {
            auto target = Target::parse(o->name);
            if (!target) return report("chan create", target.error());
            channel::ChannelOptions options;
            options.capacity = static_cast<std::size_t>(o->capacity);
            options.max_message = static_cast<std::size_t>(o->max_message);
            options.mode = mode_value(o->mode);
            options.producers =
                o->multi_producer ? channel::Producers::kMulti : channel::Producers::kSingle;
            options.consumers =
                o->multi_consumer ? channel::Consumers::kMulti : channel::Consumers::kSingle;
            auto channel = target->create(options);
            if (!channel) return report("chan create", channel.error());
            return kExitOk;
          }};
}

Verb add_rm(CLI::App& chan) {
  auto names = std::make_shared<std::vector<std::string>>();
  auto* app = chan.add_subcommand("rm", "Remove channels (refuses objects that are not channels)");
  app->add_option("NAME", *names, "Channel names, or sysv:KEY")
      ->required()
      ->check(channel_name_validator());
  hint(app->get_option("NAME"), {.live = Live::kChannel});
  return {app, [names] {
            // Every name was checked at parse time; a failure on one does not stop the others.
            int code = kExitOk;
            for (const auto& name : *names) {
              auto removed = remove(name);
              if (removed) continue;
              Error e = removed.error();
              if (e.code() == EPROTO) e = e.with_detail(e.detail() + "; not removed");
              int rc = report("chan rm", e);
              if (code == kExitOk) code = rc;
            }
            return code;
          }};
}

namespace {

Runner register_chan(CLI::App& app) {
  auto* chan = app.add_subcommand(
      "chan", "Shared-memory channels: create, send and receive streams, inspect, remove");
  chan->require_subcommand(1);
  return dispatch(
      {add_create(*chan), add_send(*chan), add_recv(*chan), add_stat(*chan), add_rm(*chan)});
}

}  // namespace

IPCKIT_COMMAND(200, register_chan);

}  // namespace ipckit::cli::chan
