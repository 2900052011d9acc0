// `ipckit lsipc` (and ipckit run as `lsipc`): util-linux 2.38's lsipc, byte for byte.
//
// Options are parsed with getopt_long as util-linux does; the column descriptors
// (tools/utillinux/lsipc_columns.cpp) drive -o, --help and every output mode; the rows come from
// ipckit::inspect (tools/utillinux/lsipc_rows.cpp) and are printed by libsmartcols, as
// util-linux prints them (tools/cli/table.hpp). docs/ipcs.md ("lsipc") lists what is reproduced,
// including 2.38's quirks, and the differences.
#include <fmt/core.h>
#include <getopt.h>

#include <array>
#include <climits>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "cli/completion_hints.hpp"
#include "utillinux/drop_in.hpp"
#include "utillinux/lsipc_columns.hpp"
#include "utillinux/lsipc_rows.hpp"
#include "utillinux/ul_compat.hpp"

namespace ipckit::cli::lsipc {

namespace {

enum class OutMode { kTable, kRaw, kJson, kExport, kNewline, kPretty, kList };

constexpr int kOptNoTrunc = CHAR_MAX + 1;
constexpr int kOptNoHead = CHAR_MAX + 2;
constexpr int kOptTimeFormat = CHAR_MAX + 3;

// The order matters: getopt_long lists ambiguous abbreviations in this order.
const option kLongOptions[] = {{"bytes", no_argument, nullptr, 'b'},
                               {"creator", no_argument, nullptr, 'c'},
                               {"export", no_argument, nullptr, 'e'},
                               {"global", no_argument, nullptr, 'g'},
                               {"help", no_argument, nullptr, 'h'},
                               {"id", required_argument, nullptr, 'i'},
                               {"json", no_argument, nullptr, 'J'},
                               {"list", no_argument, nullptr, 'l'},
                               {"newline", no_argument, nullptr, 'n'},
                               {"noheadings", no_argument, nullptr, kOptNoHead},
                               {"notruncate", no_argument, nullptr, kOptNoTrunc},
                               {"numeric-perms", no_argument, nullptr, 'P'},
                               {"output", required_argument, nullptr, 'o'},
                               {"queues", no_argument, nullptr, 'q'},
                               {"raw", no_argument, nullptr, 'r'},
                               {"semaphores", no_argument, nullptr, 's'},
                               {"shmems", no_argument, nullptr, 'm'},
                               {"time", no_argument, nullptr, 't'},
                               {"time-format", required_argument, nullptr, kOptTimeFormat},
                               {"version", no_argument, nullptr, 'V'},
                               {"shell", no_argument, nullptr, 'y'},
                               {nullptr, 0, nullptr, 0}};
constexpr const char* kShortOptions = "bceghi:Jlmno:PqrstVy";

// stdio, as util-linux writes: a failed write is reported once, at exit (ul::run_drop_in).
void write_stdout(const std::string& text) {
  (void)std::fwrite(text.data(), 1, text.size(), stdout);
}

// util-linux's err_exclusive_options(): the options of one row may not be mixed.
constexpr std::array<std::string_view, 4> kExclusive = {"Jelnr", "gi", "cot", "mqs"};

void check_exclusive(int opt, std::array<int, kExclusive.size()>& seen) {
  for (std::size_t row = 0; row < kExclusive.size(); ++row) {
    if (opt > CHAR_MAX || kExclusive[row].find(static_cast<char>(opt)) == std::string_view::npos)
      continue;
    if (opt == 'c') continue;  // listed, but never enforced by util-linux 2.38
    if (seen[row] == 0) {
      seen[row] = opt;
    } else if (seen[row] != opt) {
      std::string message = fmt::format("{}: mutually exclusive arguments:", ul::program());
      for (const char c : kExclusive[row]) {
        for (const option* o = kLongOptions; o->name != nullptr; ++o)
          if (o->val == c) message += fmt::format(" --{}", o->name);
      }
      fmt::print(stderr, "{}\n", message);
      throw ul::Exit{1};
    }
  }
}

[[noreturn]] void usage() {
  std::string out = fmt::format(
      "\n"
      "Usage:\n"
      " {} [options]\n"
      "\n"
      "Show information on IPC facilities.\n"
      "\n"
      "Resource options:\n"
      " -m, --shmems      shared memory segments\n"
      " -q, --queues      message queues\n"
      " -s, --semaphores  semaphores\n"
      " -g, --global      info about system-wide usage (may be used with -m, -q and -s)\n"
      " -i, --id <id>     print details on resource identified by <id>\n"
      "\n"
      "Options:\n"
      "     --noheadings         don't print headings\n"
      "     --notruncate         don't truncate output\n"
      "     --time-format=<type> display dates in short, full or iso format\n"
      " -b, --bytes              print SIZE in bytes rather than in human readable format\n"
      " -c, --creator            show creator and owner\n"
      " -e, --export             display in an export-able output format\n"
      " -J, --json               use the JSON output format\n"
      " -n, --newline            display each piece of information on a new line\n"
      " -l, --list               force list output format (for example with --id)\n"
      " -o, --output[=<list>]    define the columns to output\n"
      " -P, --numeric-perms      print numeric permissions (PERMS column)\n"
      " -r, --raw                display in raw mode\n"
      " -t, --time               show attach, detach and change times\n"
      " -y, --shell              use column names to be usable as shell variable identifiers\n"
      "\n"
      " -h, --help               display this help\n"
      " -V, --version            display version\n",
      ul::program());
  constexpr std::array<std::pair<ColGroup, std::string_view>, 5> kSections = {{
      {ColGroup::kGeneric, "Generic columns"},
      {ColGroup::kShm, "Shared-memory columns (--shmems)"},
      {ColGroup::kMsg, "Message-queue columns (--queues)"},
      {ColGroup::kSem, "Semaphore columns (--semaphores)"},
      {ColGroup::kSummary, "Summary columns (--global)"},
  }};
  for (const auto& [group, title] : kSections) {
    std::vector<table::ColumnSpec> specs;
    for (const ColumnDesc& d : all_columns())
      if (d.group == group) specs.push_back(d.spec);
    out += fmt::format("\n{}:\n{}", title, table::column_help(specs));
  }
  out += "\nFor more details see lsipc(1).\n";
  write_stdout(out);
  throw ul::Exit{0};
}

// The wanted columns, with util-linux's fixed capacity (every descriptor twice).
class Columns {
 public:
  void add(Col c) {
    if (cols_.size() >= capacity())
      ul::errx(fmt::format("too many columns specified, the limit is {} columns", capacity() - 1));
    cols_.push_back(static_cast<std::size_t>(c));
  }
  // -o LIST: "+LIST" appends, "LIST" replaces. Returns false on a bad list (after naming an
  // unknown or misplaced column, or silently for an empty name).
  [[nodiscard]] bool add_list(std::string_view list, ColGroup allowed) {
    const auto error =
        table::parse_output_list(list, column_specs(), cols_, capacity(), [&](std::size_t i) {
          const ColGroup g = all_columns()[i].group;
          return g == ColGroup::kGeneric || g == allowed;
        });
    if (error && !error->message().empty()) ul::warnx(error->message());
    return !error;
  }
  void clear() { cols_.clear(); }
  // COMMAND, if it is the last column, leaves the list (to be added back after others).
  bool pop_command() {
    if (cols_.empty() || cols_.back() != static_cast<std::size_t>(Col::kCommand)) return false;
    cols_.pop_back();
    return true;
  }
  [[nodiscard]] std::vector<Col> list() const {
    std::vector<Col> out;
    for (std::size_t i : cols_)
      out.push_back(static_cast<Col>(i));
    return out;
  }

