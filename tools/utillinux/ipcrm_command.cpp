// `ipckit ipcrm` (and ipckit run as `ipcrm`): util-linux 2.38's ipcrm, byte for byte, but safe.
//
// util-linux removes objects while it parses: `ipcrm -a shm` (a separate argument, which -a's
// optional argument cannot take) removes everything, then rejects "shm". Here the whole command
// line is parsed first, with the same messages; only a command line that parses removes
// anything, and then in the same order, with the same messages and exit status as util-linux.
// docs/ipcs.md lists every case where that changes what is printed or removed.
#include <fmt/core.h>
#include <getopt.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "cli/completion_hints.hpp"
#include "cli/output.hpp"
#include "ipckit/inspect/sysv_objects.hpp"
#include "utillinux/drop_in.hpp"
#include "utillinux/ul_compat.hpp"

namespace ipckit::cli::ipcrm {

namespace {

enum class Kind { kShm, kMsg, kSem };
enum class AllOf { kAll, kShm, kMsg, kSem };

// One -m/-M/-q/-Q/-s/-S, in command-line order.
struct Removal {
  Kind kind;
  bool by_key;
  int id;            // when !by_key
  key_t key;         // when by_key
  std::string text;  // the key as typed, for messages
  bool verbose;      // -v seen before this option (util-linux reads it as it goes)
};

[[noreturn]] void usage() {
  fmt::print(
      "\n"
      "Usage:\n"
      " {0} [options]\n"
      " {0} shm|msg|sem <id>...\n"
      "\n"
      "Remove certain IPC resources.\n"
      "\n"
      "Options:\n"
      " -m, --shmem-id <id>        remove shared memory segment by id\n"
      " -M, --shmem-key <key>      remove shared memory segment by key\n"
      " -q, --queue-id <id>        remove message queue by id\n"
      " -Q, --queue-key <key>      remove message queue by key\n"
      " -s, --semaphore-id <id>    remove semaphore by id\n"
      " -S, --semaphore-key <key>  remove semaphore by key\n"
      " -a, --all[=shm|msg|sem]    remove all (in the specified category)\n"
      " -v, --verbose              explain what is being done\n"
      "\n"
      " -h, --help                 display this help\n"
      " -V, --version              display version\n"
      "\n"
      "For more details see ipcrm(1).\n",
      ul::program());
  throw ul::Exit{0};
}

// strtoul's result as a 32-bit id or key, when the truncation util-linux does with it is
// harmless: the value fits in 32 bits, or is a negative number that fits in 32 (strtoul turns
// "-1" into ULONG_MAX, which truncates to -1). Anything else would alias a different, possibly
// existing object (2^32 + 5 truncates to 5): nullopt.
std::optional<std::int32_t> truncate_32(unsigned long value) {
  constexpr unsigned long kNegativeFloor = ULONG_MAX - static_cast<unsigned long>(INT32_MAX);
  if (value > UINT32_MAX && value < kNegativeFloor) return std::nullopt;
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(value));
}

// util-linux's strtokey(): base 0 (decimal, 0x hex, 0 octal); fatal on garbage.
key_t parse_key(const char* text) {
  const std::string message = fmt::format("failed to parse argument: '{}'", text);
  if (*text == '\0') {
    // util-linux reports whatever errno was left over here (see ul::startup_errno()).
    if (ul::startup_errno() != 0) ul::err(message, ul::startup_errno());
    ul::errx(message);
  }
  errno = 0;
  char* end = nullptr;
  const unsigned long value = std::strtoul(text, &end, 0);
  if (errno != 0) ul::err(message, errno);
  if (end == text || *end != '\0') ul::errx(message);
  const auto key = truncate_32(value);
  if (!key) ul::err(message, ERANGE);  // util-linux 2.38 truncated it to 32 bits
  return *key;
}

// The legacy syntax's ids ("ipcrm shm 1 2"): base 10, truncated to int as util-linux does.
std::optional<int> parse_legacy_id(const char* text) {
  errno = 0;
  char* end = nullptr;
  const unsigned long value = std::strtoul(text, &end, 10);
  // util-linux 2.38 checks only *end: "" and overflowing or 64-bit values became ids.
  if (*text == '\0' || end == text || *end != '\0' || errno != 0) return std::nullopt;
  return truncate_32(value);
}

const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::kShm:
      return "shared memory segment";
    case Kind::kMsg:
      return "message queue";
    case Kind::kSem:
      return "semaphore";
  }
  return "";
}

