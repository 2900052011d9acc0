#include "ipckit/unix/address.hpp"

#include <fmt/core.h>

#include <cstddef>
#include <cstring>

namespace ipckit::uds {

namespace {

constexpr std::size_t kPathOffset = offsetof(sockaddr_un, sun_path);

// `text` with bytes outside printable ASCII (and the backslash) written as \xNN.
std::string escape(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7f || c == '\\') {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out += c;
    }
  }
  return out;
}

std::unexpected<Error> path_too_long(std::string_view path) {
  return fail(ENAMETOOLONG, "sockaddr_un", escape(path),
              fmt::format("socket path is {} bytes; sun_path holds at most {} plus the NUL",
                          path.size(), kMaxPathLength));
}

}  // namespace

Result<UnixAddress> UnixAddress::parse(std::string_view text) {
  if (text.empty()) return unnamed();
  if (text.front() == '@') return abstract(text.substr(1));
  return path(text);
}

Result<UnixAddress> UnixAddress::path(std::string_view path) {
  if (path.empty()) {
    return fail(EINVAL, "sockaddr_un", "", "empty socket path (use the unnamed address instead)");
  }
  if (path.find('\0') != std::string_view::npos) {
    return fail(EINVAL, "sockaddr_un", escape(path), "socket path contains a NUL byte");
  }
  if (path.size() > kMaxPathLength) return path_too_long(path);
  return UnixAddress(Kind::kPath, std::string(path));
}

Result<UnixAddress> UnixAddress::abstract(std::string_view name) {
  if (name.size() > kMaxAbstractLength) {
    return fail(
        ENAMETOOLONG, "sockaddr_un", "@" + escape(name.substr(0, 32)) + "...",
        fmt::format("abstract name is {} bytes; at most {} fit", name.size(), kMaxAbstractLength));
  }
  return UnixAddress(Kind::kAbstract, std::string(name));
}

Result<UnixAddress> UnixAddress::from_sockaddr(const sockaddr_un& addr, socklen_t length) {
  if (length == 0) return unnamed();
  if (length < sizeof(sa_family_t) || length > sizeof(sockaddr_un)) {
    return fail(EINVAL, "sockaddr_un", "",
                fmt::format("address length {} is outside {}..{}", length, sizeof(sa_family_t),
                            sizeof(sockaddr_un)));
  }
  if (addr.sun_family != AF_UNIX) {
    return fail(EAFNOSUPPORT, "sockaddr_un", "",
                fmt::format("address family {} is not AF_UNIX", addr.sun_family));
  }
  const std::size_t bytes = length - kPathOffset;
  if (bytes == 0) return unnamed();
  if (addr.sun_path[0] == '\0') {
    return UnixAddress(Kind::kAbstract, std::string(addr.sun_path + 1, bytes - 1));
  }
  // Safety: strnlen reads at most `bytes`, all inside sun_path.
  const std::size_t len = ::strnlen(addr.sun_path, bytes);
  return UnixAddress(Kind::kPath, std::string(addr.sun_path, len));
}

std::string UnixAddress::to_string() const {
  switch (kind_) {
    case Kind::kUnnamed:
      return {};
    case Kind::kAbstract:
      return "@" + name_;
    case Kind::kPath:
      return name_.front() == '@' ? "./" + name_ : name_;
  }
  return {};
}

std::string UnixAddress::describe() const {
  if (kind_ == Kind::kUnnamed) return "(unnamed)";
  return escape(to_string());
}

SockAddr UnixAddress::to_sockaddr() const noexcept {
  SockAddr out;
  out.storage.sun_family = AF_UNIX;
  switch (kind_) {
    case Kind::kUnnamed:
      out.length = sizeof(sa_family_t);
      break;
    case Kind::kPath:
      // A path decoded from the kernel may fill all 108 bytes with no NUL; copy what fits.
      std::memcpy(out.storage.sun_path, name_.data(), name_.size());
      out.length = static_cast<socklen_t>(
          kPathOffset + (name_.size() < kSunPathSize ? name_.size() + 1 : kSunPathSize));
      break;
    case Kind::kAbstract:
      out.storage.sun_path[0] = '\0';
      std::memcpy(out.storage.sun_path + 1, name_.data(), name_.size());
      out.length = static_cast<socklen_t>(kPathOffset + 1 + name_.size());
      break;
  }
  return out;
}

}  // namespace ipckit::uds
