// A thin RAII layer over libzmq's C API for the bridge. Internal.
//
// Context and Socket own their handles (zmq_ctx_term / zmq_close); a Socket must go before its
// Context. Neither is thread-safe; the bridge uses each from one thread.
#pragma once

#include <zmq.h>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ipckit/core/error.hpp"

namespace ipckit::bridge::detail {

class Context {
 public:
  Context();
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;
  [[nodiscard]] void* get() const noexcept { return ctx_; }

 private:
  void* ctx_;
};

// One received multipart message, its parts left in ZeroMQ's buffers (no copy).
class Frames {
 public:
  static constexpr int kMaxParts = 8;
  Frames() noexcept;
  ~Frames();
  Frames(const Frames&) = delete;
  Frames& operator=(const Frames&) = delete;
  [[nodiscard]] int count() const noexcept { return count_; }
  // True when the message had more than kMaxParts parts (the rest were read and dropped).
  [[nodiscard]] bool overflowed() const noexcept { return overflowed_; }
  [[nodiscard]] std::span<const std::byte> part(int i) noexcept;
  void clear() noexcept;

 private:
  friend class Socket;
  zmq_msg_t msgs_[kMaxParts];
  int count_ = 0;
  bool overflowed_ = false;
};

class Socket {
 public:
  Socket(Context& context, int type);
  ~Socket();
  Socket(Socket&& other) noexcept : socket_(other.socket_) { other.socket_ = nullptr; }
  Socket& operator=(Socket&&) = delete;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  [[nodiscard]] void* get() const noexcept { return socket_; }
  [[nodiscard]] bool valid() const noexcept { return socket_ != nullptr; }

  Result<void> set(int option, int value, std::string_view what);
  Result<void> set(int option, std::span<const std::byte> value, std::string_view what);
  Result<void> set(int option, std::string_view value, std::string_view what);
  Result<void> bind(const std::string& endpoint);
  Result<void> connect(const std::string& endpoint);

  // Sends the parts as one message. EAGAIN with `dontwait` when it would block; EHOSTUNREACH for
  // an unknown ROUTER peer.
  [[nodiscard]] int send(std::span<const std::span<const std::byte>> parts, bool dontwait);
  // Sends `head` and then `tail` as one two-part message without copying `tail`: ZeroMQ reads
  // it until the message is written to the connection (or dropped), then calls free_fn. The
  // caller keeps `tail` valid until then.
  [[nodiscard]] int send_borrowing(std::span<const std::byte> head, std::span<const std::byte> tail,
                                   zmq_free_fn* free_fn, bool dontwait);
  // Receives one whole message; EAGAIN with `dontwait` when none is there.
  [[nodiscard]] int receive(Frames& out, bool dontwait);

 private:
  void* socket_;
};

[[nodiscard]] std::string zmq_reason(int code);

}  // namespace ipckit::bridge::detail
