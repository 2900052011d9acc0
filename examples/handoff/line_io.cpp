#include "handoff/line_io.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>

namespace handoff_example {

LineReader::Status LineReader::next(std::string& line) {
  for (;;) {
    const auto newline = buffer_.find('\n');
    if (newline != std::string::npos && newline < max_line_) {
      line.assign(buffer_, 0, newline + 1);
      buffer_.erase(0, newline + 1);
      return Status::kLine;
    }
    if (buffer_.size() >= max_line_) return Status::kTooLong;
    if (end_) {
      if (buffer_.empty()) return Status::kEnd;
      line = std::move(buffer_);
      buffer_.clear();
      return Status::kLine;
    }
    std::array<char, 4096> chunk{};
    const ssize_t n = ::read(fd_, chunk.data(), chunk.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::kError;
    }
    if (n == 0)
      end_ = true;
    else
      buffer_.append(chunk.data(), static_cast<std::size_t>(n));
  }
}

bool write_all(int fd, std::string_view data) {
  bool socket = true;
  while (!data.empty()) {
    ssize_t n = socket ? ::send(fd, data.data(), data.size(), MSG_NOSIGNAL)
                       : ::write(fd, data.data(), data.size());
    if (n < 0 && socket && errno == ENOTSOCK) {
      socket = false;
      continue;
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

std::string_view eol_of(std::string_view line) {
  if (line.ends_with("\r\n")) return "\r\n";
  if (line.ends_with('\n')) return "\n";
  return "";
}

std::string_view strip_eol(std::string_view line) {
  line.remove_suffix(eol_of(line).size());
  return line;
}

}  // namespace handoff_example
