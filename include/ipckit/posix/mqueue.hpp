// ipckit::posix::MessageQueue: a POSIX message queue (mq_open(3), mq_send(3), mq_receive(3),
// mq_notify(3), mq_getattr(3), mq_unlink(3)), and the listing of queues through the mqueue
// filesystem (/dev/mqueue).
//
// What it is: a named kernel queue of at most max_messages messages, each of 0..message_size
// bytes with a priority (0..32767). Receivers always get the oldest message of the highest
// priority. The name and the queued messages live until mq_unlink(3) (or reboot), whatever
// happens to the processes that made or used the queue: a sender that dies leaves the messages
// it sent; a receiver that dies mid-call takes nothing (each call moves one whole message).
//
// Names (posix::check_name, ipckit/posix/name.hpp, NameKind::kMessageQueue): "name" and "/name"
// mean the same queue; ipckit works with "/name" (name() returns it, errors show it). No other
// '/', at most 255 bytes after the slash, not "." or "..". A bad name fails with EINVAL
// (ENAMETOOLONG when too long) before any syscall.
//
// Ownership: a MessageQueue owns one queue descriptor (on Linux an mqd_t is a file descriptor,
// so mq_close(3) is close(2); it is close-on-exec) and closes it when destroyed; it is
// move-only. It never unlinks the name by itself: removal is an explicit unlink().
//
// Limits: a new queue's capacity is bounded by /proc/sys/fs/mqueue/msg_max and msgsize_max
// (unless the caller has CAP_SYS_RESOURCE), the number of queues by queues_max, and the memory of
// all of a user's queues by RLIMIT_MSGQUEUE (`ulimit -q`, 819200 bytes by default, which binds
// root too). When create() hits one, its error names the file or limit and its value, e.g.
// "mq_open(/q): max_messages 11 exceeds /proc/sys/fs/mqueue/msg_max (10) ...".
//
// Blocking and time: send() and receive() block while the queue is full or empty (unless the
// descriptor is non-blocking: then EAGAIN). They are restarted after EINTR: a signal does not
// wake a blocked caller. The *_for() calls wait at most a relative timeout, measured on
// CLOCK_MONOTONIC; each attempt hands mq_timedsend/mq_timedreceive the absolute CLOCK_REALTIME
// deadline "realtime now + time left". A forward step of the realtime clock (NTP, settimeofday)
// that makes the kernel time out early is detected on the monotonic clock and the wait resumed;
// a backward step during a wait stretches it by the size of the step (the kernel's timer is
// absolute). Callers that need a strict bound can poll(2) fd() with a timeout and try_*(). The
// *_until() calls take the absolute realtime deadline as given. The try_*() calls never block:
// a full or empty queue is a result (kFull, std::nullopt), not an error.
//
// poll/epoll: fd() is readable (POLLIN) while a message is queued, writable (POLLOUT) while
// there is room.
//
// Thread safety: sends, receives and attributes() are single syscalls on the descriptor and may
// be made from any number of threads and processes at once; each message goes to exactly one
// receiver. notify*(), cancel_notify(), moving and destroying change this handle and need
// external synchronisation, like any value.
//
// Notification (mq_notify): at most one registration per queue, system-wide; it fires once, when
// a message arrives on an EMPTY queue that no receive() is waiting on, and is then gone. Linux
// quirk: closing ANY descriptor of the queue in the process that holds the registration cancels
// it (mqueue_flush_file) — including a second MessageQueue of the same name, and list_queues().
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ipckit/core/error.hpp"
#include "ipckit/core/fd.hpp"
#include "ipckit/posix/exclusive.hpp"

