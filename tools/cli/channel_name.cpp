#include "cli/channel_name.hpp"
#include "cli/completion_hints.hpp"

#include <fmt/core.h>

#include <cerrno>
#include <utility>

#include "cli/values.hpp"

namespace ipckit::cli {

namespace {
constexpr std::string_view kSysvPrefix = "sysv:";
}  // namespace

Result<ChannelTarget> ChannelTarget::parse(std::string_view text) {
  if (!text.starts_with(kSysvPrefix)) {
    // Channel::create's REQUIRES (posix::check_name for a channel), checked here too so that
    // `chan rm good bad/name` removes nothing.
    if (auto problem = posix_name_problem(text, posix::NameKind::kChannel))
      return fail(EINVAL, "channel name", fmt::format("'{}'", escape_controls(text)), *problem);
    if (auto problem = control_character_problem(text))
      return fail(EINVAL, "channel name", fmt::format("'{}'", escape_controls(text)), *problem);
    return ChannelTarget(std::string(text), std::nullopt);
  }
  auto key = sysv::Key::parse(text.substr(kSysvPrefix.size()));
  if (!key) {
    return fail(EINVAL, "channel name", fmt::format("'{}'", text),
                "expected sysv:KEY with KEY in decimal, 0x-hex or 0-octal");
  }
  if (key->is_private()) {
    return fail(EINVAL, "channel name", fmt::format("'{}'", text),
                "IPC_PRIVATE (0) cannot name a channel others can open");
  }
  return ChannelTarget(std::string(text), *key);
}

Result<Channel> ChannelTarget::create(const channel::ChannelOptions& options) const {
  return key_ ? Channel::create(*key_, options) : Channel::create(text_, options);
}

Result<Channel> ChannelTarget::open() const {
  return key_ ? Channel::open(*key_) : Channel::open(text_);
}

Result<void> ChannelTarget::unlink() const {
  return key_ ? Channel::unlink(*key_) : Channel::unlink(text_);
}

Result<channel::ChannelInfo> ChannelTarget::inspect() const {
  return key_ ? Channel::inspect(*key_) : Channel::inspect(text_);
}

CLI::Validator channel_name_validator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        auto target = ChannelTarget::parse(text);
        if (target) return {};
        return fmt::format("invalid channel name '{}': {}", text, target.error().detail());
      },
      "NAME", "channel name");
}

void add_channel_name_argument(CLI::App& app, std::string& name) {
  app.add_option("NAME", name, "Channel name, or sysv:KEY")
      ->required()
      ->check(channel_name_validator());
  hint(app.get_option("NAME"), {.live = Live::kChannel});
}

}  // namespace ipckit::cli
