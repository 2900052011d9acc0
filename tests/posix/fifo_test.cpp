#include "ipckit/fifo.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <optional>
#include <thread>

#include "posix/fifo_test_support.hpp"

namespace ipckit {
namespace {

using namespace std::chrono_literals;
using fifotest::TempDir;

using test::code_of;

mode_t mode_of(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0;
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

bool sigpipe_pending() {
  sigset_t pending{};
  ::sigpending(&pending);
  return ::sigismember(&pending, SIGPIPE) == 1;
}

bool sigpipe_blocked() {
  sigset_t mask{};
  ::pthread_sigmask(SIG_BLOCK, nullptr, &mask);
  return ::sigismember(&mask, SIGPIPE) == 1;
}

TEST(Fifo, MakeAppliesTheModeExactlyWhateverTheUmask) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  const mode_t old = ::umask(077);
  auto restore = test::ScopeExit([old] { ::umask(old); });
  ASSERT_TRUE(Fifo::make(dir.path("wide"), 0666));
  EXPECT_EQ(mode_of(dir.path("wide")), 0666u);
  ::umask(0);
  ASSERT_TRUE(Fifo::make(dir.path("narrow"), 0640));
  EXPECT_EQ(mode_of(dir.path("narrow")), 0640u);
  struct stat st {};
  ASSERT_EQ(::lstat(dir.path("wide").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
}

TEST(Fifo, MakeFailsWithEexistWhenThePathExists) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  ASSERT_TRUE(Fifo::make(dir.path("f")));
  auto again = Fifo::make(dir.path("f"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), EEXIST);
  EXPECT_EQ(again.error().operation(), "mkfifo");
  std::ofstream(dir.path("regular")) << "data";
  EXPECT_EQ(code_of(Fifo::make(dir.path("regular"))), EEXIST);
}

TEST(Fifo, MakeRejectsModeBitsOutside0777WithEinval) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  EXPECT_EQ(code_of(Fifo::make(dir.path("f"), 01666)), EINVAL);
  EXPECT_FALSE(exists(dir.path("f")));
  EXPECT_EQ(code_of(Fifo::make(dir.path("no/such/dir"))), ENOENT);
}

TEST(Fifo, NonBlockingReaderOpensWithoutAWriterAndReadsEndOfFile) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  ASSERT_TRUE(Fifo::make(dir.path("f")));
  auto r = Fifo::open(dir.path("f"), FifoEnd::kRead, FifoBlocking::kNonBlock);
  ASSERT_TRUE(r) << r.error().message();
  std::array<std::byte, 16> buf{};
  auto n = r->read(buf);
  ASSERT_TRUE(n) << n.error().message();
  EXPECT_EQ(*n, 0u);
}

TEST(Fifo, NonBlockingWriterWithoutAReaderFailsWithEnxio) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  ASSERT_TRUE(Fifo::make(dir.path("f")));
  auto w = Fifo::open(dir.path("f"), FifoEnd::kWrite, FifoBlocking::kNonBlock);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code(), ENXIO);
  EXPECT_NE(w.error().message().find("no process has the FIFO open for reading"),
            std::string::npos);
  auto r = Fifo::open(dir.path("f"), FifoEnd::kRead, FifoBlocking::kNonBlock);
  ASSERT_TRUE(r);
  EXPECT_TRUE(Fifo::open(dir.path("f"), FifoEnd::kWrite, FifoBlocking::kNonBlock));
}

TEST(Fifo, BlockingOpenWaitsForTheOtherEnd) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string path = dir.path("f");
  ASSERT_TRUE(Fifo::make(path));
  std::atomic<bool> opened{false};
  std::optional<Result<Fifo>> reader;
  std::thread t([&] {
    reader.emplace(Fifo::open(path, FifoEnd::kRead));
    opened = true;
  });
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(opened.load());  // still waiting for a writer
  auto w = Fifo::open(path, FifoEnd::kWrite);
  t.join();
  ASSERT_TRUE(w) << w.error().message();
  ASSERT_TRUE(opened.load());
  ASSERT_TRUE(*reader) << (*reader).error().message();
}

TEST(Fifo, ReaderGetsEndOfFileWhenTheLastWriterCloses) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  ASSERT_TRUE(Fifo::make(dir.path("f")));
  auto r = Fifo::open(dir.path("f"), FifoEnd::kRead, FifoBlocking::kNonBlock);
  ASSERT_TRUE(r);
  {
    auto w = Fifo::open(dir.path("f"), FifoEnd::kWrite);
    ASSERT_TRUE(w);
    std::array<std::byte, 8> buf{};
    EXPECT_EQ(code_of(r->read(buf)), EAGAIN);  // a writer, but nothing written yet
    auto n = w->write("abc");
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, 3u);
  }
  ASSERT_TRUE(r->set_nonblocking(false));
  std::array<std::byte, 8> buf{};
  auto n = r->read(buf);
  ASSERT_TRUE(n);
  ASSERT_EQ(*n, 3u);
  EXPECT_EQ(std::string_view(reinterpret_cast<const char*>(buf.data()), 3), "abc");
  n = r->read(buf);  // blocking, yet returns at once: no writer is left
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0u);
}

