// A fake handoff daemon for the worker-side tests: a SOCK_SEQPACKET listener on a unique
// abstract name, driven by the test thread with protocol::encode and uds::send_fds. Every wait
// is bounded (kWait), so a broken worker fails the test instead of hanging it.
#pragma once

#include <gtest/gtest.h>
#include <poll.h>

#include <chrono>
#include <cstddef>
#include <future>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "ipckit/handoff/protocol.hpp"
#include "ipckit/handoff/worker.hpp"
#include "ipckit/unix/fd_passing.hpp"
#include "ipckit/unix/listener.hpp"
#include "support/ipc_test_support.hpp"

namespace ipckit::handoff::test {

inline constexpr auto kWait = std::chrono::seconds(20);

// Whether `fd` becomes readable within `timeout`.
inline bool readable(FdView fd, std::chrono::milliseconds timeout) {
  pollfd p{.fd = fd.get(), .events = POLLIN, .revents = 0};
  return ::poll(&p, 1, static_cast<int>(timeout.count())) == 1;
}

class FakeDaemon {
 public:
  FakeDaemon()
      : address_(*uds::UnixAddress::abstract(ipckit::test::unique_name("handoff"))),
        listener_(*uds::UnixListener::bind(
            address_, uds::ListenerOptions{.type = uds::SocketType::kSeqPacket,
                                           .policy = uds::AccessPolicy::anyone()})) {}

  [[nodiscard]] const uds::UnixAddress& address() const { return address_; }

  // Whether a connection waits to be accepted within `timeout`.
  [[nodiscard]] bool connection_pending(std::chrono::milliseconds timeout) const {
    return readable(listener_.fd(), timeout);
  }

  // The next connection (nullopt after kWait).
  std::optional<uds::UnixSocket> accept() {
    if (!readable(listener_.fd(), kWait)) return std::nullopt;
    auto connection = listener_.accept();
    if (!connection) return std::nullopt;
    return std::move(connection->socket);
  }

  // One message's payload, "<eof>" when the peer closed, "<timeout>" after `timeout`.
  static std::string receive(const uds::UnixSocket& socket,
                             std::chrono::milliseconds timeout = kWait) {
    if (!readable(socket, timeout)) return "<timeout>";
    std::vector<std::byte> buffer(protocol::kMaxMessage + 1);
    auto got = uds::receive_fds(socket, buffer, 0);
    if (!got) return "<error " + got.error().message() + ">";
    if (got->eof) return "<eof>";
    return {reinterpret_cast<const char*>(buffer.data()), got->size};
  }

  static void send(const uds::UnixSocket& socket, const protocol::DaemonMessage& message,
                   std::initializer_list<FdView> fds = {}) {
    send_raw(socket, protocol::encode(message), fds);
  }

  static void send_raw(const uds::UnixSocket& socket, const std::string& payload,
                       std::initializer_list<FdView> fds = {}) {
    auto sent = uds::send_fds(socket, payload, std::span<const FdView>(fds.begin(), fds.size()));
    ASSERT_TRUE(sent) << sent.error().message();
  }

  // Runs Worker::connect on another thread while this one plays the daemon: accepts the
  // connection, checks the register message and answers "registered" (worker 3, pid 4242).
  // Returns the worker; `connection` receives the daemon's end.
  std::optional<Worker> register_worker(std::optional<uds::UnixSocket>& connection,
                                        WorkerOptions options = {}) {
    auto pending = std::async(std::launch::async,
                              [&] { return Worker::connect(address_, std::move(options)); });
    connection = accept();
    if (!connection) return std::nullopt;
    const std::string reg = receive(*connection);
    EXPECT_EQ(reg.rfind(R"({"op":"register","protocol":1,)", 0), 0U) << reg;
    send(*connection, protocol::Registered{.worker = 3, .daemon_pid = 4242});
    auto worker = pending.get();
    EXPECT_TRUE(worker) << worker.error().message();
    if (!worker) return std::nullopt;
    return *std::move(worker);
  }

 private:
  uds::UnixAddress address_;
  uds::UnixListener listener_;
};

}  // namespace ipckit::handoff::test