namespace ipckit::posix {

namespace detail {
struct MqNotifier;  // a thread notification's netlink socket and thread
                    // (src/posix/mqueue_notify.cpp)
}  // namespace detail

// Priorities are 0..kMqPriorityMax (MQ_PRIO_MAX - 1 on Linux); larger ones fail with EINVAL.
inline constexpr unsigned kMqPriorityMax = 32767;

enum class MqAccess {
  kReadOnly,   // O_RDONLY: receive only (send fails with EBADF); needs read permission
  kWriteOnly,  // O_WRONLY: send only (receive fails with EBADF); needs write permission
  kReadWrite,  // O_RDWR: both; needs read and write permission
};

enum class MqBlocking {
  kBlock,     // send/receive wait for room or a message
  kNonBlock,  // O_NONBLOCK: send/receive fail at once with EAGAIN instead of waiting
};

// The capacity of a new queue (struct mq_attr's mq_maxmsg and mq_msgsize).
struct MqLimits {
  long max_messages = 10;    // 1..msg_max (65536 with CAP_SYS_RESOURCE)
  long message_size = 8192;  // 1..msgsize_max (16 MiB with CAP_SYS_RESOURCE)
};

struct MqCreateOptions {
  mode_t mode = 0600;                     // applied exactly (fchmod after mq_open: no umask)
  Exclusive exclusive = Exclusive::kYes;  // kNo opens an existing queue instead of failing
  // nullopt (mq_open with no attributes): the kernel's defaults, /proc/sys/fs/mqueue/msg_default
  // and msgsize_default: usually 10 messages of 8192 bytes, 80 KiB of the user's
  // RLIMIT_MSGQUEUE. Give small limits when many queues are needed.
  std::optional<MqLimits> limits;
  MqAccess access = MqAccess::kReadWrite;
  MqBlocking blocking = MqBlocking::kBlock;
};

// mq_getattr(3): the queue's shape and state.
struct MqAttributes {
  long max_messages;  // mq_maxmsg
  long message_size;  // mq_msgsize: the largest message, and the smallest receive buffer
  long messages;      // mq_curmsgs: messages queued now
  bool nonblocking;   // O_NONBLOCK is set on this descriptor
};

// One received message.
struct MqMessage {
  std::vector<std::byte> data;
  unsigned priority = 0;

  // The bytes as characters. Must not outlive `data`.
  [[nodiscard]] std::string_view text() const noexcept {
    return {reinterpret_cast<const char*>(data.data()), data.size()};
  }
};

// What receive_into() put in the caller's buffer.
struct MqReceived {
  std::size_t size;  // bytes of the message, at the start of the buffer
  unsigned priority;
};

enum class MqSendResult {
  kSent,  // the message is queued
  kFull,  // the queue was full; nothing was queued
};

// The system's limits, from /proc/sys/fs/mqueue (this IPC namespace's).
struct MqSystemLimits {
  long msg_max;          // largest max_messages without CAP_SYS_RESOURCE
  long msgsize_max;      // largest message_size without CAP_SYS_RESOURCE
  long msg_default;      // max_messages of a queue created with no limits
  long msgsize_default;  // message_size of a queue created with no limits
  long queues_max;       // queues in the namespace, beyond which mq_open fails with ENOSPC
};

// Reads /proc/sys/fs/mqueue/*. Errors: ENOENT (no such file: old kernel or no /proc), EACCES.
[[nodiscard]] Result<MqSystemLimits> mqueue_system_limits();

class MessageQueue {
 public:
  // mq_open(3) with O_CREAT [| O_EXCL] and O_CLOEXEC, then (if this call created the queue)
  // fchmod(2) to options.mode, then mq_getattr(3). With Exclusive::kNo and an existing queue,
  // opens it: its mode and limits are left as they are (options.limits is ignored), and
  // created() is false (O_EXCL is tried first, so this is known).
  // REQUIRES: a valid name; mode holds permission bits only (0777); limits, if given, positive.
  // Returns: the handle. If fchmod fails, the queue this call created is unlinked again.
  // Errors: EEXIST (kYes, the name exists), EACCES (kNo, an existing queue the caller may not
  // open for `access`), EINVAL (bad name, mode or limits; limits above msg_max/msgsize_max or
  // the hard 65536 / 16 MiB: the message names the /proc/sys/fs/mqueue file and its value),
  // ENOSPC (queues_max reached), EMFILE (RLIMIT_MSGQUEUE or RLIMIT_NOFILE: the message says
  // which and its value), ENOMEM, ENFILE, ENAMETOOLONG. Man: mq_open(3), mq_overview(7).
  [[nodiscard]] static Result<MessageQueue> create(std::string_view name,
                                                   const MqCreateOptions& options = {});

  // mq_open(3) without O_CREAT (O_CLOEXEC), then mq_getattr(3): opens an existing queue.
  // REQUIRES: a valid name. Returns: the handle; created() is false.
  // Errors: ENOENT (no such queue), EACCES (no permission for `access`), EINVAL (bad name),
  // ENAMETOOLONG, EMFILE, ENFILE. Man: mq_open(3).
  [[nodiscard]] static Result<MessageQueue> open(std::string_view name,
                                                 MqAccess access = MqAccess::kReadWrite,
                                                 MqBlocking blocking = MqBlocking::kBlock);

  // mq_unlink(3): removes the name now. Open descriptors stay usable; the queue and its
  // messages go when the last one closes. A new create() of the name makes a new queue.
  // REQUIRES: a valid name. Never unlink a name your code did not create.
  // Errors: ENOENT (no such queue), EACCES (the caller neither owns the queue nor is
  // privileged: the mqueue directory is sticky), EINVAL, ENAMETOOLONG. Man: mq_unlink(3).
  [[nodiscard]] static Result<void> unlink(std::string_view name);

