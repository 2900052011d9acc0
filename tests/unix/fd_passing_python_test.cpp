// Interoperability with a peer that is not ipckit: Python's socket.send_fds and socket.recv_fds
// (python3 -c, over an inherited socketpair end) in both directions, plain and batched, exactly
// as docs/fd-passing.md describes the wire format.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "ipckit/unix/fd_passing.hpp"
#include "support/ipc_test_support.hpp"
#include "unix/fd_passing_test_support.hpp"

namespace ipckit::uds {
namespace {

using test::FdPair;
using test::is_cloexec;
using test::make_memfd;
using test::make_pipe;
using test::make_socket_pair;
using test::pread_all;
using test::read_all;
using test::receive;

using FdPassingPython = test::FdPassingTest;

// python3 -c `script` in a child whose descriptor 3 is `socket`; the parent's copy of `socket`
// is closed, so the child's exit is the parent's end of stream. The destructor kills and reaps a
// child that was not waited for (a failed assertion must not leave it blocked forever).
class PythonPeer {
 public:
  PythonPeer(const std::string& python, const std::string& script, Fd& socket) {
    std::fflush(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      if (::dup2(socket.get(), 3) != 3) ::_exit(126);  // dup2 clears close-on-exec on 3
      ::execl(python.c_str(), python.c_str(), "-c", script.c_str(), nullptr);
      ::_exit(127);
    }
    socket.reset();
  }
  PythonPeer(const PythonPeer&) = delete;
  PythonPeer& operator=(const PythonPeer&) = delete;
  ~PythonPeer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      (void)wait();
    }
  }

  // The child's exit code, or 128 + signal.
  int wait() {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
  }

 private:
  pid_t pid_ = -1;
};

#define PYTHON_OR_SKIP(python)                                      \
  const std::string python = ipckit::test::find_on_path("python3"); \
  if ((python).empty()) GTEST_SKIP() << "no python3 on PATH"

// Python sends a pipe's read end and an anonymous file with the payload b"x".
constexpr const char* kPythonSends = R"(
import os, socket
s = socket.socket(fileno=3)
r, w = os.pipe()
os.write(w, b"through a python pipe")
os.close(w)
f = os.memfd_create("ipckit-interop")
os.write(f, b"a python file")
socket.send_fds(s, [b"x"], [r, f])
)";

TEST_F(FdPassingPython, ReceivesAPipeAndAFileFromPythonSendFds) {
  PYTHON_OR_SKIP(python);
  auto s = make_socket_pair(SOCK_STREAM);
  PythonPeer peer(python, kPythonSends, s.b);
  auto r = receive(s.a, 16, 2);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->payload, "x");
  ASSERT_EQ(r->fds.size(), 2u);
  EXPECT_EQ(read_all(r->fds[0]), "through a python pipe");
  EXPECT_EQ(pread_all(r->fds[1]), "a python file");
  EXPECT_TRUE(is_cloexec(r->fds[0]));
  EXPECT_TRUE(is_cloexec(r->fds[1]));
  EXPECT_EQ(peer.wait(), 0);
  auto end = receive(s.a, 16, 2);
  ASSERT_TRUE(end) << end.error().message();
  EXPECT_TRUE(end->eof);
}

// Python receives with recv_fds and reads through both descriptors; exit 0 if all is as sent.
constexpr const char* kPythonReceives = R"(
import os, socket, sys
s = socket.socket(fileno=3)
msg, fds, flags, addr = socket.recv_fds(s, 16, 4)
got = (msg, len(fds), os.read(fds[0], 100), os.pread(fds[1], 100, 0))
want = (b"y", 2, b"through an ipckit pipe", b"an ipckit file")
if got != want:
    print("python received", got, file=sys.stderr)
    sys.exit(1)
)";

TEST_F(FdPassingPython, SendsAPipeAndAFileThatPythonRecvFdsReadsThrough) {
  PYTHON_OR_SKIP(python);
  auto s = make_socket_pair(SOCK_STREAM);
  PythonPeer peer(python, kPythonReceives, s.b);
  auto p = make_pipe();
  ASSERT_EQ(::write(p.b.get(), "through an ipckit pipe", 22), 22);
  p.b.reset();
  auto file = make_memfd("an ipckit file");
  const std::array fds{p.a.view(), file.view()};
  ASSERT_TRUE(send_fds(s.a, "y", fds));
  EXPECT_EQ(peer.wait(), 0);
}

// Python sends 300 copies of one file in the batched format: 253 with b"\x01", 47 with b"\x00".
constexpr const char* kPythonSendsBatched = R"(
import os, socket
s = socket.socket(fileno=3)
f = os.memfd_create("ipckit-interop")
os.write(f, b"batched")
fds = [f] * 300
for i in range(0, len(fds), 253):
    last = i + 253 >= len(fds)
    socket.send_fds(s, [b"\x00" if last else b"\x01"], fds[i:i + 253])
)";

TEST_F(FdPassingPython, ReceivesABatchedSequenceFromPython) {
  PYTHON_OR_SKIP(python);
  auto s = make_socket_pair(SOCK_STREAM);
  PythonPeer peer(python, kPythonSendsBatched, s.b);
  auto got = receive_fds_batched(s.a, 300);
  ASSERT_TRUE(got) << got.error().message();
  ASSERT_EQ(got->size(), 300u);
  EXPECT_EQ(pread_all(got->back()), "batched");
  EXPECT_EQ(peer.wait(), 0);
}

// Python reads a batched sequence one byte per message until the 0x00 marker.
constexpr const char* kPythonReceivesBatched = R"(
import os, socket, sys
s = socket.socket(fileno=3)
got = []
while True:
    msg, fds, flags, addr = socket.recv_fds(s, 1, 253)
    got += fds
    if msg != b"\x01":
        break
if msg != b"\x00" or len(got) != 300 or os.pread(got[-1], 100, 0) != b"to python":
    print("python received", msg, len(got), file=sys.stderr)
    sys.exit(1)
)";

TEST_F(FdPassingPython, SendsABatchedSequenceThatPythonReceives) {
  PYTHON_OR_SKIP(python);
  auto s = make_socket_pair(SOCK_STREAM);
  PythonPeer peer(python, kPythonReceivesBatched, s.b);
  auto file = make_memfd("to python");
  const std::vector<FdView> fds(300, file.view());
  ASSERT_TRUE(send_fds_batched(s.a, fds));
  EXPECT_EQ(peer.wait(), 0);
}

}  // namespace
}  // namespace ipckit::uds
