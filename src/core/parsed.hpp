// Parsed<T>: the outcome of checking bytes read from shared memory (a channel's or a shared
// state's header, a channel record). Internal. Self-contained, so the fuzz targets can include it.
#pragma once

namespace ipckit::detail {

// A value, or a static string saying why not. (Not std::expected: the fuzz targets build the
// parsers with clang 14, whose libstdc++ <expected> is unavailable.)
template <class T>
class Parsed {
 public:
  Parsed(T value) : value_(value), error_(nullptr) {}  // NOLINT: implicit like std::expected
  static Parsed failure(const char* why) { return Parsed(T{}, why); }
  explicit operator bool() const noexcept { return error_ == nullptr; }
  const T& operator*() const noexcept { return value_; }
  const T* operator->() const noexcept { return &value_; }
  [[nodiscard]] const char* error() const noexcept { return error_; }

 private:
  Parsed(T value, const char* why) : value_(value), error_(why) {}
  T value_;
  const char* error_;
};

}  // namespace ipckit::detail
