// ipckit::sysv::MessageQueue: a System V message queue (msgget/msgsnd/msgrcv/msgctl).
//
// A MessageQueue is only a handle: the queue's id, a copyable value that owns nothing.
// Destroying it does nothing; removing the queue is always an explicit remove(). Queues live in
// the kernel until they are removed, whatever happens to the processes that made or used them,
// and so do the messages in them: a forgotten queue keeps its messages until `ipcrm` or reboot.
//
// Messages are typed (a positive long) records of 0..MSGMAX bytes (8192 by default). Each
// msgsnd/msgrcv moves one whole message atomically, so a peer that dies mid-call leaves either
// the whole message or none of it on the queue; messages it sent before dying stay queued.
// Removing a queue wakes every blocked sender and receiver with EIDRM and discards its messages.
//
// Blocking: send() and receive() with Wait::kBlock are restarted when a signal handler
// interrupts them (EINTR is retried; the kernel never restarts these two calls itself, even with
// SA_RESTART, and a restart has no partial effect to repeat). A signal therefore does not wake a
// blocked caller: send it a message, or remove the queue, instead. Wait::kNoWait never blocks.
//
// Thread safety: every call is a single syscall (or two, for the set_* calls) on an id and may
// be made from any thread at once; the kernel serialises access to the queue. A message goes to
// exactly one receiver.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <ctime>
#include <span>
#include <string_view>
#include <vector>

#include "ipckit/core/error.hpp"
#include "ipckit/sysv/ids.hpp"
#include "ipckit/sysv/key.hpp"

namespace ipckit::sysv {

// A snapshot of a queue's kernel bookkeeping (struct msqid_ds), taken by MessageQueue::stat().
struct MsqStat {
  Key key;                // IPC_PRIVATE for a queue made with the private key
  std::size_t bytes;      // msg_cbytes: bytes of message text now queued
  std::size_t messages;   // msg_qnum: messages now queued
  std::size_t max_bytes;  // msg_qbytes: the queue's capacity in bytes (and in messages)
  pid_t lspid;            // pid of the last msgsnd, 0 if none
  pid_t lrpid;            // pid of the last msgrcv, 0 if none
  std::time_t stime;      // last msgsnd, 0 if never
  std::time_t rtime;      // last msgrcv, 0 if never
  std::time_t ctime;      // creation or last IPC_SET
  mode_t mode;            // permission bits only (0777 mask)
  uid_t uid;              // owner
  gid_t gid;              // owner's group
  uid_t cuid;             // creator
  gid_t cgid;             // creator's group
};

// One received message.
struct Message {
  long type;                    // always > 0
  std::vector<std::byte> data;  // the message text (truncated if ReceiveOptions::truncate)

  // The text as characters. Must not outlive `data`.
  [[nodiscard]] std::string_view text() const noexcept {
    return {reinterpret_cast<const char*>(data.data()), data.size()};
  }
};

// Whether a send or receive may block.
enum class Wait {
  kBlock,   // wait for room (send) or a matching message (receive)
  kNoWait,  // IPC_NOWAIT: fail at once with EAGAIN (send) or ENOMSG (receive)
};

// Which message receive() takes, and what it does when there is none or it is too big.
struct ReceiveOptions {
  // 0: the first message; > 0: the first of exactly this type (with `except`, the first NOT of
  // this type); < 0: the first message of the lowest type <= |type|.
  long type = 0;
  bool except = false;          // MSG_EXCEPT; only with type > 0
  Wait wait = Wait::kBlock;     // kNoWait: IPC_NOWAIT, fail with ENOMSG when nothing matches
  std::size_t max_size = 8192;  // the largest text accepted; receive() allocates this much
  bool truncate = false;        // MSG_NOERROR: cut longer texts to max_size instead of E2BIG
};

class MessageQueue {
 public:
  // msgget(2) with IPC_CREAT (and IPC_EXCL when exclusive == kYes).
  // REQUIRES: mode holds permission bits only (0777).
  // Returns: a handle to the new queue, or with kNo to the existing one of that key.
  // Errors: EEXIST (kYes and the key exists), EACCES (kNo and an existing queue the caller may
  // not use), EINVAL (bits outside 0777), ENOSPC (MSGMNI reached).
  [[nodiscard]] static Result<MessageQueue> create(Key key, mode_t mode = 0600,
                                                   Exclusive exclusive = Exclusive::kYes);

  // msgget(2) with flags 0: looks up the existing queue of `key`. Like msgget, this checks no
  // permission: send(), receive() and stat() do.
  // REQUIRES: !key.is_private() (IPC_PRIVATE names no existing object; use from_id).
  // Returns: a handle to the queue. Errors: ENOENT (no queue has that key), EINVAL (IPC_PRIVATE).
  [[nodiscard]] static Result<MessageQueue> open(Key key);

