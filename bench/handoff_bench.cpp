// ipckit-handoff-bench: the handoff daemon (issue 12) against a worker that accepts directly,
// side by side in one run, and the daemon's memory with a full pass cache and a crowd in the
// pregreet wait. Not run by ctest; numbers in docs/BENCHMARKS.md ("Handoff").
//
//   build/default/bench/ipckit-handoff-bench [--ipckit PATH] [--seconds S] [--rounds R]
//       [--clients C] [--cache-entries N] [--pregreet-clients N] [--only throughput|memory]
//
// Throughput: C client threads in this process each loop connect → send "ping" → read the echo
// → close, for S seconds, against (a) an echo server that accept(2)s itself and (b) the same
// echo server fed by `ipckit handoff serve` (a worker process; every client a pass-cache hit,
// so no pregreet wait). The two servers are one loop (serve() below) that differs only in where
// a client's socket comes from. Rounds alternate direct and handoff; connections/s is the median
// of the rounds (which alternate which mode goes first), latency (connect until the echo is
// read) p50/p99 over all of a mode's connections. IPCKIT_BENCH_LOG=1 keeps the daemon's info log
// and IPCKIT_BENCH_KEEP=1 its scratch directory (both for debugging).
//
// Memory: a daemon whose pass cache is filled with N addresses (clients from 127.1.x.y that
// pass a 100 ms pregreet wait), then reloaded (SIGHUP) with a 10-minute wait and given N'
// clients from 127.2.x.y that sit in it; VmRSS is read from /proc at each step.
#include <arpa/inet.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "handoff_bench_echo.hpp"
#include "ipckit/core/fd.hpp"
#include "ipckit/handoff/stats.hpp"
#include "ipckit/handoff/worker.hpp"
#include "ipckit/net/inet_address.hpp"
#include "ipckit/net/tcp.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using ipckit::Fd;
namespace handoff = ipckit::handoff;
namespace net = ipckit::net;
namespace uds = ipckit::uds;
using handoff_bench::Reply;
using handoff_bench::run_direct_server;
using handoff_bench::run_worker;

struct Options {
  std::string ipckit;
  double seconds = 3;
  int rounds = 3;
  int clients = 8;
  int cache_entries = 10'000;
  int pregreet_clients = 1'000;
  bool throughput = true;
  bool memory = true;
};

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "ipckit-handoff-bench: %s\n", what.c_str());
  std::exit(1);
}

template <class T>
T check(ipckit::Result<T> r, const char* what) {
  if (!r) die(std::string(what) + ": " + r.error().message());
  return std::move(*r);
}

// --- Processes ------------------------------------------------------------------------------

std::vector<pid_t> g_children;
pid_t g_main = 0;

void stop_children() {
  if (::getpid() != g_main) return;  // a child's exit() must not kill its siblings
  for (pid_t pid : g_children)
    ::kill(pid, SIGKILL);
  for (pid_t pid : g_children)
    ::waitpid(pid, nullptr, 0);
  g_children.clear();
}

template <class F>
pid_t spawn(F&& body) {
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) die("fork failed");
  if (pid == 0) body();
  g_children.push_back(pid);
  return pid;
}

