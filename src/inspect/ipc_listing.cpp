#include "ipckit/inspect/ipc_listing.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include "core/syscall.hpp"
#include "core/text_file.hpp"
#include "inspect/proc_holders.hpp"
#include "inspect/sysv_channel_probe.hpp"
#include "inspect/unix_sock_diag.hpp"
#include "ipckit/channel.hpp"
#include "ipckit/inspect/sysv_objects.hpp"
#include "ipckit/posix/mqueue.hpp"

namespace ipckit::inspect {

namespace {

constexpr std::array<std::string_view, kObjectTypeCount> kTypeNames = {
    "sysv-shm", "sysv-sem", "sysv-msg", "posix-shm", "posix-sem",
    "mqueue",   "unix",     "fifo",     "channel"};

constexpr std::uint64_t kChannelMagic = 0x3148434b43504949ull;  // docs/channel-format.md
constexpr const char* kShmDir = "/dev/shm";

using detail::DevIno;
using detail::ProcScan;

void attach_holders(IpcObject& o, const std::vector<pid_t>* pids, const ProcScan& scan) {
  if (pids == nullptr) return;
  for (pid_t pid : *pids) {
    if (std::any_of(o.holders.begin(), o.holders.end(),
                    [pid](const Holder& h) { return h.pid == pid; }))
      continue;
    const auto it = scan.commands.find(pid);
    o.holders.push_back({pid, it == scan.commands.end() ? std::string() : it->second});
  }
  std::sort(o.holders.begin(), o.holders.end(),
            [](const Holder& a, const Holder& b) { return a.pid < b.pid; });
}

template <class Map, class Key>
const std::vector<pid_t>* find_pids(const Map& map, const Key& key) {
  const auto it = map.find(key);
  return it == map.end() ? nullptr : &it->second;
}

// A channel's columns from its header (Channel::inspect); a header that cannot be read adds a
// warning and leaves them empty.
void fill_channel(IpcObject& o, const Result<channel::ChannelInfo>& info, Listing& out) {
  if (!info) {
    out.warnings.push_back(info.error());
    return;
  }
  o.capacity = info->capacity;
  const auto corrupted = [&](std::string_view field) {
    return std::find(info->corrupted.begin(), info->corrupted.end(), field) !=
           info->corrupted.end();
  };
  // Impossible header fields stay empty (never "pid -1" or a fill of 10^9 %), with a warning.
  if (!corrupted("positions")) o.used = info->used();
  if (!corrupted("creator pid")) o.cpid = info->creator_pid;
  if (!info->corrupted.empty()) {
    std::string fields;
    for (const auto& f : info->corrupted)
      fields += (fields.empty() ? "" : ", ") + f;
    out.warnings.push_back(
        Error(EBADMSG, "inspect channel", o.name, "corrupted header: " + fields));
  }
  o.stale = info->stale();
  o.attached = static_cast<std::uint64_t>(
      std::count_if(info->participants.begin(), info->participants.end(),
                    [](const channel::ParticipantInfo& p) { return p.alive; }));
}

// The fields every System V object has, from its /proc/sysvipc line (ShmInfo, SemInfo, MsgInfo).
template <class Entry>
IpcObject sysv_object(ObjectType type, const Entry& e) {
  IpcObject o;
  o.type = type;
  o.id = e.id.value;
  o.key = e.key.value();
  o.uid = e.perm.uid;
  o.perms = e.perm.mode & kModePermissionBits;
  return o;
}

// System V segments; those that hold a channel (sysv_channel_probe.hpp) are listed as channels
// named "sysv:KEY", in place of their sysv-shm row, like POSIX channels replace posix-shm rows.
void add_sysv_shm(TypeSet types, const ProcScan& scan, Listing& out) {
  auto shm = list_shm();
  if (!shm) {
    out.warnings.push_back(shm.error());
    return;
  }
  for (const auto& s : *shm) {
    const ObjectType type = detail::is_channel_segment(s.id.value, s.size) ? ObjectType::kChannel
                                                                           : ObjectType::kSysvShm;
    if (!types.has(type)) continue;
    IpcObject o = sysv_object(type, s);
    if (o.type == ObjectType::kChannel) o.name = "sysv:" + s.key.hex();
    o.size = s.size;
    o.rss = s.rss;
    o.swap = s.swap;
    o.nattch = s.nattch;
    o.cpid = s.cpid;
    o.lpid = s.lpid;
    // A removed segment (key now IPC_PRIVATE) can no longer be opened by key: it keeps only
    // what /proc/sysvipc/shm says.
    if (o.type == ObjectType::kChannel && !s.key.is_private())
      fill_channel(o, Channel::inspect(s.key), out);
    attach_holders(o, find_pids(scan.sysv_shm, s.id.value), scan);
    out.objects.push_back(std::move(o));
  }
}

void add_sysv(TypeSet types, const ProcScan& scan, Listing& out) {
  if (types.has(ObjectType::kSysvShm) || types.has(ObjectType::kChannel))
    add_sysv_shm(types, scan, out);
  if (types.has(ObjectType::kSysvSem)) {
    if (auto sem = list_sem()) {
      for (const auto& s : *sem) {
        IpcObject o = sysv_object(ObjectType::kSysvSem, s);
        o.nsems = s.nsems;
        out.objects.push_back(std::move(o));
      }
    } else {
      out.warnings.push_back(sem.error());
    }
  }
  if (types.has(ObjectType::kSysvMsg)) {
    if (auto msg = list_msg()) {
      for (const auto& m : *msg) {
        IpcObject o = sysv_object(ObjectType::kSysvMsg, m);
        o.size = m.cbytes;
        o.messages = m.qnum;
        out.objects.push_back(std::move(o));
      }
    } else {
      out.warnings.push_back(msg.error());
    }
  }
}

// Whether the file starts with the channel magic. Unreadable files are not channels.
bool has_channel_magic(const std::string& path) {
  const int fd = ipckit::detail::retry_eintr(
      [&] { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK); });
  if (fd < 0) return false;
  std::uint64_t magic = 0;
  const ssize_t n = ::pread(fd, &magic, sizeof magic, 0);
  ::close(fd);
  return n == static_cast<ssize_t>(sizeof magic) && magic == kChannelMagic;
}

void add_dev_shm(TypeSet types, const ProcScan& scan, Listing& out) {
  const bool want_shm = types.has(ObjectType::kPosixShm);
  const bool want_sem = types.has(ObjectType::kPosixSem);
  const bool want_channel = types.has(ObjectType::kChannel);
  if (!want_shm && !want_sem && !want_channel) return;
  DIR* d = ::opendir(kShmDir);
  if (d == nullptr) {
    out.warnings.push_back(Error(errno, "opendir", kShmDir));
    return;
  }
  std::vector<IpcObject> found;
  while (const dirent* e = ::readdir(d)) {
    const std::string file = e->d_name;
    if (file == "." || file == "..") continue;
    const std::string path = std::string(kShmDir) + "/" + file;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    IpcObject o;
    const bool sem = file.starts_with("sem.");
    if (sem) {
      o.type = ObjectType::kPosixSem;
      o.name = "/" + file.substr(4);
    } else if (st.st_size >= 4096 && has_channel_magic(path)) {
      o.type = ObjectType::kChannel;
      o.name = file;
    } else {
      o.type = ObjectType::kPosixShm;
      o.name = "/" + file;
    }
    if (!types.has(o.type)) continue;
    o.uid = st.st_uid;
    o.perms = st.st_mode & 07777;
    o.size = static_cast<std::uint64_t>(st.st_size);
    o.inode = st.st_ino;
    o.dev = st.st_dev;
    if (o.type == ObjectType::kChannel) fill_channel(o, Channel::inspect(file), out);
    attach_holders(o, find_pids(scan.files, DevIno{st.st_dev, st.st_ino}), scan);
    found.push_back(std::move(o));
  }
  ::closedir(d);
  std::sort(found.begin(), found.end(), [](const IpcObject& a, const IpcObject& b) {
    return a.type != b.type ? a.type < b.type : a.name < b.name;
  });
  for (auto& o : found)
    out.objects.push_back(std::move(o));
}

void add_mqueues(const ProcScan& scan, Listing& out) {
  auto mount = posix::mqueue_mount_point();
  if (!mount) {
    out.mqueue_mounted = false;
    out.mqueue_hint = mount.error().message();
    return;
  }
  auto listing = posix::list_queues_at(*mount);
  if (!listing) {
    out.warnings.push_back(listing.error());
    return;
  }
  for (const auto& e : listing->errors)
    out.warnings.push_back(e);
  for (const auto& q : listing->queues) {
    IpcObject o;
    o.type = ObjectType::kMqueue;
    o.name = q.name;
    o.uid = q.uid;
    o.perms = q.mode & 07777;
    o.size = q.bytes;
    o.messages = static_cast<std::uint64_t>(q.messages);
    struct stat st {};
    if (::stat((*mount + q.name).c_str(), &st) == 0) {
      o.inode = st.st_ino;
      o.dev = st.st_dev;
      attach_holders(o, find_pids(scan.files, DevIno{st.st_dev, st.st_ino}), scan);
    }
    out.objects.push_back(std::move(o));
  }
}

void add_unix(const ProcScan& scan, Listing& out) {
  auto text = ipckit::detail::read_text_file("/proc/net/unix");
  if (!text) {
    out.warnings.push_back(text.error());
    return;
  }
  detail::UnixPeerMap peers;
  if (auto queried = detail::query_unix_peers()) {
    peers = std::move(*queried);
  } else {
    out.unix_peers_known = false;
    out.unix_peers_error = queried.error().message();
  }
  for (auto& s : parse_proc_net_unix(*text)) {
    IpcObject o;
    o.type = ObjectType::kUnix;
    o.name = std::move(s.path);
    o.socket_type = std::move(s.type);
    o.state = std::move(s.state);
    o.inode = s.inode;
    if (const auto peer = peers.find(s.inode); peer != peers.end()) o.peer = peer->second;
    attach_holders(o, find_pids(scan.sockets, s.inode), scan);
    out.objects.push_back(std::move(o));
  }
}

void add_fifos(const ProcScan& scan, Listing& out) {
  std::vector<IpcObject> found;
  for (const auto& [key, fifo] : scan.fifos) {
    IpcObject o;
    o.type = ObjectType::kFifo;
    o.name = fifo.path;
    o.uid = fifo.uid;
    o.perms = fifo.perms;
    o.inode = key.ino;
    o.dev = key.dev;
    attach_holders(o, find_pids(scan.files, key), scan);
    found.push_back(std::move(o));
  }
  std::sort(found.begin(), found.end(),
            [](const IpcObject& a, const IpcObject& b) { return a.name < b.name; });
  for (auto& o : found)
    out.objects.push_back(std::move(o));
}

}  // namespace