  // msgctl(2) IPC_STAT: checks that `id` names a live queue the caller may read.
  // REQUIRES: nothing; any id is checked.
  // Returns: a handle to it. Errors: EINVAL or EIDRM (no such id, or removed), EACCES.
  [[nodiscard]] static Result<MessageQueue> from_id(MsqId id);

  [[nodiscard]] MsqId id() const noexcept { return id_; }

  // msgsnd(2): queues one message. With kBlock, waits while the queue is full and retries EINTR.
  // REQUIRES: type > 0; data.size() <= MSGMAX (/proc/sys/kernel/msgmax).
  // Returns: nothing once the message is queued. Errors: EINVAL (type <= 0, too large, or the
  // queue was removed before the call), EAGAIN (full and kNoWait), EIDRM (removed while
  // waiting), EACCES (no write permission), ENOMEM.
  [[nodiscard]] Result<void> send(long type, std::span<const std::byte> data,
                                  Wait wait = Wait::kBlock) const;
  // msgsnd(2): the same, with the characters of `text` as the message (no terminating NUL).
  [[nodiscard]] Result<void> send(long type, std::string_view text, Wait wait = Wait::kBlock) const;

  // msgrcv(2): takes the message `options` selects off the queue. With kBlock, waits until one
  // matches and retries EINTR.
  // REQUIRES: options.except only with options.type > 0; options.max_size <= LONG_MAX.
  // Returns: the message. Errors: ENOMSG (kNoWait and nothing matches), E2BIG (the selected
  // message is longer than max_size and !truncate; it stays queued), EIDRM (removed while
  // waiting), EINVAL (removed before the call, or a violated REQUIRES), EACCES (no read
  // permission).
  [[nodiscard]] Result<Message> receive(const ReceiveOptions& options = {}) const;

  // msgctl(2) IPC_STAT. REQUIRES: nothing. Returns: a snapshot of the queue's bookkeeping.
  // Errors: EINVAL or EIDRM (removed), EACCES (no read permission).
  [[nodiscard]] Result<MsqStat> stat() const;

  // msgctl(2) IPC_STAT then IPC_SET of msg_qbytes: the queue's capacity. The kernel also caps
  // the number of queued messages at this value.
  // REQUIRES: the caller owns or created the queue. Returns: nothing on success.
  // Errors: EPERM (neither owner nor creator, or bytes above MSGMNB without
  // CAP_SYS_RESOURCE), EINVAL or EIDRM (removed), EACCES (the IPC_STAT needs read permission).
  [[nodiscard]] Result<void> set_max_bytes(std::size_t bytes) const;

  // msgctl(2) IPC_STAT then IPC_SET: replaces the permission bits, keeping owner and group.
  // REQUIRES: mode holds permission bits only (0777). Errors: as set_max_bytes, and EINVAL for
  // bits outside 0777.
  [[nodiscard]] Result<void> set_mode(mode_t mode) const;

  // msgctl(2) IPC_RMID: removes the queue and its messages at once; blocked callers get EIDRM.
  // REQUIRES: nothing. Returns: nothing on success. Errors: EPERM (neither owner nor creator,
  // no CAP_SYS_ADMIN), EINVAL or EIDRM (already removed).
  [[nodiscard]] Result<void> remove() const;

  // msgctl(id, IPC_RMID) on an id (from ipcs, a listing, a peer), as `ipcrm -q ID` does: no
  // IPC_STAT first, since removing needs ownership, not read permission (from_id(id).remove()
  // would refuse an owner's 0000 queue with EACCES).
  // REQUIRES: nothing; any id is tried. Returns: nothing once the queue is removed.
  // Errors: ENOENT (no message queue has this id, or another remover is destroying it: the kernel's
  // EINVAL or EIDRM; the message says "no message queue has this id"), EPERM (neither owner nor
  // creator, no CAP_SYS_ADMIN). Man: msgctl(2).
  [[nodiscard]] static Result<void> remove(MsqId id);

  // msgget(key, 0) then msgctl(IPC_RMID), as `ipcrm -Q KEY` does.
  // REQUIRES: !key.is_private(). Errors: ENOENT (no queue has that key, or it went before
  // IPC_RMID), EINVAL (IPC_PRIVATE), EPERM, as remove(id). Man: msgctl(2).
  [[nodiscard]] static Result<void> remove(Key key);

  friend bool operator==(const MessageQueue&, const MessageQueue&) = default;

 private:
  explicit MessageQueue(MsqId id) noexcept : id_(id) {}
  MsqId id_;
};

}  // namespace ipckit::sysv
