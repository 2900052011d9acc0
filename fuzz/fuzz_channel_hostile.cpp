// A hostile writer against a live channel: while a real Sender and Receiver run (in the peer
// process, channel_fuzz_peer, built by the main build), the fuzzer's bytes become writes to the
// header's words and the ring, and ftruncate(2) calls on the segment's file.
// Property: the peer never dies (no SIGBUS, no sanitizer report), every call there returns ok or
// an allowed error by its deadline (the peer checks), and each round ends within kRoundLimit.
//
// Needs IPCKIT_FUZZ_PEER: the path of channel_fuzz_peer (scripts/fuzz-smoke.sh sets it).
//
// Input: byte 0 chooses the round (bit 0 multi-producer, bit 1 busy poll, bits 2-7 the calls'
// timeout in ms), then 11-byte operations: kind, 2-byte offset, 8-byte value.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "channel/layout.hpp"

extern char** environ;

using namespace ipckit::channel::detail;

namespace {

constexpr int kRoundLimit = 20'000;  // ms for the peer to answer: far past any call's timeout
constexpr std::size_t kSegmentSize = kHeaderSize + 4096;  // the peer makes 4 KiB rings

pid_t g_peer = -1;
int g_to_peer = -1;
FILE* g_from_peer = nullptr;

[[noreturn]] void die(const char* what, const std::string& detail = {}) {
  std::fprintf(stderr, "fuzz_channel_hostile: %s%s%s\n", what, detail.empty() ? "" : ": ",
               detail.c_str());
  if (g_peer > 0) {
    int status = 0;
    if (::waitpid(g_peer, &status, WNOHANG) == g_peer && WIFSIGNALED(status))
      std::fprintf(stderr, "fuzz_channel_hostile: the peer died of signal %d (%s)\n",
                   WTERMSIG(status), ::strsignal(WTERMSIG(status)));
  }
  std::abort();
}

void start_peer() {
  const char* path = std::getenv("IPCKIT_FUZZ_PEER");
  if (path == nullptr || *path == '\0')
    die("IPCKIT_FUZZ_PEER is not set (the path of channel_fuzz_peer; see scripts/fuzz-smoke.sh)");
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) die("pipe");
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  ::posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  char* argv[] = {const_cast<char*>(path), nullptr};
  if (int rc = ::posix_spawn(&g_peer, path, &actions, nullptr, argv, environ); rc != 0)
    die("cannot start the peer", std::string(path) + ": " + std::strerror(rc));
  ::posix_spawn_file_actions_destroy(&actions);
  ::close(in[0]);
  ::close(out[1]);
  g_to_peer = in[1];
  g_from_peer = ::fdopen(out[0], "r");
  ::signal(SIGPIPE, SIG_IGN);
}

void tell(const std::string& line) {
  if (::write(g_to_peer, line.data(), line.size()) != static_cast<ssize_t>(line.size()))
    die("the peer stopped reading");
}

std::string hear() {
  struct pollfd p {
    ::fileno(g_from_peer), POLLIN, 0
  };
  if (::poll(&p, 1, kRoundLimit) != 1) die("the peer did not answer in time: a call hangs");
  char line[512];
  if (std::fgets(line, sizeof line, g_from_peer) == nullptr) die("the peer died");
  std::string s(line);
  if (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

// The segment as the hostile writer sees it: mapped at full size, written only below the file's
// current size (past it, the writer itself would get SIGBUS).
struct Target {
  int fd = -1;
  std::byte* base = nullptr;
  std::size_t size = kSegmentSize;

  template <class T>
  void store(std::size_t offset, T value) {
    offset &= ~(sizeof(T) - 1);
    if (offset + sizeof(T) > size) return;
    __atomic_store_n(reinterpret_cast<T*>(base + offset), value, __ATOMIC_SEQ_CST);
  }
  template <class T>
  T load(std::size_t offset) {
    offset &= ~(sizeof(T) - 1);
    if (offset + sizeof(T) > size) return 0;
    return __atomic_load_n(reinterpret_cast<T*>(base + offset), __ATOMIC_SEQ_CST);
  }
};

// The words a hostile writer most wants: positions, owners, claims, wait lines, participants.
constexpr std::size_t kHotWords[] = {
    offsetof(Header, producer),
    offsetof(Header, consumer),
    offsetof(Header, claim),
    offsetof(Header, producer_side),
    offsetof(Header, consumer_side),
    offsetof(Header, data),
    offsetof(Header, space),
    offsetof(Header, producer_turn),
    offsetof(Header, participants),
    offsetof(Header, participants) + 16,
    offsetof(Header, participants) + 24,
    offsetof(Header, participants) + 32,
    offsetof(Header, participants) + 48,
    offsetof(Header, participants) + 56,
};

void mutate(Target& t, const std::uint8_t* data, std::size_t size) {
  constexpr std::size_t kOp = 11;
  for (std::size_t i = 0; i + kOp <= size; i += kOp) {
    const std::uint8_t kind = data[i];
    std::uint16_t raw_offset;
    std::uint64_t value;
    std::memcpy(&raw_offset, data + i + 1, 2);
    std::memcpy(&value, data + i + 3, 8);
    const std::size_t hot = kHotWords[raw_offset % std::size(kHotWords)];
    switch (kind % 7) {
      case 0:  // any 8-byte header word
        t.store<std::uint64_t>(raw_offset % kHeaderSize, value);
        break;
      case 1:  // a hot word
        t.store<std::uint64_t>(hot, value);
        break;
      case 2:  // a hot word moved a little: positions near the real ones
        t.store<std::uint64_t>(hot,
                               t.load<std::uint64_t>(hot) + static_cast<std::int8_t>(value) * 8);
        break;
      case 3:  // a 4-byte word anywhere (record headers in the ring, futex words, roles)
        t.store<std::uint32_t>(raw_offset % kSegmentSize, static_cast<std::uint32_t>(value));
        break;
      case 4: {  // the file shrinks (or grows back)
        constexpr off_t kSizes[] = {0, 100, kHeaderSize, kHeaderSize + 100, kSegmentSize};
        const off_t to = kSizes[value % std::size(kSizes)];
        if (::ftruncate(t.fd, to) == 0) t.size = static_cast<std::size_t>(to);
        break;
      }
      case 5:  // let the peer run into what was written
        ::usleep(static_cast<useconds_t>(value % 3000));
        break;
      default:
        ::sched_yield();
        break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  start_peer();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const unsigned flags = data[0] & 3u;
  const unsigned timeout_ms = 1 + (data[0] >> 2);  // 1..64 ms
  tell("round " + std::to_string(flags) + " " + std::to_string(timeout_ms) + "\n");
  std::string ready = hear();
  if (ready.rfind("ready ", 0) != 0) die("unexpected answer", ready);
  const std::string name = "/" + ready.substr(6);

  Target t;
  t.fd = ::shm_open(name.c_str(), O_RDWR | O_CLOEXEC, 0);
  if (t.fd < 0) die("shm_open", name);
  void* base = ::mmap(nullptr, kSegmentSize, PROT_READ | PROT_WRITE, MAP_SHARED, t.fd, 0);
  if (base == MAP_FAILED) die("mmap", name);
  t.base = static_cast<std::byte*>(base);
  mutate(t, data + 1, size - 1);
  ::usleep(1000);  // let the sender and the receiver run into what was written
  ::munmap(base, kSegmentSize);
  ::close(t.fd);

  tell("stop\n");
  std::string verdict = hear();
  ::shm_unlink(name.c_str());  // the peer removes it; this is for a peer that could not
  if (verdict != "ok") die("broken invariant", verdict);
  return 0;
}
