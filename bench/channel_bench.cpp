// ipckit-channel-bench: the channel against bare shared memory, futexes, pipes and Unix sockets,
// measured side by side in one run (these 2-core VMs are noisy: only same-run ratios mean much).
//
//   build/default/bench/ipckit-channel-bench [--rounds N]
//
// Each figure is the median of `rounds` repetitions. Two processes (fork) pinned to CPUs 0 and 1.
#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "ipckit/channel.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using ipckit::channel::Channel;
using ipckit::channel::ChannelOptions;
using ipckit::channel::Producers;
using ipckit::channel::WaitMode;
using ipckit::channel::WaitPolicy;

void pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  ::sched_setaffinity(0, sizeof set, &set);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Runs child() in a forked process pinned to CPU 1 while parent() runs pinned to CPU 0; returns
// parent()'s result.
double fork_pair(const std::function<void()>& child, const std::function<double()>& parent) {
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    pin(1);
    child();
    ::_exit(0);
  }
  pin(0);
  double r = parent();
  int status = 0;
  ::waitpid(pid, &status, 0);
  return r;
}

template <class T>
T* shared_alloc() {
  void* p = ::mmap(nullptr, sizeof(T), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  return new (p) T{};
}

constexpr int kPingPongs = 100'000;

// --- latency: one-way = round trip / 2, p50 over individual round trips ---

struct alignas(128) SpinLine {
  std::atomic<std::uint64_t> v{0};
};
struct SpinPair {
  SpinLine ping, pong;
};

double p50_one_way_ns(std::vector<double>& rtts) {
  return median(rtts) / 2.0;
}

double bare_spin_latency() {
  auto* s = shared_alloc<SpinPair>();
  double r = fork_pair(
      [&] {
        for (std::uint64_t i = 1; i <= kPingPongs; ++i) {
          while (s->ping.v.load(std::memory_order_acquire) != i) {
          }
          s->pong.v.store(i, std::memory_order_release);
        }
      },
      [&] {
        std::vector<double> rtt;
        rtt.reserve(kPingPongs);
        for (std::uint64_t i = 1; i <= kPingPongs; ++i) {
          auto t0 = Clock::now();
          s->ping.v.store(i, std::memory_order_release);
          while (s->pong.v.load(std::memory_order_acquire) != i) {
          }
          rtt.push_back(std::chrono::duration<double, std::nano>(Clock::now() - t0).count());
        }
        return p50_one_way_ns(rtt);
      });
  ::munmap(s, sizeof *s);
  return r;
}

struct FutexPair {
  alignas(128) std::atomic<std::uint32_t> ping{0};
  alignas(128) std::atomic<std::uint32_t> pong{0};
};

void fwait(std::atomic<std::uint32_t>& w, std::uint32_t old) {
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&w), FUTEX_WAIT, old, nullptr, nullptr, 0);
}
void fwake(std::atomic<std::uint32_t>& w) {
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&w), FUTEX_WAKE, 1, nullptr, nullptr, 0);
}

double bare_futex_latency(int n) {
  auto* s = shared_alloc<FutexPair>();
  double r = fork_pair(
      [&] {
        for (std::uint32_t i = 1; i <= static_cast<std::uint32_t>(n); ++i) {
          while (s->ping.load() != i)
            fwait(s->ping, i - 1);
          s->pong.store(i);
          fwake(s->pong);
        }
      },
      [&] {
        std::vector<double> rtt;
        for (std::uint32_t i = 1; i <= static_cast<std::uint32_t>(n); ++i) {
          auto t0 = Clock::now();
          s->ping.store(i);
          fwake(s->ping);
          while (s->pong.load() != i)
            fwait(s->pong, i - 1);
          rtt.push_back(std::chrono::duration<double, std::nano>(Clock::now() - t0).count());
        }
        return p50_one_way_ns(rtt);
      });
  ::munmap(s, sizeof *s);
  return r;
}

std::string bench_name(const char* what) {
  return "ipckit-bench-" + std::to_string(::getpid()) + "-" + what;
}

