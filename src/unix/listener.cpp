#include "ipckit/unix/listener.hpp"

#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "unix/path_binding.hpp"

namespace ipckit::uds {

struct UnixListener::BoundFile : detail::BoundFile {};

namespace {

constexpr mode_t kModeBits = 07777;

}  // namespace

UnixListener::UnixListener(UnixSocket socket, UnixAddress address, AccessPolicy policy,
                           RefusalSink sink)
    : socket_(std::move(socket)),
      address_(std::move(address)),
      policy_(std::move(policy)),
      on_refusal_(std::move(sink)) {}

// The moved-from listener keeps no file (file_ is null), so only this one removes it.
UnixListener::UnixListener(UnixListener&& other) noexcept = default;

UnixListener& UnixListener::operator=(UnixListener&& other) noexcept {
  if (this != &other) {
    (void)close();
    socket_ = std::move(other.socket_);
    address_ = std::move(other.address_);
    policy_ = std::move(other.policy_);
    on_refusal_ = std::move(other.on_refusal_);
    file_ = std::move(other.file_);
  }
  return *this;
}

UnixListener::~UnixListener() {
  (void)close();
}

Result<UnixListener> UnixListener::bind(const UnixAddress& address, ListenerOptions options) {
  if (options.type == SocketType::kDatagram) {
    return fail(EINVAL, "listen", address.describe(),
                "a listener needs a stream or seqpacket socket, not datagram");
  }
  if (options.mode && (*options.mode & ~kModeBits) != 0) {
    return fail(EINVAL, "chmod", address.describe(),
                fmt::format("mode {:#o} has bits outside 07777", *options.mode));
  }
  AccessPolicy policy = options.policy.value_or(address.is_path() ? AccessPolicy::anyone()
                                                                  : AccessPolicy::same_user());
  RefusalSink sink =
      options.on_refusal ? std::move(options.on_refusal) : RefusalSink(log_refusal_to_stderr);
  auto socket = UnixSocket::create(options.type, options.blocking);
  if (!socket) return std::unexpected(std::move(socket.error()));

  if (!address.is_path()) {
    if (auto r = socket->bind(address); !r) {
      if (r.error().code() == EADDRINUSE) {
        return std::unexpected(r.error().with_detail(
            fmt::format("abstract name {} is already bound by a live socket", address.describe())));
      }
      return std::unexpected(std::move(r.error()));
    }
    if (auto r = socket->listen(options.backlog); !r) return std::unexpected(std::move(r.error()));
    auto bound = socket->local_address();
    if (!bound) return std::unexpected(std::move(bound.error()));
    return UnixListener(std::move(*socket), std::move(*bound), std::move(policy), std::move(sink));
  }

  auto file = detail::bind_path(*socket, address, options.mode, options.lock_wait,
                                [&] { return socket->listen(options.backlog); });
  if (!file) return std::unexpected(std::move(file.error()));
  UnixListener listener(std::move(*socket), address, std::move(policy), std::move(sink));
  listener.file_ = std::make_unique<BoundFile>(BoundFile{std::move(*file)});
  return listener;
}

Result<Connection> UnixListener::accept(Blocking blocking) const {
  for (;;) {
    auto socket = socket_.accept(blocking);
    if (!socket) return std::unexpected(std::move(socket.error()));
    auto creds = peer_credentials(socket->fd());
    if (!creds) return std::unexpected(std::move(creds.error()));
    const PeerCredentials peer = creds->value_or(
        PeerCredentials{.pid = 0, .uid = static_cast<uid_t>(-1), .gid = static_cast<gid_t>(-1)});
    if (creds->has_value() && policy_.allows(peer)) {
      return Connection{.socket = std::move(*socket), .peer = peer};
    }
    // Close before reporting, so the peer learns of the refusal even if the sink is slow.
    { auto refused = std::move(*socket); }
    on_refusal_(Refusal{.peer = peer, .listener = address_, .reason = "not allowed"});
  }
}

Result<void> UnixListener::close() {
  Result<void> result;
  // A fork child's copy only closes its descriptor: the files belong to the process that bound.
  if (auto file = std::move(file_)) result = detail::unbind_path(*file);
  { auto closing = std::move(socket_); }
  return result;
}

const std::string& UnixListener::file_path() const noexcept {
  static const std::string kNone;
  return file_ ? file_->path : kNone;
}

}  // namespace ipckit::uds
