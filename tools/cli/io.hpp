// Data in and out of the `ipckit` commands: FILE arguments ("-" for the standard streams), whole
// reads and writes across short counts and EINTR, and the progress line on stderr. Used by every
// family that moves bytes (chan, mq, shm, sock). Single-threaded, like the command.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "ipckit/core/error.hpp"
#include "ipckit/core/fd.hpp"

namespace ipckit::cli {

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
// read_some() until `space` is full or the input ends. Returns the bytes read (fewer than
// space.size(): the input ended).
[[nodiscard]] Result<std::size_t> read_full(const DataFile& in, std::span<std::byte> space);
// write(2) of all of `data`, across short writes and EINTR.
[[nodiscard]] Result<void> write_all(const DataFile& out, std::span<const std::byte> data);

}  // namespace ipckit::cli
