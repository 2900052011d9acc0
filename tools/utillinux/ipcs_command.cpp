// `ipckit ipcs` (and ipckit run as `ipcs`): util-linux 2.38's ipcs, byte for byte.
//
// Options are parsed with getopt_long exactly as util-linux does (same short and long options,
// abbreviations, permutation and messages). The printers are in tools/utillinux/ipcs_tables.cpp and
// ipcs_details.cpp; docs/ipcs.md lists the deliberate differences (a negative -i ID, --version).
#include <fmt/core.h>
#include <getopt.h>

#include <climits>

#include "cli/completion_hints.hpp"
#include "utillinux/drop_in.hpp"
#include "utillinux/ipcs_tables.hpp"
#include "utillinux/ul_compat.hpp"

namespace ipckit::cli::ipcs {

namespace {

constexpr int kOptHuman = CHAR_MAX + 1;

[[noreturn]] void usage() {
  const auto p = ul::program();
  fmt::print(
      "\n"
      "Usage:\n"
      " {0} [resource-option...] [output-option]\n"
      " {0} -m|-q|-s -i <id>\n"
      "\n"
      "Show information on IPC facilities.\n"
      "\n"
      "Options:\n"
      " -i, --id <id>  print details on resource identified by <id>\n"
      " -h, --help     display this help\n"
      " -V, --version  display version\n"
      "\n"
      "Resource options:\n"
      " -m, --shmems      shared memory segments\n"
      " -q, --queues      message queues\n"
      " -s, --semaphores  semaphores\n"
      " -a, --all         all (default)\n"
      "\n"
      "Output options:\n"
      " -t, --time        show attach, detach and change times\n"
      " -p, --pid         show PIDs of creator and last operator\n"
      " -c, --creator     show creator and owner\n"
      " -l, --limits      show resource limits\n"
      " -u, --summary     show status summary\n"
      "     --human       show sizes in human-readable format\n"
      " -b, --bytes       show sizes in bytes\n"
      "\n"
      "For more details see ipcs(1).\n",
      p);
  throw ul::Exit{0};
}

// The order matters: getopt_long lists ambiguous abbreviations in this order.
const option kLongOptions[] = {{"id", required_argument, nullptr, 'i'},
                               {"queues", no_argument, nullptr, 'q'},
                               {"shmems", no_argument, nullptr, 'm'},
                               {"semaphores", no_argument, nullptr, 's'},
                               {"all", no_argument, nullptr, 'a'},
                               {"time", no_argument, nullptr, 't'},
                               {"pid", no_argument, nullptr, 'p'},
                               {"creator", no_argument, nullptr, 'c'},
                               {"limits", no_argument, nullptr, 'l'},
                               {"summary", no_argument, nullptr, 'u'},
                               {"human", no_argument, nullptr, kOptHuman},
                               {"bytes", no_argument, nullptr, 'b'},
                               {"version", no_argument, nullptr, 'V'},
                               {"help", no_argument, nullptr, 'h'},
                               {nullptr, 0, nullptr, 0}};
constexpr const char* kShortOptions = "i:qmsatpclubVh";

int ipcs_main(int argc, char** argv) {
  bool msg = false, shm = false, sem = false, specific = false;
  int id = 0;
  Format format = Format::kDefault;
  Unit unit = Unit::kDefault;
  int opt = 0;
  while ((opt = ::getopt_long(argc, argv, kShortOptions, kLongOptions, nullptr)) != -1) {
    switch (opt) {
      case 'i':
        id = ul::strtos32_or_err(optarg, "failed to parse id argument");
        specific = true;
        break;
      case 'a':
        msg = shm = sem = true;
        break;
      case 'q':
        msg = true;
        break;
      case 'm':
        shm = true;
        break;
      case 's':
        sem = true;
        break;
      case 't':
        format = Format::kTime;
        break;
      case 'c':
        format = Format::kCreator;
        break;
      case 'p':
        format = Format::kPid;
        break;
      case 'l':
        format = Format::kLimits;
        break;
      case 'u':
        format = Format::kStatus;
        break;
      case kOptHuman:
        unit = Unit::kHuman;
        break;
      case 'b':
        unit = Unit::kBytes;
        break;
      case 'h':
        usage();
      case 'V':
        ul::print_version();
      default:
        ul::errtryhelp();
    }
  }
  if (specific && (int{msg} + int{shm} + int{sem}) != 1) {
    ul::errx("when using an ID, a single resource must be specified");
  }
  if (specific) {
    if (msg) print_msg_detail(id, unit);
    if (shm) print_shm_detail(id, unit);
    if (sem) print_sem_detail(id);
    return 0;
  }
  if (!msg && !shm && !sem) msg = shm = sem = true;
  Names names;
  fmt::print("\n");
  if (msg) {
    print_msg_section(format, unit, names);
    fmt::print("\n");
  }
  if (shm) {
    print_shm_section(format, unit, names);
    fmt::print("\n");
  }
  if (sem) {
    print_sem_section(format, names);
    fmt::print("\n");
  }
  return 0;
}

}  // namespace

IPCKIT_DROP_IN(300, "ipcs", "Show System V IPC objects (util-linux ipcs, byte for byte)",
               ipcs_main);

// What `ipckit completion` offers for this command's options (cli/completion_hints.hpp).
const bool kOptionsDescribed = [] {
  describe_drop_in("ipcs", kShortOptions, kLongOptions, {{"id", {.live = Live::kSysvAnyId}}});
  return true;
}();

}  // namespace ipckit::cli::ipcs
