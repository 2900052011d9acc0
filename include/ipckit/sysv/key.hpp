// ipckit::sysv::Key: the name of a System V IPC object (key_t).
//
// A key comes from ftok(path, proj_id), from IPC_PRIVATE (a fresh object nobody else can look
// up by key), or from a number written in decimal, 0x-hex or 0-octal, as ipcs prints and ipcrm
// accepts. A Key is a plain value; it names an object but does not keep one alive: System V
// objects live in the kernel until they are removed, whatever happens to the processes.
#pragma once

#include <sys/ipc.h>

#include <string>
#include <string_view>

#include "ipckit/core/error.hpp"

namespace ipckit::sysv {

class Key {
 public:
  // Wraps a raw key_t. Key(IPC_PRIVATE) is the private key.
  constexpr explicit Key(key_t value) noexcept : value_(value) {}

  // IPC_PRIVATE: every get() with it creates a new object.
  [[nodiscard]] static constexpr Key private_key() noexcept { return Key(IPC_PRIVATE); }

  // ftok(3). REQUIRES: `path` names an existing file the caller can stat; the low 8 bits of
  // `proj_id` are not all zero (ftok would silently produce a key that ignores proj_id).
  // Errors: ENOENT/EACCES/ENOTDIR from stat (object = path), EINVAL for a zero proj_id.
  [[nodiscard]] static Result<Key> from_path(const std::string& path, int proj_id);

  // Parses "1234", "0x4d2", "02322" (and a leading '-' for negative decimal keys, as ipcs can
  // print for keys above INT_MAX). Errors: EINVAL for empty text, stray characters, or a value
  // outside key_t; ERANGE when it overflows.
  [[nodiscard]] static Result<Key> parse(std::string_view text);

  [[nodiscard]] constexpr key_t value() const noexcept { return value_; }
  [[nodiscard]] constexpr bool is_private() const noexcept { return value_ == IPC_PRIVATE; }

  // "0x1a2b3c4d": the eight-digit hex form ipcs prints.
  [[nodiscard]] std::string hex() const;
  // "key 0x1a2b3c4d" (or "IPC_PRIVATE"): the object name used in Error messages.
  [[nodiscard]] std::string describe() const;

  friend constexpr bool operator==(Key, Key) = default;

 private:
  key_t value_;
};

}  // namespace ipckit::sysv
