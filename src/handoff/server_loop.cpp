// Server::Impl: the event loop (one epoll set, the deadline heap for every timer, an eventfd for
// request_stop/request_reload, a signalfd when asked), stop and reload.
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

#include "server_impl.hpp"

namespace ipckit::handoff {

using detail::Clock;
using detail::Tag;
using detail::TimePoint;

namespace {

constexpr int kMaxEvents = 256;

sigset_t handled_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}

}  // namespace

void Server::Impl::epoll_add(int fd, std::uint32_t events, std::uint64_t token) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = token;
  ::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, fd, &ev);
}

void Server::Impl::epoll_mod(int fd, std::uint32_t events, std::uint64_t token) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = token;
  ::epoll_ctl(epoll.get(), EPOLL_CTL_MOD, fd, &ev);
}

void Server::Impl::epoll_del(int fd) {
  ::epoll_ctl(epoll.get(), EPOLL_CTL_DEL, fd, nullptr);
}

Result<void> Server::Impl::run(RunOptions run_options) {
  options = std::move(run_options);
  log.set_fd(options.log);
  // A daemon must not die of a client, worker or log pipe that went away.
  std::signal(SIGPIPE, SIG_IGN);

  sigset_t old_mask;
  sigemptyset(&old_mask);
  if (options.handle_signals) {
    const sigset_t set = handled_signals();
    ::pthread_sigmask(SIG_BLOCK, &set, &old_mask);
    signal_fd = Fd(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!signal_fd) {
      const Error error = Error::from_errno("signalfd", "handoff server");
      ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
      return std::unexpected(error);
    }
    epoll_add(signal_fd.get(), EPOLLIN, detail::make_token(Tag::kSignal, 0, 0));
  }
  epoll_add(wake.get(), EPOLLIN, detail::make_token(Tag::kWake, 0, 0));
  for (std::size_t i = 0; i < listeners.size(); ++i) {
    epoll_add(listeners[i].fd().get(), EPOLLIN,
              detail::make_token(Tag::kListener, 0, static_cast<std::uint32_t>(i)));
  }
  epoll_add(control_fd().get(), EPOLLIN, detail::make_token(Tag::kControl, 0, 0));

  // The listening lines are written whatever the level: scripts and operators read the ports
  // from them (the daemon may have bound port 0).
  if (options.log.valid()) {
    for (const auto& address : listening) {
      log.begin(LogLevel::kInfo, "listening").field("addr", address.to_string()).write();
    }
    log.begin(LogLevel::kInfo, "listening").field("control", control_address.to_string()).write();
  }

  auto result = loop();
  finish_stop();

  if (signal_fd) {
    // Signals that arrived during the stop are consumed here, not delivered on unblocking.
    signalfd_siginfo info{};
    while (::read(signal_fd.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
    }
    epoll_del(signal_fd.get());
    signal_fd.reset();
    ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  }
  epoll_del(wake.get());
  return result;
}

bool Server::Impl::drained() const noexcept {
  return counters.screening == 0 && counters.waiting == 0 && counters.in_flight == 0;
}

Result<void> Server::Impl::loop() {
  epoll_event events[kMaxEvents];
  if (stop_requested.exchange(false)) begin_stop(Clock::now());
  for (;;) {
    TimePoint now = Clock::now();
    detail::Deadline due;
    while (deadlines.pop_due(now, due))
      on_deadline(due, now);
    if (!waiting.empty()) pump(now);
    if (stopping && drained()) return {};

    const int n = ::epoll_wait(epoll.get(), events, kMaxEvents, deadlines.wait_ms(now));
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail_errno("epoll_wait", "handoff server");
    }
    now = Clock::now();
    for (int i = 0; i < n; ++i) {
      const std::uint64_t token = events[i].data.u64;
      const std::uint32_t slot = detail::slot_of(token);
      switch (detail::tag_of(token)) {
        case Tag::kWake:
          on_wake();
          break;
        case Tag::kSignal:
          on_signal();
          break;
        case Tag::kListener:
          on_listener(slot, now);
          break;
        case Tag::kControl:
          on_control(now);
          break;
        case Tag::kClient:
          if (slot < clients.size() &&
              (clients[slot].generation & 0xFFFFFFu) == detail::generation_of(token)) {
            on_client_event(slot, events[i].events, now);
          }
          break;
        case Tag::kWorker:
          if (slot < conns.size() && conns[slot]->used &&
              (conns[slot]->generation & 0xFFFFFFu) == detail::generation_of(token)) {
            on_worker_event(slot, events[i].events, now);
          }
          break;
        default:
          break;
      }
    }
  }
}

void Server::Impl::on_wake() {
  std::uint64_t count = 0;
  [[maybe_unused]] const ssize_t r = ::read(wake.get(), &count, sizeof count);
  if (stop_requested.exchange(false) && !stopping) begin_stop(Clock::now());
  if (reload_requested.exchange(false)) reload();
}

