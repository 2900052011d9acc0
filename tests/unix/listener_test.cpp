#include "ipckit/unix/listener.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "support/child.hpp"
#include "support/ipc_test_support.hpp"
#include "unix/unix_test_support.hpp"

namespace ipckit::uds {
namespace {

using test::kNobody;

using test::code_of;
using test::exists;
using test::make_stale;
using test::NoFdLeak;
using test::TmpPath;

ino_t inode(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

using test::Child;

TEST(UnixListener, AcceptsAndRemovesItsFilesOnClose) {
  NoFdLeak leak;
  TmpPath tmp;
  auto l = UnixListener::bind(tmp.address);
  ASSERT_TRUE(l) << l.error().message();
  EXPECT_TRUE(exists(tmp.path));
  EXPECT_TRUE(exists(tmp.lock));
  EXPECT_EQ(l->file_path(), tmp.path);
  EXPECT_TRUE(l->policy().allows_anyone());
  auto client = UnixSocket::connect_to(tmp.address);
  ASSERT_TRUE(client);
  auto conn = l->accept();
  ASSERT_TRUE(conn) << conn.error().message();
  EXPECT_EQ(conn->peer, own_credentials());
  EXPECT_NE(::fcntl(conn->socket.fd().get(), F_GETFD) & FD_CLOEXEC, 0);
  ASSERT_TRUE(l->close());
  EXPECT_FALSE(exists(tmp.path));
  EXPECT_FALSE(exists(tmp.lock));
  ASSERT_TRUE(l->close());  // idempotent
}

TEST(UnixListener, DestructorRemovesTheSocketFile) {
  NoFdLeak leak;
  TmpPath tmp;
  {
    auto l = UnixListener::bind(tmp.address, {.type = SocketType::kSeqPacket});
    ASSERT_TRUE(l);
    auto moved = std::move(*l);  // the moved-from listener must not remove anything
  }
  EXPECT_FALSE(exists(tmp.path));
  EXPECT_FALSE(exists(tmp.lock));
}

TEST(UnixListener, StaleSocketFileIsReplaced) {
  NoFdLeak leak;
  TmpPath tmp;
  make_stale(tmp.path);
  ASSERT_EQ(code_of(UnixSocket::connect_to(tmp.address)), ECONNREFUSED);
  auto l = UnixListener::bind(tmp.address);
  ASSERT_TRUE(l) << l.error().message();
  auto client = UnixSocket::connect_to(tmp.address);
  EXPECT_TRUE(client);
  ASSERT_TRUE(l->close());
  EXPECT_FALSE(exists(tmp.path));
}

TEST(UnixListener, LiveListenerFailsWithEaddrinuseNamingThePath) {
  NoFdLeak leak;
  TmpPath tmp;
  auto first = UnixListener::bind(tmp.address);
  ASSERT_TRUE(first);
  const ino_t ino = inode(tmp.path);
  auto second = UnixListener::bind(tmp.address);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), EADDRINUSE);
  EXPECT_NE(second.error().message().find(tmp.path), std::string::npos);
  // The live listener's file and lock are untouched and it still works.
  EXPECT_EQ(inode(tmp.path), ino);
  EXPECT_TRUE(exists(tmp.lock));
  EXPECT_TRUE(UnixSocket::connect_to(tmp.address));
}

TEST(UnixListener, LiveSocketOfAnotherTypeFailsWithEaddrinuse) {
  NoFdLeak leak;
  TmpPath tmp;
  auto dgram = UnixSocket::create(SocketType::kDatagram);
  ASSERT_TRUE(dgram && dgram->bind(tmp.address));
  EXPECT_EQ(code_of(UnixListener::bind(tmp.address)), EADDRINUSE);
  EXPECT_TRUE(exists(tmp.path));
  EXPECT_FALSE(exists(tmp.lock));  // this attempt created it, so it removed it
}

TEST(UnixListener, NonSocketFileIsNeverUnlinked) {
  NoFdLeak leak;
  TmpPath tmp;
  { std::ofstream(tmp.path) << "precious"; }
  auto l = UnixListener::bind(tmp.address);
  ASSERT_FALSE(l);
  EXPECT_EQ(l.error().code(), EEXIST);
  EXPECT_NE(l.error().message().find("regular file"), std::string::npos);
  std::string content;
  std::getline(std::ifstream(tmp.path), content);
  EXPECT_EQ(content, "precious");
  // A directory is refused the same way.
  ::unlink(tmp.path.c_str());
  ASSERT_EQ(::mkdir(tmp.path.c_str(), 0700), 0);
  test::ScopeExit rmdir([&] { ::rmdir(tmp.path.c_str()); });
  EXPECT_EQ(code_of(UnixListener::bind(tmp.address)), EEXIST);
  EXPECT_TRUE(exists(tmp.path));
}

TEST(UnixListener, FileReplacedByAnotherIsNotRemovedOnClose) {
  NoFdLeak leak;
  TmpPath tmp;
  auto l = UnixListener::bind(tmp.address);
  ASSERT_TRUE(l);
  ASSERT_EQ(::unlink(tmp.path.c_str()), 0);
  { std::ofstream(tmp.path) << "someone else's"; }
  ASSERT_TRUE(l->close());
  EXPECT_TRUE(exists(tmp.path));
  EXPECT_TRUE(exists(tmp.lock));  // it may serve whoever owns the new file
}

TEST(UnixListener, SocketFileRemovedBehindItsBackStillLetsCloseRemoveTheLock) {
  NoFdLeak leak;
  TmpPath tmp;
  auto l = UnixListener::bind(tmp.address);
  ASSERT_TRUE(l);
  ASSERT_EQ(::unlink(tmp.path.c_str()), 0);
  ASSERT_TRUE(l->close());
  EXPECT_FALSE(exists(tmp.lock));
}

TEST(UnixListener, ForkChildDestroyingItsCopyLeavesTheFiles) {
  NoFdLeak leak;
  TmpPath tmp;
  auto l = UnixListener::bind(tmp.address);
  ASSERT_TRUE(l);
  EXPECT_EQ(test::run_in_child([&] {
              auto copy = std::move(*l);
              return copy.close() ? 0 : 1;
            }),
            0);
  EXPECT_TRUE(exists(tmp.path));
  EXPECT_TRUE(exists(tmp.lock));
  EXPECT_TRUE(UnixSocket::connect_to(tmp.address));
  ASSERT_TRUE(l->close());
  EXPECT_FALSE(exists(tmp.path));
}

TEST(UnixListener, SymlinkedLockFileFailsWithEloop) {
  NoFdLeak leak;
  TmpPath tmp;
  ASSERT_EQ(::symlink("/dev/null", tmp.lock.c_str()), 0);
  EXPECT_EQ(code_of(UnixListener::bind(tmp.address)), ELOOP);
  EXPECT_FALSE(exists(tmp.path));
}

TEST(UnixListener, TwoStartersRacingForAStalePathExactlyOneWins) {
  NoFdLeak leak;
  TmpPath tmp;
  make_stale(tmp.path);
  constexpr int kStarters = 4;
  int go[2];
  int results[2];
  int done[2];
  ASSERT_EQ(::pipe2(go, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(results, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(done, O_CLOEXEC), 0);
  Fd go_r(go[0]), go_w(go[1]), res_r(results[0]), res_w(results[1]), done_r(done[0]),
      done_w(done[1]);
  std::vector<std::unique_ptr<Child>> children;
  for (int i = 0; i < kStarters; ++i) {
    children.push_back(std::make_unique<Child>([&] {
      go_w.reset();
      done_w.reset();
      char c = 0;
      if (::read(go_r.get(), &c, 1) != 1) return 1;
      auto l = UnixListener::bind(tmp.address);
      const int code = code_of(l);
      if (::write(res_w.get(), &code, sizeof(code)) != sizeof(code)) return 2;
      (void)::read(done_r.get(), &c, 1);  // hold the path until the parent has every result
      return 0;
    }));
  }
  const std::string release(kStarters, 'g');
  ASSERT_EQ(::write(go_w.get(), release.data(), release.size()), kStarters);
  int winners = 0;
  int in_use = 0;
  for (int i = 0; i < kStarters; ++i) {
    int code = -1;
    ASSERT_EQ(::read(res_r.get(), &code, sizeof(code)), static_cast<ssize_t>(sizeof(code)));
    if (code == 0) ++winners;
    if (code == EADDRINUSE) ++in_use;
  }
  done_w.reset();
  for (auto& c : children)
    EXPECT_EQ(c->wait(), 0);
  EXPECT_EQ(winners, 1);
  EXPECT_EQ(in_use, kStarters - 1);
  EXPECT_FALSE(exists(tmp.path));  // the winner removed it on exit
  EXPECT_FALSE(exists(tmp.lock));
}

TEST(UnixListener, AbstractNameInUseFailsWithEaddrinuse) {
  NoFdLeak leak;
  const auto name = *UnixAddress::parse("@" + test::unique_name("taken"));
  auto first = UnixListener::bind(name);
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->file_path().empty());
  auto second = UnixListener::bind(name);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), EADDRINUSE);
  EXPECT_NE(second.error().message().find(name.describe()), std::string::npos);
}

