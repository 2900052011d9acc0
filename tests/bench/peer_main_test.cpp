// peer_main() (the peer harnesses' main) and the RoundResult JSON they print, driven with the
// memcpy mechanism in a forked child whose stdout and stderr the test reads.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "harness/mechanism.hpp"
#include "harness/peer_main.hpp"

namespace ipckit::bench {
namespace {

struct PeerRun {
  int exit_code = -1;
  std::string out, err;
};

std::string read_all(int fd) {
  std::string s;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0)
    s.append(buf, static_cast<std::size_t>(n));
  return s;
}

PeerRun run_peer(std::vector<std::string> args,
                 std::function<std::optional<std::string>()> gone = {}) {
  int out[2], err[2];
  EXPECT_EQ(::pipe2(out, O_CLOEXEC), 0);
  EXPECT_EQ(::pipe2(err, O_CLOEXEC), 0);
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    args.insert(args.begin(), "ipckit-bench-test");
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    const int code =
        peer_main(static_cast<int>(args.size()), argv.data(), memcpy_mechanism(), gone);
    std::fflush(nullptr);
    ::_exit(code);
  }
  ::close(out[1]);
  ::close(err[1]);
  PeerRun run;
  run.out = read_all(out[0]);
  run.err = read_all(err[0]);
  ::close(out[0]);
  ::close(err[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return run;
}

TEST(BenchRoundJson, RoundTripsEveryField) {
  RoundResult r;
  r.verified = true;
  r.p50_ns = 1;
  r.p99_ns = 2;
  r.p999_ns = 3;
  r.max_ns = 4;
  r.samples = 5;
  r.msgs_per_s = 6.5;
  r.bytes_per_s = 7.5;
  r.messages = 8;
  const nlohmann::json j = r;
  EXPECT_FALSE(j.contains("error"));
  const RoundResult back = j.get<RoundResult>();
  EXPECT_EQ(nlohmann::json(back), j);
  r.error = "B: lost";
  EXPECT_EQ(nlohmann::json(r).get<RoundResult>().error, "B: lost");
}

TEST(BenchRoundJson, MissingFieldThrows) {
  nlohmann::json j = RoundResult{};
  j.erase("verified");
  EXPECT_THROW((void)j.get<RoundResult>(), nlohmann::json::exception);
}

TEST(BenchRoundNames, ParseWhatTheyPrint) {
  EXPECT_EQ(parse_test(test_name(bench::Test::kLatency)), bench::Test::kLatency);
  EXPECT_EQ(parse_test(test_name(bench::Test::kThroughput)), bench::Test::kThroughput);
  EXPECT_EQ(parse_load(load_name(Load::kBusyCpu)), Load::kBusyCpu);
  EXPECT_EQ(parse_load(load_name(Load::kIdle)), Load::kIdle);
  EXPECT_EQ(parse_test("Latency"), std::nullopt);
  EXPECT_EQ(parse_load(""), std::nullopt);
}

TEST(BenchPeerMain, ProbePrintsTheMechanism) {
  const PeerRun run = run_peer({"--probe"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto j = nlohmann::json::parse(run.out);
  EXPECT_EQ(j.at("name"), "memcpy");
  EXPECT_EQ(j.at("tests"), nlohmann::json::array({"throughput"}));
  EXPECT_EQ(j.at("modes"), nlohmann::json::array({"default"}));
}

TEST(BenchPeerMain, ProbeOfAnUnavailablePeerSaysWhy) {
  const PeerRun run =
      run_peer({"--probe"}, [] { return std::optional<std::string>("iox-roudi not found"); });
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.out, "");
  EXPECT_EQ(run.err, "ipckit-bench-test: iox-roudi not found\n");
}

TEST(BenchPeerMain, RoundPrintsOneJsonLine) {
  const PeerRun run =
      run_peer({"--test", "throughput", "--size", "4096", "--duration-ms", "20", "--cpus", "none"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  ASSERT_EQ(run.out.find('\n'), run.out.size() - 1);
  const auto r = nlohmann::json::parse(run.out).get<RoundResult>();
  EXPECT_EQ(r.error, "");
  EXPECT_GT(r.msgs_per_s, 0);
  EXPECT_FALSE(r.verified);  // memcpy receives nothing, so it verifies nothing
}

TEST(BenchPeerMain, UsageErrorsExitTwoWithOneLine) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--bogus"}, "ipckit-bench-test: unknown option '--bogus'\n"},
      {{"--size"}, "ipckit-bench-test: --size: a value is required\n"},
      {{"--test", "latency", "--size", "64"},
       "ipckit-bench-test: --test: memcpy does not measure latency\n"},
      {{"--test", "throughput", "--size", "4"},
       "ipckit-bench-test: --size: '4' is not a number from 8 to 1073741824\n"},
      {{"--test", "throughput", "--size", "64", "--mode", "fast"},
       "ipckit-bench-test: --mode: 'fast' is not a mode of memcpy\n"},
      {{"--test", "throughput", "--size", "64", "--cpus", "1"},
       "ipckit-bench-test: --cpus: '1' is not A,B or none\n"},
      {{"--test", "throughput"},
       "ipckit-bench-test: --test and --size are required (or --probe)\n"},
  };
  for (const auto& [args, err] : cases) {
    const PeerRun run = run_peer(args);
    EXPECT_EQ(run.exit_code, 2) << err;
    EXPECT_EQ(run.err, err);
    EXPECT_EQ(run.out, "");
  }
}

}  // namespace
}  // namespace ipckit::bench