std::string temp_dir() {
  char tmpl[] = "/tmp/ipckit-handoff-bench.XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) die("mkdtemp failed");
  return tmpl;
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

// A port free right now (the daemon is told it; the race with another binder is harmless here).
std::uint16_t free_port() {
  auto l = check(net::TcpListener::bind(net::InetAddress::loopback(net::Family::kV4, 0)), "bind");
  return l.local_address().port();
}

struct Daemon {
  pid_t pid = 0;
  uds::UnixAddress control;
  net::InetAddress address;
  std::string config;
};

Daemon start_daemon(const Options& o, const std::string& dir, const std::string& config_text,
                    int n) {
  Daemon d;
  d.address = net::InetAddress::loopback(net::Family::kV4, free_port());
  const std::string control_name =
      "@ipckit-handoff-bench-" + std::to_string(::getpid()) + "-" + std::to_string(n);
  d.control = check(uds::UnixAddress::parse(control_name), "control address");
  d.config = dir + "/daemon-" + std::to_string(n) + ".toml";
  write_file(d.config, config_text);
  const std::string log = dir + "/daemon-" + std::to_string(n) + ".log";
  d.pid = spawn([&] {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ::dup2(fd, 2);
    const std::string listen = d.address.to_string();
    ::execl(o.ipckit.c_str(), o.ipckit.c_str(), "handoff", "serve", "--listen", listen.c_str(),
            "--control", control_name.c_str(), "--config", d.config.c_str(), nullptr);
    std::perror("exec ipckit");
    std::_Exit(127);
  });
  for (int i = 0; i < 200; ++i) {
    if (handoff::fetch_stats(d.control, std::nullopt, 1s)) return d;
    std::this_thread::sleep_for(50ms);
  }
  die("the daemon did not answer stats within 10 s; its log: " + log);
}

handoff::Stats stats(const Daemon& d) {
  return check(handoff::fetch_stats(d.control, std::nullopt, 10s), "stats");
}

// Polls the daemon's stats until `pred` holds (60 s at most).
void wait_stats(const Daemon& d, const char* what,
                const std::function<bool(const handoff::Stats&)>& pred) {
  const auto deadline = Clock::now() + 60s;
  while (Clock::now() < deadline) {
    if (pred(stats(d))) return;
    std::this_thread::sleep_for(20ms);
  }
  die(std::string("timed out waiting for ") + what);
}

long rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  long value = 0;
  std::string unit;
  while (in >> key) {
    if (key == "VmRSS:") {
      in >> value >> unit;
      return value;
    }
    std::getline(in, unit);
  }
  return -1;
}

// --- Clients --------------------------------------------------------------------------------

// A connected socket from `source` (0.0.0.0: any) to `to`. -1 on failure.
int connect_from(const net::InetAddress& to, const char* source) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (source != nullptr) {
    sockaddr_in from{};
    from.sin_family = AF_INET;
    ::inet_pton(AF_INET, source, &from.sin_addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0) {
      ::close(fd);
      return -1;
    }
  }
  const auto raw = to.to_sockaddr();
  if (::connect(fd, raw.get(), raw.length) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Reads until a line containing `text` arrived. False on EOF or error.
bool read_until(int fd, std::string_view text) {
  std::string got;
  char buf[512];
  while (got.find(text) == std::string::npos || got.back() != '\n') {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return false;
    got.append(buf, static_cast<std::size_t>(n));
  }
  return true;
}

// One connection: connect, "ping", the echo, close. Returns its duration in µs, or -1.
double one_connection(const net::InetAddress& to) {
  const auto t0 = Clock::now();
  const int fd = connect_from(to, nullptr);
  if (fd < 0) return -1;
  bool ok = ::send(fd, "ping\r\n", 6, MSG_NOSIGNAL) == 6 && read_until(fd, "ping");
  ::close(fd);
  if (!ok) return -1;
  return std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
}

struct RoundResult {
  double per_second = 0;
  long errors = 0;
  std::vector<double> latencies;
};

RoundResult run_round(const net::InetAddress& to, const Options& o) {
  std::vector<std::vector<double>> lat(static_cast<std::size_t>(o.clients));
  std::vector<long> errors(static_cast<std::size_t>(o.clients), 0);
  const auto start = Clock::now();
  const auto end =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.seconds));
  std::vector<std::thread> threads;
  for (int t = 0; t < o.clients; ++t) {
    threads.emplace_back([&, t] {
      auto& mine = lat[static_cast<std::size_t>(t)];
      mine.reserve(100'000);
      while (Clock::now() < end) {
        const double us = one_connection(to);
        if (us < 0) {
          ++errors[static_cast<std::size_t>(t)];
        } else {
          mine.push_back(us);
        }
      }
    });
  }
  for (auto& t : threads)
    t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  RoundResult r;
  for (std::size_t t = 0; t < lat.size(); ++t) {
    r.latencies.insert(r.latencies.end(), lat[t].begin(), lat[t].end());
    r.errors += errors[t];
  }
  r.per_second = static_cast<double>(r.latencies.size()) / elapsed;
  return r;
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  const auto k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t h = v.size() / 2;
  return v.size() % 2 == 1 ? v[h] : (v[h - 1] + v[h]) / 2;
}

// --- The two phases -------------------------------------------------------------------------

const char* kLogQuiet = std::getenv("IPCKIT_BENCH_LOG") ? "" : "[log]\nlevel = \"warning\"\n";

