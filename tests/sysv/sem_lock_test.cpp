#include "ipckit/sysv/sem_lock.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "ipckit/core/fd.hpp"
#include "support/child.hpp"
#include "support/ipc_test_support.hpp"

namespace ipckit::sysv {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

using test::Child;
using test::eventually;

using Counts = std::vector<unsigned short>;  // {readers, writers}

// A two-counter set under a unique key, as SemLock::open_or_create makes it; removed at exit.
struct TestLock {
  TestLock() : key(test::unique_key()), lock(SemLock::open_or_create(key, 0600)) {}
  ~TestLock() {
    if (lock) (void)lock->set().remove();
  }
  Counts values() const { return lock->set().values().value_or(Counts{}); }
  Key key;
  Result<SemLock> lock;
};

TEST(SysvSemLock, OpenOrCreateMakesAnUnlockedTwoCounterSetAndReopensIt) {
  TestLock t;
  ASSERT_TRUE(t.lock) << t.lock.error().message();
  EXPECT_EQ(t.values(), (Counts{0, 0}));
  EXPECT_EQ(t.lock->set().stat()->mode, 0600u);
  auto again = SemLock::open_or_create(t.key, 0600);
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(again->set(), t.lock->set());
}

TEST(SysvSemLock, OpenOrCreateOverAOneCounterSetFailsWithEinval) {
  auto one = SemaphoreSet::create(test::unique_key(), 1);
  ASSERT_TRUE(one) << one.error().message();
  test::ScopeExit cleanup([&] { (void)one->remove(); });
  auto lock = SemLock::open_or_create(one->stat()->key);
  ASSERT_FALSE(lock);
  EXPECT_EQ(lock.error().code(), EINVAL);
}

TEST(SysvSemLock, ReadersShareAndKeepWritersOut) {
  TestLock t;
  ASSERT_TRUE(t.lock) << t.lock.error().message();
  auto r1 = t.lock->lock_shared();
  auto r2 = t.lock->lock_shared_for(50ms);
  ASSERT_TRUE(r1) << r1.error().message();
  ASSERT_TRUE(r2) << r2.error().message();
  EXPECT_EQ(t.values(), (Counts{2, 0}));
  EXPECT_EQ(t.lock->lock_for(50ms).error().code(), ETIMEDOUT);
  EXPECT_EQ(t.lock->lock_exclusive_for(50ms).error().code(), ETIMEDOUT);
  auto attempt = t.lock->try_lock_exclusive();
  ASSERT_TRUE(attempt) << attempt.error().message();
  EXPECT_FALSE(attempt->has_value());
  EXPECT_EQ(t.values(), (Counts{2, 0}));  // failed attempts changed nothing
}

TEST(SysvSemLock, WriterKeepsReadersOut) {
  TestLock t;
  ASSERT_TRUE(t.lock) << t.lock.error().message();
  auto w = t.lock->lock();
  ASSERT_TRUE(w) << w.error().message();
  EXPECT_EQ(t.lock->lock_shared_for(50ms).error().code(), ETIMEDOUT);
  auto attempt = t.lock->try_lock_shared();
  ASSERT_TRUE(attempt) << attempt.error().message();
  EXPECT_FALSE(attempt->has_value());
  EXPECT_EQ(t.values(), (Counts{0, 1}));
}

TEST(SysvSemLock, ArticleWritersMayOverlapButExclusiveWritersMayNot) {
  TestLock t;
  ASSERT_TRUE(t.lock) << t.lock.error().message();
  {
    auto w1 = t.lock->lock();
    auto w2 = t.lock->lock_for(50ms);  // as in the article: writers do not exclude each other
    ASSERT_TRUE(w1) << w1.error().message();
    ASSERT_TRUE(w2) << w2.error().message();
    EXPECT_EQ(t.values(), (Counts{0, 2}));
    EXPECT_EQ(t.lock->lock_exclusive_for(50ms).error().code(), ETIMEDOUT);
  }
  auto x = t.lock->lock_exclusive();
  ASSERT_TRUE(x) << x.error().message();
  EXPECT_EQ(t.lock->lock_exclusive_for(50ms).error().code(), ETIMEDOUT);
  auto attempt = t.lock->try_lock_exclusive();
  ASSERT_TRUE(attempt) << attempt.error().message();
  EXPECT_FALSE(attempt->has_value());
  EXPECT_EQ(t.lock->lock_shared_for(50ms).error().code(), ETIMEDOUT);
}

TEST(SysvSemLock, GuardsUnlockOnDestructionAndExplicitly) {
  TestLock t;
  ASSERT_TRUE(t.lock) << t.lock.error().message();
  {
    auto r = t.lock->try_lock_shared();
    ASSERT_TRUE(r && r->has_value());
    EXPECT_EQ(t.values(), (Counts{1, 0}));
  }
  EXPECT_EQ(t.values(), (Counts{0, 0}));
  auto w = t.lock->lock_exclusive();
  ASSERT_TRUE(w) << w.error().message();
  EXPECT_TRUE(w->owns_lock());
  EXPECT_TRUE(w->unlock());
  EXPECT_FALSE(w->owns_lock());
  EXPECT_EQ(t.values(), (Counts{0, 0}));
  EXPECT_EQ(w->unlock().error().code(), EINVAL);  // nothing left to unlock
}

TEST(SysvSemLock, MoveTransfersTheLockAndMoveAssignReleasesTheOldOne) {
  TestLock t;
  ASSERT_TRUE(t.lock) << t.lock.error().message();
  auto a = t.lock->lock_shared();
  ASSERT_TRUE(a) << a.error().message();
  ReadGuard b = std::move(*a);
  EXPECT_FALSE(a->owns_lock());  // NOLINT(bugprone-use-after-move): moved-from state is specified
  EXPECT_TRUE(b.owns_lock());
  EXPECT_EQ(t.values(), (Counts{1, 0}));
  auto c = t.lock->lock_shared();
  ASSERT_TRUE(c) << c.error().message();
  EXPECT_EQ(t.values(), (Counts{2, 0}));
  b = std::move(*c);
  EXPECT_EQ(t.values(), (Counts{1, 0}));
  EXPECT_TRUE(b.unlock());
  EXPECT_EQ(t.values(), (Counts{0, 0}));
}

TEST(SysvSemLock, GuardCopiedIntoForkedChildCannotUnlockThere) {
  TestLock t;
  ASSERT_TRUE(t.lock) << t.lock.error().message();
  auto w = t.lock->lock_exclusive();
  ASSERT_TRUE(w) << w.error().message();
  EXPECT_EQ(test::run_in_child([&] {
              auto r = w->unlock();
              return r ? 0 : r.error().code();
            }),
            EPERM);
  EXPECT_EQ(t.values(), (Counts{0, 1}));
}

TEST(SysvSemLock, UnlockAfterRemovalFailsWithEinval) {
  auto lock = SemLock::open_or_create(test::unique_key(), 0600);
  ASSERT_TRUE(lock) << lock.error().message();
  test::ScopeExit cleanup([&] { (void)lock->set().remove(); });
  auto w = lock->lock();
  ASSERT_TRUE(w) << w.error().message();
  ASSERT_TRUE(lock->set().remove());
  cleanup.dismiss();
  EXPECT_EQ(w->unlock().error().code(), EINVAL);
}

TEST(SysvSemLock, RemoveWakesABlockedReaderWithEidrm) {
  TestLock t;
  ASSERT_TRUE(t.lock) << t.lock.error().message();
  auto w = t.lock->lock();
  ASSERT_TRUE(w) << w.error().message();
  Child reader([&] {
    auto r = t.lock->lock_shared();
    return r ? 0 : r.error().code();
  });
  ASSERT_TRUE(eventually([&] { return t.lock->set().zcount(SemLock::kWriters) == 1; }));
  ASSERT_TRUE(t.lock->set().remove());
  EXPECT_EQ(reader.wait(), EIDRM);
}

// The article's reader unlocks without SEM_UNDO; its exit then replays a stale -1 on counter 0,
// which takes away another reader's count. Ours keeps the adjustment balanced.
TEST(SysvSemLock, ReaderExitDoesNotStealAnotherReadersCount) {
  TestLock t;
  ASSERT_TRUE(t.lock) << t.lock.error().message();
  auto mine = t.lock->lock_shared();
  ASSERT_TRUE(mine) << mine.error().message();
  EXPECT_EQ(test::run_in_child([&] { return t.lock->lock_shared() ? 0 : 1; }), 0);
  EXPECT_EQ(t.values(), (Counts{1, 0}));
  const SemaphoreSet& set = t.lock->set();
  EXPECT_EQ(test::run_in_child([&] {  // the article's shmread, verbatim
              if (!set.apply({{1, 0, 0}, {0, 1, kSemUndo}})) return 1;
              return set.apply({{0, -1, 0}}) ? 0 : 2;
            }),
            0);
  EXPECT_EQ(t.values(), (Counts{0, 0}));  // our reader's count is gone: a writer could enter
  auto r = mine->unlock();                // and our unlock must not block on the emptied counter
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), EAGAIN);
}

