#include "channel/bus_guard.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <mutex>

namespace ipckit::channel::detail {

namespace {

// A table entry is written only while `state` is kWriting, by the thread that won it; the
// handler reads only kLive entries.
enum : std::uint32_t { kFree = 0, kWriting = 1, kLive = 2 };

struct Entry {
  std::atomic<std::uint32_t> state{kFree};
  std::atomic<std::uintptr_t> begin{0};
  std::atomic<std::uintptr_t> end{0};
  std::atomic<std::atomic<bool>*> truncated{nullptr};
};

std::array<Entry, kMaxGuardedMappings> g_table;
// Written once, before our handler is installed (sigaction orders it before any delivery).
struct sigaction g_previous {};
std::uintptr_t g_page_mask = 0;

// Replaces [page of addr, end of its range) with zero-filled private pages. True if addr was in
// a guarded range and the pages are replaced.
bool absorb(std::uintptr_t addr) noexcept {
  for (Entry& e : g_table) {
    if (e.state.load(std::memory_order_acquire) != kLive) continue;
    const std::uintptr_t begin = e.begin.load(std::memory_order_relaxed);
    const std::uintptr_t end = e.end.load(std::memory_order_relaxed);
    if (addr < begin || addr >= end) continue;
    const std::uintptr_t page = addr & g_page_mask;
    // The raw system call: no interposed wrapper (a sanitizer's) runs inside the handler.
    const long r = ::syscall(SYS_mmap, page, end - page, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (r != static_cast<long>(page)) return false;
    e.truncated.load(std::memory_order_relaxed)->store(true, std::memory_order_release);
    return true;
  }
  return false;
}

void chain(int sig, siginfo_t* info, void* context) noexcept {
  if ((g_previous.sa_flags & SA_SIGINFO) != 0) {
    if (g_previous.sa_sigaction != nullptr) g_previous.sa_sigaction(sig, info, context);
    return;
  }
  if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN) {
    g_previous.sa_handler(sig);
    return;
  }
  if (g_previous.sa_handler == SIG_IGN && info->si_code <= 0) return;  // a sent, ignored signal
  // Default action. A fault retries the access on return and dies of it with the usual status
  // and core dump; a sent signal is raised again, delivered once this handler returns.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  ::sigemptyset(&dfl.sa_mask);
  ::sigaction(SIGBUS, &dfl, nullptr);
  if (info->si_code <= 0) ::raise(SIGBUS);
}

void on_sigbus(int sig, siginfo_t* info, void* context) {
  const int saved_errno = errno;
  // si_code > 0: raised by the kernel for an access on this thread (not sent by kill/tgkill).
  // BUS_ADRERR is what an access past the end of a shrunk file gives.
  if (info == nullptr || info->si_code != BUS_ADRERR ||
      !absorb(reinterpret_cast<std::uintptr_t>(info->si_addr))) {
    chain(sig, info, context);
  }
  errno = saved_errno;
}

int install() noexcept {
  g_page_mask = ~(static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE)) - 1);
  struct sigaction sa {};
  sa.sa_sigaction = on_sigbus;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
  ::sigemptyset(&sa.sa_mask);
  if (::sigaction(SIGBUS, nullptr, &g_previous) != 0) return errno;
  if (::sigaction(SIGBUS, &sa, nullptr) != 0) return errno;
  return 0;
}

}  // namespace

int guard_mapping(void* base, std::size_t size, std::atomic<bool>* truncated) noexcept {
  static std::once_flag once;
  static int install_error = 0;
  std::call_once(once, [] { install_error = install(); });
  if (install_error != 0) {
    errno = install_error;
    return -1;
  }
  for (std::size_t i = 0; i < g_table.size(); ++i) {
    Entry& e = g_table[i];
    std::uint32_t expected = kFree;
    if (!e.state.compare_exchange_strong(expected, kWriting, std::memory_order_acquire)) continue;
    e.begin.store(reinterpret_cast<std::uintptr_t>(base), std::memory_order_relaxed);
    e.end.store(reinterpret_cast<std::uintptr_t>(base) + size, std::memory_order_relaxed);
    e.truncated.store(truncated, std::memory_order_relaxed);
    e.state.store(kLive, std::memory_order_release);
    return static_cast<int>(i);
  }
  errno = ENFILE;
  return -1;
}

void unguard_mapping(int ticket) noexcept {
  if (ticket < 0 || static_cast<std::size_t>(ticket) >= g_table.size()) return;
  g_table[static_cast<std::size_t>(ticket)].state.store(kFree, std::memory_order_release);
}

}  // namespace ipckit::channel::detail
