// Helpers for the Unix-socket tests that bind paths: a unique /tmp socket path whose socket and
// lock files are removed even when an assertion fails, a stale socket file, and a guard that
// fails a test which leaks a descriptor. (code_of() is in support/ipc_test_support.hpp.)
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "ipckit/core/error.hpp"
#include "ipckit/unix/address.hpp"
#include "ipckit/unix/socket.hpp"
#include "support/ipc_test_support.hpp"

namespace ipckit::test {

struct NoFdLeak {
  int before = count_open_fds();
  ~NoFdLeak() { EXPECT_EQ(count_open_fds(), before) << "descriptor leak"; }
};

inline bool exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

// A unique socket path under /tmp; the socket and lock files are removed when it goes.
struct TmpPath {
  std::string path = "/tmp/" + unique_name("l.sock");
  std::string lock = path + ".lock";
  uds::UnixAddress address = *uds::UnixAddress::parse(path);
  ~TmpPath() {
    ::unlink(path.c_str());
    ::unlink(lock.c_str());
  }
};

// Leaves a stale socket file at `path`: bound, then closed without unlinking.
inline void make_stale(const std::string& path, uds::SocketType type = uds::SocketType::kStream) {
  auto s = uds::UnixSocket::create(type);
  ASSERT_TRUE(s && s->bind(*uds::UnixAddress::parse(path)));
}

}  // namespace ipckit::test
