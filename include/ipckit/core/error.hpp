// ipckit::Error and ipckit::Result<T>: how every fallible ipckit call reports failure.
//
// An Error carries the exact errno, the operation that failed (usually the syscall name) and the
// object it was about ("key 0x1a2b3c4d", "/dev/shm/ring", "id 42"). Errors are plain values:
// copyable, cheap to move, safe to share between threads once built.
//
// Library functions never throw for system failures; they return Result<T>, which is
// std::expected<T, Error>. Callers test with `if (!r)` and read `r.error().message()`.
#pragma once

#include <expected>
#include <string>
#include <string_view>

namespace ipckit {

class Error {
 public:
  // An error with errno `code` from `operation` on `object`. `detail`, when not empty, replaces
  // strerror(code) in message(): use it when errno alone would mislead ("not an ipckit channel").
  Error(int code, std::string operation, std::string object, std::string detail = {});

  // Builds an Error from the calling thread's current errno.
  [[nodiscard]] static Error from_errno(std::string operation, std::string object);

  // The errno value (never 0).
  [[nodiscard]] int code() const noexcept { return code_; }
  [[nodiscard]] const std::string& operation() const noexcept { return operation_; }
  [[nodiscard]] const std::string& object() const noexcept { return object_; }
  [[nodiscard]] const std::string& detail() const noexcept { return detail_; }

  // "operation(object): reason", e.g. "shmget(key 0x1a2b3c4d): No such file or directory".
  // With no object: "operation: reason".
  [[nodiscard]] std::string message() const;

  // The same error about another object or with a more precise reason; used to add context.
  [[nodiscard]] Error with_detail(std::string detail) const;

  friend bool operator==(const Error&, const Error&) = default;

 private:
  int code_;
  std::string operation_;
  std::string object_;
  std::string detail_;
};

template <class T>
using Result = std::expected<T, Error>;

// Shorthand for returning a failure: `return fail(ENOENT, "open", path);`
[[nodiscard]] inline std::unexpected<Error> fail(int code, std::string operation,
                                                 std::string object, std::string detail = {}) {
  return std::unexpected<Error>(
      Error(code, std::move(operation), std::move(object), std::move(detail)));
}

// Shorthand for returning the current errno: `return fail_errno("shmget", key.to_string());`
[[nodiscard]] inline std::unexpected<Error> fail_errno(std::string operation, std::string object) {
  return std::unexpected<Error>(Error::from_errno(std::move(operation), std::move(object)));
}

}  // namespace ipckit
