#include "ipckit/sysv/key.hpp"

#include <fmt/core.h>
#include <sys/stat.h>

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <limits>

namespace ipckit::sysv {

Result<Key> Key::from_path(const std::string& path, int proj_id) {
  if ((proj_id & 0xff) == 0) {
    return fail(EINVAL, "ftok", path,
                fmt::format("proj_id {} has zero low 8 bits, which ftok ignores", proj_id));
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return fail_errno("ftok", path);
  key_t k = ::ftok(path.c_str(), proj_id);
  if (k == -1) return fail_errno("ftok", path);
  return Key(k);
}

Result<Key> Key::parse(std::string_view text) {
  const std::string object = fmt::format("'{}'", text);
  std::string_view digits = text;
  bool negative = false;
  if (!digits.empty() && digits.front() == '-') {
    negative = true;
    digits.remove_prefix(1);
  }
  int base = 10;
  if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
    base = 16;
    digits.remove_prefix(2);
  } else if (digits.size() > 1 && digits[0] == '0') {
    base = 8;
    digits.remove_prefix(1);
  }
  if (digits.empty()) return fail(EINVAL, "parse key", object, "not a number");
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v, base);
  if (ec == std::errc::result_out_of_range) return fail(ERANGE, "parse key", object);
  if (ec != std::errc() || end != digits.data() + digits.size())
    return fail(EINVAL, "parse key", object, "not a number");
  // key_t is a 32-bit int; ipcs prints keys as unsigned hex, so accept the full 32-bit range.
  if (negative) {
    if (base != 10) return fail(EINVAL, "parse key", object, "only decimal keys may be negative");
    if (v > static_cast<std::uint64_t>(std::numeric_limits<key_t>::max()) + 1)
      return fail(ERANGE, "parse key", object);
    return Key(static_cast<key_t>(-static_cast<std::int64_t>(v)));
  }
  if (v > std::numeric_limits<std::uint32_t>::max()) return fail(ERANGE, "parse key", object);
  return Key(static_cast<key_t>(static_cast<std::uint32_t>(v)));
}

std::string Key::hex() const {
  return fmt::format("0x{:08x}", static_cast<std::uint32_t>(value_));
}

std::string Key::describe() const {
  return is_private() ? "IPC_PRIVATE" : "key " + hex();
}

}  // namespace ipckit::sysv
