#include "posix/unlink_if_failed.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "support/ipc_test_support.hpp"
#include "support/posix_names_test.hpp"

namespace ipckit::posix::detail {
namespace {

class PosixUnlinkIfFailed : public test::PosixNamesTest {
 protected:
  // A fresh shared-memory object; its name ("/...").
  std::string make_object(const std::string& suffix) {
    std::string name = "/" + test::unique_name(suffix);
    const int fd = ::shm_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    EXPECT_GE(fd, 0);
    ::close(fd);
    return name;
  }
  static bool exists(const std::string& name) {
    struct stat st {};
    return ::stat(("/dev/shm" + name).c_str(), &st) == 0;
  }
};

TEST_F(PosixUnlinkIfFailed, ArmedGuardUnlinksTheNameWhenItGoesOutOfScope) {
  const std::string name = make_object("undo-armed");
  { UnlinkIfFailed undo(name, true, ::shm_unlink); }
  EXPECT_FALSE(exists(name));
}

TEST_F(PosixUnlinkIfFailed, DismissedOrUnarmedGuardLeavesTheName) {
  const std::string name = make_object("undo-kept");
  auto cleanup = test::ScopeExit([&] { ::shm_unlink(name.c_str()); });
  {
    UnlinkIfFailed undo(name, true, ::shm_unlink);
    undo.dismiss();
  }
  EXPECT_TRUE(exists(name));
  { UnlinkIfFailed opened_not_created(name, false, ::shm_unlink); }
  EXPECT_TRUE(exists(name));
}

}  // namespace
}  // namespace ipckit::posix::detail
