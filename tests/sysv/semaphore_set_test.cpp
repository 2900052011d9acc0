#include "ipckit/sysv/semaphore_set.hpp"

#include <gtest/gtest.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <functional>
#include <thread>

#include "support/child.hpp"
#include "support/ipc_test_support.hpp"

namespace ipckit::sysv {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

using test::Child;
using test::eventually;

// A fresh set under a unique key, removed at scope exit.
struct TestSet {
  explicit TestSet(int nsems, std::span<const unsigned short> initial = {}, mode_t mode = 0600)
      : key(test::unique_key()), set(SemaphoreSet::create(key, nsems, initial, mode)) {}
  ~TestSet() {
    if (set) (void)set->remove();
  }
  Key key;
  Result<SemaphoreSet> set;
};

TEST(SysvSemaphoreSet, CreateThenOpenFindsTheSameSet) {
  TestSet t(3, {}, 0640);
  ASSERT_TRUE(t.set) << t.set.error().message();
  auto opened = SemaphoreSet::open(t.key, 3);
  ASSERT_TRUE(opened) << opened.error().message();
  EXPECT_EQ(opened->id(), t.set->id());
  auto st = t.set->stat();
  ASSERT_TRUE(st) << st.error().message();
  EXPECT_EQ(st->key, t.key);
  EXPECT_EQ(st->nsems, 3u);
  EXPECT_EQ(st->mode, 0640u);
  EXPECT_EQ(st->uid, ::geteuid());
  EXPECT_EQ(st->cuid, ::geteuid());
  EXPECT_EQ(st->gid, ::getegid());
  EXPECT_EQ(st->cgid, ::getegid());
  EXPECT_EQ(st->otime, 0);  // no semop() yet
  EXPECT_NE(st->ctime, 0);
  auto values = t.set->values();
  ASSERT_TRUE(values) << values.error().message();
  EXPECT_EQ(*values, (std::vector<unsigned short>{0, 0, 0}));
}

TEST(SysvSemaphoreSet, OpenOfMissingKeyFailsWithEnoent) {
  const Key key = test::unique_key();
  auto set = SemaphoreSet::open(key);
  ASSERT_FALSE(set);
  EXPECT_EQ(set.error().code(), ENOENT);
  EXPECT_EQ(set.error().operation(), "semget");
  EXPECT_EQ(set.error().message(), "semget(" + key.describe() + "): No such file or directory");
}

TEST(SysvSemaphoreSet, OpenOfPrivateKeyFailsWithEinval) {
  auto set = SemaphoreSet::open(Key::private_key(), 1);
  ASSERT_FALSE(set);
  EXPECT_EQ(set.error().code(), EINVAL);
}

TEST(SysvSemaphoreSet, OpenAskingForMoreCountersThanTheSetHasFailsWithEinval) {
  TestSet t(2);
  ASSERT_TRUE(t.set) << t.set.error().message();
  auto set = SemaphoreSet::open(t.key, 3);
  ASSERT_FALSE(set);
  EXPECT_EQ(set.error().code(), EINVAL);
}

TEST(SysvSemaphoreSet, ExclusiveCreateOfExistingKeyFailsWithEexist) {
  TestSet t(1);
  ASSERT_TRUE(t.set) << t.set.error().message();
  auto again = SemaphoreSet::create(t.key, 1);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), EEXIST);
  EXPECT_EQ(again.error().object(), t.key.describe());
}

TEST(SysvSemaphoreSet, NonExclusiveCreateOpensExistingSetWithoutResettingIt) {
  const std::array<unsigned short, 2> initial{3, 4};
  TestSet t(2, initial);
  ASSERT_TRUE(t.set) << t.set.error().message();
  const std::array<unsigned short, 2> other{9, 9};
  auto again = SemaphoreSet::create(t.key, 2, other, 0600, Exclusive::kNo);
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(again->id(), t.set->id());
  EXPECT_EQ(*t.set->values(), (std::vector<unsigned short>{3, 4}));
}

TEST(SysvSemaphoreSet, CreateAppliesInitialValues) {
  const std::array<unsigned short, 3> initial{1, 0, kSemValueMax};
  TestSet t(3, initial);
  ASSERT_TRUE(t.set) << t.set.error().message();
  EXPECT_EQ(*t.set->values(), (std::vector<unsigned short>{1, 0, kSemValueMax}));
}

