#include "iceoryx_roudi.hpp"

#include <cerrno>
#include <csignal>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

namespace ipckit::bench {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// Held by the process whose RouDi runs; the kernel frees it when that process dies.
constexpr char kOurLockName[] = "ipckit-bench-iceoryx-roudi";
// iceoryx 2.0.3's own single-RouDi lock (iox::posix::FileLock "iox-unique-roudi", flock(2)).
constexpr char kRoudiLockFile[] = "/tmp/iox-unique-roudi.lock";
// RouDi's socket and its lock (iceoryx 2.0.3, IOX_UDS_SOCKET_PATH_PREFIX "/tmp/").
constexpr char kRoudiSocket[] = "/tmp/roudi";
constexpr char kRoudiSocketLock[] = "/tmp/roudi.lock";
constexpr char kReadyLine[] = "RouDi is ready for clients";

Result<int> take_our_lock(Clock::time_point until) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path + 1, kOurLockName, sizeof kOurLockName - 1);
  const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + sizeof kOurLockName);
  for (;;) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return fail_errno("socket", "AF_UNIX");
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), length) == 0) return fd;
    int code = errno;
    ::close(fd);
    if (code != EADDRINUSE) return fail(code, "bind", std::string("@") + kOurLockName);
    if (Clock::now() >= until)
      return fail(EBUSY, "iox-roudi", kOurLockName,
                  "another ipckit bench iceoryx round held the RouDi lock too long");
    std::this_thread::sleep_for(20ms);
  }
}

// A RouDi is running when iceoryx's own lock file is locked.
bool foreign_roudi_running() {
  int fd = ::open(kRoudiLockFile, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;  // no lock file: no RouDi (or a RouDi of another iceoryx version)
  bool locked = ::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  if (!locked) ::flock(fd, LOCK_UN);
  ::close(fd);
  return locked;
}

std::string last_line(const std::string& text) {
  std::istringstream in(text);
  std::string line, last;
  while (std::getline(in, line))
    if (!line.empty()) last = line;
  return last;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream all;
  all << in.rdbuf();
  return all.str();
}

}  // namespace

std::string IceoryxRoudi::program() {
  if (const char* env = std::getenv("IPCKIT_IOX_ROUDI"); env && *env)
    return ::access(env, X_OK) == 0 ? env : "";
#ifdef IPCKIT_IOX_ROUDI
  if (::access(IPCKIT_IOX_ROUDI, X_OK) == 0) return IPCKIT_IOX_ROUDI;
#endif
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    std::string candidate = (dir.empty() ? "." : dir) + "/iox-roudi";
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

Result<std::unique_ptr<IceoryxRoudi>> IceoryxRoudi::start(const std::string& config_toml,
                                                          std::chrono::seconds wait) {
  const auto until = Clock::now() + wait;
  const std::string roudi = program();
  if (roudi.empty()) return fail(ENOENT, "iox-roudi", "PATH", "iox-roudi not found");
  auto dir = PrivateDir::make("iceoryx");
  if (!dir) return std::unexpected(dir.error());
  auto lock = take_our_lock(until);
  if (!lock) return std::unexpected(lock.error());
  std::unique_ptr<IceoryxRoudi> self(new IceoryxRoudi(*lock, std::move(*dir)));
  if (foreign_roudi_running())
    return fail(EBUSY, "iox-roudi", kRoudiLockFile,
                "another iox-roudi is running (not started by ipckit bench); iceoryx 2.0 allows "
                "one per machine and ipckit bench neither shares nor stops it");

  const auto config = self->dir_.path() / "roudi_config.toml";
  const auto log = self->dir_.path() / "roudi.log";
  {
    std::ofstream out(config);
    out << config_toml;
    if (!out) return fail(EIO, "write", config.string());
  }
  const std::string config_arg = config.string(), log_path = log.string();
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) return fail_errno("fork", "iox-roudi");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);
    const rlimit no_core{0, 0};  // its abort at shutdown (see remove_roudi_leftovers) dumps no core
    ::setrlimit(RLIMIT_CORE, &no_core);
    int out = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (out < 0 || null < 0 || ::dup2(null, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(out, 2) < 0)
      ::_exit(127);
    ::execl(roudi.c_str(), "iox-roudi", "-c", config_arg.c_str(), "-m", "off", "-l", "warning",
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  self->pid_ = pid;

  for (;;) {
    const std::string text = read_file(log);
    if (text.find(kReadyLine) != std::string::npos) return self;
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      self->pid_ = -1;
      std::string why = last_line(text);
      if (text.find("ROUDI_STILL_RUNNING") != std::string::npos)
        why = "another iox-roudi started meanwhile (not ours; left alone)";
      return fail(EIO, "iox-roudi", roudi,
                  "exited before it was ready" + (why.empty() ? "" : ": " + why));
    }
    if (Clock::now() >= until)
      return fail(ETIMEDOUT, "iox-roudi", roudi,
                  "not ready after " + std::to_string(wait.count()) + " s");
    std::this_thread::sleep_for(5ms);
  }
}

void IceoryxRoudi::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);  // our unreaped child: the pid is still ours
  const auto until = Clock::now() + 10s;
  int status = 0;
  while (::waitpid(pid_, &status, WNOHANG) == 0) {
    if (Clock::now() >= until) {
      ::kill(pid_, SIGKILL);
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    std::this_thread::sleep_for(5ms);
  }
  pid_ = -1;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) remove_roudi_leftovers();
}

void IceoryxRoudi::remove_roudi_leftovers() {
  // iceoryx 2.0's RouDi aborts at SIGTERM when a registered process is already gone (the round's
  // processes end with _exit(), without unregistering), leaving its objects behind. Remove them
  // holding iceoryx's own lock, so that no other RouDi can be running (or start) meanwhile: they
  // are then the leftovers of ours, which held that lock from start to end.
  int fd = ::open(kRoudiLockFile, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  if (::flock(fd, LOCK_EX | LOCK_NB) == 0) {
    ::shm_unlink("/iceoryx_mgmt");
    if (const passwd* user = ::getpwuid(::geteuid()); user != nullptr)
      ::shm_unlink(("/" + std::string(user->pw_name)).c_str());
    ::unlink(kRoudiSocket);
    ::unlink(kRoudiSocketLock);
    ::unlink(kRoudiLockFile);
  }
  ::close(fd);
}

IceoryxRoudi::~IceoryxRoudi() {
  stop();
  ::close(lock_fd_);
}

}  // namespace ipckit::bench
