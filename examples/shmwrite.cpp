// shmwrite [--lock] TEXT: the article's shmwrite.c (examples/article/shmwrite.c) on libipckit.
//
// Writes TEXT, NUL-terminated, at the start of the System V shared memory segment whose key is
// ftok("/etc/hostname", 903). Like the article it creates the 4096-byte segment with mode 0666
// if it does not exist yet (IPC_CREAT, not IPC_EXCL) and opens it otherwise. The segment
// outlives this program: read it with shmread, remove it with `ipcrm -M <key>`.
//
// --lock takes the article's writer lock while writing: on the 2-counter semaphore set with the
// same key (created with mode 0666 if missing), wait until no reader holds counter 0, then count
// this writer on counter 1 (SEM_UNDO), as ipckit::sysv::SemLock::lock() does. A reader that also
// locks (`shmread --lock`, or the article's locked shmread) never sees a half-written text. Only
// lockers are excluded: a plain shmread can still read in the middle of a write.
//
// Differences from the article, on purpose:
//  * every failure is reported in one line ("shmwrite: shmget(key 0x...): ...") and exits 1;
//    the article ignores errors;
//  * TEXT is cut at 4095 bytes, so the segment always ends in NUL (the article's
//    strncpy(seg, argv[1], 4096) leaves no terminator for a text of 4096 bytes or more); a cut
//    is reported on stderr. As with strncpy, the rest of the segment is zero-filled;
//  * a second TEXT operand is a usage error instead of being ignored (quote the text).
#include <fmt/core.h>

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>

#include "ipckit/core/error.hpp"
#include "ipckit/sysv/key.hpp"
#include "ipckit/sysv/sem_lock.hpp"
#include "ipckit/sysv/shared_memory.hpp"

namespace {

using namespace ipckit::sysv;

// The article's constants: the key's file and proj_id, the segment's size, and its mode.
constexpr const char* kKeyPath = "/etc/hostname";
constexpr int kProjId = 903;
constexpr std::size_t kSegSize = 4096;
constexpr mode_t kMode = 0666;

constexpr std::string_view kUsage =
    "Usage: shmwrite [--lock] [--] TEXT\n"
    "\n"
    "Write TEXT (at most 4095 bytes) at the start of the System V shared memory segment\n"
    "with key ftok(\"/etc/hostname\", 903), creating the 4096-byte segment (mode 0666) if\n"
    "needed.\n"
    "\n"
    "Options:\n"
    "  --lock   hold the writer lock of the semaphore set with the same key while writing\n"
    "  --help   show this help and exit\n";

int fail(const ipckit::Error& e) {
  fmt::print(stderr, "shmwrite: {}\n", e.message());
  return 1;
}

int usage_error(std::string_view what) {
  fmt::print(stderr, "shmwrite: {}\nTry 'shmwrite --help' for more information.\n", what);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  bool lock = false;
  std::optional<std::string_view> text;
  bool options_done = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (!options_done && arg == "--") {
      options_done = true;
    } else if (!options_done && (arg == "--help" || arg == "-h")) {
      std::fwrite(kUsage.data(), 1, kUsage.size(), stdout);
      return std::fflush(stdout) == 0 ? 0 : 1;
    } else if (!options_done && arg == "--lock") {
      lock = true;
    } else if (!options_done && arg.size() > 1 && arg.front() == '-') {
      return usage_error(fmt::format("unrecognized option '{}'", arg));
    } else if (text) {
      return usage_error(
          fmt::format("unexpected argument '{}' (quote TEXT if it has spaces)", arg));
    } else {
      text = arg;
    }
  }
  if (!text) return usage_error("missing TEXT");

  auto key = Key::from_path(kKeyPath, kProjId);
  if (!key) return fail(key.error());
  auto shm = SharedMemory::create(*key, kSegSize, kMode, Exclusive::kNo);
  if (!shm) return fail(shm.error());
  auto seg = shm->attach(Access::kReadWrite);
  if (!seg) return fail(seg.error());

  std::optional<WriteGuard> guard;
  if (lock) {
    auto sem = SemLock::open_or_create(*key, kMode);
    if (!sem) return fail(sem.error());
    auto held = sem->lock();
    if (!held) return fail(held.error());
    guard.emplace(std::move(*held));
  }

  // Only the article's 4096 bytes are ours, even if someone made the segment larger.
  const std::span<std::byte> bytes = seg->bytes().first(std::min(seg->size(), kSegSize));
  const std::size_t n = std::min(text->size(), bytes.size() - 1);
  std::memcpy(bytes.data(), text->data(), n);
  std::memset(bytes.data() + n, 0, bytes.size() - n);

  if (guard) {
    if (auto r = guard->unlock(); !r) return fail(r.error());
  }
  if (auto r = seg->detach(); !r) return fail(r.error());
  if (n < text->size()) {
    fmt::print(stderr, "shmwrite: TEXT is {} bytes; wrote its first {}\n", text->size(), n);
  }
  return 0;
}
