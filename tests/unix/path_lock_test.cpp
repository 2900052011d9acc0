// The "<path>.lock" that every path binder takes (UnixListener, BoundDatagram): private to the
// binder, a bounded and cancellable wait, and an error naming whoever holds it.
#include <fcntl.h>
#include <fmt/core.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>

#include "ipckit/unix/bound_datagram.hpp"
#include "ipckit/unix/listener.hpp"
#include "support/child.hpp"
#include "unix/unix_test_support.hpp"

namespace ipckit::uds {
namespace {

using namespace std::chrono_literals;
using test::Child;
using test::code_of;
using test::exists;
using test::kNobody;
using test::NoFdLeak;
using test::TmpPath;

// A child that creates (if need be) and flocks `lock`, says so through a pipe, and holds the
// lock until the parent closes its end of a second pipe (or the Child is destroyed).
class LockHolder {
 public:
  LockHolder(const std::string& lock, bool as_nobody) {
    int ready[2];
    int release[2];
    EXPECT_EQ(::pipe2(ready, O_CLOEXEC), 0);
    EXPECT_EQ(::pipe2(release, O_CLOEXEC), 0);
    Fd ready_r(ready[0]), ready_w(ready[1]), release_r(release[0]);
    release_w_.reset(release[1]);
    child_ = std::make_unique<Child>(
        [&] {
          ready_r.reset();
          release_w_.reset();
          Fd fd(::open(lock.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0644));
          if (!fd || ::flock(fd.get(), LOCK_EX) != 0) return 1;
          const char c = 'l';
          if (::write(ready_w.get(), &c, 1) != 1) return 2;
          char d = 0;
          (void)::read(release_r.get(), &d, 1);
          return 0;
        },
        as_nobody);
    ready_w.reset();
    release_r.reset();
    char c = 0;
    locked_ = ::read(ready_r.get(), &c, 1) == 1;
  }
  ~LockHolder() { release(); }
  [[nodiscard]] bool locked() const { return locked_; }
  [[nodiscard]] pid_t pid() const { return child_->pid(); }
  void release() {
    if (!release_w_) return;
    release_w_.reset();
    EXPECT_EQ(child_->wait(), 0);
  }