TEST(UnixListener, BadOptionsFailWithEinval) {
  NoFdLeak leak;
  TmpPath tmp;
  EXPECT_EQ(code_of(UnixListener::bind(tmp.address, {.type = SocketType::kDatagram})), EINVAL);
  EXPECT_EQ(code_of(UnixListener::bind(tmp.address, {.mode = 010000})), EINVAL);
  EXPECT_FALSE(exists(tmp.path));
}

TEST(UnixListener, NonBlockingListenerAcceptFailsWithEagain) {
  NoFdLeak leak;
  auto l = UnixListener::bind(UnixAddress::unnamed(), {.blocking = Blocking::kNo});
  ASSERT_TRUE(l);
  EXPECT_TRUE(l->address().is_abstract());
  EXPECT_EQ(code_of(l->accept()), EAGAIN);
}

TEST(UnixListener, RelativePathIsRemovedByItsAbsolutePath) {
  NoFdLeak leak;
  TmpPath tmp;
  char cwd[PATH_MAX];
  ASSERT_NE(::getcwd(cwd, sizeof(cwd)), nullptr);
  ASSERT_EQ(::chdir("/tmp"), 0);
  auto l = UnixListener::bind(*UnixAddress::parse(tmp.path.substr(5)));
  ASSERT_EQ(::chdir(cwd), 0);
  ASSERT_TRUE(l) << l.error().message();
  EXPECT_EQ(l->file_path(), tmp.path);
  ASSERT_TRUE(l->close());
  EXPECT_FALSE(exists(tmp.path));
}

