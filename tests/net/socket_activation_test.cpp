#include "ipckit/net/socket_activation.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "ipckit/net/tcp.hpp"
#include "support/ipc_test_support.hpp"

// Each test runs in a forked child: the protocol reads getpid() and the environment, and takes
// descriptors 3.. of the process. The child prints why it failed and exits non-zero.
namespace ipckit::net {
namespace {

#define CHILD_CHECK(cond)                                                    \
  do {                                                                       \
    if (!(cond)) {                                                           \
      std::fprintf(stderr, "child: %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      return __LINE__ % 200 + 1;                                             \
    }                                                                        \
  } while (0)

bool env_gone() {
  return std::getenv("LISTEN_PID") == nullptr && std::getenv("LISTEN_FDS") == nullptr &&
         std::getenv("LISTEN_FDNAMES") == nullptr;
}

bool is_cloexec(int fd) {
  return (::fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0;
}
bool is_open(int fd) {
  return ::fcntl(fd, F_GETFD) >= 0;
}

// Puts `count` fresh inheritable sockets at descriptors 3.. (a listening TCP socket first, then
// UDP sockets), as a launcher would. Returns false if it could not.
bool place_sockets(int count) {
  for (int i = 0; i < count; ++i) {
    const int fd = i == 0 ? ::socket(AF_INET, SOCK_STREAM, 0) : ::socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) return false;
    if (i == 0) {
      const InetSockAddr raw = InetAddress::loopback(Family::kV4, 0).to_sockaddr();
      if (::bind(fd, raw.get(), raw.length) != 0 || ::listen(fd, 8) != 0) return false;
    }
    const int moved = ::fcntl(fd, F_DUPFD, 100);  // out of the way of 3..
    ::close(fd);
    if (moved < 0) return false;
    if (::dup2(moved, 3 + i) != 3 + i) return false;  // dup2: the copy is inheritable
    ::close(moved);
  }
  return true;
}

void set_env(const std::string& pid, const char* fds, const char* names) {
  ::setenv("LISTEN_PID", pid.c_str(), 1);
  if (fds != nullptr) ::setenv("LISTEN_FDS", fds, 1);
  if (names != nullptr) ::setenv("LISTEN_FDNAMES", names, 1);
}

std::string my_pid() {
  return std::to_string(::getpid());
}

int child_takes_named_descriptors_from_three() {
  CHILD_CHECK(place_sockets(2));
  set_env(my_pid(), "2", "web:smtp");
  auto sockets = activated_sockets();
  CHILD_CHECK(sockets.has_value());
  CHILD_CHECK(sockets->size() == 2);
  CHILD_CHECK((*sockets)[0].fd.get() == 3 && (*sockets)[0].name == "web");
  CHILD_CHECK((*sockets)[1].fd.get() == 4 && (*sockets)[1].name == "smtp");
  CHILD_CHECK(is_cloexec(3) && is_cloexec(4));
  CHILD_CHECK(env_gone());
  // The listening one is a socket TcpListener accepts as it is.
  auto listener = TcpListener::adopt(std::move((*sockets)[0].fd));
  CHILD_CHECK(listener.has_value());
  sockets->clear();
  CHILD_CHECK(!is_open(4));  // owned: closed with the vector
  return 0;
}

TEST(SocketActivation, TakesNamedDescriptorsFromThree) {
  EXPECT_EQ(test::run_in_child(child_takes_named_descriptors_from_three), 0)
      << "the child said why above";
}

int child_names_default_to_unknown() {
  CHILD_CHECK(place_sockets(1));
  set_env(my_pid(), "1", nullptr);
  auto sockets = activated_sockets();
  CHILD_CHECK(sockets.has_value() && sockets->size() == 1);
  CHILD_CHECK((*sockets)[0].name == "unknown");
  CHILD_CHECK(env_gone());
  return 0;
}

TEST(SocketActivation, NamesDefaultToUnknown) {
  EXPECT_EQ(test::run_in_child(child_names_default_to_unknown), 0) << "the child said why above";
}

int child_nothing_passed_is_empty() {
  ::unsetenv("LISTEN_PID");
  ::unsetenv("LISTEN_FDS");
  ::unsetenv("LISTEN_FDNAMES");
  auto sockets = activated_sockets();
  CHILD_CHECK(sockets.has_value() && sockets->empty());
  set_env(my_pid(), "0", nullptr);
  sockets = activated_sockets();
  CHILD_CHECK(sockets.has_value() && sockets->empty());
  CHILD_CHECK(env_gone());
  return 0;
}

TEST(SocketActivation, NothingPassedIsEmpty) {
  EXPECT_EQ(test::run_in_child(child_nothing_passed_is_empty), 0) << "the child said why above";
}

int child_another_processes_pid_is_ignored_and_the_variables_removed() {
  CHILD_CHECK(place_sockets(1));
  set_env(std::to_string(::getppid()), "1", "web");
  auto sockets = activated_sockets();
  CHILD_CHECK(sockets.has_value() && sockets->empty());
  CHILD_CHECK(env_gone());
  CHILD_CHECK(is_open(3) && !is_cloexec(3));  // not ours: untouched
  return 0;
}

TEST(SocketActivation, AnotherProcessesPidIsIgnoredAndTheVariablesRemoved) {
  EXPECT_EQ(test::run_in_child(child_another_processes_pid_is_ignored_and_the_variables_removed), 0)
      << "the child said why above";
}

// activated_sockets() with these variables must fail with `code`, remove them, and close nothing.
int expect_error(const std::string& pid, const char* fds, const char* names, int code) {
  CHILD_CHECK(place_sockets(2));
  set_env(pid, fds, names);
  auto sockets = activated_sockets();
  if (sockets) {
    std::fprintf(stderr, "child: LISTEN_PID=%s LISTEN_FDS=%s LISTEN_FDNAMES=%s accepted\n",
                 pid.c_str(), fds ? fds : "(unset)", names ? names : "(unset)");
    return 1;
  }
  if (sockets.error().code() != code) {
    std::fprintf(stderr, "child: %s\n", sockets.error().message().c_str());
    return 2;
  }
  CHILD_CHECK(env_gone());
  CHILD_CHECK(is_open(3) && is_open(4));
  return 0;
}

TEST(SocketActivation, BadValuesAreEinval) {
  const struct {
    const char* pid;  // nullptr: this process
    const char* fds;
    const char* names;
  } cases[] = {
      {"abc", "1", nullptr},    {"", "1", nullptr},        {"0", "1", nullptr},
      {"-1", "1", nullptr},     {" 1", "1", nullptr},      {nullptr, "x", nullptr},
      {nullptr, "", nullptr},   {nullptr, "-1", nullptr},  {nullptr, " 1", nullptr},
      {nullptr, "1 ", nullptr}, {nullptr, "0x1", nullptr}, {nullptr, "2", "web"},
      {nullptr, "1", "a:b"},    {nullptr, "1", ""},        {nullptr, "99999999999", nullptr},
  };
  for (const auto& c : cases) {
    const int status = test::run_in_child([&] {
      return expect_error(c.pid != nullptr ? std::string(c.pid) : my_pid(), c.fds, c.names, EINVAL);
    });
    EXPECT_EQ(status, 0) << "LISTEN_PID=" << (c.pid ? c.pid : "(self)") << " LISTEN_FDS=" << c.fds
                         << " LISTEN_FDNAMES=" << (c.names ? c.names : "(unset)");
  }
}

int child_promised_descriptor_not_open_is_ebadf() {
  CHILD_CHECK(place_sockets(1));
  ::close(4);
  set_env(my_pid(), "2", nullptr);
  auto sockets = activated_sockets();
  CHILD_CHECK(!sockets.has_value() && sockets.error().code() == EBADF);
  CHILD_CHECK(is_open(3));  // nothing owned on error
  CHILD_CHECK(env_gone());
  return 0;
}

TEST(SocketActivation, PromisedDescriptorNotOpenIsEbadf) {
  EXPECT_EQ(test::run_in_child(child_promised_descriptor_not_open_is_ebadf), 0)
      << "the child said why above";
}

}  // namespace
#undef CHILD_CHECK

}  // namespace ipckit::net
