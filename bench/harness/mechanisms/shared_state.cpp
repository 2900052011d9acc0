// The shared state in `ipckit bench` (docs/bench.md, "shared-state"): what a reader pays for a
// consistent snapshot while the writer keeps republishing. Not a message between processes, so
// it has its own round instead of run_link_round():
//
//   A (the writer) republishes a table of `size` bytes as fast as it can: version v is
//     MessageFormat's message v (a stamp at both ends, a shifting body).
//   B (the reader) takes snapshots in a loop. Every snapshot is checked: its version is never
//     older than the one before, and its table is exactly what the writer wrote for that version
//     (a mixed or torn snapshot fails the round).
//   latency rows: the time of one snapshot as a reader uses it, taken, its table copied out
//     (every byte read once) and released; the check runs outside the timed part. p50/p99/...
//     are over every snapshot of the round, not round trip / 2.
//   throughput rows: snapshots per second at B, each one checked (bytes/s = snapshots x size),
//     like a receiver that checks every message.
//
// Processes: the parent creates the object, forks A and B (pinned like link rounds, plus the
// busy-cpu spinner on B's CPU), kills whatever still runs at the deadline, and unlinks the
// object before returning.
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <new>
#include <thread>
#include <vector>

#include <fmt/core.h>

#include "harness/janitor.hpp"
#include "harness/mechanism.hpp"
#include "harness/mechanisms/shared_state_mechanism.hpp"
#include "harness/message_format.hpp"
#include "harness/runner.hpp"
#include "ipckit/shared_state.hpp"