void Server::Impl::on_signal() {
  signalfd_siginfo info{};
  while (::read(signal_fd.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
    if (info.ssi_signo == SIGHUP) {
      reload();
    } else if (!stopping) {
      begin_stop(Clock::now());
    }
  }
}

void Server::Impl::on_deadline(const detail::Deadline& deadline, TimePoint now) {
  const std::uint32_t slot = detail::slot_of(deadline.token);
  const std::uint32_t generation = detail::generation_of(deadline.token);
  switch (detail::tag_of(deadline.token)) {
    case Tag::kClient: {
      if (slot >= clients.size()) return;
      detail::ClientSlot& c = clients[slot];
      if ((c.generation & 0xFFFFFFu) != generation || c.due != deadline.when) return;
      if (c.state == detail::ClientState::kScreening) {
        pregreet_passed(slot, now);
      } else if (c.state == detail::ClientState::kWaiting) {
        reject(slot, detail::Reject::kBusy, busy_wire);
      }
      return;
    }
    case Tag::kWorker:
      if (slot < conns.size() && conns[slot]->used &&
          (conns[slot]->generation & 0xFFFFFFu) == generation) {
        check_ack_timeout(slot, now);
      }
      return;
    case Tag::kGrace:
      // Whatever is still here when the grace period ends is closed.
      for (std::uint32_t i = 0; i < clients.size(); ++i) {
        if (clients[i].state != detail::ClientState::kFree) {
          const bool talking = clients[i].state == detail::ClientState::kInFlight;
          reject(i, detail::Reject::kShutdown, talking ? std::string_view() : reject_wire);
        }
      }
      waiting.clear();
      return;
    case Tag::kResumeAccept:
      if (accept_paused && !stopping) {
        accept_paused = false;
        for (std::size_t i = 0; i < listeners.size(); ++i) {
          epoll_mod(listeners[i].fd().get(), EPOLLIN,
                    detail::make_token(Tag::kListener, 0, static_cast<std::uint32_t>(i)));
        }
      }
      return;
    default:
      return;
  }
}

void Server::Impl::begin_stop(TimePoint now) {
  stopping = true;
  if (options.on_stop) options.on_stop();
  if (log.enabled(LogLevel::kInfo)) {
    log.begin(LogLevel::kInfo, "stopping")
        .field("screening", counters.screening)
        .field("waiting", counters.waiting)
        .field("in_flight", counters.in_flight)
        .write();
  }
  // No new clients: the listeners close at once (and leave the epoll set with their last
  // descriptor). Workers may still register and take the clients that are left.
  listeners.clear();
  deadlines.push(now + config.grace_period, detail::make_token(Tag::kGrace, 0, 0));
}

void Server::Impl::finish_stop() {
  for (std::uint32_t i = 0; i < clients.size(); ++i) {
    if (clients[i].state != detail::ClientState::kFree) {
      reject(i, detail::Reject::kShutdown, "");
    }
  }
  waiting.clear();
  for (std::uint32_t i = 0; i < conns.size(); ++i) {
    if (conns[i]->used) close_conn(i);
  }
  workers.clear();
  if (control) {
    epoll_del(control->fd().get());
    [[maybe_unused]] auto closed = control->close();
    control.reset();
  }
  if (activated_control) {
    epoll_del(activated_control->fd().get());
    activated_control.reset();
  }
  listeners.clear();
  if (log.enabled(LogLevel::kInfo)) {
    log.begin(LogLevel::kInfo, "stopped")
        .field("accepted", counters.accepted)
        .field("handed_off", counters.handed_off)
        .write();
  }
}

void Server::Impl::reload() {
  ++counters.reloads;
  if (!options.reload) {
    if (log.enabled(LogLevel::kInfo)) {
      log.begin(LogLevel::kInfo, "reload").field("changed", "nothing (no configuration source)");
      log.write();
    }
    return;
  }
  auto next = options.reload();
  if (!next) {
    if (log.enabled(LogLevel::kError)) {
      log.begin(LogLevel::kError, "reload_failed").field("error", next.error().message()).write();
    }
    return;
  }
  // A control socket from systemd has no configured address: an empty one is not a change.
  const bool control_moved =
      next->control != config.control && !(activated_control && next->control.is_unnamed());
  const bool moved = next->listen != config.listen || control_moved;
  apply(*next);
  retire_disallowed();
  if (log.enabled(LogLevel::kInfo)) {
    log.begin(LogLevel::kInfo, "reload")
        .field("allow", static_cast<std::uint64_t>(config.screening.allow.size()))
        .field("deny", static_cast<std::uint64_t>(config.screening.deny.size()))
        .field("policy", config.workers.policy.describe());
    if (moved) log.field("ignored", "listen and control addresses change only on restart");
    log.write();
  }
}

}  // namespace ipckit::handoff
