#include "cli/io.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <utility>

#include "cli/output.hpp"
#include "cli/size.hpp"

namespace ipckit::cli {

namespace {
constexpr std::chrono::milliseconds kProgressInterval{250};
}  // namespace

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

Result<std::size_t> read_full(const DataFile& in, std::span<std::byte> space) {
  std::size_t done = 0;
  while (done < space.size()) {
    auto n = read_some(in, space.subspan(done));
    if (!n) return std::unexpected(n.error());
    if (*n == 0) break;
    done += *n;
  }
  return done;
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

}  // namespace ipckit::cli
