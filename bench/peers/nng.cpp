// ipckit-bench-nng: nng pair0 sockets over ipc:// (libnng).
//
// Lossless as configured: pair0 with the default infinite send timeout blocks the sender while
// the peer's queue is full (never drops); NNG_OPT_RECVMAXSZ is lifted (1 MiB messages); and
// since nng_close() may discard messages still queued, A's endpoint waits before closing until B
// has closed its end (at most kCloseWait), so A's end message is always delivered. B listens, A
// dials once B's socket file exists. Each process opens its socket after fork().
#include <nng/nng.h>
#include <nng/protocol/pair0/pair.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include "harness/peer_main.hpp"
#include "harness/runner.hpp"
#include "private_dir.hpp"

namespace ipckit::bench {
namespace {

// How long A waits for B to bind, and before closing for B to close.
constexpr std::chrono::seconds kCloseWait{10};

std::unexpected<Error> nng_fail(int rv, std::string operation, const std::string& address) {
  return fail(EIO, std::move(operation), address, nng_strerror(rv));
}

class NngEndpoint final : public Endpoint {
 public:
  static Result<std::unique_ptr<Endpoint>> open(const std::filesystem::path& path, Role role) {
    const std::string address = "ipc://" + path.string();
    if (role == Role::kA) {
      if (auto bound = wait_until_exists(path, kCloseWait); !bound)
        return std::unexpected(bound.error());
    }
    auto self = std::unique_ptr<NngEndpoint>(new NngEndpoint(address, role));
    if (int rv = nng_pair0_open(&self->socket_); rv != 0)
      return nng_fail(rv, "nng_pair0_open", address);
    self->opened_ = true;
    if (int rv = nng_setopt_size(self->socket_, NNG_OPT_RECVMAXSZ, 0); rv != 0)
      return nng_fail(rv, "nng_setopt(recv-size-max)", address);
    if (int rv = nng_pipe_notify(self->socket_, NNG_PIPE_EV_REM_POST, &NngEndpoint::on_pipe_gone,
                                 self.get());
        rv != 0)
      return nng_fail(rv, "nng_pipe_notify", address);
    int rv = role == Role::kB ? nng_listen(self->socket_, address.c_str(), nullptr, 0)
                              : nng_dial(self->socket_, address.c_str(), nullptr, 0);
    if (rv != 0) return nng_fail(rv, role == Role::kB ? "nng_listen" : "nng_dial", address);
    return self;
  }
  ~NngEndpoint() override {
    if (incoming_ != nullptr) nng_msg_free(incoming_);
    if (outgoing_ != nullptr) nng_msg_free(outgoing_);
    if (!opened_) return;
    if (role_ == Role::kA && sent_any_) {
      std::unique_lock lock(mutex_);
      gone_cv_.wait_for(lock, kCloseWait, [&] { return peer_gone_; });
    }
    nng_close(socket_);
  }

  Result<std::span<std::byte>> prepare(std::size_t size) override {
    if (outgoing_ != nullptr) nng_msg_free(outgoing_);
    outgoing_ = nullptr;
    if (int rv = nng_msg_alloc(&outgoing_, size); rv != 0)
      return nng_fail(rv, "nng_msg_alloc", address_);
    return std::span<std::byte>(static_cast<std::byte*>(nng_msg_body(outgoing_)), size);
  }
  Result<void> send(std::size_t size) override {
    if (outgoing_ == nullptr || nng_msg_len(outgoing_) != size)
      return fail(EINVAL, "nng_sendmsg", address_, "send() without a matching prepare()");
    if (int rv = nng_sendmsg(socket_, outgoing_, 0); rv != 0)
      return nng_fail(rv, "nng_sendmsg", address_);
    outgoing_ = nullptr;  // nng owns it now
    sent_any_ = true;
    return {};
  }
  Result<std::span<const std::byte>> receive() override {
    release();
    if (int rv = nng_recvmsg(socket_, &incoming_, 0); rv != 0) {
      incoming_ = nullptr;
      return nng_fail(rv, "nng_recvmsg", address_);
    }
    return std::span<const std::byte>(static_cast<const std::byte*>(nng_msg_body(incoming_)),
                                      nng_msg_len(incoming_));
  }
  void release() override {
    if (incoming_ != nullptr) nng_msg_free(incoming_);
    incoming_ = nullptr;
  }

 private:
  NngEndpoint(std::string address, Role role) : address_(std::move(address)), role_(role) {}
  static void on_pipe_gone(nng_pipe, nng_pipe_ev, void* arg) {
    auto* self = static_cast<NngEndpoint*>(arg);
    std::lock_guard lock(self->mutex_);
    self->peer_gone_ = true;
    self->gone_cv_.notify_all();
  }

  std::string address_;
  Role role_;
  nng_socket socket_ = NNG_SOCKET_INITIALIZER;
  bool opened_ = false;
  bool sent_any_ = false;
  nng_msg* incoming_ = nullptr;
  nng_msg* outgoing_ = nullptr;
  std::mutex mutex_;
  std::condition_variable gone_cv_;
  bool peer_gone_ = false;  // B's end of the pipe went away (nng's thread sets it)
};

class NngLink final : public Link {
 public:
  explicit NngLink(PrivateDir dir) : dir_(std::move(dir)) {}
  Result<std::unique_ptr<Endpoint>> open(Role role, int /*index*/) override {
    return NngEndpoint::open(dir_.path() / "pair0.sock", role);
  }

 private:
  PrivateDir dir_;  // the socket file B listens on lives here and goes with it
};

Mechanism nng_mechanism() {
  return link_mechanism("nng",
                        std::string("nng ") + nng_version() +
                            ", pair0 over ipc://; lossless: blocking send (no send timeout), the "
                            "sender closes only after the receiver",
                        [](const Cell&) -> Result<std::unique_ptr<Link>> {
                          auto dir = PrivateDir::make("nng");
                          if (!dir) return std::unexpected(dir.error());
                          return std::make_unique<NngLink>(std::move(*dir));
                        });
}

}  // namespace
}  // namespace ipckit::bench

int main(int argc, char** argv) {
  return ipckit::bench::peer_main(argc, argv, ipckit::bench::nng_mechanism());
}