  MessageQueue(MessageQueue&& other) noexcept;
  // Drops this handle's own queue as the destructor does, then takes over `other`'s.
  MessageQueue& operator=(MessageQueue&& other) noexcept;
  MessageQueue(const MessageQueue&) = delete;
  MessageQueue& operator=(const MessageQueue&) = delete;
  // Stops this handle's thread notification (waiting for a running callback, unless called
  // from it), then closes the descriptor, which also ends this process's registration.
  ~MessageQueue();

  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  // The descriptor, borrowed (valid while this handle lives): poll/epoll it. Close-on-exec.
  [[nodiscard]] FdView fd() const noexcept { return fd_.view(); }
  [[nodiscard]] MqAccess access() const noexcept { return access_; }
  [[nodiscard]] bool created() const noexcept { return created_; }
  // The queue's capacity; fixed for the queue's life, read once when the handle was made.
  [[nodiscard]] long max_messages() const noexcept { return max_messages_; }
  [[nodiscard]] long message_size() const noexcept { return message_size_; }

  // mq_send(3): queues one message, waiting while the queue is full (EINTR is retried).
  // REQUIRES: data.size() <= message_size(); priority <= kMqPriorityMax; a writable handle.
  // Errors: EMSGSIZE (too large), EINVAL (priority), EAGAIN (full and non-blocking), EBADF (a
  // read-only handle). Man: mq_send(3).
  [[nodiscard]] Result<void> send(std::span<const std::byte> data, unsigned priority = 0) const;
  // mq_send(3) with the characters of `text` (no terminating NUL).
  [[nodiscard]] Result<void> send(std::string_view text, unsigned priority = 0) const;
  // mq_timedsend(3): send() that gives up after `timeout` (<= 0: one attempt). See "Blocking and
  // time" above. Errors: ETIMEDOUT (still full when the time ran out), and those of send().
  [[nodiscard]] Result<void> send_for(std::span<const std::byte> data, unsigned priority,
                                      std::chrono::nanoseconds timeout) const;
  // mq_timedsend(3) with an absolute CLOCK_REALTIME deadline (before the epoch: one attempt).
  [[nodiscard]] Result<void> send_until(std::span<const std::byte> data, unsigned priority,
                                        std::chrono::system_clock::time_point deadline) const;
  // mq_timedsend(3) with a deadline already past: queues the message if there is room, else
  // returns kFull at once, on a blocking or non-blocking handle alike.
  // Errors: those of send() except EAGAIN.
  [[nodiscard]] Result<MqSendResult> try_send(std::span<const std::byte> data,
                                              unsigned priority = 0) const;

  // mq_receive(3) into a buffer of message_size() bytes: takes the oldest message of the highest
  // priority, waiting while the queue is empty (EINTR is retried).
  // REQUIRES: a readable handle. Errors: EAGAIN (empty and non-blocking), EBADF (write-only).
  // Man: mq_receive(3).
  [[nodiscard]] Result<MqMessage> receive() const;
  // mq_receive(3) into the caller's buffer (no allocation).
  // REQUIRES: buffer.size() >= message_size() (the kernel demands room for the largest
  // message). Errors: EMSGSIZE (buffer too small: checked before the call), and as receive().
  [[nodiscard]] Result<MqReceived> receive_into(std::span<std::byte> buffer) const;
  // mq_timedreceive(3): receive() that gives up after `timeout` (<= 0: one attempt).
  // Errors: ETIMEDOUT (still empty when the time ran out), and those of receive().
  [[nodiscard]] Result<MqMessage> receive_for(std::chrono::nanoseconds timeout) const;
  // mq_timedreceive(3) with an absolute CLOCK_REALTIME deadline.
  [[nodiscard]] Result<MqMessage> receive_until(
      std::chrono::system_clock::time_point deadline) const;
  // mq_timedreceive(3) with a deadline already past: a message if one is queued, std::nullopt
  // if the queue is empty. Errors: those of receive() except EAGAIN.
  [[nodiscard]] Result<std::optional<MqMessage>> try_receive() const;

  // mq_getattr(3). Errors: EBADF (only on a moved-from handle). Man: mq_getattr(3).
  [[nodiscard]] Result<MqAttributes> attributes() const;
  // mq_setattr(3): sets or clears O_NONBLOCK, the only attribute that can change. It belongs to
  // the open file description, so descriptors inherited over fork(2) change with it.
  // Errors: EBADF (moved-from handle). Man: mq_setattr(3).
  [[nodiscard]] Result<void> set_nonblocking(bool nonblocking) const;

