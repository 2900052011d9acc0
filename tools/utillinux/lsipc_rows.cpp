#include "utillinux/lsipc_rows.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "ipckit/inspect/sysv_objects.hpp"
#include "utillinux/ul_compat.hpp"

namespace ipckit::cli::lsipc {

namespace {

using inspect::IpcPerm;

std::string time_text(std::time_t t, const RowOptions& o) {
  std::tm tm{};
  ::localtime_r(&t, &tm);
  std::array<char, 64> buf{};
  switch (o.time) {
    case TimeMode::kFull: {
      ::asctime_r(&tm, buf.data());
      std::string s(buf.data());
      if (!s.empty() && s.back() == '\n') s.pop_back();
      return s;
    }
    case TimeMode::kIso: {
      (void)std::strftime(buf.data(), buf.size(), "%Y-%m-%dT%H:%M:%S", &tm);
      const long off = tm.tm_gmtoff;
      return fmt::format("{}{:+03d}:{:02d}", buf.data(), off / 3600, std::labs(off / 60 % 60));
    }
    case TimeMode::kShort: {
      std::tm now{};
      ::localtime_r(&o.now, &now);
      if (tm.tm_yday == now.tm_yday && tm.tm_year == now.tm_year)
        return fmt::format("{:02d}:{:02d}", tm.tm_hour, tm.tm_min);
      (void)std::strftime(buf.data(), buf.size(), tm.tm_year == now.tm_year ? "%b%d" : "%Y-%b%d",
                          &tm);
      return buf.data();
    }
  }
  return {};
}

Cell time_cell(std::int64_t t, const RowOptions& o) {
  if (t == 0) return std::nullopt;
  return time_text(static_cast<std::time_t>(t), o);
}

std::string size_cell(std::uint64_t v, const RowOptions& o) {
  return o.bytes ? std::to_string(v) : ul::human_size(v);
}

std::string mode_string(mode_t mode) {
  std::string s = "rwxrwxrwx";
  for (unsigned i = 0; i < 9; ++i) {
    if ((mode & (0400U >> i)) == 0) s[i] = '-';
  }
  return s;
}

// /proc/PID/cmdline with the NULs between arguments as spaces; nothing for pid 0, a kernel
// thread or a process that is gone.
Cell command_line(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  const std::string path = fmt::format("/proc/{}/cmdline", pid);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string text;
  std::array<char, 8192> buf{};
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n <= 0) break;
    text.append(buf.data(), static_cast<std::size_t>(n));
    if (text.size() >= buf.size() - 1) break;
  }
  ::close(fd);
  if (text.size() > buf.size() - 1) text.resize(buf.size() - 1);
  if (text.empty()) return std::nullopt;
  for (char& c : text)
    if (c == '\0') c = ' ';
  while (!text.empty() && text.back() == ' ')
    text.pop_back();
  return text;
}

// The cells every System V object has; false when `col` is not one of them.
bool generic_cell(Col col, std::uint32_t key, int id, const IpcPerm& p, std::int64_t ctime,
                  const RowOptions& o, ipcs::Names& names, Cell& out) {
  switch (col) {
    case Col::kKey:
      out = fmt::format("0x{:08x}", key);
      return true;
    case Col::kId:
      out = std::to_string(id);
      return true;
    case Col::kOwner:
      out = names.user_or_id(p.uid);
      return true;
    case Col::kPerms:
      out = o.numperms ? ul::alt_octal(p.mode & 0777) : mode_string(p.mode);
      return true;
    case Col::kCuid:
      out = std::to_string(p.cuid);
      return true;
    case Col::kCuser:
      out = names.user(p.cuid);
      return true;
    case Col::kCgid:
      out = std::to_string(p.cgid);
      return true;
    case Col::kCgroup:
      out = names.group(p.cgid);
      return true;
    case Col::kUid:
      out = std::to_string(p.uid);
      return true;
    case Col::kUser:
      out = names.user(p.uid);
      return true;
    case Col::kGid:
      out = std::to_string(p.gid);
      return true;
    case Col::kGroup:
      out = names.group(p.gid);
      return true;
    case Col::kCtime:
      out = time_cell(ctime, o);
      return true;
    default:
      return false;
  }
}

template <typename Object, typename Specific>
std::vector<Cell> make_row(const std::vector<Col>& cols, const Object& obj, std::int64_t ctime,
                           const RowOptions& o, ipcs::Names& names, Specific specific) {
  std::vector<Cell> row(cols.size());
  for (std::size_t i = 0; i < cols.size(); ++i) {
    if (!generic_cell(cols[i], static_cast<std::uint32_t>(obj.key.value()), obj.id.value, obj.perm,
                      ctime, o, names, row[i]))
      row[i] = specific(cols[i]);
  }
  return row;
}

