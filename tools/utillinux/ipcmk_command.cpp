// `ipckit ipcmk` (and ipckit run as `ipcmk`): util-linux 2.38's ipcmk, byte for byte.
//
// One deliberate difference (docs/ipcs.md): the random key is taken with IPC_EXCL and drawn
// again if it is in use, so ipcmk never hands back somebody else's object under a key that
// happened to collide; util-linux 2.38 opens the existing object in that case.
#include <fmt/core.h>
#include <getopt.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/random.h>
#include <sys/sem.h>
#include <sys/shm.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>

#include "cli/completion_hints.hpp"
#include "utillinux/drop_in.hpp"
#include "utillinux/ul_compat.hpp"

namespace ipckit::cli::ipcmk {

namespace {

[[noreturn]] void usage() {
  fmt::print(
      "\n"
      "Usage:\n"
      " {} [options]\n"
      "\n"
      "Create various IPC resources.\n"
      "\n"
      "Options:\n"
      " -M, --shmem <size>       create shared memory segment of size <size>\n"
      " -S, --semaphore <number> create semaphore array with <number> elements\n"
      " -Q, --queue              create message queue\n"
      " -p, --mode <mode>        permission for the resource (default is 0644)\n"
      "\n"
      " -h, --help               display this help\n"
      " -V, --version            display version\n"
      "\n"
      "Arguments:\n"
      " <size> arguments may be followed by the suffixes for\n"
      "   GiB, TiB, PiB, EiB, ZiB, and YiB (the \"iB\" is optional)\n"
      "\n"
      "For more details see ipcmk(1).\n",
      ul::program());
  throw ul::Exit{0};
}

key_t random_key() {
  key_t key = 0;
  std::size_t got = 0;
  auto* bytes = reinterpret_cast<unsigned char*>(&key);
  while (got < sizeof key) {
    const ssize_t n = ::getrandom(bytes + got, sizeof key - got, 0);
    if (n > 0) {
      got += static_cast<std::size_t>(n);
    } else if (n < 0 && errno != EINTR) {
      key = static_cast<key_t>(std::rand());  // no getrandom(2): util-linux falls back too
      break;
    }
  }
  return key;
}

// Calls create(key) with fresh random keys until one is not taken (IPC_EXCL). Returns the id,
// or -1 with errno set.
template <class Create>
int create_with_random_key(Create create) {
  constexpr int kAttempts = 64;
  int id = -1;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    id = create(random_key());
    if (id >= 0 || errno != EEXIST) break;
  }
  return id;
}

const option kLongOptions[] = {{"shmem", required_argument, nullptr, 'M'},
                               {"semaphore", required_argument, nullptr, 'S'},
                               {"queue", no_argument, nullptr, 'Q'},
                               {"mode", required_argument, nullptr, 'p'},
                               {"version", no_argument, nullptr, 'V'},
                               {"help", no_argument, nullptr, 'h'},
                               {nullptr, 0, nullptr, 0}};
constexpr const char* kShortOptions = "hM:QS:p:Vh";

int ipcmk_main(int argc, char** argv) {
  int permission = 0644;
  std::uint64_t size = 0;
  int nsems = 0;
  bool ask_shm = false, ask_msg = false, ask_sem = false;
  int opt = 0;
  while ((opt = ::getopt_long(argc, argv, kShortOptions, kLongOptions, nullptr)) != -1) {
    switch (opt) {
      case 'M':
        size = ul::strtosize_or_err(optarg, "failed to parse size");
        ask_shm = true;
        break;
      case 'Q':
        ask_msg = true;
        break;
      case 'S':
        nsems = ul::strtos32_or_err(optarg, "failed to parse elements");
        ask_sem = true;
        break;
      case 'p': {
        // Octal, unchecked beyond parsing: like util-linux, extra bits go to the get call as
        // flags ("-p -1" is every bit). errno may be 0 here: util-linux then says "Success".
        char* end = nullptr;
        errno = 0;
        const unsigned long value = std::strtoul(optarg, &end, 8);
        if (errno != 0 || end == optarg || *end != '\0') ul::err("failed to parse mode", errno);
        permission = static_cast<int>(value);
        break;
      }
      case 'h':
        usage();
      case 'V':
        ul::print_version();
      default:
        ul::errtryhelp();
    }
  }
  if (!ask_shm && !ask_msg && !ask_sem) {
    ul::warnx("bad usage");
    ul::errtryhelp();
  }
  const int flags = permission | IPC_CREAT | IPC_EXCL;
  if (ask_shm) {
    const int id = create_with_random_key(
        [&](key_t key) { return ::shmget(key, static_cast<std::size_t>(size), flags); });
    if (id < 0) ul::err("create share memory failed", errno);
    fmt::print("Shared memory id: {}\n", id);
  }
  if (ask_msg) {
    const int id = create_with_random_key([&](key_t key) { return ::msgget(key, flags); });
    if (id < 0) ul::err("create message queue failed", errno);
    fmt::print("Message queue id: {}\n", id);
  }
  if (ask_sem) {
    const int id = create_with_random_key([&](key_t key) { return ::semget(key, nsems, flags); });
    if (id < 0) ul::err("create semaphore failed", errno);
    fmt::print("Semaphore id: {}\n", id);
  }
  return 0;
}

}  // namespace

IPCKIT_DROP_IN(310, "ipcmk", "Create System V IPC objects (util-linux ipcmk, byte for byte)",
               ipcmk_main);

// What `ipckit completion` offers for this command's options (cli/completion_hints.hpp).
const bool kOptionsDescribed = [] {
  describe_drop_in("ipcmk", kShortOptions, kLongOptions, {});
  return true;
}();

}  // namespace ipckit::cli::ipcmk