double channel_latency(WaitPolicy policy, int n) {
  auto a = bench_name("ping"), b = bench_name("pong");
  auto ping = Channel::create(a, {.capacity = 1 << 16});
  auto pong = Channel::create(b, {.capacity = 1 << 16});
  if (!ping || !pong) std::abort();
  double r = fork_pair(
      [&] {
        auto in = Channel::open(a);
        auto out = Channel::open(b);
        auto rx = in->receiver(policy);
        auto tx = out->sender(policy);
        std::uint64_t v = 0;
        for (int i = 0; i < n; ++i) {
          (void)rx->recv(std::as_writable_bytes(std::span(&v, 1)));
          (void)tx->send(std::as_bytes(std::span(&v, 1)));
        }
      },
      [&] {
        auto tx = ping->sender(policy);
        auto rx = pong->receiver(policy);
        std::vector<double> rtt;
        std::uint64_t v = 0;
        for (int i = 0; i < n; ++i) {
          auto t0 = Clock::now();
          (void)tx->send(std::as_bytes(std::span(&v, 1)));
          (void)rx->recv(std::as_writable_bytes(std::span(&v, 1)));
          rtt.push_back(std::chrono::duration<double, std::nano>(Clock::now() - t0).count());
        }
        return p50_one_way_ns(rtt);
      });
  (void)Channel::unlink(a);
  (void)Channel::unlink(b);
  return r;
}

// --- throughput: messages (or bytes) per second, one direction ---

// Reads every byte of a message at the speed the cache delivers it: glibc's vectorised memchr
// scanning for a byte the benchmark never sends.
std::uintptr_t read_every_byte(std::span<const std::byte> m) {
  return reinterpret_cast<std::uintptr_t>(std::memchr(m.data(), 0xab, m.size()));
}

// Messages per second from `producers` processes (CPU 1) to one consumer (CPU 0). With
// `copy_out` the consumer copies each message out (recv); otherwise it reads it in place
// (peek, a scan of every byte, release).
double channel_throughput(std::size_t size, std::size_t count, int producers, std::size_t capacity,
                          bool copy_out, WaitPolicy consumer = {.mode = WaitMode::kSpinThenBlock}) {
  auto name = bench_name("tput");
  ChannelOptions o{.capacity = capacity};
  if (producers > 1) o.producers = Producers::kMulti;
  auto ch = Channel::create(name, o);
  if (!ch) std::abort();
  std::vector<pid_t> kids;
  std::fflush(nullptr);
  for (int p = 0; p < producers; ++p) {
    pid_t pid = ::fork();
    if (pid == 0) {
      pin(1);
      auto c = Channel::open(name);
      auto tx = c->sender({.mode = WaitMode::kSpinThenBlock});
      std::vector<std::byte> msg(size, std::byte{1});
      for (std::size_t i = 0; i < count / static_cast<std::size_t>(producers); ++i) {
        if (auto r = tx->send(msg); !r) {
          std::fprintf(stderr, "bench producer: %s\n", r.error().message().c_str());
          ::_exit(1);
        }
      }
      ::_exit(0);
    }
    kids.push_back(pid);
  }
  pin(0);
  auto rx = ch->receiver(consumer);
  auto t0 = Clock::now();
  std::size_t total =
      count / static_cast<std::size_t>(producers) * static_cast<std::size_t>(producers);
  std::vector<std::byte> buf(size);
  for (std::size_t i = 0; i < total; ++i) {
    if (copy_out) {
      if (auto r = rx->recv(std::span<std::byte>(buf)); !r) {
        std::fprintf(stderr, "bench consumer: %s\n", r.error().message().c_str());
        std::abort();
      }
    } else {
      auto p = rx->peek();
      if (!p) std::abort();
      // Read in place means read: every byte is fetched.
      asm volatile("" ::"r"(read_every_byte(*p)));
      rx->release();
    }
  }
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  for (pid_t k : kids)
    ::waitpid(k, nullptr, 0);
  (void)Channel::unlink(name);
  return static_cast<double>(total) / secs;
}

double fd_throughput(int rfd, int wfd, std::size_t size, std::size_t count) {
  return fork_pair(
      [&] {
        ::close(rfd);
        std::vector<char> msg(size, 'x');
        for (std::size_t i = 0; i < count; ++i) {
          std::size_t off = 0;
          while (off < size)
            off += static_cast<std::size_t>(::write(wfd, msg.data() + off, size - off));
        }
        ::close(wfd);
      },
      [&] {
        ::close(wfd);
        std::vector<char> buf(size);
        auto t0 = Clock::now();
        std::size_t got = 0;
        while (got < size * count) {
          ssize_t n = ::read(rfd, buf.data(), size);
          if (n <= 0) break;
          got += static_cast<std::size_t>(n);
        }
        double secs = std::chrono::duration<double>(Clock::now() - t0).count();
        ::close(rfd);
        return static_cast<double>(count) / secs;
      });
}

