// Helpers for the descriptor-passing tests: socket pairs, pipes and memfds (all close-on-exec,
// none leaving a name behind), reading through a descriptor, and a fixture that fails any test
// whose process ends with a different number of open descriptors than it began with.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ipckit/core/fd.hpp"
#include "ipckit/unix/fd_passing.hpp"
#include "support/ipc_test_support.hpp"

namespace ipckit::test {

struct FdPair {
  Fd a;
  Fd b;
};

// socketpair(2) AF_UNIX of `type` (which may include SOCK_NONBLOCK).
inline FdPair make_socket_pair(int type) {
  int sv[2] = {-1, -1};
  if (::socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) != 0) ADD_FAILURE() << "socketpair";
  return {Fd(sv[0]), Fd(sv[1])};
}

// pipe2(2): a is the read end, b the write end.
inline FdPair make_pipe() {
  int p[2] = {-1, -1};
  if (::pipe2(p, O_CLOEXEC) != 0) ADD_FAILURE() << "pipe2";
  return {Fd(p[0]), Fd(p[1])};
}

// An anonymous file holding `content`.
inline Fd make_memfd(std::string_view content) {
  Fd fd(::memfd_create("ipckit-fd-passing-test", MFD_CLOEXEC));
  if (!fd ||
      ::write(fd.get(), content.data(), content.size()) != static_cast<ssize_t>(content.size())) {
    ADD_FAILURE() << "memfd_create/write";
  }
  return fd;
}

// Everything readable from `fd` until end of file.
inline std::string read_all(FdView fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n <= 0) return out;
    out.append(buf, static_cast<std::size_t>(n));
  }
}

// A file's whole content, read from offset 0 whatever the descriptor's position.
inline std::string pread_all(FdView fd) {
  std::string out;
  char buf[4096];
  for (off_t off = 0;;) {
    const ssize_t n = ::pread(fd.get(), buf, sizeof buf, off);
    if (n <= 0) return out;
    out.append(buf, static_cast<std::size_t>(n));
    off += n;
  }
}

inline bool is_cloexec(FdView fd) {
  const int flags = ::fcntl(fd.get(), F_GETFD);
  return flags >= 0 && (flags & FD_CLOEXEC) != 0;
}

// uds::receive_fds into a fresh buffer of `capacity` bytes, with the payload as a string.
struct Received {
  std::string payload;
  std::size_t size = 0;
  std::vector<Fd> fds;
  bool eof = false;
};
inline Result<Received> receive(FdView socket, std::size_t capacity, std::size_t max_fds) {
  std::vector<std::byte> buf(capacity);
  auto r = uds::receive_fds(socket, buf, max_fds);
  if (!r) return std::unexpected(r.error());
  return Received{std::string(reinterpret_cast<const char*>(buf.data()), r->size), r->size,
                  std::move(r->fds), r->eof};
}

// Every test's process ends with as many open descriptors as it began with.
class FdPassingTest : public ::testing::Test {
 protected:
  void TearDown() override {
    EXPECT_EQ(count_open_fds(), fds_before_) << "the test leaked (or lost) a descriptor";
  }

 private:
  int fds_before_ = count_open_fds();
};

}  // namespace ipckit::test
