// find_peers() and peer_mechanism() (bench/harness/peers.cpp) against the peer harnesses built
// here (bench/peers/) and against fake harnesses that fail in each way a real one could.
#include "harness/peers.hpp"
#include "bench/verified_round.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace ipckit::bench {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// A directory of fake harnesses, removed with everything in it.
class FakePeers {
 public:
  FakePeers() {
    std::string pattern = (fs::temp_directory_path() / "ipckit-peers-test.XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) dir_ = pattern;
  }
  ~FakePeers() {
    std::error_code ignored;
    if (!dir_.empty()) fs::remove_all(dir_, ignored);
  }
  const fs::path& dir() const { return dir_; }
  // ipckit-bench-<name>: a shell script; `probe` runs for --probe, `round` for a round.
  void add(const std::string& name, const std::string& probe, const std::string& round) const {
    const fs::path path = dir_ / ("ipckit-bench-" + name);
    std::ofstream out(path);
    out << "#!/bin/sh\nif [ \"$1\" = --probe ]; then\n" << probe << "\nfi\n" << round << "\n";
    out.close();
    fs::permissions(path, fs::perms::owner_all);
  }

 private:
  fs::path dir_;
};

std::string good_probe(const std::string& name) {
  return "echo '{\"name\":\"" + name +
         "\",\"modes\":[\"default\"],\"tests\":[\"latency\",\"throughput\"],\"note\":\"fake\"}'; "
         "exit 0";
}

const PeerStatus* status_of(const std::vector<PeerStatus>& peers, const std::string& name) {
  for (const auto& p : peers)
    if (p.name == name) return &p;
  return nullptr;
}

Cell cell_of(const std::string& name, bench::Test test) {
  Cell cell;
  cell.mechanism = name;
  cell.mode = "default";
  cell.test = test;
  cell.size = 64;
  return cell;
}

RoundOptions short_round() {
  RoundOptions options;
  options.duration = 50ms;
  options.deadline = 30s;
  options.cpus = std::nullopt;
  return options;
}

// The build tree's bench/peers/: the last directory find_peers() searches in a build tree.
fs::path build_dir() {
  return peer_directories().back();
}

TEST(BenchPeers, MissingPeersSayWhy) {
  FakePeers empty;
  const auto peers = find_peers_in({empty.dir()});
  ASSERT_EQ(peers.size(), 4u);
  for (const char* name : {"iceoryx", "boost-mq", "zmq", "nng"}) {
    const PeerStatus* p = status_of(peers, name);
    ASSERT_NE(p, nullptr) << name;
    EXPECT_FALSE(p->found);
    EXPECT_TRUE(p->program.empty());
    EXPECT_NE(p->why_missing.find(std::string("ipckit-bench-") + name + " not installed"),
              std::string::npos)
        << p->why_missing;
    EXPECT_EQ(p->why_missing.find('\n'), std::string::npos);
  }
  EXPECT_NE(status_of(peers, "nng")->why_missing.find("libnng-dev"), std::string::npos);
  // A missing peer's mechanism fails every round with the reason, never a number.
  const Mechanism m = peer_mechanism(*status_of(peers, "zmq"));
  const RoundResult r = m.run(cell_of("zmq", bench::Test::kLatency), short_round());
  EXPECT_FALSE(r.verified);
  EXPECT_EQ(r.error, status_of(peers, "zmq")->why_missing);
}

TEST(BenchPeers, AProbeThatFailsIsReportedWithItsReason) {
  FakePeers fake;
  fake.add("zmq", "echo 'libzmq.so.5: cannot open shared object file' >&2; exit 1", "exit 1");
  fake.add("nng", "echo 'this is not json'; exit 0", "exit 1");
  fake.add("boost-mq", good_probe("zmq"), "exit 1");  // says it is another peer
  const auto peers = find_peers_in({fake.dir()});
  const PeerStatus* zmq = status_of(peers, "zmq");
  EXPECT_FALSE(zmq->found);
  EXPECT_EQ(zmq->program, fake.dir() / "ipckit-bench-zmq");
  EXPECT_EQ(zmq->why_missing,
            "ipckit-bench-zmq exited with status 1: libzmq.so.5: cannot open shared object file");
  EXPECT_EQ(status_of(peers, "nng")->why_missing,
            "ipckit-bench-nng --probe printed no description: 'this is not json'");
  EXPECT_EQ(status_of(peers, "boost-mq")->why_missing,
            "ipckit-bench-boost-mq --probe says it is 'zmq'");
}

TEST(BenchPeers, AHarnessThatPrintsGarbageDiesOrFailsGivesAnErrorRow) {
  FakePeers fake;
  fake.add("zmq", good_probe("zmq"), "echo 'p50 is 12 ns, trust me'; exit 0");
  fake.add("nng", good_probe("nng"), "kill -KILL $$");
  fake.add("boost-mq", good_probe("boost-mq"), "echo 'cannot open queue' >&2; exit 3");
  fake.add("iceoryx", good_probe("iceoryx"), "echo '{\"verified\":true}'; exit 0");
  const auto peers = find_peers_in({fake.dir()});
  for (const auto& p : peers)
    ASSERT_TRUE(p.found) << p.name << ": " << p.why_missing;

  auto run = [&](const std::string& name) {
    return peer_mechanism(*status_of(peers, name))
        .run(cell_of(name, bench::Test::kThroughput), short_round());
  };
  RoundResult garbage = run("zmq");
  EXPECT_FALSE(garbage.verified);
  EXPECT_EQ(garbage.error, "ipckit-bench-zmq printed no result: 'p50 is 12 ns, trust me'");
  RoundResult died = run("nng");
  EXPECT_FALSE(died.verified);
  EXPECT_EQ(died.error, "ipckit-bench-nng killed by signal 9");
  RoundResult failed = run("boost-mq");
  EXPECT_EQ(failed.error, "ipckit-bench-boost-mq exited with status 3: cannot open queue");
  RoundResult partial = run("iceoryx");  // a JSON line that is not a whole RoundResult
  EXPECT_FALSE(partial.verified);
  EXPECT_NE(partial.error.find("printed no result"), std::string::npos) << partial.error;
}

// A peer whose probe reports its largest message gets larger rows marked at plan time, with the
// reason; rows up to that size are not.
TEST(BenchPeers, ProbedMaxSizeMarksLargerRows) {
  FakePeers fake;
  fake.add("iceoryx",
           "echo '{\"name\":\"iceoryx\",\"modes\":[\"default\"],\"tests\":[\"throughput\"],"
           "\"max_size\":4096,\"max_size_reason\":\"the largest chunk\"}'; exit 0",
           "exit 1");
  fake.add("zmq", good_probe("zmq"), "exit 1");
  const auto peers = find_peers_in({fake.dir()});
  const Mechanism iceoryx = peer_mechanism(*status_of(peers, "iceoryx"));
  EXPECT_EQ(iceoryx.max_size, 4096u);
  Cell cell = cell_of("iceoryx", bench::Test::kThroughput);
  cell.size = 4096;
  EXPECT_EQ(iceoryx.cannot(cell), std::nullopt);
  cell.size = 4097;
  EXPECT_EQ(iceoryx.cannot(cell),
            std::optional<std::string>("messages above 4096 bytes (the largest chunk)"));
  // No max_size in the probe: no size is marked.
  const Mechanism zmq = peer_mechanism(*status_of(peers, "zmq"));
  cell.mechanism = "zmq";
  cell.size = std::size_t{64} << 20;
  EXPECT_EQ(zmq.cannot(cell), std::nullopt);
}

TEST(BenchPeers, AHarnessThatHangsIsStoppedAtTheDeadline) {
  FakePeers fake;
  fake.add("zmq", good_probe("zmq"), "exec sleep 600");
  const auto peers = find_peers_in({fake.dir()});
  RoundOptions options = short_round();
  options.deadline = 1s;  // the harness gets this plus a grace period
  const RoundResult r =
      peer_mechanism(*status_of(peers, "zmq")).run(cell_of("zmq", bench::Test::kLatency), options);
  EXPECT_FALSE(r.verified);
  EXPECT_NE(r.error.find("ipckit-bench-zmq timed out after"), std::string::npos) << r.error;
}

// Holds the lock every ipckit bench iceoryx round takes before starting its RouDi (see
// bench/peers/iceoryx_roudi.cpp): while it is held, no RouDi of ours runs.
class IceoryxRoundLock {
 public:
  IceoryxRoundLock() {
    static constexpr char kName[] = "ipckit-bench-iceoryx-roudi";
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path + 1, kName, sizeof kName - 1);
    const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + sizeof kName);
    const auto until = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < until) {
      fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (::bind(fd_, reinterpret_cast<const sockaddr*>(&address), length) == 0) return;
      ::close(fd_);
      fd_ = -1;
      std::this_thread::sleep_for(20ms);
    }
  }
  ~IceoryxRoundLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool held() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

