// System-wide limits and usage counters of System V IPC (see ipckit/inspect/sysv_objects.hpp).
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

#include <array>
#include <cstdint>
#include <cstdio>

#include "core/text_file.hpp"
#include "ipckit/inspect/sysv_objects.hpp"

namespace ipckit::inspect {

namespace {

union SemArg {
  int val;
  semid_ds* buf;
  unsigned short* array;
  seminfo* info;
};

std::optional<std::uint64_t> read_u64(const char* path) {
  auto text = ipckit::detail::read_text_file(path);
  if (!text) return std::nullopt;
  return ipckit::detail::parse_first_u64(*text);
}

// The first token of `text` as an int, or nullopt.
std::optional<int> parse_first_int(std::string_view text) {
  auto v = ipckit::detail::parse_first_i64(text);
  if (!v || *v < INT32_MIN || *v > INT32_MAX) return std::nullopt;
  return static_cast<int>(*v);
}

std::optional<int> read_int(const char* path) {
  auto text = ipckit::detail::read_text_file(path);
  if (!text) return std::nullopt;
  return parse_first_int(*text);
}

// "/proc/sys/kernel/sem": four integers, SEMMSL SEMMNS SEMOPM SEMMNI.
std::optional<std::array<int, 4>> read_sem_file() {
  auto text = ipckit::detail::read_text_file("/proc/sys/kernel/sem");
  if (!text) return std::nullopt;
  std::array<int, 4> values{};
  std::string_view rest = *text;
  for (int& value : values) {
    auto v = parse_first_int(rest);
    if (!v) return std::nullopt;
    value = *v;
    const auto begin = rest.find_first_not_of(" \t\n");
    rest.remove_prefix(begin);
    const auto end = rest.find_first_of(" \t\n");
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
  }
  return values;
}

}  // namespace

Result<ShmLimits> read_shm_limits() {
  ShmLimits limits;
  auto all = read_u64("/proc/sys/kernel/shmall");
  auto max = read_u64("/proc/sys/kernel/shmmax");
  auto mni = read_u64("/proc/sys/kernel/shmmni");
  if (all && max && mni) {
    limits.shmall = *all;
    limits.shmmax = *max;
    limits.shmmni = *mni;
    return limits;
  }
  shminfo info{};
  if (::shmctl(0, IPC_INFO, reinterpret_cast<shmid_ds*>(&info)) < 0) {
    return fail_errno("shmctl(IPC_INFO)", "");
  }
  limits.shmmni = info.shmmni;
  limits.shmall = info.shmall;
  limits.shmmax = info.shmmax;
  return limits;
}

Result<SemLimits> read_sem_limits() {
  SemLimits limits;
  if (auto values = read_sem_file()) {
    limits.semmsl = (*values)[0];
    limits.semmns = (*values)[1];
    limits.semopm = (*values)[2];
    limits.semmni = (*values)[3];
    return limits;
  }
  seminfo info{};
  SemArg arg{};
  arg.info = &info;
  if (::semctl(0, 0, IPC_INFO, arg) < 0) return fail_errno("semctl(IPC_INFO)", "");
  limits.semmni = info.semmni;
  limits.semmsl = info.semmsl;
  limits.semmns = info.semmns;
  limits.semopm = info.semopm;
  return limits;
}

Result<MsgLimits> read_msg_limits() {
  MsgLimits limits;
  auto mni = read_int("/proc/sys/kernel/msgmni");
  auto mnb = read_int("/proc/sys/kernel/msgmnb");
  auto max = read_u64("/proc/sys/kernel/msgmax");
  if (mni && mnb && max) {
    limits.msgmni = *mni;
    limits.msgmnb = *mnb;
    limits.msgmax = *max;
    return limits;
  }
  msginfo info{};
  if (::msgctl(0, IPC_INFO, reinterpret_cast<msqid_ds*>(&info)) < 0) {
    return fail_errno("msgctl(IPC_INFO)", "");
  }
  limits.msgmni = info.msgmni;
  limits.msgmnb = info.msgmnb;
  limits.msgmax = static_cast<std::uint64_t>(info.msgmax);
  return limits;
}

Result<ShmUsage> read_shm_usage() {
  shm_info info{};
  if (::shmctl(0, SHM_INFO, reinterpret_cast<shmid_ds*>(&info)) < 0) {
    return fail_errno("shmctl(SHM_INFO)", "");
  }
  ShmUsage usage;
  usage.segments = info.used_ids;
  usage.pages = info.shm_tot;
  usage.resident = info.shm_rss;
  usage.swapped = info.shm_swp;
  usage.swap_attempts = info.swap_attempts;
  usage.swap_successes = info.swap_successes;
  return usage;
}

Result<SemUsage> read_sem_usage() {
  seminfo info{};
  SemArg arg{};
  arg.info = &info;
  if (::semctl(0, 0, SEM_INFO, arg) < 0) return fail_errno("semctl(SEM_INFO)", "");
  return SemUsage{info.semusz, info.semaem};
}

Result<MsgUsage> read_msg_usage() {
  msginfo info{};
  if (::msgctl(0, MSG_INFO, reinterpret_cast<msqid_ds*>(&info)) < 0) {
    return fail_errno("msgctl(MSG_INFO)", "");
  }
  return MsgUsage{info.msgpool, info.msgmap, info.msgtql};
}

}  // namespace ipckit::inspect
