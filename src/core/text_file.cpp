#include "core/text_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <charconv>
#include <system_error>

#include "core/syscall.hpp"
#include "ipckit/core/fd.hpp"

namespace ipckit::detail {

namespace {

std::string_view first_token(std::string_view text) {
  const auto begin = text.find_first_not_of(" \t\n");
  if (begin == std::string_view::npos) return {};
  text.remove_prefix(begin);
  return text.substr(0, text.find_first_of(" \t\n"));
}

template <class T>
std::optional<T> parse_whole(std::string_view token) {
  T value{};
  const auto* end = token.data() + token.size();
  auto [ptr, ec] = std::from_chars(token.data(), end, value);
  if (token.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

}  // namespace

Result<std::string> read_text_file(const std::string& path) {
  Fd fd(retry_eintr([&] { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC); }));
  if (!fd) return fail_errno("open", path);
  std::string text;
  std::array<char, 8192> buffer{};
  for (;;) {
    const ssize_t n = retry_eintr([&] { return ::read(fd.get(), buffer.data(), buffer.size()); });
    if (n < 0) return fail_errno("read", path);
    if (n == 0) return text;
    text.append(buffer.data(), static_cast<std::size_t>(n));
  }
}

ssize_t read_text_file(const char* path, std::span<char> buffer) noexcept {
  Fd fd(retry_eintr([&] { return ::open(path, O_RDONLY | O_CLOEXEC); }));
  if (!fd) return -1;
  std::size_t filled = 0;
  while (filled < buffer.size()) {
    const ssize_t n = retry_eintr(
        [&] { return ::read(fd.get(), buffer.data() + filled, buffer.size() - filled); });
    if (n < 0) return -1;
    if (n == 0) break;
    filled += static_cast<std::size_t>(n);
  }
  return static_cast<ssize_t>(filled);
}

std::optional<std::int64_t> parse_first_i64(std::string_view text) {
  return parse_whole<std::int64_t>(first_token(text));
}

std::optional<std::uint64_t> parse_first_u64(std::string_view text) {
  return parse_whole<std::uint64_t>(first_token(text));
}

}  // namespace ipckit::detail