std::string_view type_name(ObjectType type) noexcept {
  return kTypeNames[static_cast<std::size_t>(type)];
}

std::optional<ObjectType> parse_type_name(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kTypeNames.size(); ++i) {
    if (kTypeNames[i] == name) return static_cast<ObjectType>(i);
  }
  return std::nullopt;
}

bool process_alive(pid_t pid) noexcept {
  if (pid <= 0) return false;
  return ::kill(pid, 0) == 0 || errno == EPERM;
}

Result<Listing> list_ipc_objects(TypeSet types) {
  const bool maps = types.has(ObjectType::kSysvShm) || types.has(ObjectType::kPosixShm) ||
                    types.has(ObjectType::kPosixSem) || types.has(ObjectType::kChannel);
  const bool fds = types.has(ObjectType::kPosixShm) || types.has(ObjectType::kPosixSem) ||
                   types.has(ObjectType::kChannel) || types.has(ObjectType::kMqueue) ||
                   types.has(ObjectType::kUnix) || types.has(ObjectType::kFifo);
  const ProcScan scan = detail::scan_processes(maps, fds);
  Listing out;
  out.unreadable_processes = scan.unreadable;
  add_sysv(types, scan, out);
  add_dev_shm(types, scan, out);
  if (types.has(ObjectType::kMqueue)) add_mqueues(scan, out);
  if (types.has(ObjectType::kUnix)) add_unix(scan, out);
  if (types.has(ObjectType::kFifo)) add_fifos(scan, out);
  // add_dev_shm sorts channels after POSIX objects; restore ObjectType order (stable).
  std::stable_sort(out.objects.begin(), out.objects.end(),
                   [](const IpcObject& a, const IpcObject& b) { return a.type < b.type; });
  return out;
}

}  // namespace ipckit::inspect