TEST(SysvSemaphoreSet, CreateWithInitialValuesOfWrongSizeFailsWithEinvalAndCreatesNothing) {
  const Key key = test::unique_key();
  const std::array<unsigned short, 2> initial{1, 1};
  auto set = SemaphoreSet::create(key, 3, initial);
  ASSERT_FALSE(set);
  EXPECT_EQ(set.error().code(), EINVAL);
  EXPECT_EQ(SemaphoreSet::open(key).error().code(), ENOENT);
}

TEST(SysvSemaphoreSet, CreateWithInitialValueAboveMaximumFailsWithErange) {
  const Key key = test::unique_key();
  const std::array<unsigned short, 1> initial{kSemValueMax + 1};
  auto set = SemaphoreSet::create(key, 1, initial);
  ASSERT_FALSE(set);
  EXPECT_EQ(set.error().code(), ERANGE);
  EXPECT_EQ(SemaphoreSet::open(key).error().code(), ENOENT);
}

TEST(SysvSemaphoreSet, CreateWithNoCountersFailsWithEinval) {
  auto set = SemaphoreSet::create(test::unique_key(), 0);
  ASSERT_FALSE(set);
  EXPECT_EQ(set.error().code(), EINVAL);
}

TEST(SysvSemaphoreSet, FromIdAcceptsALiveIdAndRejectsARemovedOneWithEinval) {
  auto set = SemaphoreSet::create(Key::private_key(), 1);
  ASSERT_TRUE(set) << set.error().message();
  test::ScopeExit cleanup([&] { (void)set->remove(); });
  auto adopted = SemaphoreSet::from_id(set->id());
  ASSERT_TRUE(adopted) << adopted.error().message();
  EXPECT_EQ(*adopted, *set);
  ASSERT_TRUE(set->remove());
  cleanup.dismiss();
  auto gone = SemaphoreSet::from_id(set->id());
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code(), EINVAL);
  EXPECT_EQ(gone.error().object(), set->id().describe());
  EXPECT_EQ(set->value(0).error().code(), EINVAL);
}

TEST(SysvSemaphoreSet, SetValueThenValueRoundTrips) {
  TestSet t(2);
  ASSERT_TRUE(t.set) << t.set.error().message();
  ASSERT_TRUE(t.set->set_value(1, 42));
  EXPECT_EQ(t.set->value(1), 42);
  EXPECT_EQ(t.set->value(0), 0);
}

TEST(SysvSemaphoreSet, SetValueOutOfRangeFailsWithErange) {
  TestSet t(1);
  ASSERT_TRUE(t.set) << t.set.error().message();
  EXPECT_EQ(t.set->set_value(0, kSemValueMax + 1).error().code(), ERANGE);
  EXPECT_EQ(t.set->set_value(0, -1).error().code(), ERANGE);
}

TEST(SysvSemaphoreSet, CounterIndexOutOfRangeFailsWithEinvalOrEfbig) {
  TestSet t(1);
  ASSERT_TRUE(t.set) << t.set.error().message();
  EXPECT_EQ(t.set->value(1).error().code(), EINVAL);
  EXPECT_EQ(t.set->ncount(1).error().code(), EINVAL);
  EXPECT_EQ(t.set->apply({{1, 1}}).error().code(), EFBIG);  // semop says EFBIG
}

TEST(SysvSemaphoreSet, SetValuesRoundTripsAndRejectsWrongSizeWithEinval) {
  TestSet t(2);
  ASSERT_TRUE(t.set) << t.set.error().message();
  const std::array<unsigned short, 2> two{5, 6};
  ASSERT_TRUE(t.set->set_values(two));
  EXPECT_EQ(*t.set->values(), (std::vector<unsigned short>{5, 6}));
  const std::array<unsigned short, 3> three{1, 2, 3};
  auto r = t.set->set_values(three);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), EINVAL);
  EXPECT_EQ(*t.set->values(), (std::vector<unsigned short>{5, 6}));
}

TEST(SysvSemaphoreSet, NoWaitDecrementOfZeroCounterFailsWithEagain) {
  TestSet t(1);
  ASSERT_TRUE(t.set) << t.set.error().message();
  auto r = t.set->apply({{0, -1, kNoWait}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), EAGAIN);
  EXPECT_EQ(r.error().message(),
            "semop(" + t.set->id().describe() + "): Resource temporarily unavailable");
}

TEST(SysvSemaphoreSet, EmptyOperationListFailsWithEinval) {
  TestSet t(1);
  ASSERT_TRUE(t.set) << t.set.error().message();
  EXPECT_EQ(t.set->apply(std::span<const SemOp>{}).error().code(), EINVAL);
}