TEST(Fifo, WriteAfterTheLastReaderLeftFailsWithEpipeAndTheProcessSurvives) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  ASSERT_TRUE(Fifo::make(dir.path("f")));
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  struct sigaction old {};
  ASSERT_EQ(::sigaction(SIGPIPE, &dfl, &old), 0);  // SIGPIPE would kill this process
  auto restore = test::ScopeExit([&] { ::sigaction(SIGPIPE, &old, nullptr); });
  std::optional<Result<Fifo>> r =
      Fifo::open(dir.path("f"), FifoEnd::kRead, FifoBlocking::kNonBlock);
  ASSERT_TRUE(*r);
  auto w = Fifo::open(dir.path("f"), FifoEnd::kWrite, FifoBlocking::kNonBlock);
  ASSERT_TRUE(w);
  r.reset();  // the last reader leaves
  const bool blocked_before = sigpipe_blocked();
  auto n = w->write("into the void");
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().code(), EPIPE);
  EXPECT_EQ(n.error().operation(), "write");
  EXPECT_EQ(code_of(w->write_all(std::as_bytes(std::span("again", 5)))), EPIPE);
  EXPECT_FALSE(sigpipe_pending());               // consumed, not left for later
  EXPECT_EQ(sigpipe_blocked(), blocked_before);  // the thread's mask is restored
}

TEST(Fifo, ASigpipePendingBeforeTheWriteIsLeftPending) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  ASSERT_TRUE(Fifo::make(dir.path("f")));
  sigset_t pipe{};
  ::sigemptyset(&pipe);
  ::sigaddset(&pipe, SIGPIPE);
  sigset_t old{};
  ASSERT_EQ(::pthread_sigmask(SIG_BLOCK, &pipe, &old), 0);
  auto restore = test::ScopeExit([&] {
    const timespec zero{0, 0};
    while (::sigtimedwait(&pipe, nullptr, &zero) == SIGPIPE) {
    }
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
  });
  ASSERT_EQ(::pthread_kill(::pthread_self(), SIGPIPE), 0);  // someone else's SIGPIPE
  ASSERT_TRUE(sigpipe_pending());
  {
    std::optional<Result<Fifo>> r =
        Fifo::open(dir.path("f"), FifoEnd::kRead, FifoBlocking::kNonBlock);
    ASSERT_TRUE(*r);
    auto w = Fifo::open(dir.path("f"), FifoEnd::kWrite, FifoBlocking::kNonBlock);
    ASSERT_TRUE(w);
    r.reset();  // the last reader leaves
    EXPECT_EQ(code_of(w->write("x")), EPIPE);
  }
  EXPECT_TRUE(sigpipe_pending());  // still there for its owner
  EXPECT_TRUE(sigpipe_blocked());  // and the caller's own mask is as it was
}

TEST(Fifo, OpenRefusesWhatIsNotAFifoWithEinval) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  std::ofstream(dir.path("regular")) << "data";
  auto r = Fifo::open(dir.path("regular"), FifoEnd::kRead);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), EINVAL);
  EXPECT_NE(r.error().message().find("not a FIFO but a regular file"), std::string::npos);
  EXPECT_EQ(code_of(Fifo::open(dir.path("missing"), FifoEnd::kRead)), ENOENT);
}

TEST(Fifo, RemoveRefusesARegularFileOrASymlinkAndKeepsThem) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  std::ofstream(dir.path("regular")) << "precious";
  auto r = Fifo::remove(dir.path("regular"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), EINVAL);
  EXPECT_NE(r.error().message().find("refusing to remove it"), std::string::npos);
  EXPECT_TRUE(exists(dir.path("regular")));
  ASSERT_TRUE(Fifo::make(dir.path("f")));
  ASSERT_EQ(::symlink(dir.path("f").c_str(), dir.path("link").c_str()), 0);
  EXPECT_EQ(code_of(Fifo::remove(dir.path("link"))), EINVAL);
  EXPECT_TRUE(exists(dir.path("link")));
  EXPECT_EQ(code_of(Fifo::remove(dir.path("missing"))), ENOENT);
}

TEST(Fifo, RemoveUnlinksAFifoWhileOpenEndsKeepWorking) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  ASSERT_TRUE(Fifo::make(dir.path("f")));
  auto r = Fifo::open(dir.path("f"), FifoEnd::kRead, FifoBlocking::kNonBlock);
  auto w = Fifo::open(dir.path("f"), FifoEnd::kWrite, FifoBlocking::kNonBlock);
  ASSERT_TRUE(r && w);
  ASSERT_TRUE(Fifo::remove(dir.path("f")));
  EXPECT_FALSE(exists(dir.path("f")));
  ASSERT_TRUE(w->write("still"));
  std::array<std::byte, 8> buf{};
  auto n = r->read(buf);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 5u);
}

TEST(Fifo, DescriptorsAreCloseOnExecAndNotLeaked) {
  TempDir dir;
  ASSERT_TRUE(dir.ok());
  ASSERT_TRUE(Fifo::make(dir.path("f")));
  const int before = test::count_open_fds();
  {
    auto r = Fifo::open(dir.path("f"), FifoEnd::kRead, FifoBlocking::kNonBlock);
    auto w = Fifo::open(dir.path("f"), FifoEnd::kWrite, FifoBlocking::kNonBlock);
    ASSERT_TRUE(r && w);
    EXPECT_NE(::fcntl(r->fd().get(), F_GETFD) & FD_CLOEXEC, 0);
    EXPECT_NE(::fcntl(w->fd().get(), F_GETFD) & FD_CLOEXEC, 0);
    EXPECT_EQ(w->end(), FifoEnd::kWrite);
    EXPECT_EQ(r->path(), dir.path("f"));
  }
  EXPECT_EQ(test::count_open_fds(), before);
}

}  // namespace
}  // namespace ipckit