// IPC_RMID by id. Returns 1 on a failure it reported (and carried on from), 0 on success.
int remove_id(Kind kind, bool by_key, int id, bool verbose) {
  if (verbose) out("removing {} id `{}'\n", kind_name(kind), id);
  int rc = 0;
  switch (kind) {
    case Kind::kShm:
      rc = ::shmctl(id, IPC_RMID, nullptr);
      break;
    case Kind::kMsg:
      rc = ::msgctl(id, IPC_RMID, nullptr);
      break;
    case Kind::kSem:
      rc = ::semctl(id, 0, IPC_RMID);
      break;
  }
  if (rc == 0) return 0;
  const int error = errno;
  const char* what = nullptr;
  switch (error) {
    case EACCES:
    case EPERM:
      what = by_key ? "permission denied for key" : "permission denied for id";
      break;
    case EINVAL:
      what = by_key ? "invalid key" : "invalid id";
      break;
    case EIDRM:
      what = by_key ? "already removed key" : "already removed id";
      break;
    default:
      ul::err(by_key ? "key failed" : "id failed", error);
  }
  ul::warnx(fmt::format("{} ({})", what, id));
  return 1;
}

// The id of the object with `key`, or -1 after reporting why not.
int key_to_id(Kind kind, key_t key, const std::string& text) {
  int id = -1;
  switch (kind) {
    case Kind::kShm:
      id = ::shmget(key, 0, 0);
      break;
    case Kind::kMsg:
      id = ::msgget(key, 0);
      break;
    case Kind::kSem:
      id = ::semget(key, 0, 0);
      break;
  }
  if (id >= 0) return id;
  const int error = errno;
  const char* what = nullptr;
  switch (error) {
    case EACCES:
      what = "permission denied for key";
      break;
    case EIDRM:
      what = "already removed key";
      break;
    case ENOENT:
      what = "invalid key";
      break;
    default:
      ul::err("key failed", error);
  }
  ul::warnx(fmt::format("{} ({})", what, text));
  return -1;
}

// -a: every object the caller may read (SHM_STAT & co., as util-linux), segments first.
int remove_all(AllOf what, bool verbose) {
  int failed = 0;
  if (what == AllOf::kAll || what == AllOf::kShm) {
    auto list = inspect::list_shm(inspect::Source::kSyscalls);
    if (!list) ul::errx("kernel not configured for shared memory");
    for (const auto& o : *list)
      failed |= remove_id(Kind::kShm, false, o.id.value, verbose);
  }
  if (what == AllOf::kAll || what == AllOf::kSem) {
    auto list = inspect::list_sem(inspect::Source::kSyscalls);
    if (!list) ul::errx("kernel not configured for semaphores");
    for (const auto& o : *list)
      failed |= remove_id(Kind::kSem, false, o.id.value, verbose);
  }
  if (what == AllOf::kAll || what == AllOf::kMsg) {
    auto list = inspect::list_msg(inspect::Source::kSyscalls);
    if (!list) ul::errx("kernel not configured for message queues");
    for (const auto& o : *list)
      failed |= remove_id(Kind::kMsg, false, o.id.value, verbose);
  }
  return failed;
}

// "ipcrm shm|msg|sem ID...": every id is checked before any is removed.
int legacy_main(Kind kind, int argc, char** argv) {
  if (argc < 3) {
    ul::warnx("not enough arguments");
    ul::errtryhelp();
  }
  std::vector<int> ids;
  bool bad = false;
  for (int i = 2; i < argc; ++i) {
    if (auto id = parse_legacy_id(argv[i])) {
      ids.push_back(*id);
    } else {
      ul::warnx(fmt::format("invalid id: {}", argv[i]));
      bad = true;
    }
  }
  if (bad) return 1;
  int failed = 0;
  for (int id : ids)
    failed += remove_id(kind, false, id, false);
  if (failed != 0) return 1;
  out("resource(s) deleted\n");
  return 0;
}

const option kLongOptions[] = {{"shmem-id", required_argument, nullptr, 'm'},
                               {"shmem-key", required_argument, nullptr, 'M'},
                               {"queue-id", required_argument, nullptr, 'q'},
                               {"queue-key", required_argument, nullptr, 'Q'},
                               {"semaphore-id", required_argument, nullptr, 's'},
                               {"semaphore-key", required_argument, nullptr, 'S'},
                               {"all", optional_argument, nullptr, 'a'},
                               {"verbose", no_argument, nullptr, 'v'},
                               {"version", no_argument, nullptr, 'V'},
                               {"help", no_argument, nullptr, 'h'},
                               {nullptr, 0, nullptr, 0}};