void throughput(const Options& o, const std::string& dir) {
  auto listener =
      check(net::TcpListener::bind(net::InetAddress::loopback(net::Family::kV4, 0)), "bind direct");
  const net::InetAddress direct = listener.local_address();
  spawn([&] { run_direct_server(std::move(listener)); });

  const std::string config = std::string(kLogQuiet) +
                             "[screen.pregreet]\nwait_ms = 100\nbanner = \"220-bench\"\n"
                             "[screen.cache]\nttl_seconds = 3600\n"
                             "[workers]\nbusy_timeout_ms = 30000\nmax_in_flight = 64\n";
  Daemon d = start_daemon(o, dir, config, 1);
  spawn([&] { run_worker(d.control, Reply::kEcho); });
  wait_stats(d, "the worker to register", [](const auto& s) { return s.workers.size() == 1; });
  // Warm the pass cache for 127.0.0.1: wait out the pregreet once.
  const int fd = connect_from(d.address, nullptr);
  if (fd < 0 || !read_until(fd, "220-bench")) die("no banner from the daemon");
  wait_stats(d, "the first handoff", [](const auto& s) { return s.handed_off == 1; });
  if (::send(fd, "ping\r\n", 6, MSG_NOSIGNAL) != 6 || !read_until(fd, "ping")) die("no echo");
  ::close(fd);
  const auto before = stats(d);
  if (before.cache_entries != 1) die("the pass cache did not take 127.0.0.1");

  std::vector<double> direct_rates, handoff_rates, ratios, direct_lat, handoff_lat;
  long direct_errors = 0, handoff_errors = 0;
  for (int r = 0; r < o.rounds; ++r) {
    // Alternate which mode goes first, so a drift of the machine's load favours neither.
    RoundResult a, b;
    if (r % 2 == 0) {
      a = run_round(direct, o);
      b = run_round(d.address, o);
    } else {
      b = run_round(d.address, o);
      a = run_round(direct, o);
    }
    std::printf("round %d: direct %.0f/s, handoff %.0f/s (%.0f%%)\n", r + 1, a.per_second,
                b.per_second, 100 * b.per_second / a.per_second);
    std::fflush(stdout);
    direct_rates.push_back(a.per_second);
    handoff_rates.push_back(b.per_second);
    ratios.push_back(b.per_second / a.per_second);
    direct_lat.insert(direct_lat.end(), a.latencies.begin(), a.latencies.end());
    handoff_lat.insert(handoff_lat.end(), b.latencies.begin(), b.latencies.end());
    direct_errors += a.errors;
    handoff_errors += b.errors;
  }
  const auto after = stats(d);
  long rejected = 0;
  for (const auto& [reason, count] : after.rejected)
    rejected += static_cast<long>(count);

  const double dp50 = percentile(direct_lat, 0.50), dp99 = percentile(direct_lat, 0.99);
  const double hp50 = percentile(handoff_lat, 0.50), hp99 = percentile(handoff_lat, 0.99);
  std::printf(
      "\n| %d client threads, %d × %.1f s rounds | direct accept | handoff (cache hit) | "
      "handoff / direct |\n|---|---|---|---|\n",
      o.clients, o.rounds, o.seconds);
  std::printf(
      "| connections/s (median of rounds) | %.0f | %.0f | %.0f%% (median of per-round "
      "ratios) |\n",
      median(direct_rates), median(handoff_rates), 100 * median(ratios));
  std::printf("| latency p50 (µs) | %.0f | %.0f | %+.0f µs |\n", dp50, hp50, hp50 - dp50);
  std::printf("| latency p99 (µs) | %.0f | %.0f | %+.0f µs |\n", dp99, hp99, hp99 - dp99);
  std::printf("| failed connections | %ld | %ld | |\n", direct_errors, handoff_errors);
  std::printf("\ndaemon: %llu handed off, %llu cache hits, %ld rejected, %llu re-dispatched\n\n",
              static_cast<unsigned long long>(after.handed_off - before.handed_off),
              static_cast<unsigned long long>(after.cache_hits - before.cache_hits), rejected,
              static_cast<unsigned long long>(after.redispatched));
  stop_children();
}