TEST(SysvSemMutex, LockExcludesAndUnlockRestores) {
  auto m = SemMutex::create(test::unique_key());
  ASSERT_TRUE(m) << m.error().message();
  test::ScopeExit cleanup([&] { (void)m->set().remove(); });
  EXPECT_EQ(m->set().value(0), 1);
  {
    auto g = m->lock();
    ASSERT_TRUE(g) << g.error().message();
    EXPECT_EQ(m->set().value(0), 0);
    auto again = m->try_lock();
    ASSERT_TRUE(again) << again.error().message();
    EXPECT_FALSE(again->has_value());
    EXPECT_EQ(m->lock_for(50ms).error().code(), ETIMEDOUT);
  }
  EXPECT_EQ(m->set().value(0), 1);
  auto g = m->try_lock();
  ASSERT_TRUE(g && g->has_value());
  EXPECT_EQ(m->set().value(0), 0);
}

TEST(SysvSemMutex, UsesOnlyItsOwnCounterOfASharedSet) {
  const std::array<unsigned short, 3> initial{0, 0, 1};
  auto set = SemaphoreSet::create(Key::private_key(), 3, initial);
  ASSERT_TRUE(set) << set.error().message();
  test::ScopeExit cleanup([&] { (void)set->remove(); });
  const SemMutex m(*set, 2);
  EXPECT_EQ(m.num(), 2);
  {
    auto g = m.lock_for(50ms);
    ASSERT_TRUE(g) << g.error().message();
    EXPECT_EQ(set->values(), (Counts{0, 0, 0}));
  }
  EXPECT_EQ(set->values(), (Counts{0, 0, 1}));
}

