#include "ipckit/inspect/sysv_objects.hpp"

#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <string>
#include <system_error>

#include "core/text_file.hpp"

namespace ipckit::inspect {

namespace {

constexpr const char* kProcShm = "/proc/sysvipc/shm";
constexpr const char* kProcSem = "/proc/sysvipc/sem";
constexpr const char* kProcMsg = "/proc/sysvipc/msg";

// glibc leaves the definition of semctl's fourth argument to the caller (semctl(2)).
union SemArg {
  int val;
  semid_ds* buf;
  unsigned short* array;
  seminfo* info;
};

// The whitespace-separated fields of one /proc/sysvipc line.
class Fields {
 public:
  explicit Fields(std::string_view line) {
    std::size_t pos = 0;
    while (count_ < kMaxFields) {
      pos = line.find_first_not_of(" \t", pos);
      if (pos == std::string_view::npos) break;
      const std::size_t end = std::min(line.find_first_of(" \t", pos), line.size());
      fields_[count_++] = line.substr(pos, end - pos);
      pos = end;
    }
  }
  [[nodiscard]] std::size_t size() const noexcept { return count_; }

  // Field i as T in `base`; false (and `out` untouched) when it is absent or not a number.
  template <class T>
  bool get(std::size_t i, T& out, int base = 10) const {
    if (i >= count_) return false;
    const std::string_view f = fields_[i];
    T value{};
    auto [ptr, ec] = std::from_chars(f.data(), f.data() + f.size(), value, base);
    if (ec != std::errc() || ptr != f.data() + f.size()) return false;
    out = value;
    return true;
  }

