// The destination's ledger: per-source positions that survive the holder, one holder at a
// time, and the settling of a send a crash interrupted.
#include "ipckit/bridge/ledger.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipckit/bridge/wire.hpp"
#include "support/ipc_test_support.hpp"

namespace ipckit::bridge {
namespace {

// A unique ledger label, its object removed at scope exit.
class ScopedLedgerName {
 public:
  ScopedLedgerName() : label_(test::unique_name("ledger")) {}
  ~ScopedLedgerName() { shm_unlink(("/" + Ledger::object_name(label_)).c_str()); }
  [[nodiscard]] const std::string& label() const { return label_; }

 private:
  std::string label_;
};

TEST(BridgeLedger, PositionsSurviveTheHolder) {
  ScopedLedgerName name;
  {
    auto ledger = Ledger::take(name.label(), 7);
    ASSERT_TRUE(ledger) << ledger.error().message();
    auto a = ledger->source("host-a:orders", 1001);
    ASSERT_TRUE(a);
    EXPECT_EQ(ledger->last(*a), kNone);
    ledger->begin(*a, 64, 0);
    ledger->commit(*a, 64);
    EXPECT_EQ(ledger->last(*a), 64u);
  }
  auto again = Ledger::take(name.label(), 7);
  ASSERT_TRUE(again);
  auto a = again->source("host-a:orders", 1001);
  ASSERT_TRUE(a);
  EXPECT_EQ(again->last(*a), 64u);
  auto listed = Ledger::read(name.label());
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].name, "host-a:orders");
  EXPECT_EQ((*listed)[0].committed, 1u);
}

TEST(BridgeLedger, ANewIncarnationOfTheSourceStartsOver) {
  ScopedLedgerName name;
  auto ledger = Ledger::take(name.label(), 7);
  ASSERT_TRUE(ledger);
  auto a = ledger->source("src", 1);
  ASSERT_TRUE(a);
  ledger->begin(*a, 4096, 0);
  ledger->commit(*a, 4096);
  auto remade = ledger->source("src", 2);
  ASSERT_TRUE(remade);
  EXPECT_EQ(*remade, *a);
  EXPECT_EQ(ledger->last(*remade), kNone);
}

TEST(BridgeLedger, APendingSendCountsAsDeliveredOnlyIfTheChannelMovedPastIt) {
  ScopedLedgerName name;
  {
    auto ledger = Ledger::take(name.label(), 7);
    ASSERT_TRUE(ledger);
    auto a = ledger->source("went-in", 1);
    auto b = ledger->source("did-not", 2);
    ASSERT_TRUE(a && b);
    ledger->begin(*a, 128, 1000);  // crash after the send's commit, before ours
    ledger->begin(*b, 256, 2000);  // crash before the send's commit
  }
  auto ledger = Ledger::take(name.label(), 7);
  ASSERT_TRUE(ledger);
  ledger->recover(1500);  // the channel's published tail now
  auto a = ledger->source("went-in", 1);
  auto b = ledger->source("did-not", 2);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(ledger->last(*a), 128u);
  EXPECT_EQ(ledger->last(*b), kNone);
  for (const auto& s : ledger->sources())
    EXPECT_FALSE(s.pending) << s.name;
}

TEST(BridgeLedger, AnotherIncarnationOfTheChannelDropsThePendingSend) {
  ScopedLedgerName name;
  {
    auto ledger = Ledger::take(name.label(), 7);
    ASSERT_TRUE(ledger);
    auto a = ledger->source("src", 1);
    ASSERT_TRUE(a);
    ledger->commit(*a, 64);
    ledger->begin(*a, 128, 10);
  }
  auto ledger = Ledger::take(name.label(), 8);  // the channel was made again
  ASSERT_TRUE(ledger);
  ledger->recover(1 << 20);
  auto a = ledger->source("src", 1);
  ASSERT_TRUE(a);
  EXPECT_EQ(ledger->last(*a), 64u);  // kept; the pending one not counted
}

TEST(BridgeLedger, OneHolderAtATimeAndADeadHoldersLockGoesWithIt) {
  ScopedLedgerName name;
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(ready[0]);
    auto ledger = Ledger::take(name.label(), 7);
    char c = ledger ? 'y' : 'n';
    (void)write(ready[1], &c, 1);
    pause();  // holds it until killed
    _exit(0);
  }
  close(ready[1]);
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  close(ready[0]);
  ASSERT_EQ(c, 'y');
  auto busy = Ledger::take(name.label(), 7);
  ASSERT_FALSE(busy);
  EXPECT_EQ(busy.error().code(), EBUSY);
  auto not_removed = Ledger::remove(name.label());
  ASSERT_FALSE(not_removed);
  EXPECT_EQ(not_removed.error().code(), EBUSY);
  kill(child, SIGKILL);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  auto taken = Ledger::take(name.label(), 7);
  EXPECT_TRUE(taken) << taken.error().message();
}

TEST(BridgeLedger, AnObjectThatIsNotALedgerIsNeitherUsedNorRemoved) {
  ScopedLedgerName name;
  const std::string path = "/" + Ledger::object_name(name.label());
  int fd = shm_open(path.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(ftruncate(fd, 100), 0);
  close(fd);
  auto taken = Ledger::take(name.label(), 7);
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().code(), EPROTO);
  auto removed = Ledger::remove(name.label());
  ASSERT_FALSE(removed);
  EXPECT_EQ(removed.error().code(), EPROTO);
  EXPECT_EQ(access(("/dev/shm" + path).c_str(), F_OK), 0);
}

TEST(BridgeLedger, SourceNamesAreCheckedAndTheTableHasAnEnd) {
  ScopedLedgerName name;
  auto ledger = Ledger::take(name.label(), 7);
  ASSERT_TRUE(ledger);
  EXPECT_EQ(ledger->source("", 1).error().code(), EINVAL);
  EXPECT_EQ(ledger->source(std::string(300, 'x'), 1).error().code(), EINVAL);
  for (std::size_t i = 0; i < Ledger::kSources; ++i) {
    ASSERT_TRUE(ledger->source("s" + std::to_string(i), 1));
  }
  auto full = ledger->source("one-too-many", 1);
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code(), ENOSPC);
}

}  // namespace
}  // namespace ipckit::bridge
