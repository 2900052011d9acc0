#include "harness/runner.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "harness/round_loops.hpp"

namespace ipckit::bench {
namespace {

using detail::ChildReport;
using detail::Clock;
using detail::RoundPlan;

// The parent's view of one forked process of the round.
struct Child {
  std::string name;  // "A", "A1", "B": used in errors
  pid_t pid = -1;
  int report_fd = -1;    // read end of the child's report pipe
  ChildReport report;    // the last complete report
  std::size_t have = 0;  // bytes of the report being read
  bool ready = false, finished = false, gone = false;
};

void write_report(int fd, const ChildReport& report) {
  const char* p = reinterpret_cast<const char*>(&report);
  std::size_t left = sizeof report;
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the parent is gone: nobody to tell
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

// In a freshly forked process: die with the parent (a killed `ipckit bench` leaves nothing).
void die_with_parent(pid_t parent) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(125);
}

// The body of a forked round process. Never returns.
[[noreturn]] void child_main(Link& link, const RoundPlan& plan, Role role, int index, int cpu,
                             int go_fd, int report_fd, const std::string& name) {
  ChildReport report;
  try {
    if (cpu >= 0) {
      if (auto pinned = pin_to_cpu(cpu); !pinned) {
        report.fail(name + ": " + pinned.error().message());
        write_report(report_fd, report);
        ::_exit(0);
      }
    }
    auto endpoint = link.open(role, index);
    if (!endpoint) {
      report.fail(name + ": " + endpoint.error().message());
      write_report(report_fd, report);
      ::_exit(0);
    }
    detail::LatencyBuffers buffers;
    const bool latency = plan.cell->test == Test::kLatency;
    if (latency && role == Role::kA) buffers = detail::prepare_latency(plan);
    ChildReport ready;
    ready.kind = ChildReport::kReady;
    write_report(report_fd, ready);
    // The round's one start time, the same for every child: each child's warm-up and measured
    // interval are counted from it, so a child the scheduler runs late does not shift its own
    // (B finding the warm-up over only at A's last message would measure nothing). EOF without
    // a stamp: the round is being abandoned, and this child is killed soon.
    std::int64_t stamp = 0;
    ssize_t r;
    while ((r = ::read(go_fd, &stamp, sizeof stamp)) < 0 && errno == EINTR) {
    }
    ::close(go_fd);
    const Clock::time_point go = r == static_cast<ssize_t>(sizeof stamp)
                                     ? Clock::time_point(Clock::duration(stamp))
                                     : Clock::now();
    if (latency) {
      if (role == Role::kA)
        detail::run_latency_a(**endpoint, plan, buffers, go, report);
      else
        detail::run_latency_b(**endpoint, plan, go, report);
    } else {
      if (role == Role::kA)
        detail::run_throughput_a(**endpoint, plan, index, go, report);
      else
        detail::run_throughput_b(**endpoint, plan, go, report);
    }
    endpoint->reset();  // flushes and closes before the report says the role is done
  } catch (const std::exception& e) {
    report.fail(name + ": " + e.what());
  } catch (...) {
    report.fail(name + ": an unknown exception");
  }
  report.kind = ChildReport::kFinal;
  write_report(report_fd, report);
  ::_exit(0);
}

std::string describe_status(int status) {
  if (WIFSIGNALED(status))
    return fmt::format("killed by signal {} ({})", WTERMSIG(status), ::strsignal(WTERMSIG(status)));
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  return "stopped";
}

// Reads what `child` wrote; returns false when it has nothing more to say (EOF or error).
bool drain(Child& child) {
  for (;;) {
    char* into = reinterpret_cast<char*>(&child.report) + child.have;
    const ssize_t n = ::read(child.report_fd, into, sizeof child.report - child.have);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return true;
    if (n <= 0) return false;
    child.have += static_cast<std::size_t>(n);
    if (child.have < sizeof child.report) continue;
    child.have = 0;
    if (child.report.kind == ChildReport::kReady) child.ready = true;
    if (child.report.kind == ChildReport::kFinal || child.report.failed) {
      child.finished = true;
      return true;
    }
  }
}

// Owns the round's processes and descriptors: whatever happens, every child is killed and
// reaped and every descriptor closed when this goes out of scope.
class Round {
 public:
  ~Round() {
    for (auto& c : children_) {
      if (c.pid > 0 && !c.gone) ::kill(c.pid, SIGKILL);
    }
    if (spinner_ > 0) ::kill(spinner_, SIGKILL);
    for (auto& c : children_) {
      if (c.pid > 0 && !c.gone) reap(c.pid);
      if (c.report_fd >= 0) ::close(c.report_fd);
    }
    if (spinner_ > 0) reap(spinner_);
    close_go();
    if (go_read_ >= 0) ::close(go_read_);
  }

