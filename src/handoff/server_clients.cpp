// Server::Impl: TCP clients from accept to handoff: the screens in order (access, rate,
// concurrency, cache or pregreet), the queue of clients waiting for a worker, and sending a
// client to a worker (its descriptor stays here until the worker's ack: server_workers.cpp).
#include <sys/epoll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <string>

#include "core/wall_clock.hpp"
#include "ipckit/unix/fd_passing.hpp"
#include "server_impl.hpp"

namespace ipckit::handoff {

using detail::ClientSlot;
using detail::ClientState;
using detail::Reject;
using detail::Tag;
using detail::TimePoint;

namespace {

// Accepts per listener event; the (level-triggered) listener reports the rest next round, so a
// flood on one listener does not starve the others or the workers' acks.
constexpr int kAcceptBatch = 512;

// What one byte of peeking says about a client the daemon is not reading.
enum class Peek { kNothing, kData, kClosed };

Peek peek(const Fd& fd) noexcept {
  char byte = 0;
  const ssize_t n = ::recv(fd.get(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n > 0) return Peek::kData;
  if (n == 0) return Peek::kClosed;
  return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? Peek::kNothing : Peek::kClosed;
}

void send_best_effort(const Fd& fd, std::string_view wire) noexcept {
  if (!wire.empty()) {
    [[maybe_unused]] const ssize_t n =
        ::send(fd.get(), wire.data(), wire.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  }
}

void add_screens(std::vector<std::string>& out, std::uint8_t bits) {
  if (bits & detail::kScreenCache) {
    out.emplace_back("cache");
    return;
  }
  if (bits & detail::kScreenAccess) out.emplace_back("access");
  if (bits & detail::kScreenRate) out.emplace_back("rate");
  if (bits & detail::kScreenConcurrency) out.emplace_back("concurrency");
  if (bits & detail::kScreenPregreet) out.emplace_back("pregreet");
}

}  // namespace

std::uint64_t Server::Impl::client_token(std::uint32_t slot) const noexcept {
  return detail::make_token(Tag::kClient, clients[slot].generation, slot);
}

std::uint32_t Server::Impl::new_client_slot() {
  if (!free_clients.empty()) {
    const std::uint32_t slot = free_clients.back();
    free_clients.pop_back();
    return slot;
  }
  clients.emplace_back();
  return static_cast<std::uint32_t>(clients.size() - 1);
}

void Server::Impl::set_state(ClientSlot& c, ClientState state) noexcept {
  switch (c.state) {
    case ClientState::kScreening:
      --counters.screening;
      break;
    case ClientState::kWaiting:
      --counters.waiting;
      break;
    case ClientState::kInFlight:
      --counters.in_flight;
      break;
    case ClientState::kFree:
      break;
  }
  switch (state) {
    case ClientState::kScreening:
      ++counters.screening;
      break;
    case ClientState::kWaiting:
      ++counters.waiting;
      break;
    case ClientState::kInFlight:
      ++counters.in_flight;
      break;
    case ClientState::kFree:
      break;
  }
  c.state = state;
}

void Server::Impl::on_listener(std::size_t index, TimePoint now) {
  if (index >= listeners.size()) return;
  const net::TcpListener& listener = listeners[index];
  const bool fixed_local = !listener.local_address().is_any();
  for (int k = 0; k < kAcceptBatch; ++k) {
    sockaddr_storage storage{};
    socklen_t length = sizeof storage;
    auto* addr = reinterpret_cast<sockaddr*>(&storage);
    Fd fd(::accept4(listener.fd().get(), addr, &length, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd) {
      const int error = errno;
      if (error == EAGAIN || error == EWOULDBLOCK) return;
      if (error == EINTR || error == ECONNABORTED || error == EPROTO) continue;
      if (error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM) {
        // Out of descriptors or memory: stop accepting for a moment instead of spinning on a
        // listener that stays readable. The backlog holds the clients meanwhile.
        if (!accept_paused) {
          accept_paused = true;
          for (const auto& l : listeners)
            epoll_mod(l.fd().get(), 0, 0);
          deadlines.push(now + std::chrono::milliseconds(100),
                         detail::make_token(Tag::kResumeAccept, 0, 0));
          if (log.enabled(LogLevel::kError)) {
            log.begin(LogLevel::kError, "accept_paused")
                .field("error", Error(error, "accept4", "").message())
                .write();
          }
        }
      }
      return;
    }
    auto peer = net::InetAddress::from_sockaddr(addr, length);
    if (!peer) continue;
    net::InetAddress local = listener.local_address();
    if (!fixed_local) {
      sockaddr_storage own{};
      socklen_t own_length = sizeof own;
      auto* own_addr = reinterpret_cast<sockaddr*>(&own);
      if (::getsockname(fd.get(), own_addr, &own_length) == 0) {
        if (auto decoded = net::InetAddress::from_sockaddr(own_addr, own_length)) local = *decoded;
      }
    }
    admit(std::move(fd), *peer, local, now);
  }
}

void Server::Impl::reject_fd(const Fd& fd, const net::InetAddress& peer, Reject reason) {
  send_best_effort(fd, reject_wire);
  ++counters.rejected[static_cast<std::size_t>(reason)];
  if (log.enabled(LogLevel::kInfo)) {
    log.begin(LogLevel::kInfo, "client_rejected")
        .field("client", peer.to_string())
        .field("reason", detail::to_string(reason))
        .write();
  }
}

void Server::Impl::admit(Fd fd, const net::InetAddress& peer, const net::InetAddress& local,
                         TimePoint now) {
  ++counters.accepted;
  const std::int64_t accepted_unix_ns = static_cast<std::int64_t>(ipckit::detail::now_unix_ns());
  const Screening& s = config.screening;
  const detail::AddressKey key = detail::AddressKey::of(peer);
  std::uint8_t screens = 0;
  if (!access.empty()) {
    if (!access.allows(peer)) return reject_fd(fd, peer, Reject::kAccess);
    screens |= detail::kScreenAccess;
  }
  if (rate.enabled()) {
    if (!rate.admit(key, now)) return reject_fd(fd, peer, Reject::kRate);
    screens |= detail::kScreenRate;
  }
  bool counted = false;
  if (s.max_per_address != 0) {
    if (!counts.try_acquire(key, s.max_per_address)) {
      return reject_fd(fd, peer, Reject::kConcurrency);
    }
    counted = true;
    screens |= detail::kScreenConcurrency;
  }

  const std::uint32_t slot = new_client_slot();
  ClientSlot& c = clients[slot];
  c.fd = std::move(fd);
  c.in_epoll = false;
  c.counted = counted;
  c.banner_sent = false;
  c.screens = screens;
  c.redispatched = 0;
  c.id = next_client_id++;
  c.accepted_unix_ns = accepted_unix_ns;
  c.key = key;
  c.peer = peer;
  c.local = local;

  if (cache.hit(key, now)) {
    ++counters.cache_hits;
    c.screens = detail::kScreenCache;
    return ready(slot, now);
  }
  if (!banner_wire.empty()) {
    send_best_effort(c.fd, banner_wire);
    c.banner_sent = true;
  }
  if (s.pregreet_wait.count() > 0) {
    set_state(c, ClientState::kScreening);
    epoll_add(c.fd.get(), EPOLLIN | EPOLLRDHUP, client_token(slot));
    c.in_epoll = true;
    c.due = now + s.pregreet_wait;
    deadlines.push(c.due, client_token(slot));
    return;
  }
  ready(slot, now);
}

void Server::Impl::on_client_event(std::uint32_t slot, std::uint32_t events, TimePoint now) {
  ClientSlot& c = clients[slot];
  if (c.state == ClientState::kScreening) {
    switch (peek(c.fd)) {
      case Peek::kData:
        return reject(slot, Reject::kPregreet, reject_wire);
      case Peek::kClosed:
        return client_gone(slot);
      case Peek::kNothing:
        if (events & (EPOLLHUP | EPOLLERR)) client_gone(slot);
        return;
    }
  }
  if (c.state == ClientState::kWaiting) {
    if (events & (EPOLLHUP | EPOLLERR)) return client_gone(slot);
    // EPOLLRDHUP: the client shut down its sending side. With nothing sent it is gone; a
    // client that sent a request and then shut down its side still waits for an answer: stop
    // watching for the (level-triggered) half-close and keep it in the queue.
    if (peek(c.fd) != Peek::kData) return client_gone(slot);
    epoll_mod(c.fd.get(), 0, client_token(slot));
  }
  (void)now;
}

void Server::Impl::pregreet_passed(std::uint32_t slot, TimePoint now) {
  ClientSlot& c = clients[slot];
  // A byte that arrived just before the deadline still counts: the client spoke first.
  switch (peek(c.fd)) {
    case Peek::kData:
      return reject(slot, Reject::kPregreet, reject_wire);
    case Peek::kClosed:
      return client_gone(slot);
    case Peek::kNothing:
      break;
  }
  c.screens |= detail::kScreenPregreet;
  cache.insert(c.key, now);
  ready(slot, now);
}

void Server::Impl::ready(std::uint32_t slot, TimePoint now) {
  // Behind clients already waiting it queues; the queue may also hold stale entries of clients
  // that left it, which do not count.
  if (counters.waiting == 0 && try_send(slot, now)) return;
  enqueue(slot, now, false);
}

void Server::Impl::enqueue(std::uint32_t slot, TimePoint now, bool front) {
  ClientSlot& c = clients[slot];
  set_state(c, ClientState::kWaiting);
  // Only hang-ups are watched while it waits: a client that talks first (HTTP) is not the
  // daemon's business once screened.
  if (c.in_epoll) {
    epoll_mod(c.fd.get(), EPOLLRDHUP, client_token(slot));
  } else {
    epoll_add(c.fd.get(), EPOLLRDHUP, client_token(slot));
    c.in_epoll = true;
  }
  c.due = now + config.workers.busy_timeout;
  deadlines.push(c.due, client_token(slot));
  if (front) {
    waiting.push_front(client_token(slot));
  } else {
    waiting.push_back(client_token(slot));
  }
}

void Server::Impl::pump(TimePoint now) {
  while (!waiting.empty()) {
    const std::uint64_t token = waiting.front();
    waiting.pop_front();
    const std::uint32_t slot = detail::slot_of(token);
    if (slot >= clients.size() || clients[slot].state != ClientState::kWaiting ||
        (clients[slot].generation & 0xFFFFFFu) != detail::generation_of(token)) {
      continue;  // gone, rejected or sent since it was queued
    }
    if (!try_send(slot, now)) {
      waiting.push_front(token);
      return;
    }
  }
}

bool Server::Impl::try_send(std::uint32_t slot, TimePoint now) {
  const auto load_of = [](const detail::WorkerConn* w) -> const detail::WorkerLoad& {
    return w->load;
  };
  std::string payload;
  for (;;) {
    const auto pick = dispatcher.pick(workers, load_of);
    if (!pick) return false;
    detail::WorkerConn& w = *workers[*pick];
    ClientSlot& c = clients[slot];
    if (payload.empty()) {
      protocol::Client message;
      message.info.id = c.id;
      message.info.peer = c.peer;
      message.info.local = c.local;
      message.info.accepted_unix_ns = c.accepted_unix_ns;
      add_screens(message.info.screens, c.screens);
      message.info.banner_sent = c.banner_sent;
      message.info.redispatched = c.redispatched;
      payload = protocol::encode(protocol::DaemonMessage(std::move(message)));
    }
    const FdView fds[1] = {c.fd.view()};
    auto sent = uds::send_fds(w.socket.view(), payload, fds);
    const std::uint32_t conn = w.slot;
    if (!sent) {
      if (sent.error().code() == EAGAIN) {
        // Its socket is full: it is not reading. Not eligible until it drains (EPOLLOUT);
        // ack_timeout drops it if it never does.
        w.blocked = true;
        w.load.open = false;
        epoll_mod(w.socket.get(), EPOLLIN | EPOLLOUT, conn_token(conn));
      } else {
        drop_worker(conn, "send: " + sent.error().message(), now);
      }
      continue;
    }
    if (c.in_epoll) {
      epoll_del(c.fd.get());
      c.in_epoll = false;
    }
    set_state(c, ClientState::kInFlight);
    c.worker = conn;
    ++w.load.in_flight;
    w.in_flight.push_back(detail::InFlight{.id = c.id, .client = slot, .sent = now});
    if (!w.ack_timer) {
      // One pending deadline per worker, for its oldest unacknowledged client: the heap stays
      // as small as the number of workers whatever the client rate.
      w.ack_timer = true;
      deadlines.push(now + config.workers.ack_timeout, conn_token(conn));
    }
    return true;
  }
}

void Server::Impl::reject(std::uint32_t slot, Reject reason, std::string_view wire) {
  ClientSlot& c = clients[slot];
  send_best_effort(c.fd, wire);
  ++counters.rejected[static_cast<std::size_t>(reason)];
  if (log.enabled(LogLevel::kInfo)) {
    log.begin(LogLevel::kInfo, "client_rejected")
        .field("client", c.peer.to_string())
        .field("id", c.id)
        .field("reason", detail::to_string(reason))
        .write();
  }
  release_client(slot);
}

void Server::Impl::client_gone(std::uint32_t slot) {
  ClientSlot& c = clients[slot];
  ++counters.client_gone;
  if (log.enabled(LogLevel::kInfo)) {
    log.begin(LogLevel::kInfo, "client_gone")
        .field("client", c.peer.to_string())
        .field("id", c.id)
        .write();
  }
  release_client(slot);
}

void Server::Impl::release_client(std::uint32_t slot) {
  ClientSlot& c = clients[slot];
  if (c.state == ClientState::kInFlight && c.worker < conns.size() && conns[c.worker]->used) {
    detail::WorkerConn& w = *conns[c.worker];
    for (auto it = w.in_flight.begin(); it != w.in_flight.end(); ++it) {
      if (it->client == slot) {
        w.in_flight.erase(it);
        --w.load.in_flight;
        break;
      }
    }
  }
  if (c.counted) counts.release(c.key);
  free_client(slot);
}

void Server::Impl::free_client(std::uint32_t slot) {
  ClientSlot& c = clients[slot];
  if (c.in_epoll) epoll_del(c.fd.get());
  c.in_epoll = false;
  set_state(c, ClientState::kFree);
  c.fd.reset();
  c.counted = false;
  ++c.generation;
  free_clients.push_back(slot);
}

}  // namespace ipckit::handoff
