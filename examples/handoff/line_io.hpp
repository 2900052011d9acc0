// Line-at-a-time I/O on a client's connected socket, for the example sessions
// (echo_session.hpp, smtp_session.hpp). Library code to copy: plain POSIX calls, no ipckit.
//
// Thread safety: a LineReader is used by one thread (the session's).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace handoff_example {

// The longest line a session accepts, terminator included.
inline constexpr std::size_t kMaxLine = std::size_t{64} * 1024;

class LineReader {
 public:
  enum class Status {
    kLine,     // `line` holds one line with its "\n" (or the last bytes before end of stream)
    kEnd,      // end of stream, nothing left
    kTooLong,  // kMaxLine bytes arrived without a "\n": the stream is out of step
    kError,    // read(2) failed (ECONNRESET, ...): errno tells
  };

  // Borrows `fd` (a connected socket or pipe, blocking); it must outlive the reader.
  explicit LineReader(int fd, std::size_t max_line = kMaxLine) : fd_(fd), max_line_(max_line) {}

  // Reads until one whole line is buffered (EINTR retried) and moves it into `line`.
  Status next(std::string& line);

 private:
  int fd_;
  std::size_t max_line_;
  std::string buffer_;
  bool end_ = false;
};

// Writes all of `data` (send(2) with MSG_NOSIGNAL, so a client that hung up gives EPIPE, never
// SIGPIPE; write(2) if `fd` is not a socket). Returns false (errno set) on failure.
bool write_all(int fd, std::string_view data);

// `line` without its "\r\n" or "\n".
std::string_view strip_eol(std::string_view line);

// The terminator `line` came with: "\r\n", "\n", or "" (a last line without one).
std::string_view eol_of(std::string_view line);

}  // namespace handoff_example
