#include "ipckit/inspect/stale_signs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <sstream>

#include "core/file_lease.hpp"
#include "core/syscall.hpp"
#include "core/text_file.hpp"
#include "ipckit/core/fd.hpp"

namespace ipckit::inspect {

namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

template <class T>
std::optional<T> parse_number(std::string_view s, int base = 10) {
  if (base == 16 && s.starts_with("0x")) s.remove_prefix(2);
  T v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// The super options of the mount at /proc (the last one mounted there wins).
std::string proc_mount_options() {
  auto text = ipckit::detail::read_text_file("/proc/self/mountinfo");
  if (!text) return {};
  std::istringstream in(*text);
  std::string line, options;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, dev, root, point;
    fields >> id >> parent >> dev >> root >> point;
    if (point != "/proc") continue;
    const auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream tail(line.substr(dash + 3));
    std::string fstype, source, super;
    tail >> fstype >> source >> super;
    if (fstype == "proc") options = super;
  }
  return options;
}

bool hides_processes(const std::string& options) {
  std::istringstream in(options);
  std::string opt;
  while (std::getline(in, opt, ',')) {
    if (opt.starts_with("hidepid=") && opt != "hidepid=0" && opt != "hidepid=off") return true;
  }
  return false;
}

// pid 2 is kthreadd, a kernel thread with parent 0, only in the initial pid namespace.
bool initial_pid_namespace() {
  auto stat = ipckit::detail::read_text_file("/proc/2/stat");
  if (!stat) return false;
  const auto close = stat->rfind(')');
  if (close == std::string::npos || stat->find("(kthreadd)") == std::string::npos) return false;
  std::istringstream rest(stat->substr(close + 1));
  std::string state, ppid;
  rest >> state >> ppid;
  return ppid == "0";
}

// The syscall a thread is blocked in, and its first two arguments, from /proc/.../syscall
// ("NR ARG1 ... SP PC"; "running" or "-1 ..." otherwise).
struct Blocked {
  long nr = -1;
  std::uint64_t arg0 = 0;
  std::uint64_t arg1 = 0;
};
std::optional<Blocked> parse_syscall(const std::string& text) {
  std::istringstream in(text);
  std::string nr, a0, a1;
  in >> nr >> a0 >> a1;
  auto n = parse_number<long>(nr);
  if (!n) return std::nullopt;
  Blocked b;
  b.nr = *n;
  b.arg0 = parse_number<std::uint64_t>(a0, 16).value_or(0);
  b.arg1 = parse_number<std::uint64_t>(a1, 16).value_or(0);
  return b;
}

// The queue id `b` waits on in msgrcv, if it is a msgrcv.
std::optional<int> msgrcv_queue(const Blocked& b) {
#if defined(__x86_64__)
  constexpr long kIpcCompat = 117, kMsgrcvCompat = 401, kIpcMsgrcv = 12;
  if (b.nr == kIpcCompat && (b.arg0 & 0xffff) == kIpcMsgrcv) return static_cast<int>(b.arg1);
  if (b.nr == kMsgrcvCompat) return static_cast<int>(b.arg0);
#endif
#ifdef __NR_msgrcv
  if (b.nr == __NR_msgrcv) return static_cast<int>(b.arg0);
#endif
  return std::nullopt;
}

}  // namespace

ProcessView process_view() {
  if (auto status = ipckit::detail::read_text_file("/proc/self/status")) {
    const auto at = status->find("\nNSpid:");
    if (at != std::string::npos) {
      std::istringstream line(status->substr(at + 7, status->find('\n', at + 1) - at - 7));
      int entries = 0;
      std::string pid;
      while (line >> pid)
        ++entries;
      if (entries > 1)
        return {false, "/proc shows another pid namespace than ours (NSpid has " +
                           std::to_string(entries) + " entries)"};
    }
  }
  if (::geteuid() != 0 && hides_processes(proc_mount_options()))
    return {false, "/proc is mounted with hidepid: other users' processes are invisible"};
  if (!initial_pid_namespace())
    return {false,
            "not the initial pid namespace: processes of other pid namespaces may share these "
            "objects unseen"};
  return {};
}

Result<bool> open_elsewhere(const std::string& path) {
  Fd fd(ipckit::detail::retry_eintr(
      [&] { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK); }));
  if (!fd) {
    // O_NONBLOCK open of a file under someone else's lease: it is in use.
    if (errno == EWOULDBLOCK) return true;
    return fail_errno("open", path);
  }
  return ipckit::detail::held_elsewhere(fd.get(), path);
}

bool MsgWaiters::waiting_on(int msqid) const noexcept {
  return std::any_of(waiters.begin(), waiters.end(),
                     [msqid](const MsgWaiter& w) { return w.msqid == msqid; });
}

MsgWaiters msgrcv_waiters() {
  MsgWaiters out;
#if !defined(__NR_msgrcv)
  out.complete = false;
  out.why = "no msgrcv system call number for this architecture";
  return out;
#endif
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return {{}, false, "cannot read /proc"};
  int unreadable = 0;
  while (const dirent* p = ::readdir(proc)) {
    if (!all_digits(p->d_name)) continue;
    const pid_t pid = parse_number<pid_t>(p->d_name).value_or(0);
    const std::string task_dir = std::string("/proc/") + p->d_name + "/task";
    DIR* tasks = ::opendir(task_dir.c_str());
    if (tasks == nullptr) continue;  // exited meanwhile
    while (const dirent* t = ::readdir(tasks)) {
      if (!all_digits(t->d_name)) continue;
      const std::string file = task_dir + "/" + t->d_name + "/syscall";
      auto text = ipckit::detail::read_text_file(file);
      if (!text) {
        if (text.error().code() != ENOENT && text.error().code() != ESRCH) ++unreadable;
        continue;
      }
      const auto blocked = parse_syscall(*text);
      if (!blocked) continue;  // "running"
      if (const auto id = msgrcv_queue(*blocked))
        out.waiters.push_back({*id, pid, parse_number<pid_t>(t->d_name).value_or(0)});
    }
    ::closedir(tasks);
  }
  ::closedir(proc);
  if (unreadable > 0) {
    out.complete = false;
    out.why =
        std::to_string(unreadable) + " threads' system calls could not be read (permission denied)";
  }
  return out;
}

std::optional<CreatingLeftover> parse_creating_leftover(std::string_view file) {
  constexpr std::string_view kMark = ".creating-";
  const auto at = file.rfind(kMark);
  if (at == std::string_view::npos || at == 0) return std::nullopt;
  const std::string_view rest = file.substr(at + kMark.size());
  const auto dash = rest.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  const auto pid = parse_number<pid_t>(rest.substr(0, dash));
  const std::string_view hex = rest.substr(dash + 1);
  if (!pid || *pid <= 0 || hex.empty() || !parse_number<std::uint64_t>(hex, 16))
    return std::nullopt;
  return CreatingLeftover{std::string(file.substr(0, at)), *pid};
}

}  // namespace ipckit::inspect