std::string status_text(const inspect::ShmObject& s) {
  std::string out;
  if (s.removed()) out = "dest";
  if (s.locked()) out += out.empty() ? "locked" : ",locked";
  return out;
}

// util-linux's filter: a non-negative id selects one object, any other id lists them all.
template <typename T>
std::vector<T> select(std::vector<T> all, int id) {
  if (id < 0) return all;
  std::vector<T> out;
  for (const T& x : all)
    if (x.id.value == id) out.push_back(x);
  return out;
}

void add(Table& table, const std::vector<Cell>& row) {
  table.add_row({row.begin(), row.end()});
}

void global_row(Table& table, const std::vector<Col>& cols, const RowOptions& o,
                std::string_view resource, std::string_view desc, std::uint64_t used,
                std::uint64_t limit, bool usage, bool byte_unit) {
  std::vector<Cell> row(cols.size());
  for (std::size_t i = 0; i < cols.size(); ++i) {
    switch (cols[i]) {
      case Col::kResource:
        row[i] = std::string(resource);
        break;
      case Col::kDesc:
        row[i] = std::string(desc);
        break;
      case Col::kUsed:
        row[i] =
            !usage ? "-" : (!byte_unit || o.bytes ? std::to_string(used) : ul::human_size(used));
        break;
      case Col::kUsePerc:
        if (usage) {
          std::array<char, 64> buf{};
          std::snprintf(buf.data(), buf.size(), "%2.2f%%",
                        static_cast<double>(used) / static_cast<double>(limit) * 100);
          row[i] = std::string(buf.data());
        } else {
          row[i] = "-";
        }
        break;
      case Col::kLimit:
        row[i] = !byte_unit || o.bytes ? std::to_string(limit) : ul::human_size(limit);
        break;
      default:
        break;
    }
  }
  add(table, row);
}

std::uint64_t as_u64(int v) {
  return static_cast<std::uint64_t>(static_cast<std::int64_t>(v));
}

}  // namespace

std::vector<table::ColumnSpec> element_columns() {
  std::vector<table::ColumnSpec> out;
  for (const char* n : {"SEMNUM", "VALUE", "NCOUNT", "ZCOUNT", "PID", "COMMAND"})
    out.push_back({n, "", table::kRight});
  return out;
}

bool add_shm_rows(Table& table, const std::vector<Col>& cols, const RowOptions& o, int id,
                  ipcs::Names& names) {
  auto list = inspect::list_shm();
  if (!list) return false;
  const auto objects = select(std::move(*list), id);
  if (objects.empty()) return false;
  table.options().name = "sharedmemory";
  for (const auto& s : objects) {
    auto row = make_row(cols, s, s.ctime, o, names, [&](Col c) -> Cell {
      switch (c) {
        case Col::kSize:
          return size_cell(s.size, o);
        case Col::kNattch:
          return std::to_string(s.nattch);
        case Col::kStatus:
          return status_text(s);
        case Col::kAttach:
          return time_cell(s.atime, o);
        case Col::kDetach:
          return time_cell(s.dtime, o);
        case Col::kCpid:
          return std::to_string(static_cast<unsigned>(s.cpid));
        case Col::kLpid:
          return std::to_string(static_cast<unsigned>(s.lpid));
        case Col::kCommand:
          return command_line(s.cpid);
        default:
          return std::nullopt;
      }
    });
    // make_row filled kCgid from the generic cells; 2.38 shows the creator's uid there.
    for (std::size_t i = 0; i < cols.size(); ++i)
      if (cols[i] == Col::kCgid) row[i] = std::to_string(s.perm.cuid);
    add(table, row);
  }
  return true;
}

bool add_msg_rows(Table& table, const std::vector<Col>& cols, const RowOptions& o, int id,
                  ipcs::Names& names) {
  auto list = inspect::list_msg();
  if (!list) return false;
  const auto objects = select(std::move(*list), id);
  if (objects.empty()) return false;
  table.options().name = "messages";
  for (const auto& m : objects) {
    auto row = make_row(cols, m, m.ctime, o, names, [&](Col c) -> Cell {
      switch (c) {
        case Col::kUsedBytes:
          return size_cell(m.cbytes, o);
        case Col::kMsgs:
          return std::to_string(m.qnum);
        case Col::kSend:
          return time_cell(m.stime, o);
        case Col::kRecv:
          return time_cell(m.rtime, o);
        case Col::kLspid:
          return std::to_string(static_cast<unsigned>(m.lspid));
        case Col::kLrpid:
          return std::to_string(static_cast<unsigned>(m.lrpid));
        default:
          return std::nullopt;
      }
    });
    // util-linux 2.38 never stores the numeric (-P) PERMS of a queue: the cell stays empty.
    if (o.numperms) {
      for (std::size_t i = 0; i < cols.size(); ++i)
        if (cols[i] == Col::kPerms) row[i] = std::nullopt;
    }
    add(table, row);
  }
  return true;
}

