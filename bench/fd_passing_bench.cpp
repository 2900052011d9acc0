// ipckit-fd-passing-bench: descriptors passed per second with ipckit::uds::send_fds and
// receive_fds against a bare sendmsg/recvmsg loop, measured side by side in one run (these
// 2-core VMs are noisy: only same-run ratios mean much).
//
//   build/default/bench/ipckit-fd-passing-bench [--messages N] [--rounds R] [--only bare|ipckit]
//
// --only runs one variant alone (to compare `perf stat` counts of the two).
//
// Each message is one descriptor plus one payload byte, streamed over a SOCK_STREAM socketpair
// from a sender pinned to CPU 0 to a receiver process pinned to CPU 1, which closes every
// descriptor it receives. Both loops use MSG_NOSIGNAL to send and MSG_CMSG_CLOEXEC to receive.
// A round times N messages, from the first send until the receiver's acknowledgement of the
// last; the rounds alternate the two variants and each figure is the median over R rounds.
#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include "ipckit/core/fd.hpp"
#include "ipckit/unix/fd_passing.hpp"

namespace {

using Clock = std::chrono::steady_clock;

void pin(std::size_t cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  ::sched_setaffinity(0, sizeof set, &set);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

[[noreturn]] void die(const char* what) {
  std::perror(what);
  std::exit(1);
}

// --- the two loops; each receiver returns the number of descriptors it received ---

void bare_send(int sock, int fd, long n) {
  for (long i = 0; i < n; ++i) {
    char byte = 'x';
    iovec iov{.iov_base = &byte, .iov_len = 1};
    union {
      cmsghdr align;
      char buf[CMSG_SPACE(sizeof(int))];
    } control{};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof control.buf;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
    if (::sendmsg(sock, &msg, MSG_NOSIGNAL) != 1) die("sendmsg");
  }
}

long bare_receive(int sock, long n) {
  long received = 0;
  for (long i = 0; i < n; ++i) {
    char byte = 0;
    iovec iov{.iov_base = &byte, .iov_len = 1};
    union {
      cmsghdr align;
      char buf[CMSG_SPACE(sizeof(int))];
    } control;
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof control.buf;
    if (::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1) die("recvmsg");
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      int fd = -1;
      std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
      ::close(fd);
      ++received;
    }
  }
  return received;
}

void ipckit_send(int sock, int fd, long n) {
  const std::byte byte{'x'};
  const ipckit::FdView view(fd);
  for (long i = 0; i < n; ++i) {
    auto r = ipckit::uds::send_fds(ipckit::FdView(sock), std::span(&byte, 1), std::span(&view, 1));
    if (!r) {
      std::fprintf(stderr, "%s\n", r.error().message().c_str());
      std::exit(1);
    }
  }
}

long ipckit_receive(int sock, long n) {
  long received = 0;
  for (long i = 0; i < n; ++i) {
    std::byte byte{};
    auto r = ipckit::uds::receive_fds(ipckit::FdView(sock), std::span(&byte, 1), 1);
    if (!r) {
      std::fprintf(stderr, "%s\n", r.error().message().c_str());
      std::exit(1);
    }
    received += static_cast<long>(r->fds.size());  // closed when r goes away
  }
  return received;
}

struct Variant {
  const char* name;
  std::function<void(int, int, long)> send;
  std::function<long(int, long)> receive;
};

// One round: messages per second.
double run_round(const Variant& v, long n) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) die("socketpair");
  const int passed = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (passed < 0) die("open /dev/null");
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    pin(1);
    ::close(sv[0]);
    const long got = v.receive(sv[1], n);
    const char ack = got == n ? 'k' : 'e';
    ::_exit(::write(sv[1], &ack, 1) == 1 && got == n ? 0 : 1);
  }
  pin(0);
  ::close(sv[1]);
  const auto t0 = Clock::now();
  v.send(sv[0], passed, n);
  char ack = 0;
  if (::read(sv[0], &ack, 1) != 1 || ack != 'k') die("receiver acknowledgement");
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(sv[0]);
  ::close(passed);
  return static_cast<double>(n) / seconds;
}

}  // namespace

int main(int argc, char** argv) {
  long messages = 200'000;
  int rounds = 5;
  std::string_view only;  // "bare" or "ipckit": one variant alone (for perf stat)
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--messages" && i + 1 < argc) {
      messages = std::atol(argv[++i]);
    } else if (arg == "--rounds" && i + 1 < argc) {
      rounds = std::atoi(argv[++i]);
    } else if (arg == "--only" && i + 1 < argc) {
      only = argv[++i];
    } else {
      std::fprintf(
          stderr,
          "usage: ipckit-fd-passing-bench [--messages N] [--rounds R] [--only bare|ipckit]\n");
      return 1;
    }
  }
  if (messages < 1 || rounds < 1) {
    std::fprintf(stderr, "ipckit-fd-passing-bench: --messages and --rounds must be positive\n");
    return 1;
  }

  const std::vector<Variant> variants{
      {"bare sendmsg/recvmsg", bare_send, bare_receive},
      {"ipckit send_fds/receive_fds", ipckit_send, ipckit_receive},
  };
  std::vector<std::vector<double>> rates(variants.size());
  for (int r = 0; r < rounds; ++r) {
    for (std::size_t k = 0; k < variants.size(); ++k) {
      // Alternate the order so that neither variant always runs second.
      const std::size_t v = (static_cast<std::size_t>(r) + k) % variants.size();
      if (only.empty() || std::string_view(variants[v].name).starts_with(only)) {
        rates[v].push_back(run_round(variants[v], messages));
      }
    }
  }

  const double bare = rates[0].empty() ? 0 : median(rates[0]);
  std::printf(
      "Descriptor passing: 1 descriptor + 1 byte per message, SOCK_STREAM socketpair, "
      "sender on CPU 0, receiver (closes each descriptor) on CPU 1; %ld messages, "
      "median of %d rounds.\n\n",
      messages, rounds);
  std::printf("| variant | messages/s | ns/message | min..max messages/s | vs bare |\n");
  std::printf("|---|---:|---:|---:|---:|\n");
  for (std::size_t v = 0; v < variants.size(); ++v) {
    if (rates[v].empty()) continue;
    const double m = median(rates[v]);
    const auto [lo, hi] = std::minmax_element(rates[v].begin(), rates[v].end());
    std::printf("| %s | %.0f | %.0f | %.0f..%.0f | ", variants[v].name, m, 1e9 / m, *lo, *hi);
    if (bare > 0) {
      std::printf("%.1f%% |\n", 100.0 * m / bare);
    } else {
      std::printf("- |\n");
    }
  }
  return 0;
}
