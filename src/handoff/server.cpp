// Server: start (binding or adopting the sockets), the public surface, stats and applying a
// configuration. The event loop is in server_loop.cpp, clients in server_clients.cpp, control
// connections in server_workers.cpp.
#include "ipckit/handoff/server.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "server_impl.hpp"

namespace ipckit::handoff {

using detail::Clock;

namespace detail {

std::string_view to_string(Reject reason) noexcept {
  switch (reason) {
    case Reject::kAccess:
      return "access";
    case Reject::kRate:
      return "rate";
    case Reject::kConcurrency:
      return "concurrency";
    case Reject::kPregreet:
      return "pregreet";
    case Reject::kBusy:
      return "busy";
    case Reject::kShutdown:
      return "shutdown";
  }
  return "access";
}

}  // namespace detail

Result<void> Server::Impl::bind_control() {
  Server::Impl& impl = *this;
  uds::ListenerOptions listener_options;
  listener_options.type = uds::SocketType::kSeqPacket;
  listener_options.blocking = uds::Blocking::kNo;
  if (impl.config.control.is_path())
    listener_options.mode = impl.config.control_mode.value_or(0600);
  // The engine judges every peer itself (server_workers.cpp) against the *running* policy, so
  // that a reload can widen it as well as narrow it and a refused worker is told why
  // ({"op":"refused"}, docs/handoff.md): the listener lets everyone through to that check.
  listener_options.policy = uds::AccessPolicy::anyone();
  auto listener = uds::UnixListener::bind(impl.config.control, std::move(listener_options));
  if (!listener) return std::unexpected(listener.error());
  impl.control_address = listener->address();
  impl.control.emplace(std::move(*listener));
  return {};
}

Result<Server> Server::start(Config config, std::vector<net::ActivatedSocket> activated) {
  auto impl = std::make_unique<Impl>();
  std::optional<Fd> activated_control;
  std::vector<Fd> activated_tcp;
  for (auto& socket : activated) {
    if (socket.name == "control") {
      activated_control.emplace(std::move(socket.fd));
    } else {
      activated_tcp.push_back(std::move(socket.fd));
    }
  }
  if (!activated_tcp.empty() && !config.listen.empty()) {
    return fail(EINVAL, "handoff start", "listen",
                "listen addresses given while systemd passed listening sockets");
  }
  if (auto ok = validate(config, !activated_tcp.empty(), activated_control.has_value()); !ok) {
    return std::unexpected(ok.error());
  }
  impl->config = std::move(config);

  for (const auto& address : impl->config.listen) {
    auto listener = net::TcpListener::bind(address);
    if (!listener) return std::unexpected(listener.error());
    impl->listening.push_back(listener->local_address());
    impl->listeners.push_back(std::move(*listener));
  }
  for (auto& fd : activated_tcp) {
    auto listener = net::TcpListener::adopt(std::move(fd));
    if (!listener) return std::unexpected(listener.error());
    impl->listening.push_back(listener->local_address());
    impl->listeners.push_back(std::move(*listener));
  }
  if (activated_control) {
    auto socket = uds::UnixSocket::adopt(std::move(*activated_control));
    if (!socket) return std::unexpected(socket.error());
    if (socket->type() != uds::SocketType::kSeqPacket) {
      return fail(EPROTOTYPE, "handoff start", "control",
                  "the activated control socket is not SOCK_SEQPACKET");
    }
    if (auto b = socket->set_blocking(uds::Blocking::kNo); !b) return std::unexpected(b.error());
    auto name = socket->local_address();
    if (!name) return std::unexpected(name.error());
    impl->control_address = *name;
    impl->config.control = *name;
    impl->activated_control.emplace(std::move(*socket));
  } else {
    if (auto bound = impl->bind_control(); !bound) return std::unexpected(bound.error());
  }

  impl->epoll = Fd(::epoll_create1(EPOLL_CLOEXEC));
  if (!impl->epoll) return fail_errno("epoll_create1", "handoff server");
  impl->wake = Fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!impl->wake) return fail_errno("eventfd", "handoff server");
  impl->receive_buffer.resize(protocol::kMaxMessage + 1);
  impl->started = Clock::now();
  impl->apply(impl->config);
  return Server(std::move(impl));
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::Server(Server&&) noexcept = default;
Server& Server::operator=(Server&&) noexcept = default;
Server::~Server() = default;

// NOLINTNEXTLINE(performance-unnecessary-value-param): moved into the engine, which keeps it
Result<void> Server::run(RunOptions options) {
  return impl_->run(std::move(options));
}

void Server::request_stop() noexcept {
  impl_->stop_requested.store(true);
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(impl_->wake.get(), &one, sizeof one);
}

void Server::request_reload() noexcept {
  impl_->reload_requested.store(true);
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(impl_->wake.get(), &one, sizeof one);
}

const std::vector<net::InetAddress>& Server::listening() const noexcept {
  return impl_->listening;
}

const uds::UnixAddress& Server::control() const noexcept {
  return impl_->control_address;
}

Stats Server::stats() const {
  return impl_->stats();
}

Stats Server::Impl::stats() const {
  Stats s;
  s.daemon_pid = ::getpid();
  s.uptime_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
  s.accepted = counters.accepted;
  for (std::size_t i = 0; i < detail::kRejectReasons; ++i) {
    s.rejected[std::string(detail::to_string(static_cast<detail::Reject>(i)))] =
        counters.rejected[i];
  }
  s.cache_hits = counters.cache_hits;
  s.handed_off = counters.handed_off;
  s.redispatched = counters.redispatched;
  s.client_gone = counters.client_gone;
  s.workers_refused = counters.workers_refused;
  s.workers_dropped = counters.workers_dropped;
  s.reloads = counters.reloads;
  s.screening = counters.screening;
  s.waiting = counters.waiting;
  s.in_flight = counters.in_flight;
  s.cache_entries = static_cast<std::uint32_t>(cache.size());
  for (const detail::WorkerConn* w : workers) {
    s.workers.push_back(WorkerStats{.worker = w->load.number,
                                    .name = w->name,
                                    .pid = w->peer.pid,
                                    .uid = w->peer.uid,
                                    .capacity = w->load.capacity,
                                    .in_flight = w->load.in_flight,
                                    .active = w->load.active,
                                    .handed_off = w->handed_off});
  }
  return s;
}

void Server::Impl::apply(const Config& next) {
  config.screening = next.screening;
  config.workers = next.workers;
  const Screening& s = config.screening;
  access = detail::AccessRules(s.allow, s.deny);
  rate.configure(s.rate_connections, s.rate_period);
  cache.configure(s.cache_ttl, s.cache_max_entries);
  dispatcher.configure(config.workers.dispatch, config.workers.max_in_flight);
  log.configure(config.log_format, config.log_level);
  const auto wire = [](const std::string& line) { return line.empty() ? line : line + "\r\n"; };
  banner_wire = wire(s.banner);
  reject_wire = wire(s.reject_line);
  busy_wire = wire(config.workers.busy_line);
}

}  // namespace ipckit::handoff