bool iceoryx_leftovers(std::string& which) {
  for (const char* path :
       {"/dev/shm/iceoryx_mgmt", "/tmp/roudi", "/tmp/roudi.lock", "/tmp/iox-unique-roudi.lock"}) {
    if (::access(path, F_OK) == 0) {
      which = path;
      return true;
    }
  }
  return false;
}

TEST(BenchPeers, EachBuiltPeerProbesAndRunsVerifiedRounds) {
  const auto peers = find_peers_in({build_dir()});
  ASSERT_EQ(peers.size(), 4u);
  int built = 0;
  for (const auto& status : peers) {
    SCOPED_TRACE(status.name);
    if (!fs::exists(build_dir() / ("ipckit-bench-" + status.name))) {
      // Not built here: its reason names the package.
      EXPECT_FALSE(status.found);
      EXPECT_NE(status.why_missing.find("not installed"), std::string::npos);
      continue;
    }
    ++built;
    if (status.name == "iceoryx") {
      std::string which;
      IceoryxRoundLock lock;
      ASSERT_TRUE(lock.held());
      if (iceoryx_leftovers(which)) {
        // Another RouDi runs (not ours): the round must refuse, not share or stop it.
        const RoundResult r =
            peer_mechanism(status).run(cell_of(status.name, bench::Test::kLatency), short_round());
        GTEST_LOG_(INFO) << "a RouDi not started by ipckit bench is running (" << which
                         << "): " << r.error;
        continue;
      }
    }
    ASSERT_TRUE(status.found) << status.why_missing;
    const Mechanism m = peer_mechanism(status);
    EXPECT_EQ(m.name, status.name);
    EXPECT_EQ(m.modes, std::vector<std::string>{"default"});
    EXPECT_NE(m.note.find("lossless"), std::string::npos) << m.note;
    // iceoryx's probe reports its largest chunk (1 MiB); the others carry any size.
    EXPECT_EQ(m.max_size, status.name == "iceoryx" ? std::size_t{1} << 20 : 0u);
    for (bench::Test test : {bench::Test::kLatency, bench::Test::kThroughput}) {
      const Cell cell = cell_of(status.name, test);
      testing::expect_verified_round(m.run(cell, short_round()), cell);
    }
    if (status.name == "iceoryx") {
      IceoryxRoundLock lock;  // no other round of ours can hold a RouDi now
      ASSERT_TRUE(lock.held());
      std::string which;
      EXPECT_FALSE(iceoryx_leftovers(which)) << which << " left behind";
    }
  }
  // A build without peers (the sanitizer presets turn them off) checked above that each is
  // reported missing with its reason; that is this build's whole contract.
  if (built == 0) GTEST_LOG_(INFO) << "no peer harness built here: each was reported missing";
}

}  // namespace
}  // namespace ipckit::bench
