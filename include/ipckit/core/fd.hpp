// ipckit::Fd (an owned file descriptor) and ipckit::FdView (a borrowed one).
//
// Ownership: an Fd closes its descriptor exactly once, when it is destroyed, reset or
// move-assigned over; release() hands the descriptor back to the caller, who then owns it.
// An FdView never closes anything: it is valid only while the Fd (or other owner) it was taken
// from keeps the descriptor open.
//
// Functions that create descriptors return Fd; operations take FdView. Every descriptor ipckit
// creates is close-on-exec.
//
// Thread safety: an Fd is a value; distinct Fd objects may be used from distinct threads. Using
// one Fd from several threads needs external synchronisation, as with any value.
#pragma once

#include <utility>

namespace ipckit {

class FdView {
 public:
  constexpr FdView() noexcept = default;
  constexpr explicit FdView(int fd) noexcept : fd_(fd) {}

  [[nodiscard]] constexpr int get() const noexcept { return fd_; }
  [[nodiscard]] constexpr bool valid() const noexcept { return fd_ >= 0; }
  constexpr explicit operator bool() const noexcept { return valid(); }

  friend constexpr bool operator==(FdView, FdView) = default;

 private:
  int fd_ = -1;
};

class Fd {
 public:
  constexpr Fd() noexcept = default;
  // Takes ownership of `fd` (which may be -1 for "none").
  constexpr explicit Fd(int fd) noexcept : fd_(fd) {}
  ~Fd() { reset(); }

  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }

  [[nodiscard]] int get() const noexcept { return fd_; }
  [[nodiscard]] FdView view() const noexcept { return FdView(fd_); }
  [[nodiscard]] bool valid() const noexcept { return fd_ >= 0; }
  explicit operator bool() const noexcept { return valid(); }
  operator FdView() const noexcept { return view(); }  // NOLINT: borrowing is always safe

  // Gives up ownership: the caller must close the returned descriptor.
  [[nodiscard]] int release() noexcept { return std::exchange(fd_, -1); }

  // Closes the current descriptor (if any) and takes ownership of `fd`. close() is not retried on
  // EINTR: on Linux the descriptor is released even when close() reports EINTR.
  void reset(int fd = -1) noexcept;

 private:
  int fd_ = -1;
};

}  // namespace ipckit