  Result<void> open_go() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return fail_errno("pipe2", "go pipe");
    go_read_ = fds[0];
    go_write_ = fds[1];
    return {};
  }
  // Gives every child the same start time (one 8-byte stamp each, in one write: the pipe is
  // empty and the write below PIPE_BUF, so it is whole), then closes the pipe.
  void start_go() {
    if (go_write_ < 0) return;
    const std::vector<std::int64_t> stamps(children_.size(),
                                           Clock::now().time_since_epoch().count());
    (void)!::write(go_write_, stamps.data(), stamps.size() * sizeof(std::int64_t));
    close_go();
  }
  void close_go() {
    if (go_write_ >= 0) ::close(go_write_);
    go_write_ = -1;
  }

  // `cpu` < 0: unpinned.
  Result<void> spawn(Link& link, const RoundPlan& plan, Role role, int index, int cpu,
                     std::string name) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return fail_errno("pipe2", "report pipe of " + name);
    const pid_t parent = ::getpid();
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) {
      const int e = errno;
      ::close(fds[0]);
      ::close(fds[1]);
      return fail(e, "fork", name);
    }
    if (pid == 0) {
      die_with_parent(parent);
      ::close(fds[0]);
      ::close(go_write_);
      for (auto& c : children_)
        ::close(c.report_fd);
      child_main(link, plan, role, index, cpu, go_read_, fds[1], name);
    }
    ::close(fds[1]);
    ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
    Child child;
    child.name = std::move(name);
    child.pid = pid;
    child.report_fd = fds[0];
    children_.push_back(std::move(child));
    return {};
  }

  // A process that keeps `cpu` (or, unpinned, some CPU) busy until the round ends.
  Result<void> spawn_spinner(int cpu) {
    const pid_t parent = ::getpid();
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) return fail_errno("fork", "busy-cpu spinner");
    if (pid == 0) {
      die_with_parent(parent);
      ::close(go_read_);
      ::close(go_write_);
      if (cpu >= 0) (void)pin_to_cpu(cpu);
      for (;;) {
        asm volatile("" ::: "memory");
      }
    }
    spinner_ = pid;
    return {};
  }

  // Waits for every child to report ready, starts them together, and waits for their final
  // reports. Returns the round's error, or "" when every child finished.
  std::string supervise(Clock::time_point deadline, std::chrono::seconds limit) {
    std::vector<pollfd> fds;
    for (;;) {
      bool all_ready = true, all_finished = true;
      for (auto& c : children_) {
        if (c.finished && c.report.failed) return c.report.error;
        all_ready = all_ready && c.ready;
        all_finished = all_finished && c.finished;
      }
      if (all_finished) return {};
      if (all_ready) start_go();

      fds.clear();
      for (auto& c : children_)
        if (!c.finished) fds.push_back({c.report_fd, POLLIN, 0});
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return timed_out(limit);
      const int n = ::poll(fds.data(), fds.size(), static_cast<int>(left.count()));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return fmt::format("poll: {}", std::strerror(errno));
      if (n == 0) return timed_out(limit);
      for (auto& c : children_) {
        if (c.finished) continue;
        if (drain(c) || c.finished) continue;
        // EOF without a final report: the child died (or closed its report pipe).
        return fmt::format("{} {}", c.name, died(c));
      }
    }
  }

 private:
  static int reap(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return status;
  }

  std::string died(Child& c) {
    // Its pipe closed: it is exiting. Give it up to a second to be reapable.
    for (int i = 0; i < 1000; ++i) {
      int status = 0;
      const pid_t r = ::waitpid(c.pid, &status, WNOHANG);
      if (r == c.pid) {
        c.gone = true;
        return fmt::format("died before finishing the round: {}", describe_status(status));
      }
      if (r < 0) break;
      ::usleep(1000);
    }
    return "closed its report pipe before finishing the round";
  }

  std::string timed_out(std::chrono::seconds limit) const {
    std::string running;
    for (const auto& c : children_) {
      if (c.finished) continue;
      running += running.empty() ? "" : ", ";
      running += c.name;
    }
    return fmt::format("timed out after {} s (still running: {})", limit.count(), running);
  }

  std::vector<Child> children_;
  pid_t spinner_ = -1;
  int go_read_ = -1, go_write_ = -1;

 public:
  const std::vector<Child>& children() const { return children_; }
};

