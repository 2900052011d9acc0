// ipckit-bridge-bench: the bridge against bare ZeroMQ, side by side in one run
// (docs/BENCHMARKS.md).
//
//   bare:    a PUSH socket and a PULL socket over tcp://127.0.0.1, one ZeroMQ message per
//            message, no acknowledgement: what gluing two hosts with ZeroMQ by hand costs.
//   bridged: channel -> bridge out -> tcp://127.0.0.1 -> bridge in -> channel, each bridge side
//            in its own process (the library's run_out/run_in, as `ipckit bridge` runs them),
//            every message acknowledged end to end and committed exactly once.
//
// Throughput: N messages of SIZE one way, messages/s, rounds interleaved (bare, bridged, bare...)
// so that a slow phase of the machine hits both; the median and the ratio per round.
// Latency: one message at a time, stamped with CLOCK_MONOTONIC at send and read at arrival (one
// process holds both ends), p50 and p99; the bridge's added latency is the difference.
// Memory: VmHWM of each bridge process after a run that filled its window (the consumer
// stopped, the source ring full).
//
// Usage: ipckit-bridge-bench [--rounds R] [--sizes 64,65536] [--seconds S]
#include <fmt/core.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "ipckit/bridge/in.hpp"
#include "ipckit/bridge/ledger.hpp"
#include "ipckit/bridge/out.hpp"
#include "ipckit/bridge/wire.hpp"
#include "ipckit/channel.hpp"

namespace {

using Clock = std::chrono::steady_clock;

std::atomic<bool> g_stop{false};
void on_term(int) {
  g_stop.store(true);
}

std::uint64_t now_ns() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
          .count());
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

int free_port() {
  void* ctx = zmq_ctx_new();
  void* s = zmq_socket(ctx, ZMQ_PULL);
  zmq_bind(s, "tcp://127.0.0.1:*");
  char ep[256];
  size_t n = sizeof ep;
  zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, ep, &n);
  zmq_close(s);
  zmq_ctx_term(ctx);
  return std::stoi(std::strrchr(ep, ':') + 1);
}

// ---- bare ZeroMQ ---------------------------------------------------------------------------

struct BareResult {
  double msgs_per_s = 0;
  std::vector<double> latencies_ns;
};

// Throughput: a pusher thread and a puller thread (own contexts), `count` messages.
double bare_throughput(std::size_t size, std::uint64_t count) {
  const std::string ep = fmt::format("tcp://127.0.0.1:{}", free_port());
  void* rctx = zmq_ctx_new();
  void* pull = zmq_socket(rctx, ZMQ_PULL);
  zmq_bind(pull, ep.c_str());
  std::thread pusher([&] {
    void* ctx = zmq_ctx_new();
    void* push = zmq_socket(ctx, ZMQ_PUSH);
    int linger = -1;
    zmq_setsockopt(push, ZMQ_LINGER, &linger, sizeof linger);
    zmq_connect(push, ep.c_str());
    std::vector<char> m(size, 'x');
    for (std::uint64_t i = 0; i < count; ++i)
      zmq_send(push, m.data(), m.size(), 0);
    zmq_close(push);
    zmq_ctx_term(ctx);
  });
  std::vector<char> buf(size + 16);
  zmq_recv(pull, buf.data(), buf.size(), 0);  // the clock starts at the first message
  const auto t0 = Clock::now();
  for (std::uint64_t i = 1; i < count; ++i)
    zmq_recv(pull, buf.data(), buf.size(), 0);
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  pusher.join();
  zmq_close(pull);
  zmq_ctx_term(rctx);
  return static_cast<double>(count - 1) / s;
}

