#include "commands/ipc_common.hpp"

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
  std::string_view base = text.starts_with('/') ? text.substr(1) : text;
  if (base.empty()) return invalid("empty");
  if (base.find('/') != std::string_view::npos)
    return invalid("'/' is allowed only as the first character");
  if (base.find('\0') != std::string_view::npos) return invalid("contains a NUL byte");
  if (auto problem = control_character_problem(base)) return invalid(*problem);
  if (base == "." || base == "..") return invalid("'.' and '..' are reserved");
  if (base.size() > rules.max_length) {
    return invalid(
        fmt::format("{} bytes after the '/', at most {}", base.size(), rules.max_length));
  }
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

CLI::Validator mode_validator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        const bool octal = !text.empty() && text.size() <= 4 &&
                           text.find_first_not_of("01234567") == std::string::npos;
        if (!octal || std::stoul(text, nullptr, 8) > 0777)
          return fmt::format("invalid mode '{}' (octal permission bits, e.g. 0600)", text);
        return {};
      },
      "MODE", "mode");
}

mode_t mode_value(const std::string& text) {
  return static_cast<mode_t>(std::stoul(text, nullptr, 8));
}

CLI::Validator size_at_least(std::uint64_t minimum) {
  return CLI::Validator(
      [minimum](std::string& text) -> std::string {
        // size_transformer() ran first: `text` is a plain decimal number.
        std::uint64_t value = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (ec != std::errc() || end != text.data() + text.size())
          return fmt::format("invalid size '{}'", text);
        if (value < minimum) {
          return fmt::format("must be at least {} byte{}, not {}", minimum, minimum == 1 ? "" : "s",
                             value);
        }
        return {};
      },
      "", "minimum size");
}

std::chrono::nanoseconds to_duration(double seconds) noexcept {
  // Clamped to a century: forever in practice, and small enough that the library's deadlines
  // (now + timeout, on the monotonic or the realtime clock) cannot overflow 64-bit nanoseconds.
  constexpr double kCentury = 100.0 * 365.25 * 24 * 3600;
  if (seconds < 0 || seconds > kCentury) seconds = kCentury;
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::duration<double>(seconds));
}

std::string describe_seconds(double seconds) {
  return fmt::format("{:g} s", seconds);
}

int report(std::string_view prefix, const Error& e) {
  std::string operation =
      e.operation().empty() ? std::string(prefix) : fmt::format("{}: {}", prefix, e.operation());
  return cli::report(Error(e.code(), std::move(operation), e.object(), e.detail()));
}

Error explain_id_error(const Error& e, std::string_view what) {
  if (e.code() != EINVAL && e.code() != EIDRM) return e;
  return e.with_detail(fmt::format("no {} has this id (it was removed, or never existed)", what));
}

std::string format_time(std::time_t seconds, bool utc) {
  struct tm parts {};
  if (utc ? ::gmtime_r(&seconds, &parts) == nullptr : ::localtime_r(&seconds, &parts) == nullptr)
    return "?";
  char text[64];
  const std::size_t n =
      ::strftime(text, sizeof text, utc ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%d %H:%M:%S %z", &parts);
  return std::string(text, n);
}

Runner dispatch(std::vector<Verb> verbs) {
  auto shared = std::make_shared<std::vector<Verb>>(std::move(verbs));
  return [shared] {
    for (const auto& verb : *shared) {
      if (verb.app->parsed()) return verb.run();
    }
    return kExitFailure;
  };
}

}  // namespace ipckit::cli::ipc
