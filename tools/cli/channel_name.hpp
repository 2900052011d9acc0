// How a shared-memory channel is named on the command line: "NAME" (the POSIX object
// /dev/shm/NAME) or "sysv:KEY". Used by `ipckit chan` and by `ipckit rm`/`ls`, so both accept and
// refuse the same names. Pure parsing plus thin calls into ipckit::Channel; single-threaded.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "ipckit/channel.hpp"
#include "ipckit/sysv/key.hpp"

namespace ipckit::cli {

// A channel as named on the command line: "NAME" is the POSIX object /dev/shm/NAME, and
// "sysv:KEY" (KEY in decimal, 0x-hex or 0-octal) is the System V segment with that key.
class ChannelTarget {
 public:
  // Errors: EINVAL for a name the library would refuse (posix::check_name with
  // NameKind::kChannel: empty, longer than 200 bytes, a '/' after the first character, "." or
  // ".."; the detail says which) or that has a control character, or "sysv:" followed by
  // something that is not a key or by IPC_PRIVATE (0).
  [[nodiscard]] static Result<ChannelTarget> parse(std::string_view text);

  [[nodiscard]] const std::string& text() const noexcept { return text_; }
  [[nodiscard]] bool is_sysv() const noexcept { return key_.has_value(); }
  [[nodiscard]] const std::optional<sysv::Key>& key() const noexcept { return key_; }

  [[nodiscard]] Result<Channel> create(const channel::ChannelOptions& options) const;
  [[nodiscard]] Result<Channel> open() const;
  [[nodiscard]] Result<void> unlink() const;
  // A read-only copy of the header, without a participant slot of ours (Channel::inspect).
  [[nodiscard]] Result<channel::ChannelInfo> inspect() const;

 private:
  ChannelTarget(std::string text, std::optional<sysv::Key> key)
      : text_(std::move(text)), key_(key) {}
  std::string text_;
  std::optional<sysv::Key> key_;
};

// Checks NAME arguments at parse time, so a bad one fails before any channel is touched.
[[nodiscard]] CLI::Validator channel_name_validator();
// The required NAME argument of a channel verb ("Channel name, or sysv:KEY"), checked with
// channel_name_validator().
void add_channel_name_argument(CLI::App& app, std::string& name);

}  // namespace ipckit::cli