bool add_sem_rows(Table& table, const std::vector<Col>& cols, const RowOptions& o, int id,
                  ipcs::Names& names, Table& elements) {
  auto list = inspect::list_sem();
  if (!list) return false;
  const auto objects = select(std::move(*list), id);
  table.options().name = "semaphores";
  if (objects.empty()) return false;
  for (const auto& s : objects) {
    add(table, make_row(cols, s, s.ctime, o, names, [&](Col c) -> Cell {
          switch (c) {
            case Col::kNsems:
              return std::to_string(s.nsems);
            case Col::kOtime:
              return time_cell(s.otime, o);
            default:
              return std::nullopt;
          }
        }));
  }
  if (id >= 0) {
    // util-linux reads the counters of a set asked for by id whatever the output mode, and
    // fails without them (no read permission): "semctl(GETVAL) failed: Permission denied".
    auto counters = inspect::read_sem_counters(objects.front().id, objects.front().nsems);
    if (!counters)
      ul::err(fmt::format("{} failed", counters.error().operation()), counters.error().code());
    if (objects.front().nsems != 0) {
      elements.options().name = "elements";
      std::size_t i = 0;
      for (const auto& e : *counters) {
        elements.add_row({std::to_string(i++), std::to_string(e.value), std::to_string(e.ncount),
                          std::to_string(e.zcount), std::to_string(e.pid), command_line(e.pid)});
      }
    }
  }
  return true;
}

void add_msg_global(Table& table, const std::vector<Col>& cols, const RowOptions& o) {
  const auto lim = inspect::read_msg_limits().value_or(inspect::MsgLimits{});
  const auto list = inspect::list_msg();
  const std::uint64_t queues = list ? list->size() : 0;
  global_row(table, cols, o, "MSGMNI", "Number of message queues", queues, as_u64(lim.msgmni), true,
             false);
  global_row(table, cols, o, "MSGMAX", "Max size of message (bytes)", 0, lim.msgmax, false, true);
  global_row(table, cols, o, "MSGMNB", "Default max size of queue (bytes)", 0, as_u64(lim.msgmnb),
             false, true);
}

void add_shm_global(Table& table, const std::vector<Col>& cols, const RowOptions& o) {
  const auto lim = inspect::read_shm_limits().value_or(inspect::ShmLimits{});
  const auto list = inspect::list_shm();
  std::uint64_t segments = 0, bytes = 0;
  if (list) {
    for (const auto& s : *list) {
      ++segments;
      bytes += s.size;
    }
  }
  const auto page = static_cast<std::uint64_t>(::getpagesize());
  global_row(table, cols, o, "SHMMNI", "Shared memory segments", segments, lim.shmmni, true, false);
  global_row(table, cols, o, "SHMALL", "Shared memory pages", bytes / page, lim.shmall, true,
             false);
  global_row(table, cols, o, "SHMMAX", "Max size of shared memory segment (bytes)", 0, lim.shmmax,
             false, true);
  global_row(table, cols, o, "SHMMIN", "Min size of shared memory segment (bytes)", 0, lim.shmmin,
             false, true);
}

void add_sem_global(Table& table, const std::vector<Col>& cols, const RowOptions& o) {
  const auto lim = inspect::read_sem_limits().value_or(inspect::SemLimits{});
  const auto list = inspect::list_sem();
  std::uint64_t sets = 0, sems = 0;
  if (list) {
    // util-linux 2.38 adds the first set's size once per set, not each set's own size.
    sets = list->size();
    sems = sets != 0 ? sets * list->front().nsems : 0;
  }
  global_row(table, cols, o, "SEMMNI", "Number of semaphore identifiers", sets, as_u64(lim.semmni),
             true, false);
  global_row(table, cols, o, "SEMMNS", "Total number of semaphores", sems, as_u64(lim.semmns), true,
             false);
  global_row(table, cols, o, "SEMMSL", "Max semaphores per semaphore set.", 0, as_u64(lim.semmsl),
             false, false);
  global_row(table, cols, o, "SEMOPM", "Max number of operations per semop(2)", 0,
             as_u64(lim.semopm), false, false);
  global_row(table, cols, o, "SEMVMX", "Semaphore max value", 0, lim.semvmx, false, false);
}

}  // namespace ipckit::cli::lsipc
