// What `ipckit bench` prints (tools/bench/bench_output.hpp) and how it runs a plan
// (tools/bench/bench_run.hpp), over hand-made rows and fake mechanisms.
#include "bench/bench_output.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "bench/bench_run.hpp"
#include "tools/bench_fakes.hpp"

namespace ipckit::bench {
namespace {

using fakes::BenchTest;

Row latency_row() {
  Row r;
  r.cell = Cell{"pipe", "default", BenchTest::kLatency, 64, 1, Load::kIdle};
  r.rounds = 5;
  r.verified = true;
  r.p50_ns = 4100.4;
  r.p99_ns = 9000;
  r.p999_ns = 20000;
  r.max_ns = 80000;
  r.spread = {3900, 4500};
  r.vs_floor = 25.5;
  r.vs_pipe = 1.0;
  return r;
}

Row throughput_row() {
  Row r;
  r.cell = Cell{"channel", "busy-poll", BenchTest::kThroughput, 64, 4, Load::kIdle};
  r.rounds = 5;
  r.verified = true;
  r.msgs_per_s = 5e7;
  r.bytes_per_s = 3.2e9;
  r.spread = {4e7, 6e7};
  r.note = "lossless, no daemon";
  return r;
}

Row failed_row() {
  Row r;
  r.cell = Cell{"zmq", "default", BenchTest::kLatency, 8, 1, Load::kBusyCpu};
  r.rounds = 5;
  r.error = "message 5: checksum 0x1 is not 0x2, \"corrupted\"";
  return r;
}

Row marked_row() {
  Row r;
  r.cell = Cell{"sysv-msg", "default", BenchTest::kThroughput, 1048576, 1, Load::kIdle};
  r.cannot = "1 MiB is above msgmax (8192)";
  return r;
}

Report report() {
  Report rep;
  rep.rows = {latency_row(), throughput_row(), failed_row(), marked_row()};
  rep.cpus = "0,1";
  rep.machine = "Test CPU, 2 CPUs, Linux 6.1.0 x86_64";
  rep.peers_missing = {"nng: ipckit-bench-nng not installed"};
  return rep;
}

TEST(BenchOutput, JsonRowHasTheIssuesFieldsForItsTestOnly) {
  const auto j = row_json(latency_row());
  EXPECT_EQ(j["mechanism"], "pipe");
  EXPECT_EQ(j["mode"], "default");
  EXPECT_EQ(j["test"], "latency");
  EXPECT_EQ(j["size"], 64);
  EXPECT_EQ(j["p50_ns"], 4100);  // whole nanoseconds
  EXPECT_TRUE(j["p50_ns"].is_number_integer());
  EXPECT_EQ(j["p99_ns"], 9000);
  EXPECT_EQ(j["p999_ns"], 20000);
  EXPECT_EQ(j["max_ns"], 80000);
  EXPECT_FALSE(j.contains("msgs_per_s"));
  EXPECT_FALSE(j.contains("bytes_per_s"));
  EXPECT_EQ(j["rounds"], 5);
  EXPECT_EQ(j["spread"]["min"], 3900.0);
  EXPECT_EQ(j["spread"]["max"], 4500.0);
  EXPECT_EQ(j["verified"], true);
  EXPECT_FALSE(j.contains("error"));
  EXPECT_FALSE(j.contains("cannot"));
  EXPECT_EQ(j["vs_floor"], 25.5);
  const auto t = row_json(throughput_row());
  EXPECT_EQ(t["msgs_per_s"], 5e7);
  EXPECT_EQ(t["bytes_per_s"], 3.2e9);
  EXPECT_EQ(t["producers"], 4);
  EXPECT_FALSE(t.contains("p50_ns"));
  EXPECT_FALSE(t.contains("vs_floor"));
  EXPECT_EQ(t["note"], "lossless, no daemon");
}

TEST(BenchOutput, FailedRowHasErrorNoFiguresAndIsNotVerifiedMarkedRowHasCannot) {
  const auto f = row_json(failed_row());
  EXPECT_EQ(f["error"], "message 5: checksum 0x1 is not 0x2, \"corrupted\"");
  EXPECT_EQ(f["verified"], false);
  EXPECT_EQ(f["load"], "busy-cpu");
  EXPECT_FALSE(f.contains("p50_ns"));
  EXPECT_FALSE(f.contains("spread"));
  const auto m = row_json(marked_row());
  EXPECT_EQ(m["cannot"], "1 MiB is above msgmax (8192)");
  EXPECT_FALSE(m.contains("error"));
  EXPECT_EQ(m["rounds"], 0);
  EXPECT_EQ(m["verified"], false);
}

TEST(BenchOutput, JsonTextIsAnArrayOfEveryRow) {
  const auto doc = nlohmann::json::parse(json_text(report()));
  ASSERT_TRUE(doc.is_array());
  EXPECT_EQ(doc.size(), 4U);
}

TEST(BenchOutput, CsvHasAHeaderAndOneLinePerRowWithQuotedFields) {
  const std::string csv = csv_text(report());
  std::istringstream in(csv);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  ASSERT_EQ(lines.size(), 5U);
  EXPECT_EQ(lines[0],
            "mechanism,mode,test,size,producers,load,p50_ns,p99_ns,p999_ns,max_ns,msgs_per_s,"
            "bytes_per_s,rounds,spread_min,spread_max,vs_floor,vs_pipe,verified,error,cannot,note");
  EXPECT_EQ(lines[1],
            "pipe,default,latency,64,1,idle,4100,9000,20000,80000,,,5,3900,4500,25.5,1,"
            "true,,,");
  EXPECT_EQ(lines[3],
            "zmq,default,latency,8,1,busy-cpu,,,,,,,5,,,,,false,"
            "\"message 5: checksum 0x1 is not 0x2, \"\"corrupted\"\"\",,");
  EXPECT_EQ(lines[4],
            "sysv-msg,default,throughput,1048576,1,idle,,,,,,,0,,,,,false,,"
            "1 MiB is above msgmax (8192),");
}

TEST(BenchOutput, TableShowsMachineBothTablesFailuresMarksNotesAndMissingPeers) {
  const std::string t = table_text(report());
  for (const char* needle :
       {"machine: Test CPU, 2 CPUs, Linux 6.1.0 x86_64", "cpus: 0,1", "Latency", "Throughput",
        "4.10 us", "50.0 M", "25.50x", "FAILED", "marked", "verified",
        "zmq default latency 8 B (busy-cpu): message 5", "sysv-msg default throughput 1 MiB",
        "channel: lossless, no daemon", "nng: ipckit-bench-nng not installed"}) {
    EXPECT_NE(t.find(needle), std::string::npos) << needle << "\n" << t;
  }
}

TEST(BenchOutput, Formats) {
  EXPECT_EQ(format_ns(850), "850 ns");
  EXPECT_EQ(format_ns(12345), "12.3 us");
  EXPECT_EQ(format_ns(1.2e6), "1.20 ms");
  EXPECT_EQ(format_rate(1.5e6), "1.50 M");
  EXPECT_EQ(format_rate(640e3), "640 k");
  EXPECT_EQ(format_ratio(1.25), "1.25x");
  EXPECT_EQ(format_eta(std::chrono::seconds(192)), "3m12s");
  EXPECT_EQ(format_eta(std::chrono::seconds(45)), "45s");
  EXPECT_EQ(format_eta(std::chrono::seconds(3720)), "1h02m");
}

TEST(BenchRun, RunsEveryStepInScheduleOrderAndKeepsRoundsPerCell) {
  std::vector<std::string> calls;
  auto m = fakes::fake("fifo");  // no busy-cpu row
  m.run = [&](const Cell& c, const RoundOptions& o) {
    calls.push_back(std::string(test_name(c.test)) + std::to_string(c.size));
    EXPECT_EQ(o.duration, std::chrono::milliseconds(7));
    return fakes::latency_round(static_cast<std::int64_t>(c.size));
  };
  const std::vector<Mechanism> mechanisms{m};
  Settings s;
  s.sizes = {8, 64};
  const auto plan = make_plan(mechanisms, s);
  const auto steps = schedule(plan, 2);
  RoundOptions o;
  o.duration = std::chrono::milliseconds(7);
  std::vector<std::size_t> observed;
  const auto out =
      run_plan(plan, steps, mechanisms, o,
               [&](std::size_t i, std::span<const Step>) { observed.push_back(i); }, {});
  EXPECT_FALSE(out.stopped);
  EXPECT_EQ(calls,
            (std::vector<std::string>{"latency8", "latency64", "throughput8", "throughput64",
                                      "latency8", "latency64", "throughput8", "throughput64"}));
  EXPECT_EQ(observed.size(), 8U);
  ASSERT_EQ(out.results.size(), plan.size());
  for (const auto& rounds : out.results)
    EXPECT_EQ(rounds.size(), 2U);
}

TEST(BenchRun, AStopEndsTheRunBetweenRounds) {
  int runs = 0;
  auto m = fakes::fake("pipe");
  m.run = [&](const Cell&, const RoundOptions&) {
    ++runs;
    return fakes::latency_round(100);
  };
  const std::vector<Mechanism> mechanisms{m};
  Settings s;
  s.sizes = {64};
  const auto plan = make_plan(mechanisms, s);
  const auto steps = schedule(plan, 5);
  const auto out = run_plan(plan, steps, mechanisms, RoundOptions{}, {}, [&] { return runs == 3; });
  EXPECT_TRUE(out.stopped);
  EXPECT_EQ(runs, 3);
}

}  // namespace
}  // namespace ipckit::bench