std::vector<double> bare_latency(std::size_t size, int samples) {
  const std::string ep = fmt::format("tcp://127.0.0.1:{}", free_port());
  void* rctx = zmq_ctx_new();
  void* pull = zmq_socket(rctx, ZMQ_PULL);
  zmq_bind(pull, ep.c_str());
  void* sctx = zmq_ctx_new();
  void* push = zmq_socket(sctx, ZMQ_PUSH);
  zmq_connect(push, ep.c_str());
  std::vector<char> m(std::max<std::size_t>(size, 8), 'x');
  std::vector<char> buf(m.size() + 16);
  std::vector<double> out;
  for (int i = -100; i < samples; ++i) {  // 100 warm-up messages
    const std::uint64_t t = now_ns();
    std::memcpy(m.data(), &t, 8);
    zmq_send(push, m.data(), m.size(), 0);
    zmq_recv(pull, buf.data(), buf.size(), 0);
    std::uint64_t sent = 0;
    std::memcpy(&sent, buf.data(), 8);
    if (i >= 0) out.push_back(static_cast<double>(now_ns() - sent));
  }
  zmq_close(push);
  zmq_close(pull);
  zmq_ctx_term(sctx);
  zmq_ctx_term(rctx);
  return out;
}

// ---- the bridge ---------------------------------------------------------------------------

struct Bridge {
  std::string src;
  std::string dst;
  pid_t in = -1;
  pid_t out = -1;
};

pid_t spawn(const std::function<void()>& body) {
  pid_t pid = fork();
  if (pid == 0) {
    signal(SIGTERM, on_term);
    body();
    _exit(0);
  }
  return pid;
}

Bridge start_bridge(std::size_t capacity, std::size_t max_message) {
  Bridge b;
  b.src = fmt::format("ipckit-bridge-bench-{}-src", getpid());
  b.dst = fmt::format("ipckit-bridge-bench-{}-dst", getpid());
  ipckit::channel::ChannelOptions o;
  o.capacity = capacity;
  o.max_message = max_message;
  (void)ipckit::Channel::unlink(b.src);
  (void)ipckit::Channel::unlink(b.dst);
  (void)ipckit::bridge::Ledger::remove(b.dst);
  if (!ipckit::Channel::create(b.src, o) || !ipckit::Channel::create(b.dst, o)) {
    fmt::print(stderr, "cannot create the channels\n");
    std::exit(1);
  }
  const std::string ep = fmt::format("tcp://127.0.0.1:{}", free_port());
  auto quiet = [](std::string_view) {};
  b.in = spawn([&] {
    auto ch = ipckit::Channel::open(b.dst);
    auto info = ch->info();
    auto ledger = ipckit::bridge::Ledger::take(
        b.dst, ipckit::bridge::source_incarnation(info.created_unix_ns, info.creator_pid));
    ipckit::bridge::InOptions io;
    io.endpoint = ep;
    ipckit::bridge::InStats st;
    if (!ch || !ledger || !ipckit::bridge::run_in(*ch, *ledger, io, g_stop, quiet, st)) _exit(1);
  });
  b.out = spawn([&] {
    auto ch = ipckit::Channel::open(b.src);
    ipckit::bridge::OutOptions oo;
    oo.endpoint = ep;
    oo.source = "bench";
    ipckit::bridge::OutStats st;
    if (!ch || !ipckit::bridge::run_out(*ch, oo, g_stop, quiet, st)) _exit(1);
  });
  return b;
}

std::string vm_hwm(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/status", pid));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return line.substr(6);
  }
  return "?";
}

void stop_bridge(Bridge& b) {
  kill(b.in, SIGTERM);
  kill(b.out, SIGTERM);
  waitpid(b.in, nullptr, 0);
  waitpid(b.out, nullptr, 0);
  (void)ipckit::Channel::unlink(b.src);
  (void)ipckit::Channel::unlink(b.dst);
  (void)ipckit::bridge::Ledger::remove(b.dst);
}

double bridged_throughput(const Bridge& b, std::size_t size, std::uint64_t count) {
  auto src = ipckit::Channel::open(b.src);
  auto dst = ipckit::Channel::open(b.dst);
  ipckit::channel::WaitPolicy block;  // like zmq_recv/zmq_send: sleep, do not spin
  block.mode = ipckit::channel::WaitMode::kBlock;
  auto rx = dst->receiver(block);
  std::thread producer([&] {
    auto tx = src->sender(block);
    std::vector<std::byte> m(size, std::byte{'x'});
    for (std::uint64_t i = 0; i < count; ++i)
      (void)tx->send(m);
  });
  std::vector<std::byte> buf(size + 16);
  (void)rx->recv(std::span(buf));
  const auto t0 = Clock::now();
  for (std::uint64_t i = 1; i < count; ++i)
    (void)rx->recv(std::span(buf));
  const double s = std::chrono::duration<double>(Clock::now() - t0).count();
  producer.join();
  return static_cast<double>(count - 1) / s;
}

