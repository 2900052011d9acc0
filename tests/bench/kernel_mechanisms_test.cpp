// The kernel mechanisms of `ipckit bench` (bench/harness/mechanisms/kernel_*.cpp, fd_passing.cpp):
// each runs a short verified round of each test it claims, sizes the machine cannot carry are
// marked with the limit that stops them, and a round leaves nothing behind.
//
// No test asserts a speed: rounds are short and only their verification and shape are checked.
#include <dirent.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "bench/verified_round.hpp"
#include "harness/mechanism.hpp"
#include "harness/runner.hpp"
#include "support/child.hpp"

namespace ipckit::bench {
namespace {

const std::vector<std::string> kKernelNames = {
    "pipe",     "fifo",     "unix-stream",  "unix-dgram",      "unix-seqpacket", "tcp",
    "sysv-msg", "posix-mq", "sysv-shm-sem", "posix-shm-futex", "shm-spin",       "fd-passing"};

// Unpinned and long enough that a round completes on a loaded machine (ctest runs in parallel;
// a pinned process may wait behind others on its CPU). Nothing here measures.
RoundOptions short_round() {
  RoundOptions options;
  options.duration = std::chrono::milliseconds(200);
  options.cpus = std::nullopt;
  options.deadline = std::chrono::seconds(60);
  return options;
}

Cell cell_for(const Mechanism& m, Test test, std::size_t size) {
  Cell cell;
  cell.mechanism = m.name;
  cell.mode = m.modes.front();
  cell.test = test;
  cell.size = size;
  return cell;
}

// Entries of `dir` whose name starts with `prefix`.
std::vector<std::string> entries_with_prefix(const std::string& dir, const std::string& prefix) {
  std::vector<std::string> found;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return found;
  while (dirent* e = ::readdir(d)) {
    const std::string name = e->d_name;
    if (name.starts_with(prefix)) found.push_back(dir + "/" + name);
  }
  ::closedir(d);
  return found;
}

// Lines of a /proc/sysvipc table after its header: one per object in this IPC namespace.
int sysv_objects(const std::string& table) {
  std::ifstream in("/proc/sysvipc/" + table);
  std::string line;
  int count = -1;  // the header
  while (std::getline(in, line))
    if (!line.empty()) ++count;
  return std::max(count, 0);
}

TEST(BenchKernelMechanisms, ListsEveryKernelMechanismInTableOrder) {
  const auto all = kernel_mechanisms();
  std::vector<std::string> names;
  for (const auto& m : all)
    names.push_back(m.name);
  EXPECT_EQ(names, kKernelNames);
  for (const auto& m : all) {
    SCOPED_TRACE(m.name);
    EXPECT_EQ(m.modes, std::vector<std::string>{"default"});
    EXPECT_EQ(m.tests, (std::vector<bench::Test>{bench::Test::kLatency, bench::Test::kThroughput}));
    EXPECT_EQ(m.max_producers, 1);
    EXPECT_FALSE(m.note.empty());
    ASSERT_TRUE(m.cannot);
    ASSERT_TRUE(m.run);
  }
}

TEST(BenchKernelMechanisms, EachRunsAVerifiedRoundOfEachTestAtSmallAndLargeSizes) {
  for (const auto& m : kernel_mechanisms()) {
    for (const bench::Test test : m.tests) {
      // 64 KiB: a message larger than a pipe's buffer arrives in several reads; it must still
      // be whole at receive().
      for (const std::size_t size : {std::size_t{8}, std::size_t{65536}}) {
        const Cell cell = cell_for(m, test, size);
        SCOPED_TRACE(m.name + " " + std::string(test_name(test)) + " " + std::to_string(size));
        if (auto why = m.cannot(cell)) {
          EXPECT_GT(size, 8192u) << "only large sizes may be out of reach: " << *why;
          continue;
        }
        testing::expect_verified_round(m.run(cell, short_round()), cell);
      }
    }
  }
}

const Mechanism& find(const std::vector<Mechanism>& all, const std::string& name) {
  return *std::find_if(all.begin(), all.end(), [&](const Mechanism& m) { return m.name == name; });
}

TEST(BenchKernelMechanisms, MarksSizesAboveTheMachinesLimitsWithTheLimit) {
  const auto all = kernel_mechanisms();
  for (const auto& m : all)
    EXPECT_EQ(m.cannot(cell_for(m, bench::Test::kLatency, 64)), std::nullopt) << m.name;

  long msgmax = 0;
  std::ifstream("/proc/sys/kernel/msgmax") >> msgmax;
  ASSERT_GT(msgmax, 0);
  const auto& sysv_msg = find(all, "sysv-msg");
  const auto why_msg = sysv_msg.cannot(
      cell_for(sysv_msg, bench::Test::kLatency, static_cast<std::size_t>(msgmax) + 1));
  ASSERT_TRUE(why_msg.has_value());
  EXPECT_NE(why_msg->find("kernel.msgmax = " + std::to_string(msgmax)), std::string::npos)
      << *why_msg;

  // Above the kernel's hard 16 MiB, with or without CAP_SYS_RESOURCE.
  const auto& mq = find(all, "posix-mq");
  const auto why_mq = mq.cannot(cell_for(mq, bench::Test::kLatency, (std::size_t{16} << 20) + 1));
  ASSERT_TRUE(why_mq.has_value());
  EXPECT_NE(why_mq->find("posix-mq"), std::string::npos) << *why_mq;

  // SO_SNDBUF can be at most twice net.core.wmem_max, and a message must fit in it.
  long wmem_max = 0;
  std::ifstream("/proc/sys/net/core/wmem_max") >> wmem_max;
  ASSERT_GT(wmem_max, 0);
  for (const char* name : {"unix-dgram", "unix-seqpacket", "fd-passing"}) {
    const auto& m = find(all, name);
    const auto why =
        m.cannot(cell_for(m, bench::Test::kThroughput, 2 * static_cast<std::size_t>(wmem_max) + 1));
    ASSERT_TRUE(why.has_value()) << name;
    EXPECT_NE(why->find("SO_SNDBUF"), std::string::npos) << *why;
    EXPECT_NE(why->find("net.core.wmem_max = " + std::to_string(wmem_max)), std::string::npos)
        << *why;
  }
}

// Exit codes of the child below.
constexpr int kClean = 0, kNoNamespace = 3, kRoundFailed = 4, kSysvLeft = 5, kNamesLeft = 6;

TEST(BenchKernelMechanisms, RoundsAndProbesLeaveNoObjectBehind) {
  char dir_template[] = "/tmp/ipckit-bench-kernel-test-XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  const std::string fifo_dir = dir_template;

  // The rounds run in a child with its own IPC namespace, so every System V object that exists
  // there afterwards is one the rounds left; POSIX shm and mqueue names and FIFOs are looked for
  // under the child's pid (unique_name) and in its TMPDIR.
  test::Child child([&] {
    const bool own_namespace = ::unshare(CLONE_NEWIPC) == 0;
    ::setenv("TMPDIR", fifo_dir.c_str(), 1);
    for (const auto& m : kernel_mechanisms()) {
      for (const bench::Test test : m.tests) {
        const Cell cell = cell_for(m, test, 64);
        (void)m.cannot(cell_for(m, test, 1 << 20));  // probes make and remove objects too
        if (m.cannot(cell)) return kRoundFailed;
        const RoundResult r = m.run(cell, short_round());
        if (!r.error.empty() || !r.verified) {
          std::fprintf(stderr, "%s: %s\n", m.name.c_str(), r.error.c_str());
          return kRoundFailed;
        }
      }
    }
    if (own_namespace && sysv_objects("msg") + sysv_objects("sem") + sysv_objects("shm") != 0)
      return kSysvLeft;
    const std::string prefix = "ipckit-bench-" + std::to_string(::getpid()) + "-";
    // (In a private IPC namespace /dev/mqueue shows the outer namespace's queues, which is
    // where a queue would be left only without one.)
    if (!entries_with_prefix("/dev/shm", prefix).empty() ||
        !entries_with_prefix("/dev/mqueue", prefix).empty() ||
        !entries_with_prefix(fifo_dir, "ipckit-bench-").empty())
      return kNamesLeft;
    return own_namespace ? kClean : kNoNamespace;
  });
  const int code = child.wait(std::chrono::seconds(300));
  ::rmdir(fifo_dir.c_str());
  if (code == kNoNamespace) GTEST_SKIP() << "no private IPC namespace (needs CAP_SYS_ADMIN)";
  EXPECT_EQ(code, kClean) << "4: a round failed, 5: a System V object was left, 6: a name was left";
}

}  // namespace
}  // namespace ipckit::bench
