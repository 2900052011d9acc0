// Server::Impl: the control socket: judging peers by the worker policy, registration, acks and
// dones, stats requests, and dropping a worker (its unacknowledged clients go back to the front
// of the queue).
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <string>
#include <variant>

#include "server_impl.hpp"

namespace ipckit::handoff {

using detail::ClientState;
using detail::Clock;
using detail::Tag;
using detail::TimePoint;
using detail::WorkerConn;

namespace {

// Messages read per worker event: one chatty worker cannot starve the others.
constexpr int kMessageBatch = 256;
constexpr int kControlAcceptBatch = 64;

void send_message(const Fd& socket, const std::string& payload) noexcept {
  [[maybe_unused]] const ssize_t n =
      ::send(socket.get(), payload.data(), payload.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

// The two messages of the hot path, in the exact form every encoder writes them
// ({"op":"ack","id":7}), read without building a JSON document; anything else (other
// spacing, other members, other ops) goes to protocol::decode_worker_message.
std::optional<protocol::WorkerMessage> fast_decode(std::string_view payload) noexcept {
  constexpr std::string_view kAck = R"({"op":"ack","id":)";
  constexpr std::string_view kDone = R"({"op":"done","id":)";
  const bool ack = payload.starts_with(kAck);
  if (!ack && !payload.starts_with(kDone)) return std::nullopt;
  std::string_view digits = payload.substr(ack ? kAck.size() : kDone.size());
  if (digits.size() < 2 || digits.back() != '}') return std::nullopt;
  digits.remove_suffix(1);
  if (digits.size() > 19 || (digits.size() > 1 && digits.front() == '0')) return std::nullopt;
  std::uint64_t id = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    id = id * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (ack) return protocol::Ack{.id = id};
  return protocol::Done{.id = id};
}

std::string not_allowed(const uds::PeerCredentials& peer) {
  return "uid " + std::to_string(peer.uid) + " gid " + std::to_string(peer.gid) + " is not allowed";
}

}  // namespace

std::uint64_t Server::Impl::conn_token(std::uint32_t slot) const noexcept {
  return detail::make_token(Tag::kWorker, conns[slot]->generation, slot);
}

void Server::Impl::on_control(TimePoint now) {
  const FdView listener = control_fd();
  for (int k = 0; k < kControlAcceptBatch; ++k) {
    Fd fd(::accept4(listener.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;  // EAGAIN; EMFILE and the like: the next round retries
    }
    auto creds = uds::peer_credentials(fd.view());
    const uds::PeerCredentials peer =
        creds && *creds
            ? **creds
            : uds::PeerCredentials{
                  .pid = 0, .uid = static_cast<uid_t>(-1), .gid = static_cast<gid_t>(-1)};
    std::uint32_t slot = 0;
    if (!free_conns.empty()) {
      slot = free_conns.back();
      free_conns.pop_back();
    } else {
      conns.push_back(std::make_unique<WorkerConn>());
      slot = static_cast<std::uint32_t>(conns.size() - 1);
      conns[slot]->slot = slot;
    }
    WorkerConn& w = *conns[slot];
    w.socket = std::move(fd);
    w.peer = peer;
    w.used = true;
    if (!creds || !*creds || !config.workers.policy.allows(peer)) w.refusal = not_allowed(peer);
    epoll_add(w.socket.get(), EPOLLIN, conn_token(slot));
    // It must say register (or stats) within ack_timeout, or it is refused: a peer that
    // connects and says nothing does not hold a descriptor for ever.
    deadlines.push(now + config.workers.ack_timeout, conn_token(slot));
  }
}

void Server::Impl::on_worker_event(std::uint32_t slot, std::uint32_t events, TimePoint now) {
  WorkerConn* w = conns[slot].get();
  const std::uint32_t generation = w->generation;
  if ((events & EPOLLOUT) && w->blocked) {
    w->blocked = false;
    w->load.open = w->registered && !w->retired;
    epoll_mod(w->socket.get(), EPOLLIN, conn_token(slot));
  }
  if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR))) return;
  // Read everything queued before judging a hang-up: acks a worker sent before it died count.
  for (int k = 0; k < kMessageBatch; ++k) {
    iovec iov{receive_buffer.data(), receive_buffer.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    const ssize_t n = ::recvmsg(w->socket.get(), &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      const std::string reason = Error(errno, "recv", "").message();
      if (w->registered) return drop_worker(slot, reason, now);
      return close_conn(slot);
    }
    if (n == 0) {
      if (w->registered) return drop_worker(slot, "closed", now);
      if (!w->refusal.empty()) return refuse_conn(slot, w->refusal);
      return close_conn(slot);
    }
    if (msg.msg_flags & MSG_TRUNC) return refuse_conn(slot, "message longer than 65536 bytes");
    on_worker_message(slot, std::string_view(receive_buffer.data(), static_cast<std::size_t>(n)),
                      now);
    if (!w->used || w->generation != generation) return;  // dropped or closed meanwhile
  }
}

void Server::Impl::on_worker_message(std::uint32_t slot, std::string_view payload, TimePoint) {
  WorkerConn& w = *conns[slot];
  if (!w.refusal.empty()) return refuse_conn(slot, w.refusal);
  auto fast = w.registered ? fast_decode(payload) : std::nullopt;
  Result<protocol::WorkerMessage> decoded = fast ? Result<protocol::WorkerMessage>(std::move(*fast))
                                                 : protocol::decode_worker_message(payload);
  if (!decoded) {
    const Error& e = decoded.error();
    return refuse_conn(slot, e.detail().empty() ? e.message() : e.detail());
  }
  if (!w.registered) {
    if (const auto* reg = std::get_if<protocol::Register>(&*decoded)) {
      if (!config.workers.policy.allows(w.peer)) return refuse_conn(slot, not_allowed(w.peer));
      w.registered = true;
      w.retired = false;
      w.blocked = false;
      w.name = reg->name;
      w.load = detail::WorkerLoad{.number = next_worker_number++,
                                  .capacity = reg->capacity,
                                  .in_flight = 0,
                                  .active = 0,
                                  .open = true};
      w.handed_off = 0;
      send_message(w.socket, protocol::encode(protocol::DaemonMessage(protocol::Registered{
                                 .worker = w.load.number, .daemon_pid = ::getpid()})));
      workers.push_back(&w);
      if (log.enabled(LogLevel::kInfo)) {
        log.begin(LogLevel::kInfo, "worker_registered")
            .field("worker", w.load.number)
            .field("name", w.name)
            .field("pid", static_cast<std::int64_t>(w.peer.pid))
            .field("uid", static_cast<std::uint64_t>(w.peer.uid))
            .field("capacity", w.load.capacity)
            .write();
      }
      return;
    }
    if (std::holds_alternative<protocol::StatsRequest>(*decoded)) {
      send_message(w.socket, protocol::encode(
                                 protocol::DaemonMessage(protocol::StatsReply{to_json(stats())})));
      return close_conn(slot);
    }
    return refuse_conn(slot, "expected register or stats first");
  }
  if (const auto* ack = std::get_if<protocol::Ack>(&*decoded)) {
    if (!on_ack(w, ack->id)) {
      refuse_conn(slot, "ack for client " + std::to_string(ack->id) + ", which it does not have");
    }
    return;
  }
  if (const auto* done = std::get_if<protocol::Done>(&*decoded)) {
    if (!on_done(w, done->id)) {
      refuse_conn(slot, "done for client " + std::to_string(done->id) + ", which it does not hold");
    }
    return;
  }
  refuse_conn(slot, "already registered");
}

bool Server::Impl::on_ack(WorkerConn& w, std::uint64_t id) {
  auto it = std::find_if(w.in_flight.begin(), w.in_flight.end(),
                         [id](const detail::InFlight& f) { return f.id == id; });
  if (it == w.in_flight.end()) return false;
  const std::uint32_t slot = it->client;
  w.in_flight.erase(it);
  detail::ClientSlot& c = clients[slot];
  --w.load.in_flight;
  ++w.load.active;
  ++w.handed_off;
  ++counters.handed_off;
  w.active.push_back(detail::Active{.id = id, .key = c.key, .counted = c.counted});
  if (log.enabled(LogLevel::kInfo)) {
    log.begin(LogLevel::kInfo, "handed_off")
        .field("client", c.peer.to_string())
        .field("id", id)
        .field("worker", w.load.number)
        .write();
  }
  c.counted = false;  // the worker's Active entry holds the count now
  free_client(slot);  // delivered: the daemon's copy of the descriptor goes
  return true;
}

bool Server::Impl::on_done(WorkerConn& w, std::uint64_t id) {
  auto it = std::find_if(w.active.begin(), w.active.end(),
                         [id](const detail::Active& a) { return a.id == id; });
  if (it == w.active.end()) return false;
  if (it->counted) counts.release(it->key);
  *it = w.active.back();
  w.active.pop_back();
  --w.load.active;
  return true;
}

void Server::Impl::refuse_conn(std::uint32_t slot, std::string_view reason) {
  WorkerConn& w = *conns[slot];
  send_message(w.socket,
               protocol::encode(protocol::DaemonMessage(protocol::Refused{std::string(reason)})));
  if (w.registered) return drop_worker(slot, "protocol: " + std::string(reason), Clock::now());
  ++counters.workers_refused;
  if (log.enabled(LogLevel::kWarning)) {
    log.begin(LogLevel::kWarning, "worker_refused")
        .field("pid", static_cast<std::int64_t>(w.peer.pid))
        .field("uid", static_cast<std::uint64_t>(w.peer.uid))
        .field("reason", reason)
        .write();
  }
  close_conn(slot);
}

void Server::Impl::drop_worker(std::uint32_t slot, std::string_view reason, TimePoint now) {
  WorkerConn& w = *conns[slot];
  ++counters.workers_dropped;
  if (log.enabled(LogLevel::kWarning)) {
    log.begin(LogLevel::kWarning, "worker_dropped")
        .field("worker", w.load.number)
        .field("name", w.name)
        .field("reason", reason)
        .field("in_flight", static_cast<std::uint64_t>(w.in_flight.size()))
        .field("active", static_cast<std::uint64_t>(w.active.size()))
        .write();
  }
  // Unacknowledged clients go back to the front of the queue, oldest first; the daemon still
  // holds their descriptors, so they never noticed.
  for (auto it = w.in_flight.rbegin(); it != w.in_flight.rend(); ++it) {
    detail::ClientSlot& c = clients[it->client];
    ++c.redispatched;
    ++counters.redispatched;
    if (log.enabled(LogLevel::kInfo)) {
      log.begin(LogLevel::kInfo, "redispatched")
          .field("client", c.peer.to_string())
          .field("id", c.id)
          .field("worker", w.load.number)
          .write();
    }
    enqueue(it->client, now, true);
  }
  w.in_flight.clear();
  // Its acknowledged clients died with it (or are its own to finish): they count as done.
  for (const detail::Active& a : w.active) {
    if (a.counted) counts.release(a.key);
  }
  w.active.clear();
  close_conn(slot);
}

void Server::Impl::close_conn(std::uint32_t slot) {
  WorkerConn& w = *conns[slot];
  if (w.registered) std::erase(workers, &w);
  // Clients still in flight here (a stop) stay the engine's; they no longer point at this slot.
  for (const detail::InFlight& f : w.in_flight)
    clients[f.client].worker = UINT32_MAX;
  epoll_del(w.socket.get());
  w.socket.reset();
  w.used = false;
  w.registered = false;
  w.retired = false;
  w.blocked = false;
  w.ack_timer = false;
  w.load = {};
  w.name.clear();
  w.refusal.clear();
  w.in_flight.clear();
  w.active.clear();
  ++w.generation;
  free_conns.push_back(slot);
}

void Server::Impl::check_ack_timeout(std::uint32_t slot, TimePoint now) {
  WorkerConn& w = *conns[slot];
  if (!w.registered) {
    return refuse_conn(slot, w.refusal.empty() ? "no register within ack_timeout" : w.refusal);
  }
  w.ack_timer = false;
  if (w.in_flight.empty()) return;
  const TimePoint oldest_due = w.in_flight.front().sent + config.workers.ack_timeout;
  if (now < oldest_due) {
    w.ack_timer = true;
    deadlines.push(oldest_due, conn_token(slot));
    return;
  }
  drop_worker(slot, "ack_timeout", now);
}

void Server::Impl::retire_disallowed() {
  for (WorkerConn* w : workers) {
    if (w->retired || config.workers.policy.allows(w->peer)) continue;
    w->retired = true;
    w->load.open = false;
    if (log.enabled(LogLevel::kWarning)) {
      log.begin(LogLevel::kWarning, "worker_retired")
          .field("worker", w->load.number)
          .field("name", w->name)
          .field("uid", static_cast<std::uint64_t>(w->peer.uid))
          .write();
    }
  }
}

}  // namespace ipckit::handoff
