#include "support/ipc_test_support.hpp"

#include <dirent.h>
#include <fmt/core.h>
#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

namespace ipckit::test {

namespace {

std::set<key_t> existing_keys() {
  std::set<key_t> keys;
  for (const char* table : {"/proc/sysvipc/shm", "/proc/sysvipc/sem", "/proc/sysvipc/msg"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      long long key = 0;
      if (fields >> key) keys.insert(static_cast<key_t>(key));
    }
  }
  return keys;
}

}  // namespace

sysv::Key unique_key() {
  static std::mt19937 rng(static_cast<unsigned>(::getpid()) ^ std::random_device{}());
  auto taken = existing_keys();
  for (;;) {
    // 0x7e?????? : a range unlikely to be used by ftok (whose top byte is proj_id).
    auto k = static_cast<key_t>(0x7e000000u | (rng() & 0x00ffffffu));
    if (k != IPC_PRIVATE && !taken.contains(k)) return sysv::Key(k);
  }
}

std::string unique_name(const std::string& suffix) {
  static std::atomic<int> counter{0};
  return fmt::format("ipckit-test-{}-{}-{}", ::getpid(), counter++, suffix);
}

int run_in_child(const std::function<int()>& fn) {
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    int code = fn();
    ::_exit(code);
  }
  if (pid < 0) return -1;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

int run_as_nobody(const std::function<int()>& fn) {
  return run_in_child([&] {
    if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0) return 200;
    return fn();
  });
}

int count_open_fds() {
  int n = 0;
  DIR* d = ::opendir("/proc/self/fd");
  if (d == nullptr) return -1;
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  ::closedir(d);
  return n - 1;  // the descriptor opendir itself holds
}

std::string find_on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    std::string candidate = dir + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

}  // namespace ipckit::test
