// `ipckit chan stat NAME [--json]`: a channel's header: geometry, modes, creator, positions and
// fill level, participants, and whether anybody will use it again.
#include <fmt/core.h>
#include <fmt/ranges.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <time.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>

#include "chan/chan_verbs.hpp"
#include "cli/completion_hints.hpp"
#include "cli/details.hpp"
#include "cli/exit_codes.hpp"
#include "cli/io.hpp"
#include "cli/options.hpp"
#include "cli/report.hpp"
#include "cli/size.hpp"

namespace ipckit::cli::chan {

namespace {

struct StatOptions {
  std::string name;
  bool json = false;
};

const char* role_of(const channel::ParticipantInfo& p) {
  if (p.producer && p.consumer) return "producer+consumer";
  if (p.producer) return "producer";
  if (p.consumer) return "consumer";
  return "handle";  // a Channel handle that has not taken a side
}

// The object's permission bits, which the channel header does not record: from /dev/shm/NAME or
// the segment's IPC_STAT. std::nullopt if it vanished since it was inspected.
std::optional<unsigned> permission_bits(const Target& target, const channel::ChannelInfo& info) {
  if (const auto& key = target.key()) {
    struct shmid_ds ds {};
    const int id = ::shmget(key->value(), 0, 0);
    if (id < 0 || ::shmctl(id, IPC_STAT, &ds) != 0) return std::nullopt;
    return ds.shm_perm.mode & 0777u;
  }
  struct stat st {};
  if (::stat(("/dev/shm/" + info.name).c_str(), &st) != 0) return std::nullopt;
  return st.st_mode & 07777u;
}

double fill_percent(const channel::ChannelInfo& info) {
  if (info.capacity == 0) return 0;
  return 100.0 * static_cast<double>(info.used()) / static_cast<double>(info.capacity);
}

// strftime of the creation time: `utc` for JSON (RFC 3339), local time for people.
std::string format_time_ns(std::int64_t unix_ns, bool utc) {
  return format_time(static_cast<std::time_t>(unix_ns / 1'000'000'000), utc);
}

bool is_corrupted(const channel::ChannelInfo& info, std::string_view field) {
  return std::find(info.corrupted.begin(), info.corrupted.end(), field) != info.corrupted.end();
}

void print_stat_json(const Target& target, const channel::ChannelInfo& info,
                     std::optional<unsigned> mode) {
  nlohmann::ordered_json participants = nlohmann::ordered_json::array();
  for (const auto& p : info.participants) {
    participants.push_back({{"pid", p.pid}, {"role", role_of(p)}, {"alive", p.alive}});
  }
  const auto or_null = [&](std::string_view field, nlohmann::ordered_json value) {
    return is_corrupted(info, field) ? nlohmann::ordered_json(nullptr) : std::move(value);
  };
  const nlohmann::ordered_json doc = {
      {"name", target.text()},
      {"kind", target.is_sysv() ? "sysv" : "posix"},
      {"capacity", info.capacity},
      {"max_message", info.max_message},
      {"producers", info.producers == channel::Producers::kMulti ? "multi" : "single"},
      {"consumers", info.consumers == channel::Consumers::kMulti ? "multi" : "single"},
      {"mode", octal_mode(mode)},
      {"creator",
       {{"pid", or_null("creator pid", info.creator_pid)},
        {"uid", info.creator_uid},
        {"alive", info.creator_alive}}},
      {"created", or_null("creation time", format_time_ns(info.created_unix_ns, true))},
      {"created_unix_ns", or_null("creation time", info.created_unix_ns)},
      {"head", or_null("positions", info.head)},
      {"tail", or_null("positions", info.tail)},
      {"used", or_null("positions", info.used())},
      {"fill_percent", or_null("positions", fill_percent(info))},
      {"stale", info.stale()},
      {"participants", participants},
      {"corrupted", info.corrupted},
  };
  cli::print_json(doc);
}

void print_text(const Target& target, const channel::ChannelInfo& info,
                std::optional<unsigned> mode) {
  print_detail("name", target.is_sysv()
                           ? fmt::format("{} (System V segment, {})", target.text(), info.name)
                           : fmt::format("{} (/dev/shm/{})", target.text(), info.name));
  print_detail("capacity", size_detail(info.capacity));
  print_detail("max message", size_detail(info.max_message));
  print_detail("producers", info.producers == channel::Producers::kMulti ? "multi" : "single");
  print_detail("consumers", info.consumers == channel::Consumers::kMulti ? "multi" : "single");
  print_detail("mode", octal_mode(mode));
  // A field the header cannot truly hold says "corrupted", never its meaningless value.
  const auto checked = [&](std::string_view field, std::string value) {
    return is_corrupted(info, field) ? std::string("corrupted") : std::move(value);
  };
  print_detail("creator",
               is_corrupted(info, "creator pid")
                   ? fmt::format("corrupted (uid {})", info.creator_uid)
                   : fmt::format("pid {}, uid {} ({})", info.creator_pid, info.creator_uid,
                                 info.creator_alive ? "alive" : "exited"));
  print_detail("created", checked("creation time", format_time_ns(info.created_unix_ns, false)));
  print_detail("head", checked("positions", std::to_string(info.head)));
  print_detail("tail", checked("positions", std::to_string(info.tail)));
  print_detail("used", checked("positions", fmt::format("{} bytes ({:.1f}% full)", info.used(),
                                                        fill_percent(info))));
  print_detail("stale", info.stale() ? "yes (creator exited, nobody attached)" : "no");
  if (!info.corrupted.empty())
    print_detail("corrupted", fmt::format("yes: {}", fmt::join(info.corrupted, ", ")));
  if (info.participants.empty()) {
    print_detail("participants", "none");
    return;
  }
  print_detail("participants", std::to_string(info.participants.size()));
  fmt::print("  {:>8}  {:<17}  {}\n", "PID", "ROLE", "ALIVE");
  for (const auto& p : info.participants)
    fmt::print("  {:>8}  {:<17}  {}\n", p.pid, role_of(p), p.alive ? "yes" : "no");
}

int run_stat(const StatOptions& o) {
  auto target = Target::parse(o.name);
  if (!target) return report("chan stat", target.error());
  auto info = target->inspect();
  if (!info) return report("chan stat", info.error());
  const auto mode = permission_bits(*target, *info);
  if (o.json) {
    print_stat_json(*target, *info, mode);
  } else {
    print_text(*target, *info, mode);
  }
  return kExitOk;
}

}  // namespace

Verb add_stat(CLI::App& chan) {
  auto o = std::make_shared<StatOptions>();
  auto* app = chan.add_subcommand("stat", "Show a channel's settings, fill level and participants");
  app->add_option("NAME", o->name, "Channel name, or sysv:KEY")
      ->required()
      ->check(channel_name_validator());
  hint(app->get_option("NAME"), {.live = Live::kChannel});
  app->add_flag("--json", o->json, "Print one JSON object");
  return {app, [o] { return run_stat(*o); }};
}

}  // namespace ipckit::cli::chan
