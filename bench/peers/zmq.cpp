// ipckit-bench-zmq: ZeroMQ PAIR sockets over ipc:// (libzmq).
//
// Lossless as configured: PAIR blocks the sender at the high-water mark (never drops), and
// ZMQ_LINGER -1 makes closing wait until every queued message is handed to the peer's kernel
// socket. That is not enough: when A's connection closes, B's PAIR drops what its I/O thread had
// read but B had not yet received (a throughput round in about 50 on a loaded machine lost its
// tail, end message included, and B waited for it forever). So B, done, sends one empty message
// and A closes only once it has it (at most kCloseWait), as the nng peer waits for B's close. B
// binds, A connects once the socket file exists; latency replies go back over the same PAIR socket.
// The Link owns a private directory for the socket file; each process makes its own zmq context
// after fork() (contexts must not cross a fork).
#include <zmq.h>

#include <cerrno>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "harness/peer_main.hpp"
#include "harness/runner.hpp"
#include "private_dir.hpp"

namespace ipckit::bench {
namespace {

constexpr std::chrono::seconds kBindWait{20};
// How long A waits, before closing, for B's empty "done" message, and B for A to take it.
constexpr std::chrono::seconds kCloseWait{10};

std::unexpected<Error> zmq_fail(std::string operation, const std::string& endpoint) {
  int code = zmq_errno();
  return fail(code, std::move(operation), endpoint, zmq_strerror(code));
}

class ZmqEndpoint final : public Endpoint {
 public:
  static Result<std::unique_ptr<Endpoint>> open(const std::filesystem::path& path, Role role) {
    const std::string address = "ipc://" + path.string();
    if (role == Role::kA) {
      if (auto bound = wait_until_exists(path, kBindWait); !bound)
        return std::unexpected(bound.error());
    }
    auto self = std::unique_ptr<ZmqEndpoint>(new ZmqEndpoint(address, role));
    self->context_ = zmq_ctx_new();
    if (self->context_ == nullptr) return zmq_fail("zmq_ctx_new", address);
    self->socket_ = zmq_socket(self->context_, ZMQ_PAIR);
    if (self->socket_ == nullptr) return zmq_fail("zmq_socket", address);
    int linger = -1;  // close() delivers everything queued
    if (zmq_setsockopt(self->socket_, ZMQ_LINGER, &linger, sizeof linger) != 0)
      return zmq_fail("zmq_setsockopt(ZMQ_LINGER)", address);
    int rc = role == Role::kB ? zmq_bind(self->socket_, address.c_str())
                              : zmq_connect(self->socket_, address.c_str());
    if (rc != 0) return zmq_fail(role == Role::kB ? "zmq_bind" : "zmq_connect", address);
    return self;
  }
  ~ZmqEndpoint() override {
    zmq_msg_close(&incoming_);
    if (socket_ != nullptr) {
      finish();
      zmq_close(socket_);
    }
    if (context_ != nullptr) zmq_ctx_term(context_);  // waits for the linger above
  }

  Result<std::span<std::byte>> prepare(std::size_t size) override {
    if (outgoing_.size() < size) outgoing_.resize(size);
    return std::span<std::byte>(outgoing_.data(), size);
  }
  Result<void> send(std::size_t size) override {
    sent_any_ = true;
    while (zmq_send(socket_, outgoing_.data(), size, 0) < 0) {
      if (zmq_errno() != EINTR) return zmq_fail("zmq_send", address_);
    }
    return {};
  }
  Result<std::span<const std::byte>> receive() override {
    zmq_msg_close(&incoming_);
    zmq_msg_init(&incoming_);
    while (zmq_msg_recv(&incoming_, socket_, 0) < 0) {
      if (zmq_errno() != EINTR) return zmq_fail("zmq_msg_recv", address_);
    }
    return std::span<const std::byte>(static_cast<const std::byte*>(zmq_msg_data(&incoming_)),
                                      zmq_msg_size(&incoming_));
  }

 private:
  ZmqEndpoint(std::string address, Role role) : address_(std::move(address)), role_(role) {
    zmq_msg_init(&incoming_);
  }

  // B: one empty message, after its last receive. A: closes once it has it (messages before it,
  // none in a clean round, are skipped), or after kCloseWait.
  void finish() {
    int wait_ms = static_cast<int>(std::chrono::milliseconds(kCloseWait).count());
    if (role_ == Role::kB) {
      zmq_setsockopt(socket_, ZMQ_SNDTIMEO, &wait_ms, sizeof wait_ms);
      zmq_setsockopt(socket_, ZMQ_LINGER, &wait_ms, sizeof wait_ms);
      while (zmq_send(socket_, "", 0, 0) < 0 && zmq_errno() == EINTR) {
      }
    } else if (sent_any_) {
      zmq_setsockopt(socket_, ZMQ_RCVTIMEO, &wait_ms, sizeof wait_ms);
      for (;;) {
        const int n = zmq_recv(socket_, nullptr, 0, 0);
        if (n == 0 || (n < 0 && zmq_errno() != EINTR)) break;
      }
    }
  }
  std::string address_;
  Role role_;
  bool sent_any_ = false;
  void* context_ = nullptr;
  void* socket_ = nullptr;
  zmq_msg_t incoming_;
  std::vector<std::byte> outgoing_;
};

class ZmqLink final : public Link {
 public:
  explicit ZmqLink(PrivateDir dir) : dir_(std::move(dir)) {}
  Result<std::unique_ptr<Endpoint>> open(Role role, int /*index*/) override {
    return ZmqEndpoint::open(dir_.path() / "pair.sock", role);
  }

 private:
  PrivateDir dir_;  // the socket file B binds lives here and goes with it
};

Mechanism zmq_mechanism() {
  int major = 0, minor = 0, patch = 0;
  zmq_version(&major, &minor, &patch);
  return link_mechanism("zmq",
                        "libzmq " + std::to_string(major) + "." + std::to_string(minor) + "." +
                            std::to_string(patch) +
                            ", PAIR over ipc://; lossless: PAIR blocks at the high-water mark, "
                            "ZMQ_LINGER -1, A closes after B's done message",
                        [](const Cell&) -> Result<std::unique_ptr<Link>> {
                          auto dir = PrivateDir::make("zmq");
                          if (!dir) return std::unexpected(dir.error());
                          return std::make_unique<ZmqLink>(std::move(*dir));
                        });
}

}  // namespace
}  // namespace ipckit::bench

int main(int argc, char** argv) {
  return ipckit::bench::peer_main(argc, argv, ipckit::bench::zmq_mechanism());
}