TEST(UnixListener, ModeIsAppliedBeforeListen) {
  NoFdLeak leak;
  TmpPath tmp;
  auto l = UnixListener::bind(tmp.address, {.mode = 0600});
  ASSERT_TRUE(l);
  struct stat st {};
  ASSERT_EQ(::lstat(tmp.path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  // The file mode governs path sockets: nobody may not connect.
  EXPECT_EQ(test::run_as_nobody([&] { return code_of(UnixSocket::connect_to(tmp.address)); }),
            EACCES);
}

TEST(UnixListener, PathListenerAcceptsAnyUserTheFileModeLetsIn) {
  NoFdLeak leak;
  TmpPath tmp;
  std::vector<Refusal> refusals;
  auto l = UnixListener::bind(
      tmp.address, {.mode = 0666, .on_refusal = [&](const Refusal& r) { refusals.push_back(r); }});
  ASSERT_TRUE(l);
  Child nobody([&] { return code_of(UnixSocket::connect_to(tmp.address)); }, true);
  auto conn = l->accept();
  ASSERT_TRUE(conn) << conn.error().message();
  EXPECT_EQ(conn->peer.uid, kNobody);
  EXPECT_EQ(nobody.wait(), 0);
  EXPECT_TRUE(refusals.empty());
}

TEST(UnixListener, ExplicitPolicyRefusesOnAPathListener) {
  NoFdLeak leak;
  TmpPath tmp;
  std::vector<Refusal> refusals;
  auto l = UnixListener::bind(tmp.address,
                              {.blocking = Blocking::kNo,
                               .policy = AccessPolicy::only({12345}),
                               .on_refusal = [&](const Refusal& r) { refusals.push_back(r); }});
  ASSERT_TRUE(l);
  auto client = UnixSocket::connect_to(tmp.address);
  ASSERT_TRUE(client);
  EXPECT_EQ(code_of(l->accept()), EAGAIN);  // refused, then nothing else pending
  ASSERT_EQ(refusals.size(), 1u);
  EXPECT_EQ(refusals[0].peer, own_credentials());
  std::array<std::byte, 1> buf{};
  auto eof = client->receive(buf);
  ASSERT_TRUE(eof);
  EXPECT_EQ(*eof, 0u);
}

// The brief's scenario: a root-owned abstract listener (same-user by default) refuses a child
// running as nobody, which sees its connection closed, and accepts a same-uid child next.
TEST(UnixListener, AbstractListenerRefusesOtherUsersAndAcceptsTheSameUser) {
  NoFdLeak leak;
  std::vector<Refusal> refusals;
  auto l = UnixListener::bind(UnixAddress::unnamed(),
                              {.on_refusal = [&](const Refusal& r) { refusals.push_back(r); }});
  ASSERT_TRUE(l);
  EXPECT_EQ(l->policy(), AccessPolicy::same_user());
  int connected[2];
  ASSERT_EQ(::pipe2(connected, O_CLOEXEC), 0);
  Fd connected_r(connected[0]), connected_w(connected[1]);
  const UnixAddress name = l->address();
  Child nobody(
      [&] {
        auto s = UnixSocket::connect_to(name);
        if (!s) return 1;
        (void)!::write(connected_w.get(), "c", 1);
        std::array<std::byte, 1> buf{};
        auto n = s->receive(buf);  // the refusal: EOF (or a reset)
        return (n && *n == 0) || code_of(n) == ECONNRESET ? 0 : 2;
      },
      /*as_nobody=*/true);
  char c = 0;
  ASSERT_EQ(::read(connected_r.get(), &c, 1), 1);
  Child same([&] {
    auto s = UnixSocket::connect_to(name);
    return s && s->send(std::string_view("hi")) ? 0 : 1;
  });
  auto conn = l->accept();
  ASSERT_TRUE(conn) << conn.error().message();
  EXPECT_EQ(conn->peer.pid, same.pid());
  EXPECT_EQ(conn->peer.uid, ::geteuid());
  EXPECT_EQ(nobody.wait(), 0);
  EXPECT_EQ(same.wait(), 0);
  ASSERT_EQ(refusals.size(), 1u);
  EXPECT_EQ(refusals[0].peer.uid, kNobody);
  EXPECT_EQ(refusals[0].peer.pid, nobody.pid() == -1 ? refusals[0].peer.pid : nobody.pid());
  EXPECT_EQ(refusals[0].listener, name);
}

TEST(UnixListener, DefaultSinkWritesOneLineToStderr) {
  NoFdLeak leak;
  auto l = UnixListener::bind(UnixAddress::unnamed());
  ASSERT_TRUE(l);
  const UnixAddress name = l->address();
  pid_t nobody_pid = 0;
  {
    Child nobody([&] { return code_of(UnixSocket::connect_to(name)); }, true);
    nobody_pid = nobody.pid();
    ASSERT_EQ(nobody.wait(), 0);
  }
  Child same([&] { return code_of(UnixSocket::connect_to(name)); });
  ASSERT_EQ(same.wait(), 0);
  testing::internal::CaptureStderr();
  auto conn = l->accept();
  const std::string err = testing::internal::GetCapturedStderr();
  ASSERT_TRUE(conn);
  EXPECT_EQ(err, "ipckit: refused connection from pid " + std::to_string(nobody_pid) +
                     " uid 65534 on " + name.to_string() + ": not allowed\n");
}

TEST(UnixAccessPolicy, AllowsByUidOrPrimaryGid) {
  const auto p = AccessPolicy::only({1000}, {100});
  EXPECT_TRUE(p.allows({.pid = 1, .uid = 1000, .gid = 5}));
  EXPECT_TRUE(p.allows({.pid = 1, .uid = 5, .gid = 100}));
  EXPECT_FALSE(p.allows({.pid = 1, .uid = 0, .gid = 0}));  // no exemption for root
  EXPECT_EQ(p.describe(), "uids {1000} gids {100}");
  auto q = AccessPolicy::only({});
  EXPECT_FALSE(q.allows({.pid = 1, .uid = 0, .gid = 0}));
  q.allow_user(0).allow_group(7);
  EXPECT_TRUE(q.allows({.pid = 1, .uid = 0, .gid = 0}));
  EXPECT_TRUE(AccessPolicy::anyone().allows({.pid = 1, .uid = 42, .gid = 42}));
  EXPECT_EQ(AccessPolicy::anyone().describe(), "anyone");
  EXPECT_TRUE(AccessPolicy::same_user().allows(own_credentials()));
}

TEST(UnixAccessPolicy, RefusalMessageNamesPidUidAndListener) {
  const Refusal r{.peer = {.pid = 42, .uid = 65534, .gid = 65534},
                  .listener = *UnixAddress::parse("@svc"),
                  .reason = "not allowed"};
  EXPECT_EQ(r.message(), "ipckit: refused connection from pid 42 uid 65534 on @svc: not allowed");
}

}  // namespace
}  // namespace ipckit::uds