TEST(SysvSemMutex, CreateOfExistingKeyFailsWithEexist) {
  auto m = SemMutex::create(test::unique_key());
  ASSERT_TRUE(m) << m.error().message();
  test::ScopeExit cleanup([&] { (void)m->set().remove(); });
  auto again = SemMutex::create(m->set().stat()->key);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), EEXIST);
}

TEST(SysvSemMutex, ChildExitingWhileHoldingTheMutexReleasesIt) {
  auto m = SemMutex::create(Key::private_key());
  ASSERT_TRUE(m) << m.error().message();
  test::ScopeExit cleanup([&] { (void)m->set().remove(); });
  EXPECT_EQ(test::run_in_child([&] {
              auto g = m->lock();
              if (!g) return 1;
              std::fflush(nullptr);
              ::_exit(0);  // leaves without running the guard's destructor
            }),
            0);
  auto g = m->lock_for(1s);
  ASSERT_TRUE(g) << g.error().message();
}

// --- Multi-process tests ----------------------------------------------------------------------

// The stress test's shared record. Every record carries its own length and a hash over length
// and text, so a reader can tell a torn record (half of one write, half of another) on its own.
constexpr std::uint32_t kMaxText = 240;
struct Record {
  std::uint32_t len;
  std::uint64_t hash;
  char text[kMaxText];
};
struct Shared {
  Record record;
  std::atomic<std::uint64_t> reads{0};
  std::atomic<std::uint64_t> writes{0};
  std::atomic<std::uint64_t> torn{0};
  std::atomic<std::uint64_t> fresh{0};  // reads that saw a record some writer wrote
};

std::uint64_t fnv1a(std::uint32_t len, const char* text) {
  std::uint64_t h = 14695981039346656037ull;
  auto mix = [&h](unsigned char byte) {
    h ^= byte;
    h *= 1099511628211ull;
  };
  for (int shift = 0; shift < 32; shift += 8)
    mix(static_cast<unsigned char>(len >> shift));
  for (std::uint32_t i = 0; i < len; ++i)
    mix(static_cast<unsigned char>(text[i]));
  return h;
}

// Writes the record a byte at a time through volatile, so that without the lock a reader or the
// other writer would often interleave with it.
void write_record(volatile Record& rec, int writer, int iteration) {
  const std::uint32_t len = 1 + static_cast<std::uint32_t>(iteration * 7 + writer * 101) % kMaxText;
  char text[kMaxText];
  for (std::uint32_t i = 0; i < len; ++i) {
    text[i] =
        static_cast<char>('!' + (static_cast<std::uint32_t>(iteration + writer * 31) + i) % 90);
  }
  rec.len = len;
  for (std::uint32_t i = 0; i < len; ++i)
    rec.text[i] = text[i];
  rec.hash = fnv1a(len, text);
}

// Copies the record out a byte at a time and reports whether it is whole.
bool read_record_is_whole(const volatile Record& rec, bool& fresh) {
  Record copy{};
  copy.len = rec.len;
  copy.hash = rec.hash;
  if (copy.len > kMaxText) return false;
  for (std::uint32_t i = 0; i < copy.len; ++i)
    copy.text[i] = rec.text[i];
  fresh = copy.len != 0;
  return copy.hash == fnv1a(copy.len, copy.text);
}

