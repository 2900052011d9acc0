#include "objects/object_target.hpp"
#include "cli/completion_hints.hpp"

#include <fmt/core.h>
#include <time.h>

#include <cerrno>
#include <charconv>
#include <limits>
#include <utility>

#include "cli/exit_codes.hpp"
#include "cli/output.hpp"
#include "cli/size.hpp"
#include "cli/values.hpp"

namespace ipckit::cli::ipc {

namespace {

// The objects `rm NAME` completes to, by the family's name rule.
Live live_kind(posix::NameKind kind) {
  switch (kind) {
    case posix::NameKind::kSemaphore:
      return Live::kPosixSem;
    case posix::NameKind::kMessageQueue:
      return Live::kMqueue;
    default:
      return Live::kPosixShm;
  }
}

}  // namespace

namespace {

constexpr std::string_view kSysvPrefix = "sysv:";
constexpr std::string_view kIdPrefix = "id:";

Result<Target> invalid(std::string why) {
  return fail(EINVAL, "", "", std::move(why));
}

}  // namespace

Result<Target> Target::parse(std::string_view text, const NameRules& rules) {
  if (text.starts_with(kSysvPrefix)) {
    if (!rules.sysv) return invalid(std::string(rules.sysv_refusal));
    std::string_view rest = text.substr(kSysvPrefix.size());
    if (rest.starts_with(kIdPrefix)) {
      if (!rules.sysv_id) return invalid("an id names an existing object; create takes sysv:KEY");
      rest.remove_prefix(kIdPrefix.size());
      int id = -1;
      const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), id);
      if (rest.empty() || ec != std::errc() || end != rest.data() + rest.size() || id < 0)
        return invalid("expected sysv:id:ID with ID a decimal number, as ipcs prints it");
      return Target(Kind::kSysvId, std::string(text), sysv::Key(0), id);
    }
    auto key = sysv::Key::parse(rest);
    if (!key) return invalid("expected sysv:KEY with KEY in decimal, 0x-hex or 0-octal");
    if (key->is_private())
      return invalid("IPC_PRIVATE (0) names no object another command could find again");
    return Target(Kind::kSysvKey, std::string(text), *key, -1);
  }
  if (auto problem = posix_name_problem(text, rules.kind)) return invalid(*problem);
  std::string_view base = text.starts_with('/') ? text.substr(1) : text;
  if (auto problem = control_character_problem(base)) return invalid(*problem);
  if (rules.reserve_sem_prefix && base.starts_with("sem.")) {
    return invalid(fmt::format("/dev/shm/{} is where glibc keeps the POSIX semaphore '{}'", base,
                               base.substr(4)));
  }
  return Target(Kind::kPosix, std::string(text), sysv::Key(0), -1);
}

CLI::Validator name_validator(NameRules rules) {
  return CLI::Validator(
      [rules](std::string& text) -> std::string {
        auto target = Target::parse(text, rules);
        if (target) return {};
        return fmt::format("invalid {} '{}': {}", rules.what, text, target.error().detail());
      },
      "NAME", std::string(rules.what));
}

CLI::Option* add_text_or_file(CLI::App& app, std::string& text, std::string& file,
                              const std::string& text_help, const std::string& file_help,
                              const std::string& missing) {
  auto* text_option = app.add_option("TEXT", text, text_help);
  auto* file_option = app.add_option("--file", file, file_help)->excludes(text_option);
  app.callback([text_option, file_option, missing] {
    if (text_option->count() == 0 && file_option->count() == 0)
      throw CLI::ValidationError("TEXT", missing);
  });
  return file_option;
}

Verb add_rm_verb(CLI::App& parent, const std::string& description, const std::string& prefix,
                 const NameRules& rules, std::function<Result<void>(const Target&)> remove) {
  auto names = std::make_shared<std::vector<std::string>>();
  auto* app = parent.add_subcommand("rm", description);
  app->add_option("NAME", *names, "POSIX names, sysv:KEY or sysv:id:ID")
      ->required()
      ->check(name_validator(rules));
  hint(app->get_option("NAME"), {.live = live_kind(rules.kind)});
  return {app, [names, prefix, rules, remove = std::move(remove)] {
            // Every name was checked at parse time; a failure on one does not stop the others.
            FirstFailure result(prefix);
            for (const auto& name : *names) {
              auto target = Target::parse(name, rules);
              auto removed = target ? remove(*target) : std::unexpected(target.error());
              if (!removed) result.add(removed.error());
            }
            return result.code();
          }};
}

}  // namespace ipckit::cli::ipc
