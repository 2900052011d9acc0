#include "ipckit/unix/bound_datagram.hpp"

#include <fmt/core.h>

#include <cerrno>
#include <utility>

#include "ipckit/unix/credentials.hpp"
#include "unix/path_binding.hpp"

namespace ipckit::uds {

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
  bound.file_path_ = std::move(file->path);
  bound.file_id_ = file->id;
  bound.owner_pid_ = file->owner_pid;
  bound.lock_timeout_ = options.lock_wait.timeout;
  return bound;
}

BoundDatagram::BoundDatagram(BoundDatagram&& other) noexcept
    : socket_(std::move(other.socket_)),
      address_(std::move(other.address_)),
      file_path_(std::exchange(other.file_path_, {})),
      file_id_(other.file_id_),
      owner_pid_(other.owner_pid_),
      lock_timeout_(other.lock_timeout_) {}

BoundDatagram& BoundDatagram::operator=(BoundDatagram&& other) noexcept {
  if (this != &other) {
    (void)close();
    socket_ = std::move(other.socket_);
    address_ = std::move(other.address_);
    file_path_ = std::exchange(other.file_path_, {});
    file_id_ = other.file_id_;
    owner_pid_ = other.owner_pid_;
    lock_timeout_ = other.lock_timeout_;
  }
  return *this;
}

BoundDatagram::~BoundDatagram() {
  (void)close();
}

Result<void> BoundDatagram::close() {
  Result<void> result;
  if (!file_path_.empty()) {
    const detail::BoundFile file{
        .path = std::exchange(file_path_, {}), .id = file_id_, .owner_pid = owner_pid_};
    result = detail::unbind_path(file, lock_timeout_);
  }
  { auto closing = std::move(socket_); }
  return result;
}

}  // namespace ipckit::uds
