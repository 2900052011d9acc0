#include "ipckit/inspect/sysv_objects.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <string>

#include "ipckit/sysv/message_queue.hpp"
#include "ipckit/sysv/semaphore_set.hpp"
#include "ipckit/sysv/shared_memory.hpp"
#include "support/ipc_test_support.hpp"

namespace ipckit::inspect {
namespace {

using test::ScopeExit;

// Headers and lines as Linux 6.x prints them (ipc/shm.c, sem.c, msg.c sysvipc_*_proc_show).
constexpr std::string_view kShmHeader =
    "       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  "
    "cgid      atime      dtime      ctime                   rss                  swap\n";
constexpr std::string_view kSemHeader =
    "       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime\n";
constexpr std::string_view kMsgHeader =
    "       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid      "
    "stime      rtime      ctime\n";

template <class List, class Id>
auto find_id(const List& list, Id id) {
  return std::find_if(list.begin(), list.end(), [id](const auto& o) { return o.id == id; });
}

TEST(InspectParse, ShmLineGivesEveryColumn) {
  const std::string text = std::string(kShmHeader) +
                           " -559038737      32769  1666               1048576   812   813      "
                           "3     0  1000  1001  1002 1700000001 1700000002 1700000003           "
                           "      8192                  4096\n";
  const auto list = parse_proc_shm(text);
  ASSERT_EQ(list.size(), 1u);
  const ShmObject& s = list[0];
  EXPECT_EQ(static_cast<std::uint32_t>(s.key.value()), 0xdeadbeefu);
  EXPECT_EQ(s.id, sysv::ShmId(32769));
  EXPECT_EQ(s.perm.mode, 01666u);
  EXPECT_TRUE(s.removed());
  EXPECT_FALSE(s.locked());
  EXPECT_EQ(s.size, 1048576u);
  EXPECT_EQ(s.cpid, 812);
  EXPECT_EQ(s.lpid, 813);
  EXPECT_EQ(s.nattch, 3u);
  EXPECT_EQ(s.perm, (IpcPerm{01666, 0, 1000, 1001, 1002}));
  EXPECT_EQ(s.atime, 1700000001);
  EXPECT_EQ(s.dtime, 1700000002);
  EXPECT_EQ(s.ctime, 1700000003);
  EXPECT_EQ(s.rss, 8192u);
  EXPECT_EQ(s.swap, 4096u);
}

TEST(InspectParse, ShmLineWithoutRssAndSwapColumnsStillParses) {
  // Linux before 2.6.32 printed 14 columns.
  const std::string text =
      std::string(kShmHeader) + "      4660          0  2644      4096 10 11 0 0 0 0 0 0 0 5\n";
  const auto list = parse_proc_shm(text);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_TRUE(list[0].locked());
  EXPECT_EQ(list[0].key, sysv::Key(0x1234));
  EXPECT_FALSE(list[0].rss.has_value());
  EXPECT_FALSE(list[0].swap.has_value());
}

TEST(InspectParse, MalformedLinesAreSkippedAndTheRestKept) {
  const std::string text = std::string(kShmHeader) +
                           "1 2 600 4096 10 11 0 0 0 0\n"              // too few columns
                           "1 x 600 4096 10 11 0 0 0 0 0 0 0 5 0 0\n"  // non-numeric id
                           "1 3 6a0 4096 10 11 0 0 0 0 0 0 0 5 0 0\n"  // not octal
                           "\n"                                        // empty
                           "7 4 600 4096 10 11 0 0 0 0 0 0 0 5 0 0";   // no final newline
  const auto list = parse_proc_shm(text);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].id, sysv::ShmId(4));
}

TEST(InspectParse, HeaderOnlyOrEmptyTextGivesNoObjects) {
  EXPECT_TRUE(parse_proc_shm(kShmHeader).empty());
  EXPECT_TRUE(parse_proc_sem("").empty());
  EXPECT_TRUE(parse_proc_msg("no newline at all").empty());
}

TEST(InspectParse, SemLineGivesEveryColumn) {
  const std::string text =
      std::string(kSemHeader) +
      "         0          5   600          3     1     2     3     4          0 1700000000\n";
  const auto list = parse_proc_sem(text);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_TRUE(list[0].key.is_private());
  EXPECT_EQ(list[0].id, sysv::SemId(5));
  EXPECT_EQ(list[0].perm, (IpcPerm{0600, 1, 2, 3, 4}));
  EXPECT_EQ(list[0].nsems, 3u);
  EXPECT_EQ(list[0].otime, 0);
  EXPECT_EQ(list[0].ctime, 1700000000);
}

