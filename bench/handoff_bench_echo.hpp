// The echo server of ipckit-handoff-bench (handoff_bench.cpp): one epoll loop, fed either by a
// listener it accepts on itself or by a handoff daemon it is registered with, so the two modes
// differ only in where a client's socket comes from. Runs in a forked child; never returns.
#pragma once

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "ipckit/core/fd.hpp"
#include "ipckit/handoff/worker.hpp"
#include "ipckit/net/tcp.hpp"

namespace handoff_bench {

using ipckit::Fd;

enum class Reply { kEcho, kClose };  // kClose: close each client at once (memory phase)

// Serves until `source` reports the end. Echoes every line; closes at EOF (and calls done).
inline void serve(int source_fd,
                  const std::function<std::optional<std::pair<Fd, std::uint64_t>>()>& next,
                  const std::function<void(std::uint64_t)>& finished, Reply reply) {
  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{.events = EPOLLIN, .data = {.fd = source_fd}};
  ::epoll_ctl(ep, EPOLL_CTL_ADD, source_fd, &ev);
  struct Conn {
    Fd fd;
    std::uint64_t id;
  };
  std::unordered_map<int, Conn> conns;
  std::vector<epoll_event> events(256);
  for (;;) {
    const int n = ::epoll_wait(ep, events.data(), static_cast<int>(events.size()), -1);
    for (int i = 0; i < n; ++i) {
      const int fd = events[static_cast<std::size_t>(i)].data.fd;
      if (fd == source_fd) {
        auto client = next();
        if (!client) return;  // the daemon or the listener is gone
        if (!client->first) continue;
        if (reply == Reply::kClose) {
          finished(client->second);
          continue;
        }
        const int c = client->first.get();
        ::fcntl(c, F_SETFL, ::fcntl(c, F_GETFL) | O_NONBLOCK);
        epoll_event cev{.events = EPOLLIN, .data = {.fd = c}};
        ::epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
        conns.emplace(c, Conn{std::move(client->first), client->second});
        continue;
      }
      char buf[4096];
      const ssize_t got = ::read(fd, buf, sizeof buf);
      if (got > 0) {
        // Lines are short and one per round trip: a read holds whole lines, echoed as they are.
        if (::send(fd, buf, static_cast<std::size_t>(got), MSG_NOSIGNAL) == got) continue;
      } else if (got < 0 && errno == EAGAIN) {
        continue;
      }
      auto it = conns.find(fd);
      if (it == conns.end()) continue;
      const std::uint64_t id = it->second.id;
      // Out of the epoll set before the close: the daemon may still hold the same open file
      // (until it reads the ack), and epoll forgets a file only when its last descriptor closes.
      ::epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
      conns.erase(it);  // closes
      finished(id);
    }
  }
}

[[noreturn]] inline void run_direct_server(ipckit::net::TcpListener listener) {
  serve(
      listener.fd().get(),
      [&]() -> std::optional<std::pair<Fd, std::uint64_t>> {
        auto c = listener.accept();
        if (!c) return std::pair<Fd, std::uint64_t>{Fd(), 0};
        return std::pair<Fd, std::uint64_t>{std::move(c->socket), 0};
      },
      [](std::uint64_t) {}, Reply::kEcho);
  std::_Exit(0);
}

[[noreturn]] inline void run_worker(const ipckit::uds::UnixAddress& control, Reply reply) {
  ipckit::handoff::WorkerOptions options;
  options.name = "bench-echo";
  options.capacity = 20'000;
  auto connected = ipckit::handoff::Worker::connect(control, options);
  if (!connected) {
    std::fprintf(stderr, "bench worker: %s\n", connected.error().message().c_str());
    std::_Exit(1);
  }
  auto& worker = *connected;
  serve(
      worker.fd().get(),
      [&]() -> std::optional<std::pair<Fd, std::uint64_t>> {
        auto c = worker.accept(std::chrono::milliseconds(0));
        if (!c) {
          if (c.error().code() == ETIMEDOUT) return std::pair<Fd, std::uint64_t>{Fd(), 0};
          if (c.error().code() != ECONNRESET) {
            std::fprintf(stderr, "bench worker: %s\n", c.error().message().c_str());
          }
          return std::nullopt;
        }
        return std::pair<Fd, std::uint64_t>{std::move(c->socket), c->info.id};
      },
      [&](std::uint64_t id) { (void)worker.done(id); }, reply);
  std::_Exit(0);
}

}  // namespace handoff_bench