namespace ipckit::bench {
namespace {

using Clock = std::chrono::steady_clock;
using shared_state::Prefill;
using shared_state::SharedState;
using shared_state::SharedStateReader;
using shared_state::SharedStateWriter;

// What the processes of one round share (an anonymous shared mapping made before fork()).
struct Board {
  std::atomic<int> ready{0};               // processes that opened their end
  std::atomic<bool> go{false};             // set by B once both are ready
  std::atomic<bool> stop{false};           // set by B at the end of the round
  std::atomic<std::uint64_t> versions{0};  // published by A during the round
  // B's figures, written before it exits 0 (plain words: RoundResult holds a string).
  std::int64_t p50_ns = 0, p99_ns = 0, p999_ns = 0, max_ns = 0;
  std::uint64_t samples = 0, snapshots = 0;
  double msgs_per_s = 0;
  char error[256] = {};  // the first failure of A or B
};

void set_error(Board& board, const std::string& what) {
  if (board.error[0] != '\0') return;
  std::snprintf(board.error, sizeof board.error, "%s", what.c_str());
}

int writer_main(const std::string& name, const Cell& cell, Board& board) {
  auto writer = SharedStateWriter::open(name);
  if (!writer) {
    set_error(board, "writer: " + writer.error().message());
    return 1;
  }
  const MessageFormat format(cell.size);
  board.ready.fetch_add(1);
  while (!board.go.load(std::memory_order_acquire)) {
    if (board.stop.load()) return 0;
    std::this_thread::yield();
  }
  std::uint64_t published = 0;
  while (!board.stop.load(std::memory_order_relaxed)) {
    auto draft = writer->begin(Prefill::kNone, std::chrono::seconds(10));
    if (!draft) {
      set_error(board, "writer: " + draft.error().message());
      return 1;
    }
    format.fill(draft->table(), 0, draft->version());
    if (auto done = std::move(*draft).commit(); !done) {
      set_error(board, "writer: " + done.error().message());
      return 1;
    }
    ++published;
  }
  board.versions.store(published);
  return 0;
}

std::int64_t percentile(std::vector<std::int64_t>& sorted, double q) {
  if (sorted.empty()) return 0;
  const auto i = static_cast<std::size_t>(q * static_cast<double>(sorted.size() - 1));
  return sorted[i];
}

int reader_main(const std::string& name, const Cell& cell, const RoundOptions& options,
                Board& board) {
  auto reader = SharedStateReader::open(name);
  if (!reader) {
    set_error(board, "reader: " + reader.error().message());
    return 1;
  }
  const MessageFormat format(cell.size);
  std::vector<std::byte> copy(cell.size), expected(cell.size);
  board.ready.fetch_add(1);
  while (board.ready.load() < 2) {
    if (board.error[0] != '\0') return 1;
    std::this_thread::yield();
  }
  board.go.store(true, std::memory_order_release);
  // Wait for the first version the writer publishes (version 0 is the all-zero table).
  if (auto first = reader->wait_newer(0, std::chrono::seconds(10)); !first) {
    set_error(board, "reader: no version published: " + first.error().message());
    return 1;
  }
  const bool latency = cell.test == Test::kLatency;
  std::vector<std::int64_t> samples;
  std::uint64_t snapshots = 0, last_version = 0;
  const auto warm_up = std::max(options.duration / 10, std::chrono::milliseconds(5));
  const auto start = Clock::now() + warm_up;
  const auto end = start + options.duration;
  // The check: never older than the last snapshot, and exactly the writer's version.
  auto check = [&](std::span<const std::byte> table, std::uint64_t version) {
    if (version < last_version) {
      set_error(board,
                fmt::format("snapshot of version {} after version {}", version, last_version));
      return false;
    }
    last_version = version;
    format.fill(expected, 0, version);
    if (table.size() != cell.size || std::memcmp(table.data(), expected.data(), cell.size) != 0) {
      set_error(board, fmt::format("snapshot of version {} is not what the writer wrote (a mixed "
                                   "or torn table)",
                                   version));
      return false;
    }
    return true;
  };
  // At least one measured snapshot, however loaded the machine (the round's deadline bounds it).
  while (Clock::now() < end || snapshots == 0) {
    const auto t0 = Clock::now();
    std::uint64_t version = 0;
    {
      auto snap = reader->snapshot();
      if (!snap) {
        set_error(board, "reader: " + snap.error().message());
        return 1;
      }
      version = snap->version();
      if (latency)
        std::memcpy(copy.data(), snap->table().data(), snap->table().size());
      else if (!check(snap->table(), version))
        return 1;
    }  // released
    const auto t1 = Clock::now();
    if (latency && !check(copy, version)) return 1;
    if (t0 < start) continue;  // warm-up
    ++snapshots;
    if (latency)
      samples.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count());
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  board.stop.store(true);
  board.snapshots = snapshots;
  if (latency) {
    std::sort(samples.begin(), samples.end());
    board.samples = samples.size();
    board.p50_ns = percentile(samples, 0.5);
    board.p99_ns = percentile(samples, 0.99);
    board.p999_ns = percentile(samples, 0.999);
    board.max_ns = samples.empty() ? 0 : samples.back();
  } else {
    board.msgs_per_s = static_cast<double>(snapshots) / seconds;
  }
  return 0;
}

// Forks a process that runs `body` (pinned to `cpu` if any) and exits with its status.
template <class Body>
pid_t spawn(std::optional<int> cpu, Body&& body) {
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  if (cpu && !pin_to_cpu(*cpu)) ::_exit(3);
  ::_exit(body());
}

std::string describe_status(std::string_view who, int status) {
  if (WIFSIGNALED(status)) return fmt::format("{} killed by signal {}", who, WTERMSIG(status));
  return fmt::format("{} exited with status {}", who, WEXITSTATUS(status));
}

}  // namespace

RoundResult run_shared_state_round(const Cell& cell, const RoundOptions& options) {
  RoundResult failed;
  if (cell.size < 8) {
    failed.error = "shared-state: size below 8 bytes";
    return failed;
  }
  static std::atomic<unsigned> counter{0};
  const std::string name = fmt::format("ipckit-bench-{}-{}-state", ::getpid(), counter++);
  {
    // Created here (the layout fixed), the writer role given back at once: A takes it.
    janitor::remember(janitor::Kind::kPosixShm, "/" + name);
    auto made = SharedStateWriter::create(name, cell.size, {.buffers = 3, .max_readers = 4});
    if (!made) {
      janitor::forget(janitor::Kind::kPosixShm, "/" + name);
      failed.error = "shared-state: " + made.error().message();
      return failed;
    }
  }
  void* mem =
      ::mmap(nullptr, sizeof(Board), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) {
    (void)SharedState::unlink(name);
    janitor::forget(janitor::Kind::kPosixShm, "/" + name);
    failed.error = "shared-state: mmap: " + std::string(std::strerror(errno));
    return failed;
  }
  Board& board = *new (mem) Board{};
  std::optional<int> cpu_a, cpu_b;
  if (options.cpus) {
    cpu_a = options.cpus->first;
    cpu_b = options.cpus->second;
  }
  std::vector<pid_t> children;
  pid_t spinner = -1;
  if (cell.load == Load::kBusyCpu) {
    spinner = spawn(cpu_b, [] {
      for (;;) {
      }
      return 0;
    });
  }
  const pid_t writer = spawn(cpu_a, [&] { return writer_main(name, cell, board); });
  const pid_t reader = spawn(cpu_b, [&] { return reader_main(name, cell, options, board); });
  // Reap both, or kill them at the deadline.
  const auto deadline = Clock::now() + options.deadline;
  int writer_status = 0, reader_status = 0;
  bool writer_done = false, reader_done = false, timed_out = false;
  while (!(writer_done && reader_done)) {
    if (!writer_done && ::waitpid(writer, &writer_status, WNOHANG) == writer) writer_done = true;
    if (!reader_done && ::waitpid(reader, &reader_status, WNOHANG) == reader) {
      reader_done = true;
      board.stop.store(true);  // a failed reader must not leave the writer running
    }
    if (Clock::now() > deadline && !timed_out) {
      timed_out = true;
      if (!writer_done) ::kill(writer, SIGKILL);
      if (!reader_done) ::kill(reader, SIGKILL);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (spinner > 0) {
    ::kill(spinner, SIGKILL);
    ::waitpid(spinner, nullptr, 0);
  }
  RoundResult result;
  if (timed_out) {
    result.error = fmt::format("timed out after {} s", options.deadline.count());
  } else if (board.error[0] != '\0') {
    result.error = board.error;
  } else if (!WIFEXITED(reader_status) || WEXITSTATUS(reader_status) != 0) {
    result.error = describe_status("reader", reader_status);
  } else if (!WIFEXITED(writer_status) || WEXITSTATUS(writer_status) != 0) {
    result.error = describe_status("writer", writer_status);
  } else if (board.snapshots == 0) {
    result.error = "reader: no snapshot in the round";
  } else {
    result.verified = true;  // every snapshot was checked whole
    result.messages = board.snapshots;
    result.samples = board.samples;
    result.p50_ns = board.p50_ns;
    result.p99_ns = board.p99_ns;
    result.p999_ns = board.p999_ns;
    result.max_ns = board.max_ns;
    result.msgs_per_s = board.msgs_per_s;
    result.bytes_per_s = board.msgs_per_s * static_cast<double>(cell.size);
  }
  board.~Board();
  ::munmap(mem, sizeof(Board));
  if (auto removed = SharedState::unlink(name); !removed && result.error.empty())
    result.error = "shared-state: " + removed.error().message();
  janitor::forget(janitor::Kind::kPosixShm, "/" + name);
  return result;
}

Mechanism shared_state_mechanism() {
  Mechanism m;
  m.name = "shared-state";
  m.modes = {"default"};
  m.tests = {Test::kLatency, Test::kThroughput};
  m.note =
      "snapshot cost while a writer republishes a table of SIZE bytes: latency = one snapshot "
      "taken, copied out and released at the reader (not round trip / 2); throughput = checked "
      "snapshots per second; every snapshot checked whole against its version";
  m.cannot = [](const Cell& cell) -> std::optional<std::string> {
    if (cell.producers > 1) return "one writer only";
    return std::nullopt;
  };
  m.run = run_shared_state_round;
  return m;
}

}  // namespace ipckit::bench