TEST(InspectParse, MsgLineGivesEveryColumnButQbytes) {
  const std::string text = std::string(kMsgHeader) +
                           "     39321          2   644          60          2   100   101     5 "
                           "    6     7     8 1700000001 1700000002 1700000003\n";
  const auto list = parse_proc_msg(text);
  ASSERT_EQ(list.size(), 1u);
  const MsgObject& q = list[0];
  EXPECT_EQ(q.key, sysv::Key(0x9999));
  EXPECT_EQ(q.id, sysv::MsqId(2));
  EXPECT_EQ(q.cbytes, 60u);
  EXPECT_EQ(q.qnum, 2u);
  EXPECT_EQ(q.lspid, 100);
  EXPECT_EQ(q.lrpid, 101);
  EXPECT_EQ(q.perm, (IpcPerm{0644, 5, 6, 7, 8}));
  EXPECT_EQ(q.stime, 1700000001);
  EXPECT_EQ(q.rtime, 1700000002);
  EXPECT_EQ(q.ctime, 1700000003);
  EXPECT_FALSE(q.qbytes.has_value());
}

TEST(InspectSysv, ListShmShowsANewSegmentFromProcAndFromSyscalls) {
  const sysv::Key key = test::unique_key();
  auto shm = sysv::SharedMemory::create(key, 12345, 0640);
  ASSERT_TRUE(shm) << shm.error().message();
  auto guard = ScopeExit([&] { (void)shm->remove(); });
  auto attachment = shm->attach();
  ASSERT_TRUE(attachment) << attachment.error().message();
  for (Source source : {Source::kProc, Source::kSyscalls, Source::kAuto}) {
    auto list = list_shm(source);
    ASSERT_TRUE(list) << list.error().message();
    auto it = find_id(*list, shm->id());
    ASSERT_NE(it, list->end());
    EXPECT_EQ(it->key, key);
    EXPECT_EQ(it->size, 12345u);
    EXPECT_EQ(it->perm.mode & kModePermissionBits, 0640u);
    EXPECT_EQ(it->perm.uid, ::geteuid());
    EXPECT_EQ(it->perm.cuid, ::geteuid());
    EXPECT_EQ(it->cpid, ::getpid());
    EXPECT_EQ(it->lpid, ::getpid());
    EXPECT_EQ(it->nattch, 1u);
    EXPECT_NE(it->atime, 0);
    EXPECT_EQ(it->dtime, 0);
    EXPECT_FALSE(it->removed());
    EXPECT_EQ(it->rss.has_value(), source != Source::kSyscalls);
  }
}

TEST(InspectSysv, RemovedButAttachedSegmentIsListedAsDestWithPrivateKey) {
  auto shm = sysv::SharedMemory::create(test::unique_key(), 4096);
  ASSERT_TRUE(shm) << shm.error().message();
  auto guard = ScopeExit([&] { (void)shm->remove(); });
  auto attachment = shm->attach();
  ASSERT_TRUE(attachment) << attachment.error().message();
  ASSERT_TRUE(shm->remove());
  auto list = list_shm();
  ASSERT_TRUE(list) << list.error().message();
  auto it = find_id(*list, shm->id());
  ASSERT_NE(it, list->end());
  EXPECT_TRUE(it->removed());
  EXPECT_TRUE(it->key.is_private());
}

TEST(InspectSysv, SyscallListingHidesWhatTheCallerMayNotReadButProcDoesNot) {
  auto shm = sysv::SharedMemory::create(test::unique_key(), 4096, 0600);
  ASSERT_TRUE(shm) << shm.error().message();
  auto guard = ScopeExit([&] { (void)shm->remove(); });
  const int id = shm->id().value;
  // 1: listed by /proc, 2: hidden from SHM_STAT; exit codes of the unprivileged child.
  const int status = test::run_as_nobody([id] {
    auto proc = list_shm(Source::kProc);
    auto syscalls = list_shm(Source::kSyscalls);
    if (!proc || !syscalls) return 3;
    const bool in_proc = find_id(*proc, sysv::ShmId(id)) != proc->end();
    const bool in_syscalls = find_id(*syscalls, sysv::ShmId(id)) != syscalls->end();
    return in_proc && !in_syscalls ? 0 : 1;
  });
  EXPECT_EQ(status, 0);
}

TEST(InspectSysv, SemCountersReportValuesAndLastPid) {
  const std::array<unsigned short, 3> initial = {4, 0, 9};
  auto set = sysv::SemaphoreSet::create(test::unique_key(), 3, initial, 0600);
  ASSERT_TRUE(set) << set.error().message();
  auto guard = ScopeExit([&] { (void)set->remove(); });
  ASSERT_TRUE(set->apply({{1, 2}}));
  auto list = list_sem();
  ASSERT_TRUE(list) << list.error().message();
  auto it = find_id(*list, set->id());
  ASSERT_NE(it, list->end());
  EXPECT_EQ(it->nsems, 3u);
  EXPECT_NE(it->otime, 0);
  auto counters = read_sem_counters(set->id(), it->nsems);
  ASSERT_TRUE(counters) << counters.error().message();
  ASSERT_EQ(counters->size(), 3u);
  // SETALL (the initial values) and semop both record the caller as the last pid.
  EXPECT_EQ((*counters)[0], (SemCounter{4, 0, 0, ::getpid()}));
  EXPECT_EQ((*counters)[1], (SemCounter{2, 0, 0, ::getpid()}));
  EXPECT_EQ((*counters)[2], (SemCounter{9, 0, 0, ::getpid()}));
}