 private:
  Fd release_w_;
  std::unique_ptr<Child> child_;
  bool locked_ = false;
};

mode_t mode_of(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0;
}

TEST(UnixPathLock, LockFileIsPrivateToTheBinder) {
  NoFdLeak leak;
  TmpPath tmp;
  auto l = UnixListener::bind(tmp.address);
  ASSERT_TRUE(l) << l.error().message();
  EXPECT_EQ(mode_of(tmp.lock), 0600u);
  struct stat st {};
  ASSERT_EQ(::lstat(tmp.lock.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, ::geteuid());
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to act as another user";
  // Another user cannot even open it, so cannot hold it.
  Child other([&] { return ::open(tmp.lock.c_str(), O_RDONLY) < 0 && errno == EACCES ? 0 : 1; },
              /*as_nobody=*/true);
  EXPECT_EQ(other.wait(), 0);
}

TEST(UnixPathLock, OwnLockFileThatOthersCouldOpenIsMadePrivate) {
  NoFdLeak leak;
  TmpPath tmp;
  { Fd made(::open(tmp.lock.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)); }
  ASSERT_EQ(::chmod(tmp.lock.c_str(), 0644), 0);
  auto l = UnixListener::bind(tmp.address);
  ASSERT_TRUE(l) << l.error().message();
  EXPECT_EQ(mode_of(tmp.lock), 0600u);
}

TEST(UnixPathLock, HeldLockTimesOutWithEtimedoutNamingTheHolder) {
  NoFdLeak leak;
  TmpPath tmp;
  const bool root = ::geteuid() == 0;
  // As root: the holder is another user who planted the lock file (root may use it, see
  // path_lock.hpp, but still never waits past the deadline).
  LockHolder holder(tmp.lock, /*as_nobody=*/root);
  ASSERT_TRUE(holder.locked());
  const auto start = std::chrono::steady_clock::now();
  auto l = UnixListener::bind(tmp.address, {.lock_wait = {.timeout = 300ms}});
  ASSERT_FALSE(l);
  EXPECT_EQ(l.error().code(), ETIMEDOUT);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 20s);
  const std::string message = l.error().message();
  EXPECT_NE(message.find(tmp.lock), std::string::npos) << message;
  // The holder is named from /proc/locks (where the system has one to read).
  if (::access("/proc/locks", R_OK) == 0) {
    EXPECT_NE(message.find(fmt::format("held by pid {}", holder.pid())), std::string::npos)
        << message;
    if (root) {
      EXPECT_NE(message.find("uid 65534"), std::string::npos) << message;
    }
  }
  EXPECT_FALSE(exists(tmp.path));
  // Released, the same bind goes through.
  holder.release();
  auto again = UnixListener::bind(tmp.address, {.lock_wait = {.timeout = 10s}});
  EXPECT_TRUE(again) << again.error().message();
}

// A holder that hands the path a new, already locked file each time it lets go (rename over the
// lock path) cannot keep a binder waiting past its one deadline.
TEST(UnixPathLock, HolderThatKeepsReplacingTheFileCannotExtendTheDeadline) {
  NoFdLeak leak;
  TmpPath tmp;
  const std::string next = tmp.lock + ".next";
  int ready[2];
  ASSERT_EQ(::pipe2(ready, O_CLOEXEC), 0);
  Fd ready_r(ready[0]), ready_w(ready[1]);
  Child holder([&] {
    ready_r.reset();
    Fd held(::open(tmp.lock.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0600));
    if (!held || ::flock(held.get(), LOCK_EX) != 0) return 1;
    if (::write(ready_w.get(), "l", 1) != 1) return 2;
    for (int round = 0; round < 400; ++round) {  // about 20 s, unless killed first
      ::usleep(50'000);
      Fd fresh(::open(next.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
      if (!fresh || ::flock(fresh.get(), LOCK_EX) != 0) return 3;
      if (::rename(next.c_str(), tmp.lock.c_str()) != 0) return 4;
      held = std::move(fresh);  // lets go of the old file only now
    }
    return 0;
  });
  ready_w.reset();
  char c = 0;
  ASSERT_EQ(::read(ready_r.get(), &c, 1), 1);
  const auto start = std::chrono::steady_clock::now();
  auto l = UnixListener::bind(tmp.address, {.lock_wait = {.timeout = 500ms}});
  const auto took = std::chrono::steady_clock::now() - start;
  ::unlink(next.c_str());
  ASSERT_FALSE(l);
  EXPECT_EQ(l.error().code(), ETIMEDOUT) << l.error().message();
  EXPECT_LT(took, 10s);  // the holder goes on for about 20 s
}

TEST(UnixPathLock, CancelDescriptorEndsTheWaitWithEintr) {
  NoFdLeak leak;
  TmpPath tmp;
  LockHolder holder(tmp.lock, /*as_nobody=*/false);
  ASSERT_TRUE(holder.locked());
  int cancel[2];
  ASSERT_EQ(::pipe2(cancel, O_CLOEXEC), 0);
  Fd cancel_r(cancel[0]), cancel_w(cancel[1]);
  ASSERT_EQ(::write(cancel_w.get(), "x", 1), 1);  // as a signal handler's self-pipe would
  auto l =
      UnixListener::bind(tmp.address, {.lock_wait = {.timeout = 30s, .cancel = cancel_r.view()}});
  ASSERT_FALSE(l);
  EXPECT_EQ(l.error().code(), EINTR) << l.error().message();
  auto d =
      BoundDatagram::bind(tmp.address, {.lock_wait = {.timeout = 30s, .cancel = cancel_r.view()}});
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code(), EINTR) << d.error().message();
}

TEST(UnixPathLock, LockFileOfAnotherUserIsRefusedWithEacces) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to act as another user";
  NoFdLeak leak;
  TmpPath tmp;
  // Planted by someone else (here root) and readable: a non-root binder does not trust it.
  { Fd made(::open(tmp.lock.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)); }
  ASSERT_EQ(::chmod(tmp.lock.c_str(), 0644), 0);
  Child nobody(
      [&] {
        auto l = UnixListener::bind(tmp.address, {.lock_wait = {.timeout = 10s}});
        if (l || l.error().code() != EACCES) return 1;
        return l.error().message().find("owned by uid 0, not by uid 65534") == std::string::npos
                   ? 2
                   : 0;
      },
      /*as_nobody=*/true);
  EXPECT_EQ(nobody.wait(std::chrono::seconds(20)), 0);
  EXPECT_FALSE(exists(tmp.path));
}

TEST(UnixPathLock, HardLinkedLockFileIsRefused) {
  NoFdLeak leak;
  TmpPath tmp;
  const std::string other = tmp.path + ".other";
  { Fd made(::open(other.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)); }
  ASSERT_EQ(::link(other.c_str(), tmp.lock.c_str()), 0);
  auto l = UnixListener::bind(tmp.address);
  ::unlink(other.c_str());
  ASSERT_FALSE(l);
  EXPECT_EQ(l.error().code(), EEXIST) << l.error().message();
}

TEST(UnixPathLock, CloseGivesUpOnAHeldLockButRemovesItsSocketFile) {
  NoFdLeak leak;
  TmpPath tmp;
  auto l = UnixListener::bind(tmp.address, {.lock_wait = {.timeout = 300ms}});
  ASSERT_TRUE(l) << l.error().message();
  LockHolder holder(tmp.lock, /*as_nobody=*/false);
  ASSERT_TRUE(holder.locked());
  auto closed = l->close();
  ASSERT_FALSE(closed);
  EXPECT_EQ(closed.error().code(), ETIMEDOUT);
  EXPECT_FALSE(exists(tmp.path));  // ours: removed anyway
  EXPECT_TRUE(exists(tmp.lock));   // held by someone else: left alone
}

// One clean line, not "connect(X): cannot probe ...: connect(X): Permission denied".
TEST(UnixPathLock, ProbeFailureIsOneCleanLine) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to act as another user";
  NoFdLeak leak;
  TmpPath tmp;
  // A live socket bound by a program that takes no lock, and private to root.
  auto live = UnixSocket::create(SocketType::kStream);
  ASSERT_TRUE(live && live->bind(tmp.address) && live->listen());
  ASSERT_EQ(::chmod(tmp.path.c_str(), 0600), 0);
  Child nobody(
      [&] {
        auto l = UnixListener::bind(tmp.address);
        if (l || l.error().code() != EACCES) return 1;
        const std::string want = fmt::format(
            "connect({}): cannot probe the existing socket file: Permission denied", tmp.path);
        return l.error().message() == want ? 0 : 2;
      },
      /*as_nobody=*/true);
  EXPECT_EQ(nobody.wait(std::chrono::seconds(20)), 0);
  EXPECT_TRUE(exists(tmp.path));
}

}  // namespace
}  // namespace ipckit::uds
