// ipckit::Fifo: one end of a named pipe (mkfifo(3), open(2), read(2), write(2), unlink(2)).
//
// What it is: a FIFO is a file-system name for a kernel pipe. The name lives until it is removed
// (Fifo::remove, rm), like any file; the pipe behind it holds bytes only while some process has
// it open: when the last descriptor closes, unread bytes are discarded. There are no messages,
// only a byte stream: readers see writers' bytes in order, and the stream has no boundaries
// except those the atomicity rule below keeps.
//
// Opening (the semantics of open(2) on a FIFO, spelled out):
//   - read end, blocking: waits until some process opens the write end;
//   - read end, kNonBlock: succeeds at once, writer or not (read() then returns 0 while there
//     is no writer, and EAGAIN while writers exist but wrote nothing);
//   - write end, blocking: waits until some process opens the read end;
//   - write end, kNonBlock: fails with ENXIO when no process has the read end open.
// A blocking open restarts after EINTR: a signal does not end the wait; kill the peer-less
// process or open the other end to release it.
//
// Peers going away: when the last writer closes (or dies), read() drains what is buffered and
// then returns 0 (end of file); a new writer can open it again later. When the last reader
// closes (or dies), write() fails with EPIPE — never with a SIGPIPE death: write() blocks
// SIGPIPE in the calling thread for the duration of the write(2) and consumes the SIGPIPE that
// write raised (a SIGPIPE already pending before the write is left alone). No process-wide
// signal disposition is changed, so this is safe in libraries and threads.
//
// Atomicity: a write of at most kPipeBuf (PIPE_BUF, 4096 bytes on Linux) bytes is atomic: its
// bytes are never interleaved with another writer's; blocking, it waits until all of them fit;
// non-blocking, it writes all or fails with EAGAIN. A larger write may be split, interleaved
// with other writers' bytes, and (non-blocking, or interrupted by a signal handler) return a
// short count. Several writers that each send records of at most kPipeBuf bytes in one write()
// therefore never tear each other's records.
//
// Ownership: a Fifo owns one descriptor (close-on-exec) and closes it when destroyed; it is
// move-only. It never removes the name: removal is an explicit Fifo::remove().
//
// Thread safety: read() and write() are single syscalls and may be called from several threads
// at once (the kernel serialises them; the atomicity rule holds between threads too).
// Moving or destroying a Fifo while another thread uses it needs external synchronisation.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "ipckit/core/error.hpp"
#include "ipckit/core/fd.hpp"

namespace ipckit {

// The largest write that is atomic on a pipe or FIFO (PIPE_BUF on Linux).
inline constexpr std::size_t kPipeBuf = 4096;

enum class FifoEnd {
  kRead,   // O_RDONLY
  kWrite,  // O_WRONLY
};

enum class FifoBlocking {
  kBlock,     // open waits for the other end; read waits for bytes, write for room
  kNonBlock,  // O_NONBLOCK, for open and for every later read and write (EAGAIN)
};

class Fifo {
 public:
  // mkfifo(3), then chmod to exactly `mode` through an O_PATH|O_NOFOLLOW descriptor (so the
  // umask does not narrow it, and a symlink swapped in meanwhile is never followed).
  // REQUIRES: mode holds permission bits only (0777); the parent directory exists.
  // Returns: nothing once the FIFO exists with that mode. If the chmod step fails, the FIFO
  // this call made is removed again.
  // Errors: EEXIST (the path exists, whatever it is), ENOENT (no parent directory), EACCES,
  // EINVAL (mode bits outside 0777), ENAMETOOLONG, ENOSPC, EROFS. Man: mkfifo(3), chmod(2).
  [[nodiscard]] static Result<void> make(std::string_view path, mode_t mode = 0600);

  // open(2) of one end with O_CLOEXEC (and O_NONBLOCK), then fstat(2). See "Opening" above.
  // REQUIRES: `path` names a FIFO (checked with stat(2) before opening, so nothing else, such as
  // a device, is ever opened, and with fstat(2) after).
  // Returns: the end. Errors: ENXIO (kWrite, kNonBlock and no reader), ENOENT, EACCES,
  // EINVAL (not a FIFO: "not a FIFO but a regular file"), EMFILE, ENFILE. Man: open(2),
  // fifo(7).
  [[nodiscard]] static Result<Fifo> open(std::string_view path, FifoEnd end,
                                         FifoBlocking blocking = FifoBlocking::kBlock);

  // lstat(2), then unlink(2) only if `path` itself is a FIFO: never a regular file, a
  // directory, or what a symlink points to (the symlink is not a FIFO: refused too).
  // Open ends keep working; the pipe goes away when they close.
  // REQUIRES: a directory that untrusted users cannot write to: between the check and the unlink
  // another process could swap the name (no syscall unlinks "only if a FIFO").
  // Errors: EINVAL (not a FIFO: nothing is removed), ENOENT, EACCES, EPERM (sticky directory).
  // Man: unlink(2), lstat(2).
  [[nodiscard]] static Result<void> remove(std::string_view path);

  Fifo(Fifo&&) noexcept = default;
  Fifo& operator=(Fifo&&) noexcept = default;
  Fifo(const Fifo&) = delete;
  Fifo& operator=(const Fifo&) = delete;
  ~Fifo() = default;

  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  [[nodiscard]] FifoEnd end() const noexcept { return end_; }
  // The descriptor, borrowed (valid while this Fifo lives): poll/epoll it. Close-on-exec.
  [[nodiscard]] FdView fd() const noexcept { return fd_.view(); }

  // read(2) of up to buffer.size() bytes (EINTR with nothing read is retried).
  // REQUIRES: a read end. Returns: the byte count, 0 at end of file (no writer left, nothing
  // buffered; also at once on a non-blocking end that never had a writer).
  // Errors: EAGAIN (non-blocking, writers present, nothing buffered), EBADF (a write end).
  // Man: read(2), pipe(7).
  [[nodiscard]] Result<std::size_t> read(std::span<std::byte> buffer) const;

  // One write(2), with SIGPIPE blocked in this thread around it (see "Peers going away").
  // REQUIRES: a write end. Returns: the bytes written: all of `data` when data.size() <=
  // kPipeBuf; possibly fewer for a larger write (see "Atomicity"). EINTR with nothing written
  // is retried. Errors: EPIPE (no reader left), EAGAIN (non-blocking and no room), EBADF (a
  // read end). Man: write(2), pipe(7).
  [[nodiscard]] Result<std::size_t> write(std::span<const std::byte> data) const;
  // write(2) of the characters of `text`.
  [[nodiscard]] Result<std::size_t> write(std::string_view text) const;

  // write() until all of `data` is written. Writes larger than kPipeBuf may interleave with
  // other writers'. On a non-blocking end, EAGAIN may come after part of the data went out:
  // use write() to know how much. Errors: as write().
  [[nodiscard]] Result<void> write_all(std::span<const std::byte> data) const;

  // fcntl(2) F_SETFL: sets or clears O_NONBLOCK for later reads and writes (e.g. after a
  // non-blocking open of a read end). Errors: EBADF (moved-from). Man: fcntl(2).
  [[nodiscard]] Result<void> set_nonblocking(bool nonblocking) const;

 private:
  Fifo(Fd fd, std::string path, FifoEnd end) noexcept
      : fd_(std::move(fd)), path_(std::move(path)), end_(end) {}

  Fd fd_;
  std::string path_;
  FifoEnd end_ = FifoEnd::kRead;
};

}  // namespace ipckit