TEST(SysvSemaphoreSet, OperationsApplyAllOrNoneWhenTheSecondWouldBlock) {
  TestSet t(2);
  ASSERT_TRUE(t.set) << t.set.error().message();
  auto r = t.set->apply({{0, +1}, {1, -1, kNoWait}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), EAGAIN);
  EXPECT_EQ(*t.set->values(), (std::vector<unsigned short>{0, 0}));  // the +1 did not happen
  ASSERT_TRUE(t.set->apply({{0, +1}, {1, +2}}));
  EXPECT_EQ(*t.set->values(), (std::vector<unsigned short>{1, 2}));
}

TEST(SysvSemaphoreSet, IncrementAboveMaximumFailsWithErange) {
  const std::array<unsigned short, 1> full{kSemValueMax};
  TestSet t(1, full);
  ASSERT_TRUE(t.set) << t.set.error().message();
  EXPECT_EQ(t.set->apply({{0, +1}}).error().code(), ERANGE);
}

TEST(SysvSemaphoreSet, TimedWaitFailsWithEtimedoutWhenCounterStaysZero) {
  TestSet t(1);
  ASSERT_TRUE(t.set) << t.set.error().message();
  const auto start = Clock::now();
  auto r = t.set->apply_for({{0, -1}}, 50ms);
  const auto took = Clock::now() - start;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ETIMEDOUT);
  EXPECT_EQ(r.error().operation(), "semtimedop");
  EXPECT_GE(took, 45ms);
  EXPECT_LT(took, 2s);
}

TEST(SysvSemaphoreSet, TimedWaitWithNoWaitOpStillFailsWithEagainAtOnce) {
  TestSet t(1);
  ASSERT_TRUE(t.set) << t.set.error().message();
  auto r = t.set->apply_for({{0, -1, kNoWait}}, 5s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), EAGAIN);
}

TEST(SysvSemaphoreSet, TimedWaitSucceedsWhenCounterIsAvailable) {
  const std::array<unsigned short, 1> one{1};
  TestSet t(1, one);
  ASSERT_TRUE(t.set) << t.set.error().message();
  ASSERT_TRUE(t.set->apply_for({{0, -1}}, 50ms));
  EXPECT_EQ(t.set->value(0), 0);
  EXPECT_EQ(t.set->apply_for({{0, -1}}, -1s).error().code(), ETIMEDOUT);  // negative = poll
}

// SIGALRM every 10 ms interrupts semtimedop(); the handler does nothing, and no SA_RESTART.
class AlarmStorm {
 public:
  AlarmStorm() {
    struct sigaction sa {};
    sa.sa_handler = [](int) {};
    ::sigemptyset(&sa.sa_mask);
    ::sigaction(SIGALRM, &sa, &old_);
    itimerval every{{0, 10'000}, {0, 10'000}};
    ::setitimer(ITIMER_REAL, &every, nullptr);
  }
  ~AlarmStorm() {
    itimerval off{};
    ::setitimer(ITIMER_REAL, &off, nullptr);
    ::sigaction(SIGALRM, &old_, nullptr);
  }
  AlarmStorm(const AlarmStorm&) = delete;
  AlarmStorm& operator=(const AlarmStorm&) = delete;

 private:
  struct sigaction old_ {};
};

TEST(SysvSemaphoreSet, TimedWaitInterruptedBySignalsKeepsItsDeadline) {
  TestSet t(1);
  ASSERT_TRUE(t.set) << t.set.error().message();
  AlarmStorm storm;
  const auto start = Clock::now();
  auto r = t.set->apply_for({{0, -1}}, 100ms);
  const auto took = Clock::now() - start;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ETIMEDOUT);
  EXPECT_GE(took, 95ms);
  EXPECT_LT(took, 5s);  // restarting with the full timeout each time would never end
}

