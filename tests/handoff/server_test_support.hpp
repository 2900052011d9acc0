// Helpers for the in-process Server tests: a Server running on a thread (stopped and joined
// when the helper goes), its log in a memfd the test can read, raw protocol workers on
// SOCK_SEQPACKET sockets (for the faults a well-behaved Worker never commits), and TCP clients.
#pragma once

#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <variant>

#include <gtest/gtest.h>

#include "ipckit/handoff/protocol.hpp"
#include "ipckit/handoff/server.hpp"
#include "ipckit/handoff/stats.hpp"
#include "ipckit/net/tcp.hpp"
#include "ipckit/unix/fd_passing.hpp"
#include "ipckit/unix/socket.hpp"
#include "support/child.hpp"
#include "support/ipc_test_support.hpp"

namespace ipckit::handoff::test {

using namespace std::chrono_literals;

// A config listening on 127.0.0.1:0 with a unique abstract control name and short timeouts.
inline Config test_config() {
  Config config;
  config.listen = {net::InetAddress::loopback(net::Family::kV4, 0)};
  config.control = *uds::UnixAddress::parse("@" + ipckit::test::unique_name("handoff"));
  config.grace_period = 5s;
  config.workers.ack_timeout = 10s;
  config.workers.busy_timeout = 10s;
  return config;
}

// A Server started from `config` and run on a thread until the helper is destroyed.
class RunningServer {
 public:
  explicit RunningServer(Config config, std::function<Result<Config>()> reload = {}) {
    log_ = Fd(::memfd_create("handoff-log", MFD_CLOEXEC));
    auto server = Server::start(std::move(config));
    if (!server) {
      ADD_FAILURE() << "Server::start: " << server.error().message();
      return;
    }
    server_.emplace(std::move(*server));
    control_ = server_->control();
    port_ = server_->listening().at(0).port();
    RunOptions options;
    options.handle_signals = false;
    options.log = log_.view();
    options.reload = std::move(reload);
    thread_ = std::thread([this, options] { result_ = server_->run(options); });
  }
  RunningServer(const RunningServer&) = delete;
  RunningServer& operator=(const RunningServer&) = delete;
  ~RunningServer() { stop(); }

  [[nodiscard]] bool ok() const { return server_.has_value(); }
  // Stops and joins; returns run()'s result. Safe to call twice.
  Result<void> stop() {
    if (thread_.joinable()) {
      server_->request_stop();
      thread_.join();
    }
    return result_;
  }
  void reload() { server_->request_reload(); }
  void request_stop() { server_->request_stop(); }
  // Only when run() has returned.
  [[nodiscard]] Stats final_stats() const { return server_->stats(); }

  [[nodiscard]] net::InetAddress address() const {
    return net::InetAddress::loopback(net::Family::kV4, port_);
  }
  [[nodiscard]] const uds::UnixAddress& control() const { return control_; }

  // Live counters over the control socket.
  [[nodiscard]] Stats stats() const {
    auto s = fetch_stats(control_);
    EXPECT_TRUE(s) << s.error().message();
    return s ? *s : Stats{};
  }

  [[nodiscard]] std::string log() const {
    std::string text;
    char buf[4096];
    for (off_t at = 0;;) {
      const ssize_t n = ::pread(log_.get(), buf, sizeof buf, at);
      if (n <= 0) break;
      text.append(buf, static_cast<std::size_t>(n));
      at += n;
    }
    return text;
  }

 private:
  Fd log_;
  std::optional<Server> server_;
  uds::UnixAddress control_;
  std::uint16_t port_ = 0;
  std::thread thread_;
  Result<void> result_;
};

inline bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

inline bool eventually(const std::function<bool()>& pred) {
  return ipckit::test::eventually(pred, std::chrono::seconds(20));
}

// A worker speaking the protocol by hand on a blocking seqpacket socket.
class RawWorker {
 public:
  explicit RawWorker(const uds::UnixAddress& control) {
    auto socket = uds::UnixSocket::connect_to(control, uds::SocketType::kSeqPacket);
    EXPECT_TRUE(socket) << socket.error().message();
    if (socket) socket_.emplace(std::move(*socket));
    if (socket_) (void)socket_->set_receive_timeout(20s);
  }

  bool send(const protocol::WorkerMessage& message) { return send_raw(protocol::encode(message)); }
  bool send_raw(std::string_view payload) { return socket_ && socket_->send(payload).has_value(); }

  // Registers and waits for "registered". Returns the worker number (0 on failure).
  std::uint32_t register_as(const std::string& name, std::uint32_t capacity) {
    if (!send(protocol::Register{.name = name, .capacity = capacity})) return 0;
    auto reply = receive();
    if (!reply) return 0;
    const auto* registered = std::get_if<protocol::Registered>(&reply->message);
    return registered ? registered->worker : 0;
  }

  struct Incoming {
    protocol::DaemonMessage message;
    Fd fd;
  };
  // The next daemon message (and its descriptor); nullopt on EOF, error or timeout.
  std::optional<Incoming> receive() {
    if (!socket_) return std::nullopt;
    std::string buffer(protocol::kMaxMessage, '\0');
    auto got = uds::receive_fds(socket_->fd(), std::as_writable_bytes(std::span(buffer)), 1);
    if (!got || got->eof) return std::nullopt;
    auto decoded = protocol::decode_daemon_message(std::string_view(buffer.data(), got->size));
    EXPECT_TRUE(decoded) << decoded.error().message();
    if (!decoded) return std::nullopt;
    Incoming in{std::move(*decoded), {}};
    if (!got->fds.empty()) in.fd = std::move(got->fds[0]);
    return in;
  }

  // Receives a client message; nullopt if the next message is something else.
  std::optional<std::pair<ClientInfo, Fd>> receive_client() {
    auto in = receive();
    if (!in) return std::nullopt;
    auto* client = std::get_if<protocol::Client>(&in->message);
    if (!client) return std::nullopt;
    return std::make_pair(client->info, std::move(in->fd));
  }

  void close() { socket_.reset(); }
  [[nodiscard]] bool connected() const { return socket_.has_value(); }

 private:
  std::optional<uds::UnixSocket> socket_;
};

// A TCP client of the daemon (blocking, with a receive timeout so no test hangs).
inline Fd connect_client(const net::InetAddress& address) {
  auto fd = net::tcp_connect(address, 10s);
  EXPECT_TRUE(fd) << fd.error().message();
  if (!fd) return {};
  timeval tv{.tv_sec = 20, .tv_usec = 0};
  ::setsockopt(fd->get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return std::move(*fd);
}

inline bool write_all(FdView fd, std::string_view text) {
  return ::send(fd.get(), text.data(), text.size(), MSG_NOSIGNAL) ==
         static_cast<ssize_t>(text.size());
}

// Reads until `want` bytes or "\n"-terminated line arrived, EOF or the receive timeout.
inline std::string read_line(FdView fd) {
  std::string text;
  char c = 0;
  while (::recv(fd.get(), &c, 1, 0) == 1) {
    text += c;
    if (c == '\n') break;
  }
  return text;
}

// Whether the peer closed: recv returns 0 (after any pending bytes are read and discarded).
inline bool sees_eof(FdView fd) {
  char buf[256];
  for (int i = 0; i < 1000; ++i) {
    const ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n == 0) return true;
    if (n < 0) return errno == ECONNRESET;
  }
  return false;
}

}  // namespace ipckit::handoff::test
