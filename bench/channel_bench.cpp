// ipckit-channel-bench: what `ipckit bench` (docs/bench.md) does not measure about the channel,
// side by side in one run (these 2-core VMs are noisy: only same-run ratios mean much):
//   - the receiver's polling policies (adaptive, off, a fixed 1 us interval) with one and two
//     producers, 64-byte messages;
//   - a 64 KiB copy-out channel against a bare cross-CPU hand-over (four slots, two atomics, no
//     channel): what any copying channel between these CPUs can at best reach.
// Latency, the floors, pipe, memcpy and the channel's modes are `ipckit bench --only channel,...`.
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

std::string bench_name(const char* what) {
  return "ipckit-bench-" + std::to_string(::getpid()) + "-" + what;
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

}  // namespace

int main(int argc, char** argv) {
  int rounds = 5;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
      rounds = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: %s [--rounds N]\n", argv[0]);
      return 1;
    }
  }

  std::printf(
      "# ipckit channel: polling policies and the copy-out ceiling, median of %d rounds, "
      "CPUs 0 and 1\n\n",
      rounds);
  std::printf("## Throughput, one direction\n\n| what | rate | ratio |\n|---|---|---|\n");
  const std::size_t small = 10'000'000;
  // Interleaved: each round measures every row, so a noisy phase of the machine hits them all
  // alike; ratios are medians of the per-round ratios.
  const WaitPolicy plain{.mode = WaitMode::kSpinThenBlock};  // adaptive polling (the default)
  const WaitPolicy continuous{.mode = WaitMode::kSpinThenBlock, .adaptive_polling = false};
  const WaitPolicy paced{.mode = WaitMode::kSpinThenBlock,
                         .poll_interval = std::chrono::microseconds(1)};
  std::vector<double> chan64, mp64, mp64c, chan64p, mp64p, r_mp, r_mpc, r_mpp;
  for (int r = 0; r < rounds; ++r) {
    chan64.push_back(channel_throughput(64, small, 1, 1 << 20, true, plain));
    mp64.push_back(channel_throughput(64, small, 2, 1 << 20, true, plain));
    mp64c.push_back(channel_throughput(64, small, 2, 1 << 20, true, continuous));
    chan64p.push_back(channel_throughput(64, small, 1, 1 << 20, true, paced));
    mp64p.push_back(channel_throughput(64, small, 2, 1 << 20, true, paced));
    r_mp.push_back(mp64.back() / chan64.back());
    r_mpc.push_back(mp64c.back() / chan64.back());
    r_mpp.push_back(mp64p.back() / chan64p.back());
  }
  std::printf("| channel SPSC, 64 B (recv) | %.2f M msg/s | 1.00 |\n", median(chan64) / 1e6);
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
  std::vector<double> chan_big_copy, bare, r_bare;
  for (int r = 0; r < rounds; ++r) {
    chan_big_copy.push_back(channel_throughput(big, big_count, 1, 4 * big, true) * big);
    bare.push_back(bare_cross_cpu_copy(big_count));
    r_bare.push_back(chan_big_copy.back() / bare.back());
  }
  std::printf(
      "| bare cross-CPU copy in, copy out (4 slots, no channel), 64 KiB | %.2f GB/s | 1.00 |\n",
      median(bare) / 1e9);
  std::printf("| channel SPSC, 64 KiB (recv: copied out) | %.2f GB/s | %.2f x bare |\n",
              median(chan_big_copy) / 1e9, median(r_bare));
  return 0;
}
