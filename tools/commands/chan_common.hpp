// What the `ipckit chan` verbs share: how a channel is named on the command line, how errors are
// reported, timeouts, the progress line, and whole-buffer reads and writes on descriptors.
//
// Internal to the `ipckit` command (tools/commands/chan_*.cpp). Single-threaded, like the command.
#pragma once

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "cli/command.hpp"
#include "ipckit/channel.hpp"
#include "ipckit/core/fd.hpp"
#include "ipckit/sysv/key.hpp"

namespace ipckit::cli::chan {

// A channel as named on the command line: "NAME" is the POSIX object /dev/shm/NAME, and
// "sysv:KEY" (KEY in decimal, 0x-hex or 0-octal) is the System V segment with that key.
class Target {
 public:
  // Errors: EINVAL for a name the library would refuse (empty, longer than 200 characters, a '/'
  // after the first character), or "sysv:" followed by something that is not a key or by
  // IPC_PRIVATE (0).
  [[nodiscard]] static Result<Target> parse(std::string_view text);

  [[nodiscard]] const std::string& text() const noexcept { return text_; }
  [[nodiscard]] bool is_sysv() const noexcept { return key_.has_value(); }
  [[nodiscard]] const std::optional<sysv::Key>& key() const noexcept { return key_; }

  [[nodiscard]] Result<Channel> create(const channel::ChannelOptions& options) const;
  [[nodiscard]] Result<Channel> open() const;
  [[nodiscard]] Result<void> unlink() const;
  // A read-only copy of the header, without a participant slot of ours (Channel::inspect).
  [[nodiscard]] Result<channel::ChannelInfo> inspect() const;

 private:
  Target(std::string text, std::optional<sysv::Key> key) : text_(std::move(text)), key_(key) {}
  std::string text_;
  std::optional<sysv::Key> key_;
};

// Checks NAME arguments at parse time, so a bad one fails before any channel is touched.
[[nodiscard]] CLI::Validator target_validator();

// One verb of `ipckit chan`: its CLI11 subcommand and the function that runs it once parsed.
struct Verb {
  CLI::App* app;
  Runner run;
};
Verb add_create(CLI::App& chan);
Verb add_send(CLI::App& chan);
Verb add_recv(CLI::App& chan);
Verb add_stat(CLI::App& chan);
Verb add_rm(CLI::App& chan);

// Prints "ipckit: chan VERB: <e.message()>" and returns the exit code for e's errno
// (cli::report's mapping: EPIPE 3, ETIMEDOUT 4, most others 1).
int report(std::string_view verb, const Error& e);

// --timeout SECONDS as a channel timeout; a negative value (the option's default) is forever.
[[nodiscard]] channel::Timeout to_timeout(double seconds) noexcept;
// "0.2 s" or "forever", for messages.
[[nodiscard]] std::string describe_timeout(double seconds);

// The progress line on stderr: bytes, messages, elapsed time since the first message, and rate.
// Updated at most four times a second; finish() prints the final line. On a terminal the line is
// rewritten in place; otherwise each update is a line of its own.
class Progress {
 public:
  // `verb` is "sent" or "received". A disabled Progress prints nothing.
  Progress(bool enabled, std::string_view verb);
  void add(std::size_t bytes) {
    if (messages_++ == 0) started();
    bytes_ += bytes;
    if (enabled_) tick();
  }
  // Prints an update if one is due (call it also while idle).
  void tick();
  void finish();
  [[nodiscard]] std::uint64_t messages() const noexcept { return messages_; }

 private:
  void started();
  void print(bool final);
  bool enabled_;
  bool terminal_;
  std::string verb_;
  std::uint64_t bytes_ = 0;
  std::uint64_t messages_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point next_;
};

// --progress, or stderr is a terminal and the data stream `data_fd` is not (so the progress line
// does not tangle with data typed or printed on the same terminal).
[[nodiscard]] bool progress_wanted(bool forced, int data_fd) noexcept;

// The file named by a FILE argument ("" or "-" for the standard stream), opened for reading, or
// for writing (created 0666 less umask, truncated). Owns the descriptor of a named file; borrows
// the standard stream.
class DataFile {
 public:
  [[nodiscard]] static Result<DataFile> open_input(const std::string& path);
  [[nodiscard]] static Result<DataFile> open_output(const std::string& path);
  [[nodiscard]] FdView fd() const noexcept { return view_; }
  [[nodiscard]] const std::string& name() const noexcept { return name_; }  // "stdin", a path...

 private:
  DataFile(Fd owned, FdView view, std::string name)
      : owned_(std::move(owned)), view_(view), name_(std::move(name)) {}
  Fd owned_;  // invalid for a standard stream
  FdView view_;
  std::string name_;
};

// read(2) of up to buffer.size() bytes, retrying EINTR. Returns 0 at end of input.
[[nodiscard]] Result<std::size_t> read_some(const DataFile& in, std::span<std::byte> buffer);
// write(2) of all of `data`, across short writes and EINTR.
[[nodiscard]] Result<void> write_all(const DataFile& out, std::span<const std::byte> data);

}  // namespace ipckit::cli::chan