std::vector<double> bridged_latency(const Bridge& b, std::size_t size, int samples) {
  auto src = ipckit::Channel::open(b.src);
  auto dst = ipckit::Channel::open(b.dst);
  auto rx = dst->receiver();
  auto tx = src->sender();
  std::vector<std::byte> m(std::max<std::size_t>(size, 8));
  std::vector<std::byte> buf(m.size() + 16);
  std::vector<double> out;
  for (int i = -100; i < samples; ++i) {
    const std::uint64_t t = now_ns();
    std::memcpy(m.data(), &t, 8);
    (void)tx->send(m);
    (void)rx->recv(std::span(buf));
    std::uint64_t sent = 0;
    std::memcpy(&sent, buf.data(), 8);
    if (i >= 0) out.push_back(static_cast<double>(now_ns() - sent));
  }
  return out;
}

double pct(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[static_cast<std::size_t>(p * static_cast<double>(v.size() - 1))];
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 5;
  std::vector<std::size_t> sizes = {64, 65536};
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--rounds") rounds = std::atoi(argv[i + 1]);
    if (a == "--sizes") {
      sizes.clear();
      std::string list = argv[i + 1];
      for (std::size_t at = 0; at <= list.size();) {
        auto comma = list.find(',', at);
        if (comma == std::string::npos) comma = list.size();
        sizes.push_back(std::stoul(list.substr(at, comma - at)));
        at = comma + 1;
      }
    }
  }
  signal(SIGPIPE, SIG_IGN);
  fmt::print("# ipckit-bridge-bench: tcp://127.0.0.1, {} interleaved rounds per size\n", rounds);
  fmt::print("{:>8} {:>14} {:>14} {:>8} {:>12}   {:>10} {:>10} {:>10} {:>10}\n", "SIZE",
             "BARE-MSGS/S", "BRIDGED-MSGS/S", "RATIO", "RATIO-RANGE", "BARE-P50", "BARE-P99",
             "BRIDGE-P50", "BRIDGE-P99");
  for (std::size_t size : sizes) {
    const std::uint64_t count = size <= 1024 ? 1'000'000 : 40'000;
    std::vector<double> bare, bridged, ratio;
    Bridge b = start_bridge(std::size_t{16} << 20, std::max<std::size_t>(size, 4096));
    for (int r = 0; r < rounds; ++r) {
      const double x = bare_throughput(size, count);
      const double y = bridged_throughput(b, size, count);
      bare.push_back(x);
      bridged.push_back(y);
      ratio.push_back(y / x);
    }
    auto bl = bare_latency(size, 2000);
    auto gl = bridged_latency(b, size, 2000);
    stop_bridge(b);
    const auto [lo, hi] = std::minmax_element(ratio.begin(), ratio.end());
    fmt::print(
        "{:>8} {:>14.0f} {:>14.0f} {:>7.2f}x {:>5.2f}-{:<5.2f}x   {:>8.1f}us {:>8.1f}us {:>8.1f}us "
        "{:>8.1f}us\n",
        size, median(bare), median(bridged), median(ratio), *lo, *hi, pct(bl, 0.5) / 1e3,
        pct(bl, 0.99) / 1e3, pct(gl, 0.5) / 1e3, pct(gl, 0.99) / 1e3);
  }

  // Memory of each bridge process with its window full: the consumer never reads, the
  // producer fills the source ring, the bridge holds what the rings hold.
  Bridge b = start_bridge(std::size_t{16} << 20, 65536);
  {
    auto src = ipckit::Channel::open(b.src);
    auto dst = ipckit::Channel::open(b.dst);
    auto rx = dst->receiver();  // attached, never reading
    auto tx = src->sender();
    std::vector<std::byte> m(65536, std::byte{'y'});
    std::uint64_t sent = 0;
    while (tx->send(m, std::chrono::seconds(2)))
      ++sent;
    fmt::print(
        "\nwindow full ({} x 64 KiB messages held: 16 MiB rings): bridge out VmHWM {}, bridge in "
        "VmHWM {}\n",
        sent, vm_hwm(b.out), vm_hwm(b.in));
  }
  stop_bridge(b);
  return 0;
}