double pipe_throughput(std::size_t size, std::size_t count) {
  int p[2];
  if (::pipe(p) != 0) std::abort();
  return fd_throughput(p[0], p[1], size, count);
}

double socket_throughput(std::size_t size, std::size_t count) {
  int s[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM, 0, s) != 0) std::abort();
  return fd_throughput(s[0], s[1], size, count);
}

// The hardware's share of a 64 KiB hand-over between the two CPUs, without a channel: four
// 64 KiB slots in shared memory, a sequence word per side; the producer copies into the next free
// slot and publishes it, the consumer copies it out and hands it back. What any copying channel
// between these CPUs can at best reach. Bytes per second.
struct alignas(128) BareSlots {
  static constexpr std::size_t kSlots = 4, kSize = 64 * 1024;
  alignas(128) std::atomic<std::uint64_t> published{0};
  alignas(128) std::atomic<std::uint64_t> consumed{0};
  alignas(4096) std::byte slot[kSlots][kSize];
};

double bare_cross_cpu_copy(std::size_t count) {
  auto* s = shared_alloc<BareSlots>();
  const double r = fork_pair(
      [&] {
        std::vector<std::byte> msg(BareSlots::kSize, std::byte{1});
        for (std::uint64_t i = 0; i < count; ++i) {
          while (i - s->consumed.load(std::memory_order_acquire) >= BareSlots::kSlots)
            __builtin_ia32_pause();
          std::memcpy(s->slot[i % BareSlots::kSlots], msg.data(), BareSlots::kSize);
          s->published.store(i + 1, std::memory_order_release);
        }
      },
      [&] {
        std::vector<std::byte> buf(BareSlots::kSize);
        auto t0 = Clock::now();
        for (std::uint64_t i = 0; i < count; ++i) {
          while (s->published.load(std::memory_order_acquire) <= i)
            __builtin_ia32_pause();
          std::memcpy(buf.data(), s->slot[i % BareSlots::kSlots], BareSlots::kSize);
          s->consumed.store(i + 1, std::memory_order_release);
        }
        return static_cast<double>(count * BareSlots::kSize) /
               std::chrono::duration<double>(Clock::now() - t0).count();
      });
  ::munmap(s, sizeof(BareSlots));
  return r;
}

double memcpy_bandwidth(std::size_t size) {
  std::vector<char> a(size, 'a'), b(size);
  const int reps = 20000;
  auto t0 = Clock::now();
  for (int i = 0; i < reps; ++i) {
    std::memcpy(b.data(), a.data(), size);
    asm volatile("" ::"r"(b.data()) : "memory");
  }
  return static_cast<double>(size) * reps /
         std::chrono::duration<double>(Clock::now() - t0).count();
}