constexpr const char* kShortOptions = "q:m:s:Q:M:S:a::vhV";

int ipcrm_main(int argc, char** argv) {
  if (argc == 1) return 0;  // util-linux: no arguments, nothing to do
  if (std::strcmp(argv[1], "shm") == 0) return legacy_main(Kind::kShm, argc, argv);
  if (std::strcmp(argv[1], "msg") == 0) return legacy_main(Kind::kMsg, argc, argv);
  if (std::strcmp(argv[1], "sem") == 0) return legacy_main(Kind::kSem, argc, argv);

  std::vector<Removal> removals;
  bool verbose = false;
  bool remove_all_requested = false;
  AllOf all_of = AllOf::kAll;
  int illegal_keys = 0;
  int opt = 0;
  while ((opt = ::getopt_long(argc, argv, kShortOptions, kLongOptions, nullptr)) != -1) {
    switch (opt) {
      case 'M':
      case 'Q':
      case 'S': {
        const Kind kind = opt == 'M' ? Kind::kShm : opt == 'Q' ? Kind::kMsg : Kind::kSem;
        const key_t key = parse_key(optarg);
        if (key == IPC_PRIVATE) {
          ul::warnx(fmt::format("illegal key ({})", optarg));
          ++illegal_keys;
          break;
        }
        removals.push_back({kind, true, -1, key, optarg, verbose});
        break;
      }
      case 'm':
      case 'q':
      case 's': {
        const Kind kind = opt == 'm' ? Kind::kShm : opt == 'q' ? Kind::kMsg : Kind::kSem;
        const int id = ul::strtos32_or_err(optarg, "failed to parse argument");
        removals.push_back({kind, false, id, 0, {}, verbose});
        break;
      }
      case 'a':
        remove_all_requested = true;
        if (optarg == nullptr) {
          all_of = AllOf::kAll;
        } else if (std::strcmp(optarg, "shm") == 0) {
          all_of = AllOf::kShm;
        } else if (std::strcmp(optarg, "msg") == 0) {
          all_of = AllOf::kMsg;
        } else if (std::strcmp(optarg, "sem") == 0) {
          all_of = AllOf::kSem;
        } else {
          ul::errx(fmt::format("unknown argument: {}", optarg));
        }
        break;
      case 'v':
        verbose = true;
        break;
      case 'h':
        usage();
      case 'V':
        ul::print_version();
      default:
        ul::errtryhelp();
    }
  }
  if (optind < argc) {
    ul::warnx(fmt::format("unknown argument: {}", argv[optind]));
    ul::errtryhelp();
  }
  if (illegal_keys != 0) return 1;  // util-linux carried on; nothing is removed here

  int failed = 0;
  for (const Removal& r : removals) {
    int id = r.id;
    if (r.by_key) {
      id = key_to_id(r.kind, r.key, r.text);
      if (id < 0) {
        ++failed;
        continue;
      }
    }
    failed += remove_id(r.kind, r.by_key, id, r.verbose);
  }
  if (remove_all_requested && remove_all(all_of, verbose) != 0) ++failed;
  return failed == 0 ? 0 : 1;
}

}  // namespace

IPCKIT_DROP_IN(320, "ipcrm", "Remove System V IPC objects (util-linux ipcrm, byte for byte)",
               ipcrm_main);

// What `ipckit completion` offers for this command's options (cli/completion_hints.hpp).
const bool kOptionsDescribed = [] {
  describe_drop_in("ipcrm", kShortOptions, kLongOptions,
                   {{"shmem-id", {.live = Live::kSysvShmId}},
                    {"shmem-key", {.live = Live::kSysvShmKey}},
                    {"queue-id", {.live = Live::kSysvMsgId}},
                    {"queue-key", {.live = Live::kSysvMsgKey}},
                    {"semaphore-id", {.live = Live::kSysvSemId}},
                    {"semaphore-key", {.live = Live::kSysvSemKey}},
                    {"all", {.choices = {"shm", "msg", "sem"}}}});
  return true;
}();

}  // namespace ipckit::cli::ipcrm
