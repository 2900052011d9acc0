#include "ipckit/core/error.hpp"

#include <gtest/gtest.h>

#include <cerrno>

namespace ipckit {
namespace {

TEST(Error, MessageNamesOperationObjectAndReason) {
  Error e(ENOENT, "shmget", "key 0x1a2b3c4d");
  EXPECT_EQ(e.message(), "shmget(key 0x1a2b3c4d): No such file or directory");
  EXPECT_EQ(e.code(), ENOENT);
}

TEST(Error, MessageWithoutObjectOmitsParentheses) {
  EXPECT_EQ(Error(EACCES, "semop", "").message(), "semop: Permission denied");
}

TEST(Error, DetailReplacesStrerror) {
  Error e(EPROTO, "open", "/dev/shm/x", "not an ipckit channel");
  EXPECT_EQ(e.message(), "open(/dev/shm/x): not an ipckit channel");
  EXPECT_EQ(e.code(), EPROTO);
}

TEST(Error, FromErrnoCapturesCurrentErrno) {
  errno = EEXIST;
  Error e = Error::from_errno("shmget", "key 0x1");
  EXPECT_EQ(e.code(), EEXIST);
}

TEST(Error, ZeroErrnoBecomesEioSoAnErrorIsNeverSuccess) {
  EXPECT_EQ(Error(0, "x", "y").code(), EIO);
}

TEST(Error, FailBuildsAnUnexpectedResult) {
  Result<int> r = fail(EINVAL, "parse", "abc");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), EINVAL);
}

}  // namespace
}  // namespace ipckit
