// shmread [--lock]: the article's shmread.c (examples/article/shmread.c) on libipckit.
//
// Prints the NUL-terminated text at the start of the System V shared memory segment whose key
// is ftok("/etc/hostname", 903), followed by a newline. The segment must exist (shmwrite, or the
// article's shmwrite, creates it) and be at least 4096 bytes; it is attached read-only
// (SHM_RDONLY), so this program cannot change it.
//
// --lock takes the article's reader lock while reading: on the 2-counter semaphore set with the
// same key (created with mode 0666 if missing, as the article's semget(key, 2, IPC_CREAT | 0666)
// does), wait until no writer holds counter 1, then count this reader on counter 0 (SEM_UNDO),
// as ipckit::sysv::SemLock::lock_shared() does. A writer that also locks then never changes the
// text while it is being read.
//
// Differences from the article, on purpose:
//  * every failure is reported in one line and exits 1, e.g.
//    "shmread: shmget(key 0x87010203): No such file or directory" when there is no segment (the
//    article's program crashes); no semaphore set is created in that case;
//  * the text is read up to the first NUL or the end of the 4096 bytes, whichever comes first
//    (the article's printf("%s") runs off the end when a 4096-byte text left no NUL);
//  * the text is copied out under the lock and printed after unlocking, so a slow stdout (a full
//    pipe) cannot hold writers up; the article prints while holding the lock;
//  * the unlock carries SEM_UNDO (see ipckit/sysv/sem_lock.hpp for why the article's does not
//    balance).
#include <fmt/core.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "ipckit/core/error.hpp"
#include "ipckit/sysv/key.hpp"
#include "ipckit/sysv/sem_lock.hpp"
#include "ipckit/sysv/shared_memory.hpp"

namespace {

using namespace ipckit::sysv;

// The article's constants: the key's file and proj_id, the segment's size, and the semaphore
// set's mode.
constexpr const char* kKeyPath = "/etc/hostname";
constexpr int kProjId = 903;
constexpr std::size_t kSegSize = 4096;
constexpr mode_t kSemMode = 0666;

constexpr std::string_view kUsage =
    "Usage: shmread [--lock]\n"
    "\n"
    "Print the text at the start of the System V shared memory segment with key\n"
    "ftok(\"/etc/hostname\", 903), as written by shmwrite.\n"
    "\n"
    "Options:\n"
    "  --lock   hold the reader lock of the semaphore set with the same key while reading\n"
    "  --help   show this help and exit\n";

int fail(const ipckit::Error& e) {
  fmt::print(stderr, "shmread: {}\n", e.message());
  return 1;
}

int usage_error(std::string_view what) {
  fmt::print(stderr, "shmread: {}\nTry 'shmread --help' for more information.\n", what);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  bool lock = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fwrite(kUsage.data(), 1, kUsage.size(), stdout);
      return std::fflush(stdout) == 0 ? 0 : 1;
    }
    if (arg == "--lock") {
      lock = true;
    } else if (arg.size() > 1 && arg.front() == '-') {
      return usage_error(fmt::format("unrecognized option '{}'", arg));
    } else {
      return usage_error(fmt::format("unexpected argument '{}'", arg));
    }
  }

  auto key = Key::from_path(kKeyPath, kProjId);
  if (!key) return fail(key.error());
  auto shm = SharedMemory::open(*key, kSegSize);
  if (!shm) return fail(shm.error());
  auto seg = shm->attach(Access::kReadOnly);
  if (!seg) return fail(seg.error());

  std::optional<ReadGuard> guard;
  if (lock) {
    auto sem = SemLock::open_or_create(*key, kSemMode);
    if (!sem) return fail(sem.error());
    auto held = sem->lock_shared();
    if (!held) return fail(held.error());
    guard.emplace(std::move(*held));
  }

  // Safety: the attachment is read-only and at least kSegSize bytes (open() checked the size);
  // strnlen never looks past those bytes.
  const char* chars = static_cast<const char*>(seg->data());
  const std::size_t limit = std::min(seg->size(), kSegSize);
  std::string text(chars, strnlen(chars, limit));

  if (guard) {
    if (auto r = guard->unlock(); !r) return fail(r.error());
  }
  if (auto r = seg->detach(); !r) return fail(r.error());

  text += '\n';
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0) {
    return fail(ipckit::Error::from_errno("write", "stdout"));
  }
  return 0;
}