TEST(SysvSemaphoreSet, BlockingApplyRestartsAfterSignals) {
  TestSet t(1);
  ASSERT_TRUE(t.set) << t.set.error().message();
  AlarmStorm storm;
  Child poster([&] {
    ::usleep(60'000);
    return t.set->apply({{0, +1}}) ? 0 : 1;
  });
  ASSERT_TRUE(t.set->apply({{0, -1}}));  // interrupted several times before the post
  EXPECT_EQ(poster.wait(), 0);
}

TEST(SysvSemaphoreSet, WaitForZeroBlocksUntilCounterIsZero) {
  const std::array<unsigned short, 1> one{1};
  TestSet t(1, one);
  ASSERT_TRUE(t.set) << t.set.error().message();
  Child waiter([&] { return t.set->apply({{0, 0}}) ? 0 : 1; });
  ASSERT_TRUE(eventually([&] { return t.set->zcount(0) == 1; }));
  EXPECT_EQ(waiter.wait(20ms), -1);  // still blocked
  ASSERT_TRUE(t.set->set_value(0, 0));
  EXPECT_EQ(waiter.wait(), 0);
  EXPECT_EQ(t.set->zcount(0), 0);
}

TEST(SysvSemaphoreSet, NcountSeesAChildBlockedOnDecrement) {
  TestSet t(2);
  ASSERT_TRUE(t.set) << t.set.error().message();
  EXPECT_EQ(t.set->ncount(1), 0);
  Child waiter([&] { return t.set->apply({{1, -1}}) ? 0 : 1; });
  ASSERT_TRUE(eventually([&] { return t.set->ncount(1) == 1; }));
  EXPECT_EQ(t.set->zcount(1), 0);
  EXPECT_EQ(t.set->ncount(0), 0);
  ASSERT_TRUE(t.set->apply({{1, +1}}));
  EXPECT_EQ(waiter.wait(), 0);
  EXPECT_EQ(t.set->ncount(1), 0);
  EXPECT_EQ(t.set->value(1), 0);
}

TEST(SysvSemaphoreSet, LastPidAndOtimeNameTheLastSemop) {
  TestSet t(1);
  ASSERT_TRUE(t.set) << t.set.error().message();
  EXPECT_EQ(t.set->last_pid(0), 0);
  Child child([&] { return t.set->apply({{0, +1}}) ? 0 : 1; });
  ASSERT_EQ(child.wait(), 0);
  EXPECT_EQ(t.set->last_pid(0), child.pid());
  EXPECT_NE(t.set->stat()->otime, 0);
}

TEST(SysvSemaphoreSet, SemUndoRevertsWhenChildExits) {
  TestSet t(2);
  ASSERT_TRUE(t.set) << t.set.error().message();
  EXPECT_EQ(test::run_in_child([&] {
              if (!t.set->apply({{0, +1, kSemUndo}, {1, +1}})) return 1;
              return t.set->value(0) == 1 ? 0 : 2;
            }),
            0);
  EXPECT_EQ(t.set->value(0), 0);  // undone at exit
  EXPECT_EQ(t.set->value(1), 1);  // no SEM_UNDO: stays
}

TEST(SysvSemaphoreSet, NobodyIsDeniedAPrivate0600SetWithEacces) {
  TestSet t(1, {}, 0600);
  ASSERT_TRUE(t.set) << t.set.error().message();
  const int code = test::run_as_nobody([&] {
    auto opened = SemaphoreSet::open(t.key);  // semget(key, 0, 0) asks for no access
    if (!opened) return 10;
    if (SemaphoreSet::create(t.key, 1, {}, 0600, Exclusive::kNo).error().code() != EACCES)
      return 11;
    if (opened->apply({{0, +1}}).error().code() != EACCES) return 12;
    if (opened->value(0).error().code() != EACCES) return 13;
    if (opened->stat().error().code() != EACCES) return 14;
    if (opened->remove().error().code() != EPERM) return 15;
    return 0;
  });
  EXPECT_EQ(code, 0);
  EXPECT_EQ(t.set->value(0), 0);
}

TEST(SysvSemaphoreSet, SetModeChangesPermissionBitsAndLetsNobodyIn) {
  TestSet t(1, {}, 0600);
  ASSERT_TRUE(t.set) << t.set.error().message();
  ASSERT_TRUE(t.set->set_mode(0666));
  EXPECT_EQ(t.set->stat()->mode, 0666u);
  EXPECT_EQ(test::run_as_nobody([&] { return t.set->apply({{0, +1}}) ? 0 : 1; }), 0);
  EXPECT_EQ(t.set->value(0), 1);
}

TEST(SysvSemaphoreSet, RemoveWakesBlockedWaiterWithEidrm) {
  auto set = SemaphoreSet::create(test::unique_key(), 1);
  ASSERT_TRUE(set) << set.error().message();
  test::ScopeExit cleanup([&] { (void)set->remove(); });
  Child waiter([&] {
    auto r = set->apply({{0, -1}});
    return r ? 0 : r.error().code();
  });
  ASSERT_TRUE(eventually([&] { return set->ncount(0) == 1; }));
  ASSERT_TRUE(set->remove());
  cleanup.dismiss();
  EXPECT_EQ(waiter.wait(), EIDRM);
  EXPECT_EQ(set->remove().error().code(), EINVAL);
}

}  // namespace
}  // namespace ipckit::sysv