 private:
  static std::size_t capacity() { return column_specs().size() * 2; }
  std::vector<std::size_t> cols_;
};

void print_pretty(const Table& table, const std::vector<Col>& cols, const Table& elements) {
  std::string out;
  if (table.row_count() != 0) {
    for (std::size_t i = 0; i < cols.size(); ++i) {
      const auto& cell = table.cell(0, i).text();
      if (!cell) continue;
      const std::string_view label = describe(cols[i]).pretty;
      const int width = 35 - static_cast<int>(label.size());
      out += fmt::format("{}:{}{}\n", label,
                         std::string(static_cast<std::size_t>(width > 1 ? width : 1), ' '),
                         ul::left(*cell, 36));
    }
    if (elements.row_count() != 0) out += "Elements:\n\n" + elements.render();
  }
  write_stdout(out);
}

table::Mode table_mode(OutMode mode) {
  switch (mode) {
    case OutMode::kRaw:
      return table::Mode::kRaw;
    case OutMode::kJson:
      return table::Mode::kJson;
    case OutMode::kExport:
      return table::Mode::kExport;
    case OutMode::kNewline:
      return table::Mode::kExportLines;
    default:
      return table::Mode::kTable;
  }
}

int lsipc_main(int argc, char** argv) {
  bool msg = false, shm = false, sem = false, global = false;
  bool show_time = false, show_creat = false;
  int id = -1;
  OutMode mode = OutMode::kTable;
  bool mode_set = false, time_set = false;
  RowOptions ro;
  table::Options to;
  Columns columns;
  ColGroup allowed = ColGroup::kGeneric;
  const char* outarg = nullptr;
  std::array<int, kExclusive.size()> seen{};
  const auto set_mode = [&](OutMode m) {
    mode = m;
    mode_set = true;
  };
  int opt = 0;
  while ((opt = ::getopt_long(argc, argv, kShortOptions, kLongOptions, nullptr)) != -1) {
    check_exclusive(opt, seen);
    switch (opt) {
      case 'b':
        ro.bytes = true;
        break;
      case 'i':
        id = ul::strtos32_or_err(optarg, "failed to parse IPC identifier");
        break;
      case 'e':
        set_mode(OutMode::kExport);
        break;
      case 'r':
        set_mode(OutMode::kRaw);
        break;
      case 'o':
        outarg = optarg;
        break;
      case 'g':
        global = true;
        break;
      case 'q':
        msg = true;
        for (Col c : {Col::kKey, Col::kId, Col::kPerms, Col::kOwner, Col::kUsedBytes, Col::kMsgs,
                      Col::kLspid, Col::kLrpid})
          columns.add(c);
        allowed = ColGroup::kMsg;
        break;
      case 'l':
        set_mode(OutMode::kList);
        break;
      case 'm':
        shm = true;
        for (Col c : {Col::kKey, Col::kId, Col::kPerms, Col::kOwner, Col::kSize, Col::kNattch,
                      Col::kStatus, Col::kCtime, Col::kCpid, Col::kLpid, Col::kCommand})
          columns.add(c);
        allowed = ColGroup::kShm;
        break;
      case 'n':
        set_mode(OutMode::kNewline);
        break;
      case 'P':
        ro.numperms = true;
        break;
      case 's':
        sem = true;
        for (Col c : {Col::kKey, Col::kId, Col::kPerms, Col::kOwner, Col::kNsems})
          columns.add(c);
        allowed = ColGroup::kSem;
        break;
      case kOptNoTrunc:
        to.notruncate = true;
        break;
      case kOptNoHead:
        to.noheadings = true;
        break;
      case kOptTimeFormat:
        if (std::strcmp(optarg, "iso") == 0)
          ro.time = TimeMode::kIso;
        else if (std::strcmp(optarg, "full") == 0)
          ro.time = TimeMode::kFull;
        else if (std::strcmp(optarg, "short") == 0)
          ro.time = TimeMode::kShort;
        else
          ul::errx(fmt::format("unknown time format: {}", optarg));
        time_set = true;
        break;
      case 'J':
        set_mode(OutMode::kJson);
        break;
      case 't':
        show_time = true;
        break;
      case 'c':
        show_creat = true;
        break;
      case 'y':
        to.shellvar = true;
        break;
      case 'h':
        usage();
      case 'V':
        ul::print_version();
      default:
        ul::errtryhelp();
    }
  }

  if (!msg && !shm && !sem) {
    msg = shm = sem = global = true;
    if (show_time || show_creat || id != -1)
      ul::errx("--global is mutually exclusive with --creator, --id and --time");
  }
  if (global) {
    for (Col c : {Col::kResource, Col::kDesc, Col::kLimit, Col::kUsed, Col::kUsePerc})
      columns.add(c);
    allowed = ColGroup::kSummary;
  }
  if (id != -1 && !mode_set) mode = OutMode::kPretty;
  if (!time_set) ro.time = mode == OutMode::kPretty ? TimeMode::kFull : TimeMode::kShort;
  ro.now = std::time(nullptr);

  if (mode == OutMode::kPretty && !show_creat && !show_time) {
    columns.clear();
    for (const ColumnDesc& d : all_columns())
      columns.add(d.id);
  } else {
    if (show_creat) {
      for (Col c : {Col::kCuid, Col::kCgid, Col::kUid, Col::kGid})
        columns.add(c);
    }
    if (msg && show_time) {
      for (Col c : {Col::kSend, Col::kRecv, Col::kCtime})
        columns.add(c);
    }
    if (shm && show_time) {  // COMMAND stays the last column
      const bool cmd = columns.pop_command();
      columns.add(Col::kAttach);
      columns.add(Col::kDetach);
      if (cmd) columns.add(Col::kCommand);
    }
    if (sem && show_time) {
      columns.add(Col::kOtime);
      columns.add(Col::kCtime);
    }
  }
  if (outarg != nullptr && !columns.add_list(outarg, allowed)) return 1;

  const std::vector<Col> cols = columns.list();
  std::vector<table::ColumnSpec> specs;
  specs.reserve(cols.size());
  for (Col c : cols)
    specs.push_back(describe(c).spec);
  to.mode = table_mode(mode);
  if (global) to.name = "ipclimits";
  Table table(std::move(specs), to);
  ipcs::Names names;
  Table elements(element_columns(), {});
  const auto not_found = [id] {
    if (id > -1) ul::warnx(fmt::format("id {} not found", id));
  };
  if (msg) {
    if (global)
      add_msg_global(table, cols, ro);
    else if (!add_msg_rows(table, cols, ro, id, names))
      not_found();
  }
  if (shm) {
    if (global)
      add_shm_global(table, cols, ro);
    else if (!add_shm_rows(table, cols, ro, id, names))
      not_found();
  }
  if (sem) {
    if (global)
      add_sem_global(table, cols, ro);
    else if (!add_sem_rows(table, cols, ro, id, names, elements))
      not_found();
  }
  if (mode == OutMode::kPretty)
    print_pretty(table, cols, elements);
  else
    write_stdout(table.render());
  return 0;
}

}  // namespace

IPCKIT_DROP_IN(330, "lsipc", "List System V IPC objects (util-linux lsipc, byte for byte)",
               lsipc_main);

// What `ipckit completion` offers for this command's options (cli/completion_hints.hpp).
// -o takes these names, comma-separated.
std::vector<std::string> column_names() {
  std::vector<std::string> names;
  for (const auto& c : all_columns())
    names.emplace_back(c.spec.name);
  return names;
}

const bool kOptionsDescribed = [] {
  describe_drop_in("lsipc", kShortOptions, kLongOptions,
                   {{"id", {.live = Live::kSysvAnyId}},
                    {"output", {.choices = column_names(), .list = true}},
                    {"time-format", {.choices = {"short", "full", "iso"}}}});
  return true;
}();

}  // namespace ipckit::cli::lsipc
