#include "posix/name.hpp"

#include <fmt/core.h>

#include <cerrno>
#include <utility>

namespace ipckit::posix::detail {

Result<std::string> check_posix_name(std::string_view name, std::string_view what,
                                     std::size_t max_length) {
  const auto bad = [&](int code, std::string why) {
    std::string shown;  // the name as given, with any NUL byte made visible
    for (const char c : name)
      shown += c == '\0' ? std::string_view("\\0") : std::string_view(&c, 1);
    return fail(code, std::string(what), std::move(shown), std::move(why));
  };
  std::string_view base = name;
  if (!base.empty() && base.front() == '/') base.remove_prefix(1);
  if (base.empty()) return bad(EINVAL, "invalid name: empty");
  if (base.find('/') != std::string_view::npos) {
    return bad(EINVAL, "invalid name: '/' is allowed only as the first character");
  }
  if (base.find('\0') != std::string_view::npos) {
    return bad(EINVAL, "invalid name: contains a NUL byte");
  }
  if (base == "." || base == "..") return bad(EINVAL, "invalid name: '.' and '..' are reserved");
  if (base.size() > max_length) {
    return bad(ENAMETOOLONG, fmt::format("invalid name: {} bytes after the '/', at most {}",
                                         base.size(), max_length));
  }
  std::string out;
  out.reserve(base.size() + 1);
  out += '/';
  out += base;
  return out;
}

}  // namespace ipckit::posix::detail
