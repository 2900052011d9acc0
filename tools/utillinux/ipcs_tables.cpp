// The ipcs sections: util-linux 2.38's column widths, titles and spacing, trailing blanks
// included. printf conversions are noted where fmt's differ ("%-10.10s" counts bytes).
#include "utillinux/ipcs_tables.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <cstdint>
#include <string>

#include "ipckit/inspect/sysv_objects.hpp"
#include "utillinux/ul_compat.hpp"

namespace ipckit::cli::ipcs {

namespace {

using inspect::IpcPerm;
using ul::left;

// "%-Nd %-10.10s" with the owner's name, or "%-Nd %-10u" when the uid has none.
std::string id_and_owner(int id, uid_t uid, Names& names, int id_width) {
  const auto& name = names.user(uid);
  return fmt::format("{:<{}} {}", id, id_width,
                     name ? left(*name, 10, 10) : left(std::to_string(uid), 10));
}

// "%-20.16s" of ctime without the weekday (or "Not set" for 0).
std::string short_time(std::int64_t t) {
  return t != 0 ? left(ctime_text(t).substr(4), 20, 16) : left("Not set", 20, 16);
}

// "%-26.24s" of ctime (or "Not set" for 0).
std::string long_time(std::int64_t t) {
  return t != 0 ? left(ctime_text(t), 26, 24) : left("Not set", 26, 24);
}

// The -c row: id, permissions, then creator and owner names (untruncated) or numbers.
void print_perms(int id, const IpcPerm& perm, Names& names) {
  fmt::print("{:<10} {:<10o} {} {} {} {}\n", id, perm.mode & inspect::kModePermissionBits,
             left(names.user_or_id(perm.cuid), 10), left(names.group_or_id(perm.cgid), 10),
             left(names.user_or_id(perm.uid), 10), left(names.group_or_id(perm.gid), 10));
}

void print_creator_header(const char* title, const char* id) {
  fmt::print("{}\n", title);
  fmt::print("{:<10} {:<10} {:<10} {:<10} {:<10} {:<10}\n", id, "perms", "cuid", "cgid", "uid",
             "gid");
}

std::string key_text(const sysv::Key& key) {
  return fmt::format("0x{:08x} ", static_cast<std::uint32_t>(key.value()));
}

// shmall pages as bytes (or kbytes), saturating instead of wrapping as util-linux does.
std::uint64_t total_shm(std::uint64_t pages, std::uint64_t page_unit) {
  if (pages != 0 && page_unit != 0 && pages > UINT64_MAX / page_unit)
    return UINT64_MAX - (UINT64_MAX % page_unit);
  return pages * page_unit;
}

void msg_limits(Unit unit) {
  auto lim = inspect::read_msg_limits();
  if (!lim) {
    fmt::print("unable to fetch message limits\n");
    return;
  }
  const Unit u = unit == Unit::kDefault ? Unit::kBytes : unit;
  fmt::print("------ Messages Limits --------\n");
  fmt::print("max queues system wide = {}\n", lim->msgmni);
  fmt::print("{}", size_text(u, "max size of message", lim->msgmax, "\n", 0));
  fmt::print(
      "{}", size_text(u, "default max size of queue",
                      static_cast<std::uint64_t>(static_cast<std::int64_t>(lim->msgmnb)), "\n", 0));
}

void msg_status(Unit unit) {
  auto usage = inspect::read_msg_usage();
  if (!usage) {
    fmt::print("kernel not configured for message queues\n");
    return;
  }
  fmt::print("------ Messages Status --------\n");
  fmt::print("allocated queues = {}\n", usage->queues);
  fmt::print("used headers = {}\n", usage->messages);
  fmt::print("{}", size_text(unit, "used space",
                             static_cast<std::uint64_t>(static_cast<std::int64_t>(usage->bytes)),
                             unit == Unit::kDefault ? " bytes\n" : "\n", 0));
}

void shm_limits(Unit unit) {
  auto lim = inspect::read_shm_limits();
  if (!lim) {
    fmt::print("unable to fetch shared memory limits\n");
    return;
  }
  const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  fmt::print("------ Shared Memory Limits --------\n");
  fmt::print("max number of segments = {}\n", lim->shmmni);
  fmt::print("{}", size_text(unit == Unit::kDefault ? Unit::kKilobytes : unit, "max seg size",
                             lim->shmmax, "\n", 0));
  if (unit == Unit::kDefault || unit == Unit::kKilobytes) {
    fmt::print("{}", size_text(Unit::kDefault, "max total shared memory (kbytes)",
                               total_shm(lim->shmall, page / 1024), "\n", 0));
  } else {
    fmt::print("{}",
               size_text(unit, "max total shared memory", total_shm(lim->shmall, page), "\n", 0));
  }
  fmt::print("{}", size_text(unit == Unit::kDefault ? Unit::kBytes : unit, "min seg size",
                             lim->shmmin, "\n", 0));
}

void shm_status() {
  auto usage = inspect::read_shm_usage();
  if (!usage) {
    fmt::print("kernel not configured for shared memory\n");
    return;
  }
  fmt::print("------ Shared Memory Status --------\n");
  fmt::print("segments allocated {}\n", usage->segments);
  fmt::print("pages allocated {}\n", usage->pages);
  fmt::print("pages resident  {}\n", usage->resident);
  fmt::print("pages swapped   {}\n", usage->swapped);
  fmt::print("Swap performance: {} attempts\t {} successes\n", usage->swap_attempts,
             usage->swap_successes);
}

void sem_limits() {
  auto lim = inspect::read_sem_limits();
  if (!lim) {
    fmt::print("unable to fetch semaphore limits\n");
    return;
  }
  fmt::print("------ Semaphore Limits --------\n");
  fmt::print("max number of arrays = {}\n", lim->semmni);
  fmt::print("max semaphores per array = {}\n", lim->semmsl);
  fmt::print("max semaphores system wide = {}\n", lim->semmns);
  fmt::print("max ops per semop call = {}\n", lim->semopm);
  fmt::print("semaphore max value = {}\n", lim->semvmx);
}

void sem_status() {
  auto usage = inspect::read_sem_usage();
  if (!usage) {
    fmt::print("kernel not configured for semaphores\n");
    return;
  }
  fmt::print("------ Semaphore Status --------\n");
  fmt::print("used arrays = {}\n", usage->sets);
  fmt::print("allocated semaphores = {}\n", usage->semaphores);
}

}  // namespace

void print_msg_section(Format format, Unit unit, Names& names) {
  switch (format) {
    case Format::kLimits:
      return msg_limits(unit);
    case Format::kStatus:
      return msg_status(unit);
    case Format::kCreator:
      print_creator_header("------ Message Queues Creators/Owners --------", "msqid");
      break;
    case Format::kTime:
      fmt::print("------ Message Queues Send/Recv/Change Times --------\n");
      fmt::print("{:<8} {:<10} {:<20} {:<20} {:<20}\n", "msqid", "owner", "send", "recv", "change");
      break;
    case Format::kPid:
      fmt::print("------ Message Queues PIDs --------\n");
      fmt::print("{:<10} {:<10} {:<10} {:<10}\n", "msqid", "owner", "lspid", "lrpid");
      break;
    case Format::kDefault:
      fmt::print("------ Message Queues --------\n");
      fmt::print("{:<10} {:<10} {:<10} {:<10} {:<12} {:<12}\n", "key", "msqid", "owner", "perms",
                 unit == Unit::kHuman ? "size" : "used-bytes", "messages");
      break;
  }
  auto queues = inspect::list_msg();
  if (!queues) return;
  for (const inspect::MsgObject& q : *queues) {
    const int id = q.id.value;
    switch (format) {
      case Format::kCreator:
        print_perms(id, q.perm, names);
        break;
      case Format::kTime:
        fmt::print("{} {} {} {}\n", id_and_owner(id, q.perm.uid, names, 8), short_time(q.stime),
                   short_time(q.rtime), short_time(q.ctime));
        break;
      case Format::kPid:
        fmt::print("{}  {:>5}     {:>5}\n", id_and_owner(id, q.perm.uid, names, 8), q.lspid,
                   q.lrpid);
        break;
      default:
        fmt::print("{}{} {:<10o} ", key_text(q.key), id_and_owner(id, q.perm.uid, names, 10),
                   q.perm.mode & inspect::kModePermissionBits);
        fmt::print("{}", unit == Unit::kHuman ? size_text(unit, "", q.cbytes, "      ", 6)
                                              : size_text(unit, "", q.cbytes, "", -12));
        fmt::print(" {:<12}\n", q.qnum);
        break;
    }
  }
}

void print_shm_section(Format format, Unit unit, Names& names) {
  switch (format) {
    case Format::kLimits:
      return shm_limits(unit);
    case Format::kStatus:
      return shm_status();
    case Format::kCreator:
      print_creator_header("------ Shared Memory Segment Creators/Owners --------", "shmid");
      break;
    case Format::kTime:
      fmt::print("------ Shared Memory Attach/Detach/Change Times --------\n");
      fmt::print("{:<10} {:<10} {:<20} {:<20} {:<20}\n", "shmid", "owner", "attached", "detached",
                 "changed");
      break;
    case Format::kPid:
      fmt::print("------ Shared Memory Creator/Last-op PIDs --------\n");
      fmt::print("{:<10} {:<10} {:<10} {:<10}\n", "shmid", "owner", "cpid", "lpid");
      break;
    case Format::kDefault:
      fmt::print("------ Shared Memory Segments --------\n");
      fmt::print("{:<10} {:<10} {:<10} {:<10} {:<10} {:<10} {:<12}\n", "key", "shmid", "owner",
                 "perms", unit == Unit::kHuman ? "size" : "bytes", "nattch", "status");
      break;
  }
  auto segments = inspect::list_shm();
  if (!segments) return;
  for (const inspect::ShmObject& s : *segments) {
    const int id = s.id.value;
    switch (format) {
      case Format::kCreator:
        print_perms(id, s.perm, names);
        break;
      case Format::kTime:
        fmt::print("{} {} {} {}\n", id_and_owner(id, s.perm.uid, names, 10), short_time(s.atime),
                   short_time(s.dtime), short_time(s.ctime));
        break;
      case Format::kPid:
        fmt::print("{} {:<10} {:<10}\n", id_and_owner(id, s.perm.uid, names, 10),
                   static_cast<unsigned>(s.cpid), static_cast<unsigned>(s.lpid));
        break;
      default:
        fmt::print("{}{} {:<10o} ", key_text(s.key), id_and_owner(id, s.perm.uid, names, 10),
                   s.perm.mode & inspect::kModePermissionBits);
        fmt::print("{}", unit == Unit::kHuman ? size_text(unit, "", s.size, "    ", 6)
                                              : size_text(unit, "", s.size, "", -10));
        fmt::print(" {:<10} {:<6} {:<6}\n", s.nattch, s.removed() ? "dest" : " ",
                   s.locked() ? "locked" : " ");
        break;
    }
  }
}

void print_sem_section(Format format, Names& names) {
  switch (format) {
    case Format::kLimits:
      return sem_limits();
    case Format::kStatus:
      return sem_status();
    case Format::kCreator:
      print_creator_header("------ Semaphore Arrays Creators/Owners --------", "semid");
      break;
    case Format::kTime:
      fmt::print("------ Semaphore Operation/Change Times --------\n");
      fmt::print("{:<8} {:<10} {} {}\n", "semid", "owner", left("last-op", 26, 24),
                 left("last-changed", 26, 24));
      break;
    case Format::kPid:
      break;  // util-linux has no PID view of semaphores: not even a title
    case Format::kDefault:
      fmt::print("------ Semaphore Arrays --------\n");
      fmt::print("{:<10} {:<10} {:<10} {:<10} {:<10}\n", "key", "semid", "owner", "perms", "nsems");
      break;
  }
  auto sets = inspect::list_sem();
  if (!sets) return;
  for (const inspect::SemObject& s : *sets) {
    const int id = s.id.value;
    switch (format) {
      case Format::kCreator:
        print_perms(id, s.perm, names);
        break;
      case Format::kTime:
        fmt::print("{}  {} {}\n", id_and_owner(id, s.perm.uid, names, 8), long_time(s.otime),
                   long_time(s.ctime));
        break;
      case Format::kPid:
        break;
      default:
        fmt::print("{}{} {:<10o} {:<10}\n", key_text(s.key),
                   id_and_owner(id, s.perm.uid, names, 10),
                   s.perm.mode & inspect::kModePermissionBits, s.nsems);
        break;
    }
  }
}

}  // namespace ipckit::cli::ipcs
