// ipckit::uds::UnixAddress: the address of a Unix domain socket (struct sockaddr_un), as a value.
//
// Three kinds, as unix(7) describes them:
//   - a path ("/run/app.sock", "rel/app.sock"): a socket file in the filesystem. It stays on
//     disk after every descriptor is closed until someone unlinks it (UnixListener does);
//   - an abstract name ("@app"): Linux only, no file, no permissions; the name is exactly the
//     bytes after '@' (NULs included, no padding) and vanishes with the last socket bound to it;
//   - unnamed (""): an unbound socket, or a request to autobind (the kernel then picks a
//     5-hex-digit abstract name such as "@0001f").
//
// Text form: "@name" is abstract, "" is unnamed, anything else is a path. A relative path that
// starts with '@' is written "./@x" so that the text parses back to the same address.
//
// Limits: sun_path holds 108 bytes. A path needs its terminating NUL, so paths of 108 bytes or
// more are rejected with ENAMETOOLONG (never truncated); abstract names hold up to 107 bytes.
//
// Thread safety: a plain copyable value.
//
// Namespace: `ipckit::uds` (Unix domain sockets), not `ipckit::unix`: GCC's gnu++ modes (CMake's
// default) predefine the macro `unix` as 1, which would break every consumer naming it.
#pragma once

#include <sys/socket.h>
#include <sys/un.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include "ipckit/core/error.hpp"

namespace ipckit::uds {

// sizeof(sockaddr_un::sun_path): 108 on Linux.
inline constexpr std::size_t kSunPathSize = sizeof(sockaddr_un{}.sun_path);
// The longest path: one byte of sun_path is its terminating NUL.
inline constexpr std::size_t kMaxPathLength = kSunPathSize - 1;
// The longest abstract name: sun_path[0] is the NUL that marks the abstract namespace.
inline constexpr std::size_t kMaxAbstractLength = kSunPathSize - 1;

// A sockaddr_un and its exact length, ready for bind/connect/sendto.
// Safety: sockaddr() points into this object; it must stay alive and unmoved during the call.
struct SockAddr {
  sockaddr_un storage{};
  socklen_t length = 0;

  [[nodiscard]] const ::sockaddr* get() const noexcept {
    return reinterpret_cast<const ::sockaddr*>(&storage);
  }
  [[nodiscard]] ::sockaddr* get() noexcept { return reinterpret_cast<::sockaddr*>(&storage); }
};

class UnixAddress {
 public:
  enum class Kind {
    kUnnamed,   // no name: unbound, or "autobind" when passed to bind()
    kPath,      // a filesystem path
    kAbstract,  // a name in the Linux abstract namespace
  };

  // The unnamed address: binding it autobinds. Same as parse("").
  UnixAddress() = default;

  // Parses the text form: "" → unnamed, "@name" → abstract (bytes after '@', exactly),
  // anything else → a path (absolute or relative).
  // Returns: the address. Errors: ENAMETOOLONG (path of 108 bytes or more, abstract name of 108
  // or more), EINVAL (a path containing a NUL byte).
  [[nodiscard]] static Result<UnixAddress> parse(std::string_view text);

  // A filesystem path, taken literally (a leading '@' is part of the file name).
  // Errors: EINVAL (empty, or contains a NUL byte), ENAMETOOLONG (108 bytes or more).
  [[nodiscard]] static Result<UnixAddress> path(std::string_view path);

  // An abstract name: `name` is the bytes after sun_path[0] (may be empty or hold NULs).
  // Errors: ENAMETOOLONG (more than 107 bytes).
  [[nodiscard]] static Result<UnixAddress> abstract(std::string_view name);

  // The unnamed address (autobind when bound).
  [[nodiscard]] static UnixAddress unnamed() noexcept { return {}; }

  // Decodes what accept/recvfrom/getsockname/getpeername filled in: `length` is the length the
  // kernel reported. 0 or sizeof(sa_family_t) is unnamed; a path ends at its first NUL or at
  // `length`, whichever comes first (so a 108-byte path bound without a NUL by another program
  // still decodes); an abstract name is exactly length - sizeof(sa_family_t) - 1 bytes.
  // Errors: EAFNOSUPPORT (sun_family is not AF_UNIX), EINVAL (length larger than sockaddr_un,
  // or between 1 and sizeof(sa_family_t) - 1).
  [[nodiscard]] static Result<UnixAddress> from_sockaddr(const sockaddr_un& addr, socklen_t length);

  [[nodiscard]] Kind kind() const noexcept { return kind_; }
  [[nodiscard]] bool is_unnamed() const noexcept { return kind_ == Kind::kUnnamed; }
  [[nodiscard]] bool is_path() const noexcept { return kind_ == Kind::kPath; }
  [[nodiscard]] bool is_abstract() const noexcept { return kind_ == Kind::kAbstract; }

  // The path, or the abstract name without its '@' (exact bytes); empty when unnamed.
  [[nodiscard]] const std::string& name() const noexcept { return name_; }

  // The text form, byte for byte: parse(to_string()) == *this.
  [[nodiscard]] std::string to_string() const;

  // The text form for messages: like to_string(), but bytes outside printable ASCII (NULs in
  // abstract names) are written as \xNN, and the unnamed address as "(unnamed)".
  [[nodiscard]] std::string describe() const;

  // The sockaddr_un for bind/connect/sendto, with the exact length: a path is NUL-terminated
  // (length = offsetof(sun_path) + size + 1); an abstract name is sun_path[0] = 0 then the
  // name's bytes, no padding (length = offsetof(sun_path) + 1 + size); unnamed is
  // length = sizeof(sa_family_t).
  [[nodiscard]] SockAddr to_sockaddr() const noexcept;

  friend bool operator==(const UnixAddress&, const UnixAddress&) = default;

 private:
  UnixAddress(Kind kind, std::string name) : kind_(kind), name_(std::move(name)) {}

  Kind kind_ = Kind::kUnnamed;
  std::string name_;
};

}  // namespace ipckit::uds