  // mq_notify(2) with SIGEV_THREAD: `callback` runs once, on a thread ipckit starts for this
  // registration (not glibc's: ipckit receives the kernel's netlink cookie itself, so the thread
  // is joinable and visible to sanitizers), when a message arrives on the empty queue. The
  // callback may call notify() again (re-arm: usually receive until empty first) or
  // cancel_notify(). The thread has every signal blocked. A spent earlier registration of this
  // handle is replaced: when this returns, its callback has finished or will never run (unless
  // this is called from that callback).
  // REQUIRES: no registration of this handle is pending (cancel_notify() first).
  // Errors: EBUSY (the queue already has a registration: this process's or another's), EMFILE,
  // ENOMEM, EAGAIN (no thread). Man: mq_notify(3), netlink(7).
  [[nodiscard]] Result<void> notify(std::function<void()> callback);
  // mq_notify(3) with SIGEV_SIGNAL: the kernel sends `signo` to this process (si_code
  // SI_MESGQ, si_value.sival_int = value, si_pid/si_uid of the sender). The caller installs the
  // handler or waits with sigwaitinfo(2).
  // REQUIRES: 1 <= signo <= SIGRTMAX. Errors: EBUSY, EINVAL (bad signal). Man: mq_notify(3).
  [[nodiscard]] Result<void> notify_signal(int signo, int value = 0);
  // mq_notify(3) with NULL: removes this process's registration, if it holds the queue's (the
  // kernel does nothing otherwise: another process's registration stays). When it returns, this
  // handle's thread callback has finished or will never run; called from inside that callback,
  // it only ensures the callback is not started again. Errors: EBADF (moved-from handle).
  // Man: mq_notify(3).
  [[nodiscard]] Result<void> cancel_notify();

 private:
  MessageQueue(Fd fd, std::string name, MqAccess access, bool created, long max_messages,
               long message_size) noexcept;
  // Makes `next` this handle's notifier. The old one is stopped and joined, unless we are on its
  // thread (its callback re-arms or cancels): then it is parked in retired_ and joined later.
  void replace_notifier(std::unique_ptr<detail::MqNotifier> next) noexcept;

  Fd fd_;
  std::string name_;
  MqAccess access_ = MqAccess::kReadWrite;
  bool created_ = false;
  long max_messages_ = 0;
  long message_size_ = 0;
  // Declared last: stopped before fd_ closes.
  std::unique_ptr<detail::MqNotifier> notifier_;  // the current thread registration's
  std::unique_ptr<detail::MqNotifier> retired_;   // one whose callback replaced it; to join
};

// Where an mqueue filesystem is mounted, from `mounts_file` (a /proc/mounts-format table):
// /dev/mqueue if it is one of them, else the first mqueue mount listed.
// REQUIRES: nothing. Returns: the mount point.
// Errors: ENOENT (no mqueue filesystem mounted: the message says how to mount one, "mount -t
// mqueue none /dev/mqueue"), and open errors of `mounts_file`.
[[nodiscard]] Result<std::string> mqueue_mount_point(
    const std::string& mounts_file = "/proc/mounts");

// One queue as the mqueue filesystem shows it.
struct MqEntry {
  std::string name;   // "/name"
  mode_t mode;        // permission bits
  uid_t uid;          // owner
  gid_t gid;          // owner's group
  std::size_t bytes;  // QSIZE: bytes of the queued messages
  long messages;      // mq_curmsgs
  long max_messages;  // mq_maxmsg
  long message_size;  // mq_msgsize
  pid_t notify_pid;   // NOTIFY_PID: the registered process, 0 if none
  int notify;         // NOTIFY: its sigev_notify (0 SIGEV_SIGNAL, 1 NONE, 2 THREAD); 0 if none
  int notify_signo;   // SIGNO: its signal (SIGEV_SIGNAL only)
};

// The queues listed, and one error for each queue that could not be read.
struct MqListing {
  std::vector<MqEntry> queues;  // sorted by name
  std::vector<Error> errors;    // e.g. "open(/dev/mqueue/q): Permission denied"
};

// Lists the queues of the mqueue filesystem at mqueue_mount_point(): for each file, open(2)
// (O_RDONLY: read permission needed), read(2) of its "QSIZE:... NOTIFY:..." line and
// mq_getattr(3) on that descriptor. Queues that vanish meanwhile are skipped silently.
// Caution: closing those descriptors cancels this process's own notification registrations on
// the listed queues (see the quirk above).
// Errors: those of mqueue_mount_point() (ENOENT when not mounted), and opendir(3)'s.
[[nodiscard]] Result<MqListing> list_queues();
// The same, for the mqueue filesystem mounted at `mount_point`.
[[nodiscard]] Result<MqListing> list_queues_at(const std::string& mount_point);

}  // namespace ipckit::posix
