// posix/staged_shm.hpp: build under a temporary name, publish with a no-replace rename, and leave
// nothing behind on any failure (the PosixNamesTest fixture checks /dev/shm and descriptors).
#include "posix/staged_shm.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "support/ipc_test_support.hpp"
#include "support/posix_names_test.hpp"

namespace ipckit::posix::detail {
namespace {

class PosixStagedShm : public test::PosixNamesTest {};

bool exists(const std::string& bare) {
  struct stat st {};
  return ::stat(("/dev/shm/" + bare).c_str(), &st) == 0;
}

// Unlinks /dev/shm/NAME when the scope ends (names this test made).
auto unlinked_at_exit(const std::string& bare) {
  return test::ScopeExit([bare] { ::shm_unlink(("/" + bare).c_str()); });
}

TEST_F(PosixStagedShm, PublishMakesTheNameAppearWithItsModeAndContents) {
  const std::string name = test::unique_name("staged");
  auto guard = unlinked_at_exit(name);
  {
    auto staged = StagedShm::create(name, 8192, 0640, "create test object");
    ASSERT_TRUE(staged) << staged.error().message();
    ASSERT_EQ(staged->size(), 8192u);
    EXPECT_TRUE(staged->temporary_name().starts_with(name + ".creating-"));
    EXPECT_TRUE(exists(staged->temporary_name()));
    EXPECT_FALSE(exists(name));  // nobody can open it half-built
    std::memcpy(staged->base(), "hello", 5);
    ASSERT_TRUE(staged->publish());
    EXPECT_FALSE(exists(staged->temporary_name()));
  }
  struct stat st {};
  ASSERT_EQ(::stat(("/dev/shm/" + name).c_str(), &st), 0);  // survives the StagedShm
  EXPECT_EQ(st.st_size, 8192);
  EXPECT_EQ(st.st_mode & 07777, 0640u);  // exactly, whatever the umask
  int fd = ::shm_open(("/" + name).c_str(), O_RDONLY | O_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  void* p = ::mmap(nullptr, 8192, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  ASSERT_NE(p, MAP_FAILED);
  EXPECT_EQ(std::memcmp(p, "hello", 5), 0);
  ::munmap(p, 8192);
}

TEST_F(PosixStagedShm, PublishOntoAnExistingNameFailsWithEexistAndLeavesItAlone) {
  const std::string name = test::unique_name("staged-taken");
  auto guard = unlinked_at_exit(name);
  int fd = ::shm_open(("/" + name).c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::ftruncate(fd, 100), 0);
  ::close(fd);
  std::string temporary;
  {
    auto staged = StagedShm::create(name, 4096, 0600, "create test object");
    ASSERT_TRUE(staged) << staged.error().message();
    temporary = staged->temporary_name();
    auto published = staged->publish();
    ASSERT_FALSE(published);
    EXPECT_EQ(published.error().code(), EEXIST);
    EXPECT_EQ(published.error().operation(), "create test object");
    EXPECT_EQ(published.error().object(), name);
  }
  EXPECT_FALSE(exists(temporary));  // no ".creating-" entry is left behind
  struct stat st {};
  ASSERT_EQ(::stat(("/dev/shm/" + name).c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 100);  // the existing object was not replaced
}

TEST_F(PosixStagedShm, DestroyedUnpublishedLeavesNothing) {
  const std::string name = test::unique_name("staged-dropped");
  std::string temporary;
  {
    auto staged = StagedShm::create(name, 4096, 0600, "create test object");
    ASSERT_TRUE(staged) << staged.error().message();
    temporary = staged->temporary_name();
    StagedShm moved(std::move(*staged));  // the moved-from one unlinks nothing
    EXPECT_TRUE(exists(temporary));
  }
  EXPECT_FALSE(exists(temporary));
  EXPECT_FALSE(exists(name));
}

TEST_F(PosixStagedShm, FailedAllocationFailsWithEnospcAndLeavesNothing) {
  struct statvfs fs {};
  ASSERT_EQ(::statvfs("/dev/shm", &fs), 0);
  if (fs.f_blocks == 0) GTEST_SKIP() << "/dev/shm has no size limit";
  const std::size_t too_big = static_cast<std::size_t>(fs.f_blocks) * fs.f_frsize * 2;
  const std::string name = test::unique_name("staged-enospc");
  auto staged = StagedShm::create(name, too_big, 0600, "create test object");
  ASSERT_FALSE(staged);
  EXPECT_EQ(staged.error().code(), ENOSPC);
  EXPECT_EQ(staged.error().operation(), "posix_fallocate");
  EXPECT_EQ(staged.error().object(), name);
  EXPECT_FALSE(exists(name));
  // The fixture's TearDown checks that no NAME.creating-* entry and no descriptor remains.
}

}  // namespace
}  // namespace ipckit::posix::detail
