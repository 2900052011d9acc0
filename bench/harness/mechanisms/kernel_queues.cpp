// sysv-msg and posix-mq: the kernel's message queues. Each message is one msgsnd/mq_send and one
// msgrcv/mq_receive, whole, with no framing.
//
// sysv-msg: one private queue (IPC_PRIVATE: no key to collide with), A->B as type 1 and B->A as
// type 2, made and removed (IPC_RMID) by the parent's Link; the data path is raw msgsnd(2) and
// msgrcv(2) into buffers made once (ipckit::sysv::MessageQueue allocates per call, which would
// measure the allocator). Limits: kernel.msgmax (largest message) and kernel.msgmnb (the queue's
// bytes); above them the cell is marked.
//
// posix-mq: two queues (one per direction) made through ipckit::posix::MessageQueue and unlinked
// as soon as they are open, so nothing named outlives the Link; the data path is the library's
// send() and receive_into() (one mq_send/mq_receive each, no allocation). Whether a size fits
// (fs.mqueue.msgsize_max without CAP_SYS_RESOURCE, RLIMIT_MSGQUEUE) is found by making the queues.
#include <sys/msg.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <vector>

#include "harness/janitor.hpp"
#include "harness/mechanisms/kernel_common.hpp"
#include "ipckit/posix/mqueue.hpp"
#include "ipckit/sysv/message_queue.hpp"

namespace ipckit::bench::kernel {
namespace {

// ---- sysv-msg ----

class SysvMsgEndpoint final : public Endpoint {
 public:
  SysvMsgEndpoint(int id, long send_type, long receive_type, std::size_t size)
      : id_(id),
        send_type_(send_type),
        receive_type_(receive_type),
        capacity_(size),
        out_(words(size)),
        in_(words(size)) {}

  Result<std::span<std::byte>> prepare(std::size_t size) override {
    if (size > capacity_) return fail(EMSGSIZE, "prepare", what(), "larger than the cell's size");
    return std::span<std::byte>(text(out_), size);
  }

  Result<void> send(std::size_t size) override {
    out_[0] = send_type_;
    while (::msgsnd(id_, out_.data(), size, 0) != 0)
      if (errno != EINTR) return fail_errno("msgsnd", what());
    return {};
  }

  Result<std::span<const std::byte>> receive() override {
    for (;;) {
      const ssize_t n = ::msgrcv(id_, in_.data(), capacity_, receive_type_, 0);
      if (n >= 0) return std::span<const std::byte>(text(in_), static_cast<std::size_t>(n));
      if (errno != EINTR) return fail_errno("msgrcv", what());
    }
  }

 private:
  // struct msgbuf: a long mtype, then the text; built from longs so mtype is aligned.
  static std::size_t words(std::size_t size) {
    return 1 + (size + sizeof(long) - 1) / sizeof(long);
  }
  static std::byte* text(std::vector<long>& buffer) {
    return reinterpret_cast<std::byte*>(buffer.data() + 1);
  }
  std::string what() const { return "sysv-msg id " + std::to_string(id_); }

  int id_;
  long send_type_, receive_type_;
  std::size_t capacity_;
  std::vector<long> out_, in_;
};

class SysvMsgLink final : public Link {
 public:
  SysvMsgLink(sysv::MessageQueue queue, std::size_t size) : queue_(queue), size_(size) {}
  ~SysvMsgLink() override {
    if (!owner_.is_this_process()) return;
    (void)queue_.remove();
    janitor::forget(janitor::Kind::kSysvMsg, std::to_string(queue_.id().value));
  }

  Result<std::unique_ptr<Endpoint>> open(Role role, int /*index*/) override {
    const bool a = role == Role::kA;
    return std::make_unique<SysvMsgEndpoint>(queue_.id().value, a ? 1 : 2, a ? 2 : 1, size_);
  }