RoundResult failed(std::string error) {
  RoundResult r;
  r.error = std::move(error);
  return r;
}

}  // namespace

RoundResult run_link_round(const LinkFactory& make_link, const Cell& cell,
                           const RoundOptions& options) {
  if (cell.size < 8) return failed(fmt::format("message size {} is below 8 bytes", cell.size));
  if (cell.producers < 1 || cell.producers > 255)
    return failed(fmt::format("{} producers: must be 1 to 255", cell.producers));
  if (cell.test == Test::kLatency && cell.producers != 1)
    return failed("latency is measured with exactly one producer");

  const Clock::time_point deadline = Clock::now() + options.deadline;
  auto link = make_link(cell);
  if (!link) return failed("setup: " + link.error().message());

  const MessageFormat data(cell.size, cell.producers);
  const MessageFormat reply(cell.size, 2);
  RoundPlan plan;
  plan.cell = &cell;
  plan.data = &data;
  plan.reply = &reply;
  plan.duration = options.duration;
  plan.warmup = detail::warmup_for(options.duration);

  std::string error;
  RoundResult result;
  {
    Round round;
    if (auto go = round.open_go(); !go) return failed(go.error().message());
    const int cpu_a = options.cpus ? options.cpus->first : -1;
    const int cpu_b = options.cpus ? options.cpus->second : -1;
    if (cell.load == Load::kBusyCpu) {
      if (auto s = round.spawn_spinner(cpu_b); !s) return failed(s.error().message());
    }
    if (auto b = round.spawn(**link, plan, Role::kB, 0, cpu_b, "B"); !b)
      return failed(b.error().message());
    for (int i = 0; i < cell.producers; ++i) {
      std::string name = cell.producers > 1 ? fmt::format("A{}", i) : "A";
      if (auto a = round.spawn(**link, plan, Role::kA, i, cpu_a, std::move(name)); !a)
        return failed(a.error().message());
    }
    error = round.supervise(deadline, options.deadline);
    if (error.empty()) {
      const ChildReport& b = round.children().front().report;
      result.messages = b.messages;
      if (cell.test == Test::kLatency) {
        const ChildReport& a = round.children()[1].report;
        result.samples = a.samples;
        result.p50_ns = a.p50_ns;
        result.p99_ns = a.p99_ns;
        result.p999_ns = a.p999_ns;
        result.max_ns = a.max_ns;
      } else if (b.interval_ns <= 0 || b.measured == 0) {
        error = "B received no message in the measured interval";
      } else {
        const double seconds = static_cast<double>(b.interval_ns) / 1e9;
        result.msgs_per_s = static_cast<double>(b.measured) / seconds;
        result.bytes_per_s = result.msgs_per_s * static_cast<double>(cell.size);
      }
    }
  }  // every child killed and reaped here, before the Link removes its objects
  link->reset();
  if (!error.empty()) return failed(std::move(error));
  result.verified = true;
  return result;
}

Result<void> pin_to_cpu(int cpu) {
  if (cpu < 0 || cpu >= CPU_SETSIZE)
    return fail(EINVAL, "sched_setaffinity", fmt::format("CPU {}", cpu), "no such CPU");
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(static_cast<std::size_t>(cpu), &set);
  if (::sched_setaffinity(0, sizeof set, &set) != 0)
    return fail_errno("sched_setaffinity", fmt::format("CPU {}", cpu));
  return {};
}

std::optional<std::pair<int, int>> default_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) != 0) return std::nullopt;
  std::vector<int> cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
    if (CPU_ISSET(static_cast<std::size_t>(cpu), &set)) cpus.push_back(cpu);
  if (cpus.size() < 2) return std::nullopt;
  return std::pair{cpus[cpus.size() - 2], cpus[cpus.size() - 1]};
}

Mechanism link_mechanism(std::string name, std::string note, LinkFactory make,
                         std::function<std::optional<std::string>(const Cell&)> cannot) {
  Mechanism m;
  m.name = std::move(name);
  m.modes = {"default"};
  m.tests = {Test::kLatency, Test::kThroughput};
  m.max_producers = 1;
  m.note = std::move(note);
  m.cannot = cannot ? std::move(cannot)
                    : [](const Cell&) -> std::optional<std::string> { return std::nullopt; };
  m.run = [make = std::move(make)](const Cell& cell, const RoundOptions& options) {
    return run_link_round(make, cell, options);
  };
  return m;
}

}  // namespace ipckit::bench
