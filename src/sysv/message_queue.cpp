#include "ipckit/sysv/message_queue.hpp"

#include <fmt/core.h>
#include <sys/msg.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <utility>

#include "core/syscall.hpp"
#include "sysv/remove_by_id.hpp"

namespace ipckit::sysv {

namespace {

constexpr mode_t kPermissionBits = 0777;

// A struct msgbuf of any size: the long mtype, then the text. Built from longs so that mtype is
// aligned for the kernel's read.
class MsgBuffer {
 public:
  explicit MsgBuffer(std::size_t text_size)
      : words_(1 + (text_size + sizeof(long) - 1) / sizeof(long)) {}

  void* get() noexcept { return words_.data(); }
  long& type() noexcept { return words_[0]; }
  std::byte* text() noexcept { return reinterpret_cast<std::byte*>(words_.data() + 1); }

 private:
  std::vector<long> words_;
};

Result<msqid_ds> stat_raw(MsqId id) {
  msqid_ds ds{};
  if (::msgctl(id.value, IPC_STAT, &ds) != 0) return fail_errno("msgctl", id.describe());
  return ds;
}

Result<void> set_raw(MsqId id, msqid_ds& ds) {
  if (::msgctl(id.value, IPC_SET, &ds) != 0) return fail_errno("msgctl", id.describe());
  return {};
}

std::unexpected<Error> bad_mode(const char* operation, const std::string& object, mode_t mode) {
  return fail(EINVAL, operation, object, fmt::format("mode {:#o} has bits outside 0777", mode));
}

}  // namespace

Result<MessageQueue> MessageQueue::create(Key key, mode_t mode, Exclusive exclusive) {
  if ((mode & ~kPermissionBits) != 0) return bad_mode("msgget", key.describe(), mode);
  int flags = IPC_CREAT | static_cast<int>(mode);
  if (exclusive == Exclusive::kYes) flags |= IPC_EXCL;
  const int id = ::msgget(key.value(), flags);
  if (id < 0) return fail_errno("msgget", key.describe());
  return MessageQueue(MsqId(id));
}

Result<MessageQueue> MessageQueue::open(Key key) {
  // msgget(IPC_PRIVATE, ...) would create a new queue instead of finding one.
  if (key.is_private()) {
    return fail(EINVAL, "msgget", key.describe(), "IPC_PRIVATE names no existing queue");
  }
  const int id = ::msgget(key.value(), 0);
  if (id < 0) return fail_errno("msgget", key.describe());
  return MessageQueue(MsqId(id));
}

Result<MessageQueue> MessageQueue::from_id(MsqId id) {
  auto ds = stat_raw(id);
  if (!ds) return std::unexpected(std::move(ds.error()));
  return MessageQueue(id);
}

Result<void> MessageQueue::send(long type, std::span<const std::byte> data, Wait wait) const {
  if (type <= 0) {
    return fail(EINVAL, "msgsnd", id_.describe(),
                fmt::format("message type {} is not greater than 0", type));
  }
  MsgBuffer buf(data.size());
  buf.type() = type;
  if (!data.empty()) std::memcpy(buf.text(), data.data(), data.size());
  const int flags = wait == Wait::kNoWait ? IPC_NOWAIT : 0;
  // msgsnd queues all or nothing, so a restart after EINTR repeats no partial effect.
  const int rc =
      detail::retry_eintr([&] { return ::msgsnd(id_.value, buf.get(), data.size(), flags); });
  if (rc != 0) return fail_errno("msgsnd", id_.describe());
  return {};
}

Result<void> MessageQueue::send(long type, std::string_view text, Wait wait) const {
  return send(type, std::as_bytes(std::span(text)), wait);
}

Result<Message> MessageQueue::receive(const ReceiveOptions& options) const {
  if (options.except && options.type <= 0) {
    return fail(EINVAL, "msgrcv", id_.describe(),
                fmt::format("MSG_EXCEPT needs a type greater than 0, not {}", options.type));
  }
  if (options.max_size > static_cast<std::size_t>(LONG_MAX)) {
    return fail(EINVAL, "msgrcv", id_.describe(),
                fmt::format("max_size {} exceeds LONG_MAX", options.max_size));
  }
  int flags = 0;
  if (options.wait == Wait::kNoWait) flags |= IPC_NOWAIT;
  if (options.except) flags |= MSG_EXCEPT;
  if (options.truncate) flags |= MSG_NOERROR;
  MsgBuffer buf(options.max_size);
  // msgrcv dequeues nothing unless it succeeds, so a restart after EINTR is safe.
  const ssize_t n = detail::retry_eintr(
      [&] { return ::msgrcv(id_.value, buf.get(), options.max_size, options.type, flags); });
  if (n < 0) return fail_errno("msgrcv", id_.describe());
  const std::byte* text = buf.text();
  return Message{.type = buf.type(),
                 .data = std::vector<std::byte>(text, text + static_cast<std::size_t>(n))};
}

Result<MsqStat> MessageQueue::stat() const {
  auto ds = stat_raw(id_);
  if (!ds) return std::unexpected(std::move(ds.error()));
  return MsqStat{
      .key = Key(ds->msg_perm.__key),
      .bytes = ds->__msg_cbytes,
      .messages = ds->msg_qnum,
      .max_bytes = ds->msg_qbytes,
      .lspid = ds->msg_lspid,
      .lrpid = ds->msg_lrpid,
      .stime = ds->msg_stime,
      .rtime = ds->msg_rtime,
      .ctime = ds->msg_ctime,
      .mode = static_cast<mode_t>(ds->msg_perm.mode & kPermissionBits),
      .uid = ds->msg_perm.uid,
      .gid = ds->msg_perm.gid,
      .cuid = ds->msg_perm.cuid,
      .cgid = ds->msg_perm.cgid,
  };
}

Result<void> MessageQueue::set_max_bytes(std::size_t bytes) const {
  auto ds = stat_raw(id_);
  if (!ds) return std::unexpected(std::move(ds.error()));
  ds->msg_qbytes = bytes;
  return set_raw(id_, *ds);
}

Result<void> MessageQueue::set_mode(mode_t mode) const {
  if ((mode & ~kPermissionBits) != 0) return bad_mode("msgctl", id_.describe(), mode);
  auto ds = stat_raw(id_);
  if (!ds) return std::unexpected(std::move(ds.error()));
  ds->msg_perm.mode = static_cast<decltype(ds->msg_perm.mode)>(mode);
  return set_raw(id_, *ds);
}

Result<void> MessageQueue::remove() const {
  if (::msgctl(id_.value, IPC_RMID, nullptr) != 0) return fail_errno("msgctl", id_.describe());
  return {};
}

Result<void> MessageQueue::remove(MsqId id) {
  return detail::removed_by_id(::msgctl(id.value, IPC_RMID, nullptr), "msgctl", id,
                               "message queue");
}

Result<void> MessageQueue::remove(Key key) {
  if (key.is_private()) {
    return fail(EINVAL, "msgget", key.describe(), "IPC_PRIVATE names no existing queue");
  }
  const int id = ::msgget(key.value(), 0);
  if (id < 0) return fail_errno("msgget", key.describe());
  return remove(MsqId(id));
}

}  // namespace ipckit::sysv
