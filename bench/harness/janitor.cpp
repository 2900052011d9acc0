// The janitor (see janitor.hpp). A stream socket pair carries lines "+K WHAT" (remember) and
// "-K WHAT" (forget), K being the Kind's digit. (A socket, not a pipe: send(MSG_NOSIGNAL) to a
// janitor that is gone fails with EPIPE instead of killing the bench with SIGPIPE.)
#include "harness/janitor.hpp"

#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace ipckit::bench::janitor {
namespace {

constexpr std::size_t kMaxWhat = 200;      // names are ~40 bytes; ids ~10
constexpr std::size_t kMaxEntries = 1024;  // a round holds a handful at a time

struct Entry {
  bool used = false;
  char kind = 0;
  std::array<char, kMaxWhat + 1> what{};
};

std::mutex g_mutex;
int g_write_fd = -1;
int g_pid = -1;
bool g_started = false;

// ---- the janitor process: system calls on static memory only ----

std::array<Entry, kMaxEntries> g_entries;  // (the janitor's copy; the bench never touches it)

bool same(const Entry& e, char kind, const char* what) {
  return e.used && e.kind == kind && std::strcmp(e.what.data(), what) == 0;
}

void apply(const char* line) {
  const char op = line[0];
  const char kind = line[1];
  const char* what = line + 3;
  if ((op != '+' && op != '-') || line[2] != ' ' || std::strlen(what) > kMaxWhat) return;
  for (auto& e : g_entries) {
    if (!same(e, kind, what)) continue;
    if (op == '-') e.used = false;
    return;
  }
  if (op == '-') return;
  for (auto& e : g_entries) {
    if (e.used) continue;
    e.used = true;
    e.kind = kind;
    std::memcpy(e.what.data(), what, std::strlen(what) + 1);
    return;
  }
}

int parse_id(const char* what) {
  char* end = nullptr;
  const long id = std::strtol(what, &end, 10);
  return (end == what || *end != '\0' || id < 0 || id > 0x7fffffff) ? -1 : static_cast<int>(id);
}

// Removes one remembered object that is still there and still the bench's.
void remove(const Entry& e, uid_t uid, pid_t bench_pid) {
  switch (e.kind - '0') {
    case static_cast<int>(Kind::kPosixShm):
      ::shm_unlink(e.what.data());
      return;
    case static_cast<int>(Kind::kPosixMq):
      ::mq_unlink(e.what.data());
      return;
    case static_cast<int>(Kind::kSysvMsg): {
      const int id = parse_id(e.what.data());
      msqid_ds ds{};
      if (id >= 0 && ::msgctl(id, IPC_STAT, &ds) == 0 && ds.msg_perm.__key == IPC_PRIVATE &&
          ds.msg_perm.cuid == uid)
        ::msgctl(id, IPC_RMID, nullptr);
      return;
    }
    case static_cast<int>(Kind::kSysvShm): {
      const int id = parse_id(e.what.data());
      shmid_ds ds{};
      if (id >= 0 && ::shmctl(id, IPC_STAT, &ds) == 0 && ds.shm_perm.__key == IPC_PRIVATE &&
          ds.shm_perm.cuid == uid && ds.shm_cpid == bench_pid)
        ::shmctl(id, IPC_RMID, nullptr);
      return;
    }
    case static_cast<int>(Kind::kSysvSem): {
      const int id = parse_id(e.what.data());
      semid_ds ds{};
      if (id >= 0 && ::semctl(id, 0, IPC_STAT, &ds) == 0 && ds.sem_perm.__key == IPC_PRIVATE &&
          ds.sem_perm.cuid == uid)
        ::semctl(id, 0, IPC_RMID);
      return;
    }
    default:
      return;
  }
}

constexpr int kJanitorFd = 3;

[[noreturn]] void janitor_main(int read_fd, pid_t bench_pid) {
  for (int sig : {SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU})
    ::signal(sig, SIG_IGN);
  // Hold nothing of the bench's but the read end: not its terminal, not a pipe its caller waits
  // on for end of file, not the objects' descriptors.
  if (read_fd != kJanitorFd && ::dup2(read_fd, kJanitorFd) != kJanitorFd) ::_exit(1);
  ::close_range(kJanitorFd + 1, ~0U, 0);
  const int null_fd = ::open("/dev/null", O_RDWR);
  if (null_fd > kJanitorFd) {
    for (int fd = 0; fd <= 2; ++fd)
      ::dup2(null_fd, fd);
    ::close(null_fd);
  }
  static std::array<char, 8192> buffer;
  static std::array<char, kMaxWhat + 8> line;
  std::size_t used = 0;
  for (;;) {
    const ssize_t n = ::read(kJanitorFd, buffer.data(), buffer.size());
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (ssize_t i = 0; i < n; ++i) {
      const char c = buffer[static_cast<std::size_t>(i)];
      if (c != '\n') {
        if (used < line.size() - 1) line[used++] = c;
        continue;
      }
      line[used] = '\0';
      apply(line.data());
      used = 0;
    }
  }
  const uid_t uid = ::geteuid();
  for (const auto& e : g_entries)
    if (e.used) remove(e, uid, bench_pid);
  ::_exit(0);
}

// ---- the bench's side ----

// Starts the janitor once, as a grandchild that the bench does not wait for: the intermediate
// child forks it and exits at once, so the janitor is reparented (to init or a subreaper) and no
// waitpid(-1) of the bench, nor a test that expects no children, ever sees it. The janitor's pid
// comes back through the socket before the intermediate exits. Called with g_mutex held.
void start() {
  g_started = true;
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return;
  const pid_t bench_pid = ::getpid();
  const pid_t middle = ::fork();
  if (middle == 0) {
    const pid_t pid = ::fork();
    if (pid == 0) janitor_main(sv[1], bench_pid);
    (void)!::write(sv[1], &pid, sizeof pid);  // -1 if fork failed
    ::_exit(0);
  }
  ::close(sv[1]);
  pid_t pid = -1;
  if (middle > 0) {
    while (::waitpid(middle, nullptr, 0) < 0 && errno == EINTR) {
    }
    if (::read(sv[0], &pid, sizeof pid) != static_cast<ssize_t>(sizeof pid)) pid = -1;
  }
  if (pid < 0) {
    ::close(sv[0]);
    return;
  }
  ::shutdown(sv[0], SHUT_RD);
  g_write_fd = sv[0];
  g_pid = pid;
}

void send_line(char op, Kind kind, std::string_view what) {
  if (what.empty() || what.size() > kMaxWhat || what.find('\n') != std::string_view::npos) return;
  std::array<char, kMaxWhat + 4> line;
  line[0] = op;
  line[1] = static_cast<char>('0' + static_cast<int>(kind));
  line[2] = ' ';
  std::memcpy(line.data() + 3, what.data(), what.size());
  line[3 + what.size()] = '\n';
  const std::size_t n = what.size() + 4;
  const std::lock_guard lock(g_mutex);
  if (!g_started) start();
  if (g_write_fd < 0) return;
  // Whole or not at all: a short write of a stream socket only happens on a signal, and a
  // janitor that is gone (EPIPE, no SIGPIPE) cannot be helped.
  std::size_t done = 0;
  while (done < n) {
    const ssize_t w = ::send(g_write_fd, line.data() + done, n - done, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    done += static_cast<std::size_t>(w);
  }
}

}  // namespace

void remember(Kind kind, std::string_view what) noexcept {
  send_line('+', kind, what);
}

void forget(Kind kind, std::string_view what) noexcept {
  send_line('-', kind, what);
}

int janitor_pid() noexcept {
  const std::lock_guard lock(g_mutex);
  return g_pid;
}

}  // namespace ipckit::bench::janitor
