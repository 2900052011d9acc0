#include "ipckit/unix/bound_datagram.hpp"

#include <fmt/core.h>

#include <cerrno>
#include <utility>

#include "ipckit/unix/credentials.hpp"
#include "unix/path_binding.hpp"

namespace ipckit::uds {

struct BoundDatagram::BoundFile : detail::BoundFile {};

BoundDatagram::BoundDatagram(UnixSocket socket, UnixAddress address)
    : socket_(std::move(socket)), address_(std::move(address)) {}

Result<BoundDatagram> BoundDatagram::bind(const UnixAddress& address, DatagramOptions options) {
  if (address.is_unnamed()) {
    return fail(EINVAL, "bind", address.describe(), "a receiving socket needs a name");
  }
  if (options.mode && (*options.mode & ~mode_t{07777}) != 0) {
    return fail(EINVAL, "chmod", address.describe(),
                fmt::format("mode {:#o} has bits outside 07777", *options.mode));
  }
  auto socket = UnixSocket::create(SocketType::kDatagram, options.blocking);
  if (!socket) return std::unexpected(std::move(socket.error()));
  if (options.pass_credentials) {
    if (auto r = set_pass_credentials(*socket, true); !r) return std::unexpected(r.error());
  }
  if (!address.is_path()) {
    if (auto r = socket->bind(address); !r) {
      if (r.error().code() != EADDRINUSE) return std::unexpected(std::move(r.error()));
      return std::unexpected(r.error().with_detail(
          fmt::format("abstract name {} is already bound by a live socket", address.describe())));
    }
    return BoundDatagram(std::move(*socket), address);
  }
  auto file = detail::bind_path(*socket, address, options.mode, options.lock_wait,
                                [] { return Result<void>(); });
  if (!file) return std::unexpected(std::move(file.error()));
  BoundDatagram bound(std::move(*socket), address);
  bound.file_ = std::make_unique<BoundFile>(BoundFile{std::move(*file)});
  return bound;
}

// The moved-from object keeps no file (file_ is null), so only this one removes it.
BoundDatagram::BoundDatagram(BoundDatagram&& other) noexcept = default;

BoundDatagram& BoundDatagram::operator=(BoundDatagram&& other) noexcept {
  if (this != &other) {
    (void)close();
    socket_ = std::move(other.socket_);
    address_ = std::move(other.address_);
    file_ = std::move(other.file_);
  }
  return *this;
}

BoundDatagram::~BoundDatagram() {
  (void)close();
}

Result<void> BoundDatagram::close() {
  Result<void> result;
  if (auto file = std::move(file_)) result = detail::unbind_path(*file);
  { auto closing = std::move(socket_); }
  return result;
}

const std::string& BoundDatagram::file_path() const noexcept {
  static const std::string kNone;
  return file_ ? file_->path : kNone;
}

}  // namespace ipckit::uds
