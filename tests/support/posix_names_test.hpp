// A fixture for tests of POSIX named objects: every test must leave no descriptor open and
// nothing named by this process in /dev/shm (shared-memory objects, and named semaphores, which
// are the files sem.NAME there). Test names come from test::unique_name, which embeds the pid.
#pragma once

#include <dirent.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <string_view>

#include "support/ipc_test_support.hpp"

namespace ipckit::test {

class PosixNamesTest : public ::testing::Test {
 protected:
  void SetUp() override { fds_before_ = count_open_fds(); }
  void TearDown() override {
    EXPECT_EQ(count_open_fds(), fds_before_) << "descriptors leaked";
    const std::string mine = "ipckit-test-" + std::to_string(::getpid()) + "-";
    DIR* dir = ::opendir("/dev/shm");
    ASSERT_NE(dir, nullptr);
    while (dirent* e = ::readdir(dir)) {
      EXPECT_EQ(std::string_view(e->d_name).find(mine), std::string_view::npos)
          << "left in /dev/shm: " << e->d_name;
    }
    ::closedir(dir);
  }

 private:
  int fds_before_ = 0;
};

}  // namespace ipckit::test
