#include "core/process_identity.hpp"

#include <fmt/core.h>
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>

#include "core/home_process.hpp"
#include "core/text_file.hpp"

namespace ipckit::detail {

bool read_start_ticks(pid_t pid, std::uint32_t& ticks) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  char buf[1024];
  // No allocation: liveness checks run in noexcept wait loops.
  const ssize_t n = read_text_file(path, std::span<char>(buf, sizeof buf - 1));
  if (n <= 0) return false;
  buf[n] = '\0';
  // The command name (field 2) is in parentheses and may itself contain ") ": skip to the last.
  const char* p = std::strrchr(buf, ')');
  if (p == nullptr) return false;
  ++p;
  // Field 3 is the state; a zombie has exited and only waits to be reaped.
  while (*p == ' ')
    ++p;
  if (*p == 'Z' || *p == 'X') return false;
  // Fields 3..21 precede the start time (field 22): skip 19 separators after field 2.
  for (int field = 3; field < 22; ++field) {
    p = std::strchr(p, ' ');
    if (p == nullptr) return false;
    ++p;
  }
  ticks = static_cast<std::uint32_t>(std::strtoull(p, nullptr, 10));
  return true;
}

// Bumped in the child after every fork(): cached identities and handles from before are stale
// there.
std::atomic<std::uint32_t> fork_generation{1};

std::unexpected<Error> HomeProcess::refuse(std::string operation, std::string object) const {
  return fail(EBUSY, std::move(operation), std::move(object),
              fmt::format("this handle belongs to process {} (inherited across fork()): open a "
                          "new one in this process",
                          pid_));
}

namespace {

void on_fork_child() {
  fork_generation.fetch_add(1, std::memory_order_relaxed);
}

[[maybe_unused]] const int atfork_registered = ::pthread_atfork(nullptr, nullptr, &on_fork_child);

struct Cached {
  std::uint32_t generation = 0;
  ProcessIdentity id;
};

}  // namespace

ProcessIdentity self_identity() {
  static std::atomic<std::uint64_t> cached{0};
  static std::atomic<std::uint32_t> cached_generation{0};
  std::uint32_t gen = fork_generation.load(std::memory_order_relaxed);
  if (cached_generation.load(std::memory_order_acquire) == gen)
    return ProcessIdentity::unpack(cached.load(std::memory_order_relaxed));
  ProcessIdentity id{::getpid(), 0};
  read_start_ticks(id.pid, id.start_ticks);
  cached.store(id.pack(), std::memory_order_relaxed);
  cached_generation.store(gen, std::memory_order_release);
  return id;
}

ProcessIdentity self_thread_identity() {
  thread_local Cached cache;
  std::uint32_t gen = fork_generation.load(std::memory_order_relaxed);
  if (cache.generation != gen) {
    cache.id = {::gettid(), 0};
    read_start_ticks(cache.id.pid, cache.id.start_ticks);
    cache.generation = gen;
  }
  return cache.id;
}

bool is_alive(ProcessIdentity id) {
  if (id.pid <= 0) return false;
  std::uint32_t ticks = 0;
  if (!read_start_ticks(id.pid, ticks)) return false;
  return ticks == id.start_ticks;
}

}  // namespace ipckit::detail
