#include "commands/chan_common.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <utility>

#include "cli/output.hpp"
#include "cli/size.hpp"
#include "cli/values.hpp"

namespace ipckit::cli::chan {

namespace {
constexpr std::string_view kSysvPrefix = "sysv:";
constexpr std::chrono::milliseconds kProgressInterval{250};
}  // namespace

Result<Target> Target::parse(std::string_view text) {
  if (!text.starts_with(kSysvPrefix)) {
    // Channel::create's REQUIRES, checked here too so that `chan rm good bad/name` removes
    // nothing: 1 to 200 characters, no '/' after an optional leading one.
    std::string_view bare = text.starts_with('/') ? text.substr(1) : text;
    if (bare.empty() || bare.size() > 200 || bare.find('/') != std::string_view::npos ||
        bare == "." || bare == "..") {
      return fail(EINVAL, "channel name", fmt::format("'{}'", text),
                  "must be 1 to 200 characters with no '/' after an optional leading one");
    }
    if (auto problem = control_character_problem(text))
      return fail(EINVAL, "channel name", fmt::format("'{}'", escape_controls(text)), *problem);
    return Target(std::string(text), std::nullopt);
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
  return Target(std::string(text), *key);
}

Result<Channel> Target::create(const channel::ChannelOptions& options) const {
  return key_ ? Channel::create(*key_, options) : Channel::create(text_, options);
}

Result<Channel> Target::open() const {
  return key_ ? Channel::open(*key_) : Channel::open(text_);
}

Result<void> Target::unlink() const {
  return key_ ? Channel::unlink(*key_) : Channel::unlink(text_);
}

Result<channel::ChannelInfo> Target::inspect() const {
  return key_ ? Channel::inspect(*key_) : Channel::inspect(text_);
}

CLI::Validator target_validator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        auto target = Target::parse(text);
        if (target) return {};
        return fmt::format("invalid channel name '{}': {}", text, target.error().detail());
      },
      "NAME", "channel name");
}

int report(std::string_view verb, const Error& e) {
  return cli::report(
      Error(e.code(), fmt::format("chan {}: {}", verb, e.operation()), e.object(), e.detail()));
}

channel::Timeout to_timeout(double seconds) noexcept {
  // Beyond ~292 years nanoseconds overflow; such a timeout is forever in practice.
  if (seconds < 0 || seconds > 9.0e9) return channel::kForever;
  return std::chrono::duration_cast<channel::Timeout>(std::chrono::duration<double>(seconds));
}

std::string describe_timeout(double seconds) {
  if (seconds < 0) return "forever";
  return fmt::format("{:g} s", seconds);
}

Progress::Progress(bool enabled, std::string_view verb)
    : enabled_(enabled),
      terminal_(::isatty(STDERR_FILENO) == 1),
      verb_(verb),
      start_(std::chrono::steady_clock::now()),
      next_(start_) {}

void Progress::started() {
  start_ = std::chrono::steady_clock::now();
  next_ = start_ + kProgressInterval;
}

void Progress::tick() {
  if (!enabled_ || messages_ == 0) return;
  auto now = std::chrono::steady_clock::now();
  if (now < next_) return;
  next_ = now + kProgressInterval;
  print(false);
}

void Progress::finish() {
  if (enabled_) print(true);
}

void Progress::print(bool final) {
  const auto elapsed =
      messages_ == 0 ? std::chrono::duration<double>(0) : std::chrono::steady_clock::now() - start_;
  const double seconds = elapsed.count();
  const std::string rate =
      seconds > 0 ? format_size(static_cast<std::uint64_t>(static_cast<double>(bytes_) / seconds))
                  : std::string("-");
  const std::string line =
      fmt::format("{}: {} {} ({} bytes) in {} message{}, {:.1f} s, {}/s", program_name(), verb_,
                  format_size(bytes_), bytes_, messages_, messages_ == 1 ? "" : "s", seconds, rate);
  if (terminal_) {
    // Rewrite in place; clear whatever a longer previous line left.
    fmt::print(stderr, "\r{}\x1b[K{}", line, final ? "\n" : "");
  } else {
    fmt::print(stderr, "{}\n", line);
  }
  std::fflush(stderr);
}

bool progress_wanted(bool forced, int data_fd) noexcept {
  return forced || (::isatty(STDERR_FILENO) == 1 && ::isatty(data_fd) != 1);
}

Result<DataFile> DataFile::open_input(const std::string& path) {
  if (path.empty() || path == "-") return DataFile(Fd(), FdView(STDIN_FILENO), "stdin");
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return fail_errno("open", path);
  FdView view = fd;
  return DataFile(std::move(fd), view, path);
}

Result<DataFile> DataFile::open_output(const std::string& path) {
  if (path.empty() || path == "-") return DataFile(Fd(), FdView(STDOUT_FILENO), "stdout");
  Fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666));
  if (!fd) return fail_errno("open", path);
  FdView view = fd;
  return DataFile(std::move(fd), view, path);
}

Result<std::size_t> read_some(const DataFile& in, std::span<std::byte> buffer) {
  for (;;) {
    ssize_t n = ::read(in.fd().get(), buffer.data(), buffer.size());
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) return fail_errno("read", in.name());
  }
}

Result<void> write_all(const DataFile& out, std::span<const std::byte> data) {
  while (!data.empty()) {
    ssize_t n = ::write(out.fd().get(), data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("write", out.name());
    }
    data = data.subspan(static_cast<std::size_t>(n));
  }
  return {};
}

}  // namespace ipckit::cli::chan