template <class F>
double med(int rounds, F f) {
  std::vector<double> v;
  for (int i = 0; i < rounds; ++i)
    v.push_back(f());
  return median(v);
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 5;
  bool latency = true, throughput = true;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
      rounds = std::atoi(argv[++i]);
    else if (std::strcmp(argv[i], "--latency-only") == 0)
      throughput = false;
    else if (std::strcmp(argv[i], "--throughput-only") == 0)
      latency = false;
    else {
      std::fprintf(stderr, "usage: %s [--rounds N] [--latency-only | --throughput-only]\n",
                   argv[0]);
      return 1;
    }
  }

  std::printf("# ipckit channel benchmark: median of %d rounds, CPUs 0 and 1\n\n", rounds);
  if (latency) {
    std::printf("## One-way latency, 8-byte message (p50 of %d round trips / 2)\n\n", kPingPongs);
    double spin = med(rounds, bare_spin_latency);
    double chan_spin =
        med(rounds, [] { return channel_latency({.mode = WaitMode::kBusyPoll}, kPingPongs); });
    double futex = med(rounds, [] { return bare_futex_latency(20'000); });
    double chan_block =
        med(rounds, [] { return channel_latency({.mode = WaitMode::kBlock}, 20'000); });
    double chan_sptb = med(rounds, [] { return channel_latency({}, kPingPongs); });
    std::printf("| what | ns | ratio |\n|---|---|---|\n");
    std::printf("| bare shared-memory spin ping-pong | %.0f | 1.00 |\n", spin);
    std::printf("| channel, busy-poll | %.0f | %.2f x bare spin |\n", chan_spin, chan_spin / spin);
    std::printf("| channel, spin-then-block, busy peer | %.0f | %.2f x bare spin |\n", chan_sptb,
                chan_sptb / spin);
    std::printf("| bare futex ping-pong | %.0f | 1.00 |\n", futex);
    std::printf("| channel, block | %.0f | %.2f x bare futex |\n\n", chan_block,
                chan_block / futex);
  }
  if (!throughput) return 0;
  std::printf("## Throughput, one direction\n\n| what | rate | ratio |\n|---|---|---|\n");
  const std::size_t small = 2'000'000;
  // Interleaved: each round measures every row, so a noisy phase of the machine hits them all
  // alike; ratios are medians of the per-round ratios.
  const WaitPolicy plain{.mode = WaitMode::kSpinThenBlock};  // adaptive polling (the default)
  const WaitPolicy continuous{.mode = WaitMode::kSpinThenBlock, .adaptive_polling = false};
  const WaitPolicy paced{.mode = WaitMode::kSpinThenBlock,
                         .poll_interval = std::chrono::microseconds(1)};
  std::vector<double> pipe64, chan64, mp64, mp64c, chan64p, mp64p, r_chan, r_mp, r_mpc, r_mpp;
  for (int r = 0; r < rounds; ++r) {
    pipe64.push_back(pipe_throughput(64, small));
    chan64.push_back(channel_throughput(64, small * 5, 1, 1 << 20, true, plain));
    mp64.push_back(channel_throughput(64, small * 5, 2, 1 << 20, true, plain));
    mp64c.push_back(channel_throughput(64, small * 5, 2, 1 << 20, true, continuous));
    chan64p.push_back(channel_throughput(64, small * 5, 1, 1 << 20, true, paced));
    mp64p.push_back(channel_throughput(64, small * 5, 2, 1 << 20, true, paced));
    r_chan.push_back(chan64.back() / pipe64.back());
    r_mp.push_back(mp64.back() / chan64.back());
    r_mpc.push_back(mp64c.back() / chan64.back());
    r_mpp.push_back(mp64p.back() / chan64p.back());
  }
  std::printf("| pipe, 64 B writes | %.2f M msg/s | 1.00 |\n", median(pipe64) / 1e6);
  std::printf("| channel SPSC, 64 B (recv) | %.2f M msg/s | %.1f x pipe |\n", median(chan64) / 1e6,
              median(r_chan));
  std::printf("| channel, 2 producers, 64 B | %.2f M msg/s | %.2f x SPSC |\n", median(mp64) / 1e6,
              median(r_mp));
  std::printf("| channel, 2 producers, 64 B, adaptive polling off | %.2f M msg/s | %.2f x SPSC |\n",
              median(mp64c) / 1e6, median(r_mpc));
  std::printf("| channel SPSC, 64 B, consumer polls every 1 us | %.2f M msg/s | |\n",
              median(chan64p) / 1e6);
  std::printf(
      "| channel, 2 producers, 64 B, consumer polls every 1 us | %.2f M msg/s | %.2f x SPSC "
      "(same policy) |\n",
      median(mp64p) / 1e6, median(r_mpp));
  const std::size_t big = 64 * 1024, big_count = 50'000;
  double sock = med(rounds, [&] { return socket_throughput(big, big_count) * big; });
  double chan_big =
      med(rounds, [&] { return channel_throughput(big, big_count, 1, 4 * big, false) * big; });
  double chan_big_copy =
      med(rounds, [&] { return channel_throughput(big, big_count, 1, 4 * big, true) * big; });
  double mc = med(rounds, [&] { return memcpy_bandwidth(big); });
  double bare = med(rounds, [&] { return bare_cross_cpu_copy(big_count); });
  std::printf("| Unix stream socket, 64 KiB | %.2f GB/s | 1.00 |\n", sock / 1e9);
  std::printf(
      "| channel SPSC, 64 KiB (peek: read in place) | %.2f GB/s | %.1f x socket, %.0f%% of memcpy "
      "|\n",
      chan_big / 1e9, chan_big / sock, 100 * chan_big / mc);
  std::printf(
      "| channel SPSC, 64 KiB (recv: copied out) | %.2f GB/s | %.1f x socket, %.0f%% of memcpy |\n",
      chan_big_copy / 1e9, chan_big_copy / sock, 100 * chan_big_copy / mc);
  std::printf("| single-thread memcpy, 64 KiB | %.2f GB/s | |\n", mc / 1e9);
  std::printf(
      "| bare cross-CPU copy in, copy out (4 slots, no channel), 64 KiB | %.2f GB/s | %.0f%% "
      "of memcpy; channel recv = %.0f%% of it |\n",
      bare / 1e9, 100 * bare / mc, 100 * chan_big_copy / bare);
  return 0;
}
