#include "bridge/zmq.hpp"

#include <fmt/core.h>

#include <cerrno>
#include <cstring>

namespace ipckit::bridge::detail {

Context::Context() : ctx_(zmq_ctx_new()) {
  // Blocking calls restarted by a signal would hide our stop flag: let them fail with EINTR.
  zmq_ctx_set(ctx_, ZMQ_BLOCKY, 0);
}

Context::~Context() {
  if (ctx_ != nullptr) zmq_ctx_term(ctx_);
}

Socket::Socket(Context& context, int type) : socket_(zmq_socket(context.get(), type)) {
  if (socket_ != nullptr) {
    const int linger = 0;  // unacknowledged data is the source ring's to keep, not ZeroMQ's
    zmq_setsockopt(socket_, ZMQ_LINGER, &linger, sizeof linger);
  }
}

Socket::~Socket() {
  if (socket_ != nullptr) zmq_close(socket_);
}

std::string zmq_reason(int code) {
  return zmq_strerror(code);
}

Result<void> Socket::set(int option, int value, std::string_view what) {
  if (zmq_setsockopt(socket_, option, &value, sizeof value) != 0) {
    return fail(zmq_errno(), "zmq_setsockopt", std::string(what));
  }
  return {};
}

Result<void> Socket::set(int option, std::span<const std::byte> value, std::string_view what) {
  if (zmq_setsockopt(socket_, option, value.data(), value.size()) != 0) {
    return fail(zmq_errno(), "zmq_setsockopt", std::string(what));
  }
  return {};
}

Result<void> Socket::set(int option, std::string_view value, std::string_view what) {
  return set(option, std::as_bytes(std::span(value.data(), value.size())), what);
}

Result<void> Socket::bind(const std::string& endpoint) {
  if (zmq_bind(socket_, endpoint.c_str()) != 0) {
    const int e = zmq_errno();
    return fail(e, "zmq_bind", endpoint, zmq_reason(e));
  }
  return {};
}

Result<void> Socket::connect(const std::string& endpoint) {
  if (zmq_connect(socket_, endpoint.c_str()) != 0) {
    const int e = zmq_errno();
    return fail(e, "zmq_connect", endpoint, zmq_reason(e));
  }
  return {};
}

int Socket::send(std::span<const std::span<const std::byte>> parts, bool dontwait) {
  for (std::size_t i = 0; i < parts.size(); ++i) {
    int flags = dontwait ? ZMQ_DONTWAIT : 0;
    if (i + 1 < parts.size()) flags |= ZMQ_SNDMORE;
    // Only the first part can fail with EAGAIN: ZeroMQ takes the rest of a message once it took
    // its first part.
    if (zmq_send(socket_, parts[i].data(), parts[i].size(), flags) < 0) return zmq_errno();
  }
  return 0;
}

int Socket::send_borrowing(std::span<const std::byte> head, std::span<const std::byte> tail,
                           zmq_free_fn* free_fn, bool dontwait) {
  if (zmq_send(socket_, head.data(), head.size(), (dontwait ? ZMQ_DONTWAIT : 0) | ZMQ_SNDMORE) <
      0) {
    return zmq_errno();
  }
  zmq_msg_t msg;
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-const-cast): ZeroMQ only reads a message's data
  zmq_msg_init_data(&msg, const_cast<std::byte*>(tail.data()), tail.size(), free_fn, nullptr);
  if (zmq_msg_send(&msg, socket_, 0) < 0) {  // the rest of a started message is always taken
    const int e = zmq_errno();
    zmq_msg_close(&msg);
    return e;
  }
  return 0;
}

Frames::Frames() noexcept {
  for (auto& m : msgs_)
    zmq_msg_init(&m);
}

Frames::~Frames() {
  for (auto& m : msgs_)
    zmq_msg_close(&m);
}

void Frames::clear() noexcept {
  for (int i = 0; i < count_; ++i) {
    zmq_msg_close(&msgs_[i]);
    zmq_msg_init(&msgs_[i]);
  }
  count_ = 0;
  overflowed_ = false;
}

std::span<const std::byte> Frames::part(int i) noexcept {
  return {static_cast<const std::byte*>(zmq_msg_data(&msgs_[i])), zmq_msg_size(&msgs_[i])};
}

int Socket::receive(Frames& out, bool dontwait) {
  out.clear();
  zmq_msg_t extra;
  zmq_msg_init(&extra);
  for (;;) {
    zmq_msg_t* into = out.count_ < Frames::kMaxParts ? &out.msgs_[out.count_] : &extra;
    const bool first = out.count_ == 0 && !out.overflowed_;
    if (zmq_msg_recv(into, socket_, dontwait && first ? ZMQ_DONTWAIT : 0) < 0) {
      const int e = zmq_errno();
      if (!first && e == EINTR) continue;  // finish the message we started
      zmq_msg_close(&extra);
      out.clear();
      return e;
    }
    const bool more = zmq_msg_more(into) != 0;
    if (into == &extra) {
      out.overflowed_ = true;
    } else {
      ++out.count_;
    }
    if (!more) break;
  }
  zmq_msg_close(&extra);
  return 0;
}

}  // namespace ipckit::bridge::detail
