#include "ipckit/handoff/worker.hpp"

#include <fcntl.h>
#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <variant>

#include "handoff/worker_io.hpp"

namespace ipckit::handoff {

namespace {

using ipckit::detail::deadline_after;

constexpr const char* kRegister = "handoff register";
constexpr const char* kAccept = "handoff accept";
constexpr const char* kDone = "handoff done";

bool valid_name(std::string_view name) {
  return !name.empty() && name.size() <= 64 &&
         std::ranges::all_of(name, [](char c) { return c >= 0x20 && c < 0x7f; });
}

// The name of a message for "expected X, got Y" details.
const char* op_of(const protocol::DaemonMessage& message) {
  constexpr std::array<const char*, 4> kOps = {"registered", "client", "refused", "stats"};
  return kOps.at(message.index());
}

}  // namespace

struct Worker::State {
  State(uds::UnixSocket s, std::string o) : socket(std::move(s)), object(std::move(o)) {}

  uds::UnixSocket socket;
  std::string object;  // the control address, for messages
  std::uint32_t worker = 0;
  pid_t daemon_pid = 0;
  // One message's payload: kept, so that accept() does not allocate 64 KiB each time.
  std::vector<std::byte> buffer = std::vector<std::byte>(protocol::kMaxMessage);
};

Worker::Worker(std::unique_ptr<State> state) : state_(std::move(state)) {}
Worker::Worker(Worker&&) noexcept = default;
Worker& Worker::operator=(Worker&&) noexcept = default;
Worker::~Worker() = default;

Result<Worker> Worker::connect(const uds::UnixAddress& control, WorkerOptions options) {
  std::string object = control.describe();
  if (!valid_name(options.name)) {
    return fail(EINVAL, kRegister, object, "name must be 1-64 printable characters");
  }
  if (options.capacity == 0) {
    return fail(EINVAL, kRegister, object, "capacity must be at least 1");
  }
  const auto deadline = deadline_after(options.register_timeout);
  const uds::AccessPolicy policy = options.daemon_policy ? *std::move(options.daemon_policy)
                                                         : detail::default_daemon_policy(control);
  auto socket = uds::connect_verified(control, uds::SocketType::kSeqPacket, policy);
  if (!socket) return std::unexpected(socket.error());
  auto state = std::make_unique<State>(*std::move(socket), std::move(object));

  const protocol::Register reg{.name = std::move(options.name), .capacity = options.capacity};
  if (auto sent = detail::send_message(state->socket, reg, kRegister, state->object); !sent) {
    return std::unexpected(sent.error());
  }
  if (auto ready = detail::wait_readable(state->socket, deadline, kRegister, state->object);
      !ready) {
    return std::unexpected(ready.error().with_detail("no reply to the registration in time"));
  }
  auto reply =
      detail::receive_daemon_message(state->socket, state->buffer, 0, kRegister, state->object);
  if (!reply) return std::unexpected(reply.error());
  if (const auto* refused = std::get_if<protocol::Refused>(&reply->message)) {
    return fail(EPERM, kRegister, state->object, refused->reason);
  }
  const auto* registered = std::get_if<protocol::Registered>(&reply->message);
  if (registered == nullptr) {
    return fail(EPROTO, kRegister, state->object,
                fmt::format("expected 'registered', got '{}'", op_of(reply->message)));
  }
  state->worker = registered->worker;
  state->daemon_pid = registered->daemon_pid;
  return Worker(std::move(state));
}

Result<HandedClient> Worker::accept(Timeout timeout) {
  State& s = *state_;
  if (auto ready = detail::wait_readable(s.socket, deadline_after(timeout), kAccept, s.object);
      !ready) {
    return std::unexpected(ready.error().with_detail("no client in time"));
  }
  auto incoming = detail::receive_daemon_message(s.socket, s.buffer, 1, kAccept, s.object);
  if (!incoming) return std::unexpected(incoming.error());
  if (const auto* refused = std::get_if<protocol::Refused>(&incoming->message)) {
    return fail(ECONNRESET, kAccept, s.object,
                fmt::format("the daemon refused this worker: {}", refused->reason));
  }
  auto* client = std::get_if<protocol::Client>(&incoming->message);
  if (client == nullptr) {
    return fail(EPROTO, kAccept, s.object,
                fmt::format("expected 'client', got '{}'", op_of(incoming->message)));
  }
  if (incoming->fds.size() != 1) {
    return fail(EPROTO, kAccept, s.object,
                fmt::format("client {} came without its descriptor", client->info.id));
  }
  // Delivery (docs/handoff.md): the ack goes out before anyone touches the client. If it cannot
  // be sent, the daemon still owns the client (and may hand it to another worker): drop ours.
  if (auto acked =
          detail::send_message(s.socket, protocol::Ack{.id = client->info.id}, kAccept, s.object);
      !acked) {
    return std::unexpected(acked.error());
  }
  HandedClient handed{.socket = std::move(incoming->fds.front()), .info = std::move(client->info)};
  // Only now, once the daemon's copy is about to be closed: O_NONBLOCK belongs to the open file
  // description both copies share, and the daemon may keep its copy non-blocking until the ack.
  // A failure leaves the descriptor as it came: still the caller's, in whatever mode.
  const int fd = handed.socket.get();
  if (const int flags = ::fcntl(fd, F_GETFL); flags >= 0 && (flags & O_NONBLOCK) != 0) {
    (void)::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  }
  return handed;
}

Result<void> Worker::done(std::uint64_t id) {
  return detail::send_message(state_->socket, protocol::Done{.id = id}, kDone, state_->object);
}

std::uint32_t Worker::worker_number() const noexcept {
  return state_->worker;
}
pid_t Worker::daemon_pid() const noexcept {
  return state_->daemon_pid;
}
FdView Worker::fd() const noexcept {
  return state_->socket.fd();
}

}  // namespace ipckit::handoff
