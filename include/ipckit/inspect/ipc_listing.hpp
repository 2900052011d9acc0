// ipckit::inspect: every local IPC object in one list, with the processes that hold each one.
//
// This is the data model behind `ipckit ls` and `ipckit rm --stale`. One IpcObject per System V
// segment, semaphore set and message queue (from sysv_objects.hpp), POSIX shared memory object
// and named semaphore (/dev/shm), POSIX message queue (the mqueue filesystem), Unix domain
// socket (/proc/net/unix, filesystem and abstract; the peer from the sock_diag netlink dump),
// named FIFO that a process holds open, and ipckit channel (a /dev/shm object whose first bytes
// are the channel magic, or a System V segment of channel size whose header, attached read-only
// for an instant, starts like a channel's; its header is read with Channel::inspect, which does
// not register). A System V channel is listed once, as a channel named "sysv:0xKEY".
//
// Holders: the processes that map or hold an object, found by one pass over /proc/PID/maps and
// /proc/PID/fd. System V segments match by shmid (the inode column of a "/SYSV%08x" mapping);
// POSIX objects, channels, queues and FIFOs by device and inode; sockets by "socket:[INODE]".
// Processes whose maps or fds cannot be read (another user's, when not root) are counted in
// Listing::unreadable_processes, never silently dropped: their holdings are unknown.
//
// Everything is a snapshot: objects and processes appear and vanish while the list is built, and
// anything that vanishes meanwhile is skipped. An object that cannot be read (a channel header
// that is not readable, a queue without read permission) is still listed with what is known, and
// a warning is added; listing never fails because of one object.
//
// Thread safety: list_ipc_objects() and the parsers are pure functions of the system state and
// their arguments; call them from any thread. Nothing here blocks on a peer.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ipckit/core/error.hpp"

namespace ipckit::inspect {

enum class ObjectType {
  kSysvShm,   // "sysv-shm"
  kSysvSem,   // "sysv-sem"
  kSysvMsg,   // "sysv-msg"
  kPosixShm,  // "posix-shm"
  kPosixSem,  // "posix-sem"
  kMqueue,    // "mqueue"
  kUnix,      // "unix"
  kFifo,      // "fifo"
  kChannel,   // "channel"
};
inline constexpr int kObjectTypeCount = 9;

// The type's name on the command line and in JSON ("sysv-shm", ...).
[[nodiscard]] std::string_view type_name(ObjectType type) noexcept;
// The inverse of type_name. Returns: nullopt for an unknown name.
[[nodiscard]] std::optional<ObjectType> parse_type_name(std::string_view name) noexcept;

// A set of types, one bit per ObjectType.
class TypeSet {
 public:
  [[nodiscard]] static constexpr TypeSet all() noexcept {
    return TypeSet((1u << kObjectTypeCount) - 1);
  }
  constexpr TypeSet() noexcept = default;
  constexpr void add(ObjectType t) noexcept { bits_ |= bit(t); }
  [[nodiscard]] constexpr bool has(ObjectType t) const noexcept { return (bits_ & bit(t)) != 0; }
  [[nodiscard]] constexpr bool empty() const noexcept { return bits_ == 0; }

 private:
  constexpr explicit TypeSet(unsigned bits) noexcept : bits_(bits) {}
  static constexpr unsigned bit(ObjectType t) noexcept { return 1u << static_cast<unsigned>(t); }
  unsigned bits_ = 0;
};

// A process that maps an object or holds a descriptor to it.
struct Holder {
  pid_t pid = 0;
  std::string command;  // /proc/PID/comm
  friend bool operator==(const Holder&, const Holder&) = default;
};

struct IpcObject {
  ObjectType type = ObjectType::kPosixShm;
  // System V: the id and key. Everything else: nullopt.
  std::optional<int> id;
  std::optional<std::int64_t> key;
  // POSIX objects and queues: "/name" (sem.NAME shows as "/NAME"); channels: "NAME"; sockets:
  // the path, "@name" for abstract ones, "" for unnamed; FIFOs: the path. System V: "".
  std::string name;
  std::optional<uid_t> uid;  // owner; sockets: nullopt (/proc/net/unix has no owner)
  std::optional<mode_t> perms;
  std::optional<std::uint64_t> size;      // bytes (shm, channel segment, queue bytes queued)
  std::optional<std::uint64_t> rss;       // System V segments: resident bytes
  std::optional<std::uint64_t> swap;      // System V segments: swapped-out bytes
  std::optional<std::uint64_t> nattch;    // System V segments: attachments
  std::optional<std::uint64_t> messages;  // System V and POSIX queues: messages queued
  std::optional<std::uint64_t> nsems;     // System V semaphore sets
  std::optional<pid_t> cpid;              // System V segments, channels: creator
  std::optional<pid_t> lpid;              // System V segments: last attach/detach
  std::optional<std::uint64_t> capacity;  // channels: ring bytes
  std::optional<std::uint64_t> used;      // channels: bytes in the ring
  std::optional<std::uint64_t> attached;  // channels: processes registered in the header
  std::optional<bool> stale;              // channels: Channel::inspect().stale()
  std::string socket_type;                // unix: "stream", "dgram", "seqpacket"
  std::string state;                      // unix: "listen", "connected", "unconnected", ...
  std::optional<std::uint64_t> inode;     // unix, fifo, POSIX objects: inode number
  std::optional<std::uint64_t> peer;      // unix: the peer's inode (sock_diag; see Listing)
  std::optional<dev_t> dev;               // POSIX objects, fifos: device of the inode
  std::vector<Holder> holders;            // sorted by pid, each pid once
};

struct Listing {
  std::vector<IpcObject> objects;  // grouped by type, in ObjectType order
  int unreadable_processes = 0;    // processes whose maps or fds could not be read
  bool mqueue_mounted = true;      // false: no mqueue fs; mqueue_hint says how to mount one
  std::string mqueue_hint;         // the mqueue_mount_point() error text when not mounted
  std::vector<Error> warnings;     // objects that could not be read fully
  // false: the sock_diag netlink query for Unix socket peers failed (no unix_diag module, EPERM,
  // ...); every socket's peer is then nullopt and unix_peers_error says why. Not a warning: the
  // listing is complete, only the PEER column is missing.
  bool unix_peers_known = true;
  std::string unix_peers_error;
};

// One line of /proc/net/unix, parsed.
struct UnixSocketLine {
  std::uint64_t inode = 0;
  std::string path;  // "" unnamed, "@name" abstract
  std::string type;  // "stream", "dgram", "seqpacket", or the hex number
  std::string state;
};

// Parses the text of /proc/net/unix (header included). Lines that do not parse are skipped.
[[nodiscard]] std::vector<UnixSocketLine> parse_proc_net_unix(std::string_view text);

// readdir(3)/read(2)/stat(2) over /proc/sysvipc, /dev/shm, the mqueue mount, /proc/net/unix and
// /proc/PID/{comm,maps,fd}. REQUIRES: nothing.
// Returns: the objects of the requested types with their holders. Errors: none in practice; a
// source that cannot be read (/proc not mounted, no /dev/shm) adds a warning and is skipped.
// man proc(5), shm_overview(7), mq_overview(7), unix(7), fifo(7).
[[nodiscard]] Result<Listing> list_ipc_objects(TypeSet types = TypeSet::all());

// kill(2) with signal 0: whether a process with this pid exists (EPERM counts as existing).
[[nodiscard]] bool process_alive(pid_t pid) noexcept;

}  // namespace ipckit::inspect