// Opens connections number first..first+n-1 from distinct addresses 127.B.x.y; returns them.
std::vector<Fd> crowd(const net::InetAddress& to, int b, int first, int n) {
  std::vector<Fd> fds;
  fds.reserve(static_cast<std::size_t>(n));
  for (int i = first; i < first + n; ++i) {
    const std::string source = "127." + std::to_string(b) + "." + std::to_string(i / 250) + "." +
                               std::to_string(i % 250 + 1);
    const int fd = connect_from(to, source.c_str());
    if (fd < 0) die("connect from " + source + ": " + std::strerror(errno));
    fds.emplace_back(fd);
  }
  return fds;
}

void memory(const Options& o, const std::string& dir) {
  const std::string screens =
      "[screen.cache]\nttl_seconds = 3600\nmax_entries = 100000\n"
      "[workers]\nbusy_timeout_ms = 60000\nmax_in_flight = 256\n";
  const std::string banner = "banner = \"220-bench\"\n";
  Daemon d = start_daemon(
      o, dir, std::string(kLogQuiet) + "[screen.pregreet]\nwait_ms = 100\n" + banner + screens, 2);
  spawn([&] { run_worker(d.control, Reply::kClose); });
  wait_stats(d, "the worker to register", [](const auto& s) { return s.workers.size() == 1; });
  const long rss_start = rss_kib(d.pid);

  const int batch = 1000;
  for (int done = 0; done < o.cache_entries; done += batch) {
    // Batches of distinct addresses 127.1.x.y, held until they passed and were handed off.
    const int n = std::min(batch, o.cache_entries - done);
    auto fds = crowd(d.address, 1, done, n);
    const auto want = static_cast<std::uint32_t>(done + n);
    wait_stats(d, "the pass cache to fill",
               [&](const auto& s) { return s.cache_entries >= want && s.screening == 0; });
  }
  const long rss_cached = rss_kib(d.pid);

  write_file(d.config,
             std::string(kLogQuiet) + "[screen.pregreet]\nwait_ms = 600000\n" + banner + screens);
  ::kill(d.pid, SIGHUP);
  wait_stats(d, "the reload", [](const auto& s) { return s.reloads == 1; });
  auto waiting = crowd(d.address, 2, 0, o.pregreet_clients);
  const auto want = static_cast<std::uint32_t>(o.pregreet_clients);
  wait_stats(d, "the crowd in the pregreet wait",
             [&](const auto& s) { return s.screening == want; });
  const long rss_full = rss_kib(d.pid);
  const auto s = stats(d);

  std::printf("| daemon memory | VmRSS (KiB) |\n|---|---|\n");
  std::printf("| started, one worker | %ld |\n", rss_start);
  std::printf("| + %u pass-cache entries | %ld (+%ld) |\n", s.cache_entries, rss_cached,
              rss_cached - rss_start);
  std::printf("| + %u clients in the pregreet wait | %ld (+%ld) |\n", s.screening, rss_full,
              rss_full - rss_cached);
  std::printf("\n");
  waiting.clear();
  stop_children();
}

Options parse(int argc, char** argv) {
  Options o;
  char self[4096] = {};
  if (::readlink("/proc/self/exe", self, sizeof self - 1) > 0) {
    std::string dir = self;
    dir.erase(dir.rfind('/'));
    o.ipckit = dir + "/../tools/ipckit";
  }
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--ipckit")
      o.ipckit = value();
    else if (a == "--seconds")
      o.seconds = std::stod(value());
    else if (a == "--rounds")
      o.rounds = std::stoi(value());
    else if (a == "--clients")
      o.clients = std::stoi(value());
    else if (a == "--cache-entries")
      o.cache_entries = std::stoi(value());
    else if (a == "--pregreet-clients")
      o.pregreet_clients = std::stoi(value());
    else if (a == "--only") {
      const std::string what = value();
      o.throughput = what == "throughput";
      o.memory = what == "memory";
    } else {
      die("unknown option " + a);
    }
  }
  if (o.cache_entries > 250 * 250 || o.pregreet_clients > 250 * 250) die("at most 62500 clients");
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  ::signal(SIGPIPE, SIG_IGN);
  const std::string dir = temp_dir();
  g_main = ::getpid();
  std::atexit(stop_children);
  if (o.throughput) throughput(o, dir);
  if (o.memory) memory(o, dir);
  if (std::getenv("IPCKIT_BENCH_KEEP") == nullptr) {
    std::filesystem::remove_all(dir);
  } else {
    std::printf("kept %s\n", dir.c_str());
  }
  return 0;
}
