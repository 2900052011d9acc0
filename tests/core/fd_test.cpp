#include "ipckit/core/fd.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

namespace ipckit {
namespace {

bool is_open(int fd) {
  return ::fcntl(fd, F_GETFD) != -1;
}

TEST(Fd, ClosesOnDestruction) {
  int raw = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(raw, 0);
  { Fd fd(raw); }
  EXPECT_FALSE(is_open(raw));
}

TEST(Fd, MoveTransfersOwnershipAndClosesOnce) {
  int raw = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  Fd a(raw);
  Fd b(std::move(a));
  EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): moved-from state is specified
  EXPECT_EQ(b.get(), raw);
  b = Fd();
  EXPECT_FALSE(is_open(raw));
}

TEST(Fd, ReleaseGivesUpOwnership) {
  int raw = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int released;
  {
    Fd fd(raw);
    released = fd.release();
  }
  EXPECT_EQ(released, raw);
  EXPECT_TRUE(is_open(raw));
  ::close(raw);
}

TEST(Fd, ViewBorrowsWithoutClosing) {
  int raw = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  Fd fd(raw);
  {
    FdView v = fd.view();
    EXPECT_EQ(v.get(), raw);
  }
  EXPECT_TRUE(is_open(raw));
}

}  // namespace
}  // namespace ipckit