 private:
  static constexpr std::size_t kMaxFields = 16;
  std::string_view fields_[kMaxFields];
  std::size_t count_ = 0;
};

// Reads key, id and mode (the first three columns of every table).
template <class Id>
bool get_head(const Fields& f, sysv::Key& key, Id& id, IpcPerm& perm) {
  key_t k = 0;
  int i = 0;
  unsigned mode = 0;
  if (!f.get(0, k) || !f.get(1, i) || !f.get(2, mode, 8)) return false;
  key = sysv::Key(k);
  id = Id(i);
  perm.mode = static_cast<mode_t>(mode);
  return true;
}

bool get_owner(const Fields& f, std::size_t first, IpcPerm& perm) {
  return f.get(first, perm.uid) && f.get(first + 1, perm.gid) && f.get(first + 2, perm.cuid) &&
         f.get(first + 3, perm.cgid);
}

// Calls `each` with every line after the header.
template <class F>
void for_each_row(std::string_view text, F&& each) {
  const auto header_end = text.find('\n');
  if (header_end == std::string_view::npos) return;
  text.remove_prefix(header_end + 1);
  while (!text.empty()) {
    const auto nl = text.find('\n');
    each(Fields(text.substr(0, nl)));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
}

template <class T>
void copy_perm(const ipc_perm& from, T& to) {
  to.key = sysv::Key(from.__key);
  to.perm.mode = from.mode;
  to.perm.uid = from.uid;
  to.perm.gid = from.gid;
  to.perm.cuid = from.cuid;
  to.perm.cgid = from.cgid;
}

Result<std::vector<ShmObject>> shm_by_syscalls() {
  shm_info info{};
  const int max_index = ::shmctl(0, SHM_INFO, reinterpret_cast<shmid_ds*>(&info));
  if (max_index < 0) return fail_errno("shmctl(SHM_INFO)", "");
  std::vector<ShmObject> out;
  for (int index = 0; index <= max_index; ++index) {
    shmid_ds ds{};
    const int id = ::shmctl(index, SHM_STAT, &ds);
    if (id < 0) continue;  // free slot, or a segment the caller may not read
    ShmObject o;
    copy_perm(ds.shm_perm, o);
    o.id = sysv::ShmId(id);
    o.size = ds.shm_segsz;
    o.cpid = ds.shm_cpid;
    o.lpid = ds.shm_lpid;
    o.nattch = ds.shm_nattch;
    o.atime = ds.shm_atime;
    o.dtime = ds.shm_dtime;
    o.ctime = ds.shm_ctime;
    out.push_back(o);
  }
  return out;
}

Result<std::vector<SemObject>> sem_by_syscalls() {
  seminfo info{};
  SemArg arg{};
  arg.info = &info;
  const int max_index = ::semctl(0, 0, SEM_INFO, arg);
  if (max_index < 0) return fail_errno("semctl(SEM_INFO)", "");
  std::vector<SemObject> out;
  for (int index = 0; index <= max_index; ++index) {
    semid_ds ds{};
    arg.buf = &ds;
    const int id = ::semctl(index, 0, SEM_STAT, arg);
    if (id < 0) continue;
    SemObject o;
    copy_perm(ds.sem_perm, o);
    o.id = sysv::SemId(id);
    o.nsems = ds.sem_nsems;
    o.otime = ds.sem_otime;
    o.ctime = ds.sem_ctime;
    out.push_back(o);
  }
  return out;
}

Result<std::vector<MsgObject>> msg_by_syscalls() {
  msginfo info{};
  const int max_index = ::msgctl(0, MSG_INFO, reinterpret_cast<msqid_ds*>(&info));
  if (max_index < 0) return fail_errno("msgctl(MSG_INFO)", "");
  std::vector<MsgObject> out;
  for (int index = 0; index <= max_index; ++index) {
    msqid_ds ds{};
    const int id = ::msgctl(index, MSG_STAT, &ds);
    if (id < 0) continue;
    MsgObject o;
    copy_perm(ds.msg_perm, o);
    o.id = sysv::MsqId(id);
    o.cbytes = ds.__msg_cbytes;
    o.qnum = ds.msg_qnum;
    o.lspid = ds.msg_lspid;
    o.lrpid = ds.msg_lrpid;
    o.stime = ds.msg_stime;
    o.rtime = ds.msg_rtime;
    o.ctime = ds.msg_ctime;
    o.qbytes = ds.msg_qbytes;
    out.push_back(o);
  }
  return out;
}

// Reads a /proc table, or falls back to `syscalls` as `source` says.
template <class T, class Parse, class Syscalls>
Result<std::vector<T>> list(Source source, const char* path, Parse parse, Syscalls syscalls) {
  if (source == Source::kSyscalls) return syscalls();
  auto text = ipckit::detail::read_text_file(path);
  if (text) return parse(*text);
  if (source == Source::kProc) return std::unexpected(text.error());
  return syscalls();
}

}  // namespace

std::vector<ShmObject> parse_proc_shm(std::string_view text) {
  // key shmid perms size cpid lpid nattch uid gid cuid cgid atime dtime ctime [rss [swap]]
  std::vector<ShmObject> out;
  for_each_row(text, [&](const Fields& f) {
    ShmObject o;
    if (f.size() < 14 || !get_head(f, o.key, o.id, o.perm) || !f.get(3, o.size) ||
        !f.get(4, o.cpid) || !f.get(5, o.lpid) || !f.get(6, o.nattch) || !get_owner(f, 7, o.perm) ||
        !f.get(11, o.atime) || !f.get(12, o.dtime) || !f.get(13, o.ctime)) {
      return;
    }
    std::uint64_t bytes = 0;
    if (f.get(14, bytes)) o.rss = bytes;
    if (o.rss && f.get(15, bytes)) o.swap = bytes;
    out.push_back(o);
  });
  return out;
}

std::vector<SemObject> parse_proc_sem(std::string_view text) {
  // key semid perms nsems uid gid cuid cgid otime ctime
  std::vector<SemObject> out;
  for_each_row(text, [&](const Fields& f) {
    SemObject o;
    if (f.size() < 10 || !get_head(f, o.key, o.id, o.perm) || !f.get(3, o.nsems) ||
        !get_owner(f, 4, o.perm) || !f.get(8, o.otime) || !f.get(9, o.ctime)) {
      return;
    }
    out.push_back(o);
  });
  return out;
}

std::vector<MsgObject> parse_proc_msg(std::string_view text) {
  // key msqid perms cbytes qnum lspid lrpid uid gid cuid cgid stime rtime ctime
  std::vector<MsgObject> out;
  for_each_row(text, [&](const Fields& f) {
    MsgObject o;
    if (f.size() < 14 || !get_head(f, o.key, o.id, o.perm) || !f.get(3, o.cbytes) ||
        !f.get(4, o.qnum) || !f.get(5, o.lspid) || !f.get(6, o.lrpid) || !get_owner(f, 7, o.perm) ||
        !f.get(11, o.stime) || !f.get(12, o.rtime) || !f.get(13, o.ctime)) {
      return;
    }
    out.push_back(o);
  });
  return out;
}

Result<std::vector<ShmObject>> list_shm(Source source) {
  return list<ShmObject>(source, kProcShm, parse_proc_shm, shm_by_syscalls);
}

Result<std::vector<SemObject>> list_sem(Source source) {
  return list<SemObject>(source, kProcSem, parse_proc_sem, sem_by_syscalls);
}

Result<std::vector<MsgObject>> list_msg(Source source) {
  return list<MsgObject>(source, kProcMsg, parse_proc_msg, msg_by_syscalls);
}

Result<std::vector<SemCounter>> read_sem_counters(sysv::SemId id, std::uint64_t nsems) {
  std::vector<SemCounter> out;
  out.reserve(static_cast<std::size_t>(nsems));
  for (std::uint64_t i = 0; i < nsems; ++i) {
    const int num = static_cast<int>(i);
    SemCounter c;
    struct Query {
      int cmd;
      const char* name;
      int* into;
    };
    const Query queries[] = {{GETVAL, "semctl(GETVAL)", &c.value},
                             {GETNCNT, "semctl(GETNCNT)", &c.ncount},
                             {GETZCNT, "semctl(GETZCNT)", &c.zcount},
                             {GETPID, "semctl(GETPID)", &c.pid}};
    for (const Query& q : queries) {
      const int r = ::semctl(id.value, num, q.cmd);
      if (r < 0) return fail_errno(q.name, id.describe());
      *q.into = r;
    }
    out.push_back(c);
  }
  return out;
}

Result<std::uint64_t> read_msg_qbytes(sysv::MsqId id) {
  msqid_ds ds{};
  if (::msgctl(id.value, IPC_STAT, &ds) != 0) return fail_errno("msgctl", id.describe());
  return std::uint64_t{ds.msg_qbytes};
}

}  // namespace ipckit::inspect