 private:
  OwnerPid owner_;
  sysv::MessageQueue queue_;
  std::size_t size_;
};

Result<std::unique_ptr<Link>> make_sysv_msg_link(const Cell& cell) {
  auto queue = sysv::MessageQueue::create(sysv::Key::private_key(), 0600);
  if (!queue) return std::unexpected(queue.error());
  janitor::remember(janitor::Kind::kSysvMsg, std::to_string(queue->id().value));
  return std::make_unique<SysvMsgLink>(*queue, cell.size);
}

std::optional<std::string> sysv_msg_cannot(const Cell& cell) {
  const auto msgmax = read_proc_long("/proc/sys/kernel/msgmax");
  const auto msgmnb = read_proc_long("/proc/sys/kernel/msgmnb");
  const auto size = static_cast<long>(cell.size);
  if (msgmax && size > *msgmax)
    return "sysv-msg: a " + std::to_string(size) +
           "-byte message is above kernel.msgmax = " + std::to_string(*msgmax);
  if (msgmnb && size > *msgmnb)
    return "sysv-msg: a " + std::to_string(size) +
           "-byte message is above a queue's capacity, kernel.msgmnb = " + std::to_string(*msgmnb);
  return std::nullopt;
}

// ---- posix-mq ----

class PosixMqEndpoint final : public Endpoint {
 public:
  PosixMqEndpoint(const posix::MessageQueue& out, const posix::MessageQueue& in, std::size_t size)
      : out_(out),
        in_(in),
        out_buffer_(size),
        in_buffer_(static_cast<std::size_t>(in.message_size())) {}

  Result<std::span<std::byte>> prepare(std::size_t size) override {
    if (out_buffer_.size() < size) out_buffer_.resize(size);
    return std::span<std::byte>(out_buffer_.data(), size);
  }

  Result<void> send(std::size_t size) override {
    return out_.send(std::span<const std::byte>(out_buffer_.data(), size));
  }

  Result<std::span<const std::byte>> receive() override {
    auto got = in_.receive_into(in_buffer_);
    if (!got) return std::unexpected(got.error());
    return std::span<const std::byte>(in_buffer_.data(), got->size);
  }

 private:
  const posix::MessageQueue& out_;
  const posix::MessageQueue& in_;
  std::vector<std::byte> out_buffer_, in_buffer_;
};

class PosixMqLink final : public Link {
 public:
  PosixMqLink(posix::MessageQueue ab, posix::MessageQueue ba, std::size_t size)
      : ab_(std::move(ab)), ba_(std::move(ba)), size_(size) {}

  Result<std::unique_ptr<Endpoint>> open(Role role, int /*index*/) override {
    if (role == Role::kA) return std::make_unique<PosixMqEndpoint>(ab_, ba_, size_);
    return std::make_unique<PosixMqEndpoint>(ba_, ab_, size_);
  }

 private:
  posix::MessageQueue ab_, ba_;
  std::size_t size_;
};

// Up to 10 messages queued per direction (the usual default), fewer for large messages so the
// two queues stay within a small part of RLIMIT_MSGQUEUE.
long mq_depth(std::size_t size) {
  constexpr std::size_t kBudget = 256 * 1024;
  return static_cast<long>(std::clamp<std::size_t>(kBudget / size, 1, 10));
}

Result<posix::MessageQueue> make_unlinked_queue(std::size_t size) {
  posix::MqCreateOptions options;
  options.limits =
      posix::MqLimits{.max_messages = mq_depth(size), .message_size = static_cast<long>(size)};
  const std::string name = "/" + unique_name("mq");
  janitor::remember(janitor::Kind::kPosixMq, name);
  auto queue = posix::MessageQueue::create(name, options);
  auto unlinked = queue ? posix::MessageQueue::unlink(name) : Result<void>{};
  janitor::forget(janitor::Kind::kPosixMq, name);
  if (!queue) return std::unexpected(queue.error());
  if (!unlinked) return std::unexpected(unlinked.error());
  return queue;
}

Result<std::unique_ptr<Link>> make_posix_mq_link(const Cell& cell) {
  auto ab = make_unlinked_queue(cell.size);
  if (!ab) return std::unexpected(ab.error());
  auto ba = make_unlinked_queue(cell.size);
  if (!ba) return std::unexpected(ba.error());
  return std::make_unique<PosixMqLink>(std::move(*ab), std::move(*ba), cell.size);
}

std::optional<std::string> posix_mq_cannot(const Cell& cell) {
  auto link = make_posix_mq_link(cell);
  if (link) return std::nullopt;
  return "posix-mq: queues of " + std::to_string(cell.size) +
         "-byte messages cannot be made here: " + link.error().message();
}

}  // namespace

Mechanism sysv_msg_mechanism() {
  return link_mechanism("sysv-msg",
                        "one private System V queue, type 1 for A->B and 2 for B->A; raw "
                        "msgsnd/msgrcv; default capacity (kernel.msgmnb)",
                        make_sysv_msg_link, sysv_msg_cannot);
}

Mechanism posix_mq_mechanism() {
  return link_mechanism("posix-mq",
                        "two POSIX queues (one per direction, up to 10 messages deep, fewer for "
                        "large messages), unlinked once open; mq_send/mq_receive",
                        make_posix_mq_link, posix_mq_cannot);
}

}  // namespace ipckit::bench::kernel