TEST(InspectSysv, SemCountersOfAMissingSetFailWithEinvalFromGetval) {
  auto set = sysv::SemaphoreSet::create(test::unique_key(), 1);
  ASSERT_TRUE(set) << set.error().message();
  ASSERT_TRUE(set->remove());
  auto counters = read_sem_counters(set->id(), 1);
  ASSERT_FALSE(counters);
  EXPECT_TRUE(counters.error().code() == EINVAL || counters.error().code() == EIDRM);
  EXPECT_EQ(counters.error().operation(), "semctl(GETVAL)");
}

TEST(InspectSysv, SemCountersNeedReadPermission) {
  auto set = sysv::SemaphoreSet::create(test::unique_key(), 1, {}, 0600);
  ASSERT_TRUE(set) << set.error().message();
  auto guard = ScopeExit([&] { (void)set->remove(); });
  const sysv::SemId id = set->id();
  const int code = test::run_as_nobody([id] {
    auto counters = read_sem_counters(id, 1);
    return counters ? 0 : counters.error().code();
  });
  EXPECT_EQ(code, EACCES);
}

TEST(InspectSysv, ListMsgShowsQueuedBytesAndQbytesComesFromIpcStat) {
  auto queue = sysv::MessageQueue::create(test::unique_key(), 0620);
  ASSERT_TRUE(queue) << queue.error().message();
  auto guard = ScopeExit([&] { (void)queue->remove(); });
  ASSERT_TRUE(queue->set_max_bytes(3000));
  ASSERT_TRUE(queue->send(7, "hello", sysv::Wait::kNoWait));
  for (Source source : {Source::kProc, Source::kSyscalls}) {
    auto list = list_msg(source);
    ASSERT_TRUE(list) << list.error().message();
    auto it = find_id(*list, queue->id());
    ASSERT_NE(it, list->end());
    EXPECT_EQ(it->cbytes, 5u);
    EXPECT_EQ(it->qnum, 1u);
    EXPECT_EQ(it->lspid, ::getpid());
    EXPECT_EQ(it->lrpid, 0);
    EXPECT_EQ(it->rtime, 0);
    EXPECT_EQ(it->perm.mode & kModePermissionBits, 0620u);
    // /proc does not show msg_qbytes; the syscall path does.
    EXPECT_EQ(it->qbytes.has_value(), source == Source::kSyscalls);
  }
  auto qbytes = read_msg_qbytes(queue->id());
  ASSERT_TRUE(qbytes) << qbytes.error().message();
  EXPECT_EQ(*qbytes, 3000u);
}

TEST(InspectSysv, MsgQbytesOfAMissingQueueFailsWithEinval) {
  auto qbytes = read_msg_qbytes(sysv::MsqId(0x7ffffffe));
  ASSERT_FALSE(qbytes);
  EXPECT_EQ(qbytes.error().code(), EINVAL);
}

TEST(InspectSysv, LimitsMatchProcSysKernel) {
  auto shm = read_shm_limits();
  ASSERT_TRUE(shm) << shm.error().message();
  EXPECT_GT(shm->shmmni, 0u);
  EXPECT_GT(shm->shmmax, 0u);
  EXPECT_GT(shm->shmall, 0u);
  EXPECT_EQ(shm->shmmin, 1u);
  auto sem = read_sem_limits();
  ASSERT_TRUE(sem) << sem.error().message();
  EXPECT_GT(sem->semmni, 0);
  EXPECT_GT(sem->semmsl, 0);
  EXPECT_GE(sem->semmns, sem->semmsl);
  EXPECT_GT(sem->semopm, 0);
  EXPECT_EQ(sem->semvmx, 32767u);
  auto msg = read_msg_limits();
  ASSERT_TRUE(msg) << msg.error().message();
  EXPECT_GT(msg->msgmni, 0);
  EXPECT_GT(msg->msgmax, 0u);
  EXPECT_GT(msg->msgmnb, 0);
}

TEST(InspectSysv, UsageCountsTheCallersObjects) {
  auto shm = sysv::SharedMemory::create(test::unique_key(), 3 * 4096);
  ASSERT_TRUE(shm) << shm.error().message();
  auto guard = ScopeExit([&] { (void)shm->remove(); });
  auto usage = read_shm_usage();
  ASSERT_TRUE(usage) << usage.error().message();
  EXPECT_GE(usage->segments, 1);
  EXPECT_GE(usage->pages, 3u);
  auto sem = read_sem_usage();
  ASSERT_TRUE(sem) << sem.error().message();
  EXPECT_GE(sem->sets, 0);
  auto msg = read_msg_usage();
  ASSERT_TRUE(msg) << msg.error().message();
  EXPECT_GE(msg->queues, 0);
}

}  // namespace
}  // namespace ipckit::inspect
