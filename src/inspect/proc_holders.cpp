#include "inspect/proc_holders.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>
#include <string_view>

#include "core/text_file.hpp"

namespace ipckit::inspect::detail {

namespace {

template <class T>
bool parse_number(std::string_view text, T& value, int base = 10) {
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value, base);
  return ec == std::errc() && ptr == end && !text.empty();
}

void add_unique(std::vector<pid_t>& pids, pid_t pid) {
  if (pids.empty() || pids.back() != pid) pids.push_back(pid);
}

std::string_view next_field(std::string_view& line) {
  const auto begin = line.find_first_not_of(' ');
  if (begin == std::string_view::npos) {
    line = {};
    return {};
  }
  line.remove_prefix(begin);
  const auto end = line.find(' ');
  const auto field = line.substr(0, end);
  line.remove_prefix(end == std::string_view::npos ? line.size() : end);
  return field;
}

// The identity of an IPC namespace (stat(2) of /proc/PID/ns/ipc), or nullopt if unknown.
std::optional<DevIno> ipc_namespace(const std::string& dir) {
  struct stat st {};
  if (::stat((dir + "/ns/ipc").c_str(), &st) != 0) return std::nullopt;
  return DevIno{st.st_dev, st.st_ino};
}

// Returns false when the maps file could not be read for lack of permission. A "/SYSV" mapping
// names a shmid of the process's IPC namespace: it counts only for a process in `own_ns` (or
// whose namespace cannot be told, so that nothing held is ever taken for unheld).
bool scan_maps(pid_t pid, const std::string& dir, const std::optional<DevIno>& own_ns,
               ProcScan& scan, bool& holds) {
  auto text = ipckit::detail::read_text_file(dir + "/maps");
  if (!text) return text.error().code() != EACCES && text.error().code() != EPERM;
  std::optional<bool> same_ns;  // looked up at the first "/SYSV" mapping
  std::string_view rest = *text;
  while (!rest.empty()) {
    const auto nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    next_field(line);  // address
    next_field(line);  // perms
    next_field(line);  // offset
    const auto dev = next_field(line);
    const auto inode = next_field(line);
    const auto path_start = line.find_first_not_of(' ');
    if (path_start == std::string_view::npos) continue;
    const auto path = line.substr(path_start);
    const bool sysv = path.starts_with("/SYSV");
    if (!sysv && !path.starts_with("/dev/shm/")) continue;
    std::uint64_t ino = 0;
    if (!parse_number(inode, ino)) continue;
    if (sysv) {
      if (!same_ns) {
        const auto ns = ipc_namespace(dir);
        same_ns = !ns || !own_ns || *ns == *own_ns;
      }
      if (!*same_ns) continue;
      add_unique(scan.sysv_shm[static_cast<int>(ino)], pid);
      holds = true;
      continue;
    }
    const auto colon = dev.find(':');
    unsigned major = 0;
    unsigned minor = 0;
    if (colon == std::string_view::npos || !parse_number(dev.substr(0, colon), major, 16) ||
        !parse_number(dev.substr(colon + 1), minor, 16))
      continue;
    add_unique(scan.files[DevIno{makedev(major, minor), static_cast<ino_t>(ino)}], pid);
    holds = true;
  }
  return true;
}

// Returns false when the fd directory could not be read for lack of permission.
bool scan_fds(pid_t pid, const std::string& dir, ProcScan& scan, bool& holds) {
  const std::string fd_dir = dir + "/fd";
  DIR* d = ::opendir(fd_dir.c_str());
  if (d == nullptr) return errno != EACCES && errno != EPERM;
  std::array<char, 4096> target{};
  while (const dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    const std::string link = fd_dir + "/" + e->d_name;
    const ssize_t n = ::readlink(link.c_str(), target.data(), target.size() - 1);
    if (n <= 0) continue;
    const std::string_view t(target.data(), static_cast<std::size_t>(n));
    if (t.starts_with("socket:[")) {
      std::uint64_t ino = 0;
      if (t.back() == ']' && parse_number(t.substr(8, t.size() - 9), ino)) {
        add_unique(scan.sockets[ino], pid);
        holds = true;
      }
      continue;
    }
    if (t.front() != '/') continue;  // pipe:[..], anon_inode:..
    struct stat st {};
    if (::stat(link.c_str(), &st) != 0) continue;
    const DevIno key{st.st_dev, st.st_ino};
    add_unique(scan.files[key], pid);
    holds = true;
    if (S_ISFIFO(st.st_mode) && !scan.fifos.contains(key)) {
      scan.fifos[key] = FifoSeen{std::string(t), st.st_uid, st.st_mode & 07777};
    }
  }
  ::closedir(d);
  return true;
}

}  // namespace

ProcScan scan_processes(bool maps, bool fds) {
  ProcScan scan;
  const auto own_ns = ipc_namespace("/proc/self");
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return scan;
  while (const dirent* e = ::readdir(proc)) {
    pid_t pid = 0;
    if (!parse_number(std::string_view(e->d_name), pid) || pid <= 0) continue;
    const std::string dir = std::string("/proc/") + e->d_name;
    bool holds = false;
    bool readable = true;
    if (maps) readable = scan_maps(pid, dir, own_ns, scan, holds) && readable;
    if (fds) readable = scan_fds(pid, dir, scan, holds) && readable;
    if (!readable) ++scan.unreadable;
    if (!holds) continue;
    auto comm = ipckit::detail::read_text_file(dir + "/comm");
    std::string name = comm ? *comm : std::string();
    while (!name.empty() && name.back() == '\n')
      name.pop_back();
    scan.commands[pid] = std::move(name);
  }
  ::closedir(proc);
  return scan;
}

}  // namespace ipckit::inspect::detail
