// ipckit-shared-state-bench: how much readers that pin buffers hold the shared-state writer back.
//
//   build/default/bench/ipckit-shared-state-bench [--seconds S] [--table-mib M]
//
// One writer (this process) rewrites a table of M MiB (default 64) as fast as it can for S
// seconds (default 2) per scenario, while 0, 1 or 3 reader processes take snapshots in a loop.
// A "brief" reader reads one word per snapshot; a "scan" reader reads the whole table per
// snapshot, so it pins one version for as long as a 64 MiB read takes. Printed per scenario:
// versions published per second, the share of the writer's time spent waiting in begin() for a
// buffer no reader pins, and the readers' mean time per snapshot. All scenarios run in one go,
// so ratios between rows are meaningful on a noisy machine; absolute numbers are not. Every
// buffer is written once, and everything runs for 2 s, before the clock starts: first-touch
// page faults are not measured.
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "ipckit/shared_state.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using ipckit::SharedState;
using ipckit::SharedStateOptions;
using ipckit::SharedStateReader;
using ipckit::SharedStateWriter;
using ipckit::shared_state::Prefill;

enum class Hold { kBrief, kScan };

struct ReaderStats {
  std::atomic<std::uint64_t> snapshots{0};
  std::atomic<std::uint64_t> nanoseconds{0};
  std::atomic<std::uint64_t> checksum{0};  // keeps the scan from being optimised away
};
struct Board {
  std::atomic<bool> stop{false};
  std::atomic<bool> measuring{false};  // readers count only once the warm-up is over
  std::atomic<int> ready{0};
  ReaderStats readers[3];
};

int read_loop(const std::string& name, Hold hold, Board& board, ReaderStats& stats) {
  auto reader = SharedStateReader::open(name);
  if (!reader) return 1;
  board.ready.fetch_add(1);
  std::uint64_t sum = 0;
  while (!board.stop.load(std::memory_order_relaxed)) {
    const auto start = Clock::now();
    auto snap = reader->snapshot();
    if (!snap) return 2;
    const auto* words = reinterpret_cast<const std::uint64_t*>(snap->table().data());
    const std::size_t n = hold == Hold::kScan ? snap->table().size() / 8 : 1;
    for (std::size_t i = 0; i < n; ++i)
      sum += words[i];
    if (!board.measuring.load(std::memory_order_relaxed)) continue;
    stats.nanoseconds += static_cast<std::uint64_t>((Clock::now() - start).count());
    ++stats.snapshots;
  }
  stats.checksum = sum;
  return 0;
}

struct Row {
  double versions_per_second;
  double waiting_share;
  double snapshot_us;
};

Row run(std::size_t table, std::uint32_t buffers, int readers, Hold hold, double seconds) {
  const std::string name = "ipckit-bench-state-" + std::to_string(::getpid());
  auto w = SharedStateWriter::create(name, table, {.buffers = buffers});
  if (!w) {
    std::fprintf(stderr, "create: %s\n", w.error().message().c_str());
    std::exit(1);
  }
  // Touch every buffer once before measuring: on a VM the first write to a page can cost tens
  // of microseconds (the host backs it then), 2 s for 64 MiB here, and would swamp the rest.
  for (std::uint32_t i = 0; i < buffers; ++i)
    (void)w->update(
        [](std::span<std::byte> t, std::uint64_t) { std::memset(t.data(), 0, t.size()); },
        Prefill::kNone);
  auto* board = static_cast<Board*>(
      ::mmap(nullptr, sizeof(Board), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  new (board) Board{};
  std::vector<pid_t> children;
  for (int i = 0; i < readers; ++i) {
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    if (pid == 0) ::_exit(read_loop(name, hold, *board, board->readers[i]));
    children.push_back(pid);
  }
  while (board->ready.load() < readers)
    std::this_thread::yield();

  const auto fill = [](std::span<std::byte> t, std::uint64_t v) {
    std::memset(t.data(), static_cast<int>(v & 0xff), t.size());
  };
  // Warm-up: every reader maps and reads each buffer a few times (its first touches of the
  // mapping are page faults too).
  const auto warm_end = Clock::now() + std::chrono::seconds(2);
  while (Clock::now() < warm_end) {
    auto draft = w->begin(Prefill::kNone, std::chrono::seconds(30));
    if (!draft) break;
    fill(draft->table(), draft->version());
    if (!std::move(*draft).commit()) break;
  }
  board->measuring.store(true);
  std::uint64_t versions = 0;
  Clock::duration waiting{};
  const auto start = Clock::now();
  const auto end =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  while (Clock::now() < end) {
    const auto before = Clock::now();
    auto draft = w->begin(Prefill::kNone, std::chrono::seconds(30));
    waiting += Clock::now() - before;
    if (!draft) {
      std::fprintf(stderr, "begin: %s\n", draft.error().message().c_str());
      break;
    }
    fill(draft->table(), draft->version());
    if (!std::move(*draft).commit()) break;
    ++versions;
  }
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  board->stop.store(true);
  for (pid_t pid : children)
    ::waitpid(pid, nullptr, 0);

  std::uint64_t snapshots = 0, ns = 0;
  for (int i = 0; i < readers; ++i) {
    snapshots += board->readers[i].snapshots.load();
    ns += board->readers[i].nanoseconds.load();
  }
  ::munmap(board, sizeof(Board));
  (void)SharedState::unlink(name);
  return {static_cast<double>(versions) / elapsed,
          std::chrono::duration<double>(waiting).count() / elapsed,
          snapshots == 0 ? 0.0 : static_cast<double>(ns) / static_cast<double>(snapshots) / 1e3};
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 2;
  std::size_t table_mib = 64;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--seconds") == 0) seconds = std::atof(argv[i + 1]);
    if (std::strcmp(argv[i], "--table-mib") == 0)
      table_mib = std::strtoul(argv[i + 1], nullptr, 10);
  }
  const std::size_t table = table_mib << 20;
  std::printf("| buffers | readers | each snapshot | versions/s | writer waiting | snapshot |\n");
  std::printf("|---:|---:|---|---:|---:|---:|\n");
  for (std::uint32_t buffers : {3u, 5u}) {
    for (int readers : {0, 1, 3}) {
      for (Hold hold : {Hold::kBrief, Hold::kScan}) {
        if (readers == 0 && hold == Hold::kScan) continue;
        const Row r = run(table, buffers, readers, hold, seconds);
        std::printf("| %u | %d | %s | %.1f | %.0f %% | %s |\n", buffers, readers,
                    readers == 0          ? "-"
                    : hold == Hold::kScan ? "scans the table"
                                          : "reads one word",
                    r.versions_per_second, 100 * r.waiting_share,
                    readers == 0
                        ? "-"
                        : (std::to_string(static_cast<long>(r.snapshot_us)) + " us").c_str());
        std::fflush(stdout);
      }
    }
  }
  return 0;
}