// 100,000 lock-protected accesses in all, split evenly over the four processes. Measured on 2
// cores: ~0.2 s in the default build, ~0.5 s under ASan, ~1.5 s under TSan, so sanitizer builds
// run the full count too. If that ever grows too slow, scale down only under
// __SANITIZE_ADDRESS__ / __SANITIZE_THREAD__ and keep 100,000 in the default build.
constexpr int kTotalIterations = 100'000;
constexpr int kWriters = 2;
constexpr int kReaders = 2;
constexpr int kPerProcess = kTotalIterations / (kWriters + kReaders);

TEST(SysvSemLock, ExclusiveWritersAndReadersNeverSeeATornRecordAcrossProcesses) {
  TestLock t;
  ASSERT_TRUE(t.lock) << t.lock.error().message();
  void* mem =
      ::mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(mem, MAP_FAILED);
  test::ScopeExit unmap([&] { ::munmap(mem, sizeof(Shared)); });
  auto* shared = new (mem) Shared{};
  shared->record.len = 0;
  shared->record.hash = fnv1a(0, shared->record.text);
  const SemLock lock = *t.lock;

  std::vector<std::unique_ptr<Child>> children;
  for (int w = 0; w < kWriters; ++w) {
    children.push_back(std::make_unique<Child>([&, w] {
      for (int i = 0; i < kPerProcess; ++i) {
        auto guard = lock.lock_exclusive_for(10s);  // a lost wake-up fails instead of hanging
        if (!guard) return 1;
        write_record(shared->record, w, i);
        shared->writes.fetch_add(1, std::memory_order_relaxed);
        if (!guard->unlock()) return 2;
      }
      return 0;
    }));
  }
  for (int r = 0; r < kReaders; ++r) {
    children.push_back(std::make_unique<Child>([&] {
      for (int i = 0; i < kPerProcess; ++i) {
        bool whole = false;
        bool fresh = false;
        {
          auto guard = lock.lock_shared_for(10s);
          if (!guard) return 1;
          whole = read_record_is_whole(shared->record, fresh);
        }
        shared->reads.fetch_add(1, std::memory_order_relaxed);
        if (!whole) shared->torn.fetch_add(1, std::memory_order_relaxed);
        if (fresh) shared->fresh.fetch_add(1, std::memory_order_relaxed);
      }
      return 0;
    }));
  }
  for (auto& child : children)
    EXPECT_EQ(child->wait(60s), 0) << "child " << child->pid();

  EXPECT_EQ(shared->torn.load(), 0u);
  EXPECT_EQ(shared->writes.load(), static_cast<std::uint64_t>(kWriters * kPerProcess));
  EXPECT_EQ(shared->reads.load(), static_cast<std::uint64_t>(kReaders * kPerProcess));
  EXPECT_GT(shared->fresh.load(), 0u);  // readers did overlap with writers' output
  bool fresh = false;
  EXPECT_TRUE(read_record_is_whole(shared->record, fresh));
  EXPECT_EQ(t.values(), (Counts{0, 0}));  // every SEM_UNDO adjustment balanced
}

TEST(SysvSemLock, RecordCheckDetectsATornRecord) {  // the stress test's detector works
  Record rec{};
  write_record(rec, 0, 5);
  bool fresh = false;
  EXPECT_TRUE(read_record_is_whole(rec, fresh));
  rec.text[0] = static_cast<char>(rec.text[0] + 1);
  EXPECT_FALSE(read_record_is_whole(rec, fresh));
}

TEST(SysvSemLock, WriterKilledWithSigkillIsReleasedBySemUndo) {
  TestLock t;
  ASSERT_TRUE(t.lock) << t.lock.error().message();
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  Fd ready_rd(fds[0]);
  Fd ready_wr(fds[1]);
  Child holder([&] {
    auto w = t.lock->lock_exclusive();
    if (!w) return 1;
    const char c = 'L';
    if (::write(ready_wr.get(), &c, 1) != 1) return 2;
    for (;;)
      ::pause();  // holds the lock until killed
  });
  ready_wr.reset();
  char c = 0;
  ASSERT_EQ(::read(ready_rd.get(), &c, 1), 1) << "the child did not get the lock";
  EXPECT_EQ(t.values(), (Counts{0, 1}));
  EXPECT_EQ(t.lock->lock_exclusive_for(50ms).error().code(), ETIMEDOUT);

  ASSERT_EQ(::kill(holder.pid(), SIGKILL), 0);
  ASSERT_EQ(holder.wait(), 128 + SIGKILL);
  const auto start = Clock::now();
  auto w = t.lock->lock_exclusive_for(1s);
  const auto took = Clock::now() - start;
  ASSERT_TRUE(w) << w.error().message();
  EXPECT_LT(took, 1s);
  EXPECT_EQ(t.values(), (Counts{0, 1}));  // ours now
}

}  // namespace
}  // namespace ipckit::sysv
