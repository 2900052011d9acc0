// `ipcs -m|-q|-s -i ID`: the detail view of one object, as util-linux 2.38 prints it.
#include <fmt/core.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "ipckit/inspect/sysv_objects.hpp"
#include "utillinux/ipcs_tables.hpp"
#include "utillinux/ul_compat.hpp"

namespace ipckit::cli::ipcs {

namespace {

using ul::alt_octal;
using ul::left;

// "%-26.24s" of ctime, or of "Not set" for 0 when `zero_is_unset`.
std::string time_field(std::int64_t t, bool zero_is_unset = true) {
  return left(t == 0 && zero_is_unset ? std::string("Not set") : ctime_text(t), 26, 24);
}

// The object with `id` in a list, or nullptr (also when the list could not be read). A
// negative id never matches: util-linux 2.38 printed the first object for one.
template <class List>
auto find(const List& list, int id) -> decltype(&(*list)[0]) {
  if (!list) return nullptr;
  auto it =
      std::find_if(list->begin(), list->end(), [id](const auto& o) { return o.id.value == id; });
  return it == list->end() ? nullptr : &*it;
}

void not_found(int id) {
  ul::warnx(fmt::format("id {} not found", id));
}

}  // namespace

void print_shm_detail(int id, Unit unit) {
  const auto list = inspect::list_shm();
  const inspect::ShmObject* s = find(list, id);
  if (s == nullptr) return not_found(id);
  const inspect::IpcPerm& p = s->perm;
  fmt::print("\nShared memory Segment shmid={}\n", id);
  fmt::print("uid={}\tgid={}\tcuid={}\tcgid={}\n", p.uid, p.gid, p.cuid, p.cgid);
  fmt::print("mode={}\taccess_perms={}\n", alt_octal(p.mode),
             alt_octal(p.mode & inspect::kModePermissionBits));
  fmt::print("{}", size_text(unit, unit == Unit::kHuman ? "size=" : "bytes=", s->size, "\t", 0));
  fmt::print("lpid={}\tcpid={}\tnattch={}\n", static_cast<unsigned>(s->lpid),
             static_cast<unsigned>(s->cpid), s->nattch);
  fmt::print("att_time={}\n", time_field(s->atime));
  fmt::print("det_time={}\n", time_field(s->dtime));
  fmt::print("change_time={}\n", time_field(s->ctime, false));
  fmt::print("\n");
}

void print_msg_detail(int id, Unit unit) {
  const auto list = inspect::list_msg();
  const inspect::MsgObject* q = find(list, id);
  if (q == nullptr) return not_found(id);
  // /proc has no msg_qbytes: IPC_STAT it, and print 0 when that is refused, as util-linux does.
  std::uint64_t qbytes = 0;
  if (q->qbytes) {
    qbytes = *q->qbytes;
  } else if (auto r = inspect::read_msg_qbytes(q->id)) {
    qbytes = *r;
  }
  const inspect::IpcPerm& p = q->perm;
  const bool human = unit == Unit::kHuman;
  fmt::print("\nMessage Queue msqid={}\n", id);
  fmt::print("uid={}\tgid={}\tcuid={}\tcgid={}\tmode={}\n", p.uid, p.gid, p.cuid, p.cgid,
             alt_octal(p.mode));
  fmt::print("{}", size_text(unit, human ? "csize=" : "cbytes=", q->cbytes, "\t", 0));
  fmt::print("{}", size_text(unit, human ? "qsize=" : "qbytes=", qbytes, "\t", 0));
  fmt::print("qnum={}\tlspid={}\tlrpid={}\n", q->qnum, q->lspid, q->lrpid);
  fmt::print("send_time={}\n", time_field(q->stime));
  fmt::print("rcv_time={}\n", time_field(q->rtime));
  fmt::print("change_time={}\n", time_field(q->ctime));
  fmt::print("\n");
}

void print_sem_detail(int id) {
  const auto list = inspect::list_sem();
  const inspect::SemObject* s = find(list, id);
  if (s == nullptr) return not_found(id);
  auto counters = inspect::read_sem_counters(s->id, s->nsems);
  if (!counters) {
    ul::err(fmt::format("{} failed", counters.error().operation()), counters.error().code());
  }
  const inspect::IpcPerm& p = s->perm;
  fmt::print("\nSemaphore Array semid={}\n", id);
  fmt::print("uid={}\t gid={}\t cuid={}\t cgid={}\n", p.uid, p.gid, p.cuid, p.cgid);
  fmt::print("mode={}, access_perms={}\n", alt_octal(p.mode),
             alt_octal(p.mode & inspect::kModePermissionBits));
  fmt::print("nsems = {}\n", s->nsems);
  fmt::print("otime = {}\n", time_field(s->otime));
  fmt::print("ctime = {}\n", time_field(s->ctime, false));
  fmt::print("{:<10} {:<10} {:<10} {:<10} {:<10}\n", "semnum", "value", "ncount", "zcount", "pid");
  std::size_t num = 0;
  for (const inspect::SemCounter& c : *counters) {
    fmt::print("{:<10} {:<10} {:<10} {:<10} {:<10}\n", num++, c.value, c.ncount, c.zcount, c.pid);
  }
  fmt::print("\n");
}

}  // namespace ipckit::cli::ipcs
