// Rows from rounds (tools/bench/bench_aggregate.hpp): medians, spread, failed and marked rows,
// and ratios against the floor and pipe computed per round, then the median.
#include "bench/bench_aggregate.hpp"

#include <gtest/gtest.h>

#include "tools/bench_fakes.hpp"

namespace ipckit::bench {
namespace {

using fakes::BenchTest;
using fakes::failed_round;
using fakes::fake;
using fakes::latency_round;
using fakes::throughput_round;

PlannedCell planned(std::string mechanism, Test test, std::size_t size, std::size_t index,
                    std::string mode = "default") {
  return PlannedCell{
      Cell{std::move(mechanism), std::move(mode), test, size, 1, Load::kIdle}, index, {}};
}

TEST(BenchAggregate, LatencyRowIsTheMedianOfEachFigureWithTheP50Spread) {
  const std::vector<Mechanism> mechanisms{fake("pipe")};
  const std::vector<PlannedCell> plan{planned("pipe", BenchTest::kLatency, 64, 0)};
  const std::vector<std::vector<RoundResult>> results{
      {latency_round(300), latency_round(100), latency_round(200)}};
  const auto rows = aggregate(plan, results, mechanisms);
  ASSERT_EQ(rows.size(), 1U);
  const Row& r = rows[0];
  EXPECT_EQ(r.rounds, 3);
  EXPECT_TRUE(r.verified);
  EXPECT_TRUE(r.error.empty());
  EXPECT_EQ(r.p50_ns, 200);
  EXPECT_EQ(r.p99_ns, 400);
  EXPECT_EQ(r.p999_ns, 600);
  EXPECT_EQ(r.max_ns, 2000);
  EXPECT_FALSE(r.msgs_per_s.has_value());
  EXPECT_DOUBLE_EQ(r.spread.min, 100);
  EXPECT_DOUBLE_EQ(r.spread.max, 300);
  // pipe is its own reference; there is no floor in this plan.
  EXPECT_EQ(r.vs_pipe, 1.0);
  EXPECT_FALSE(r.vs_floor.has_value());
}

TEST(BenchAggregate, ThroughputRowHasRatesAndNoLatencyFigures) {
  const std::vector<Mechanism> mechanisms{fake("channel", {"busy-poll"})};
  const std::vector<PlannedCell> plan{
      planned("channel", BenchTest::kThroughput, 1024, 0, "busy-poll")};
  const std::vector<std::vector<RoundResult>> results{
      {throughput_round(3e6, 1024), throughput_round(1e6, 1024)}};
  const auto rows = aggregate(plan, results, mechanisms);
  const Row& r = rows[0];
  EXPECT_EQ(r.msgs_per_s, 2e6);
  EXPECT_EQ(r.bytes_per_s, 2e6 * 1024);
  EXPECT_FALSE(r.p50_ns.has_value());
  EXPECT_DOUBLE_EQ(r.spread.min, 1e6);
  EXPECT_DOUBLE_EQ(r.spread.max, 3e6);
}

TEST(BenchAggregate, OneFailedRoundFailsTheRowWithTheFirstFailuresErrorAndNoFigures) {
  const std::vector<Mechanism> mechanisms{fake("zmq")};
  const std::vector<PlannedCell> plan{planned("zmq", BenchTest::kLatency, 64, 0)};
  const std::vector<std::vector<RoundResult>> results{
      {latency_round(100), failed_round("expected message 17 of producer 0, got 19"),
       failed_round("timed out after 30 s")}};
  const Row r = aggregate(plan, results, mechanisms)[0];
  EXPECT_EQ(r.error, "expected message 17 of producer 0, got 19");
  EXPECT_FALSE(r.verified);
  EXPECT_FALSE(r.p50_ns.has_value());
  EXPECT_FALSE(r.vs_pipe.has_value());
}

TEST(BenchAggregate, AnUnverifiedRoundMakesTheRowUnverified) {
  const std::vector<Mechanism> mechanisms{fake("pipe")};
  const std::vector<PlannedCell> plan{planned("pipe", BenchTest::kLatency, 64, 0)};
  const std::vector<std::vector<RoundResult>> results{
      {latency_round(100), latency_round(100, false)}};
  EXPECT_FALSE(aggregate(plan, results, mechanisms)[0].verified);
}

TEST(BenchAggregate, MarkedCellIsAMarkedRowWithItsReasonNoRoundsAndNoFigures) {
  const std::vector<Mechanism> mechanisms{fake("posix-mq")};
  auto cell = planned("posix-mq", BenchTest::kThroughput, 1048576, 0);
  cell.cannot = "1 MiB is above msgsize_max (8192)";
  const std::vector<PlannedCell> plan{cell};
  const std::vector<std::vector<RoundResult>> results{{}};
  const Row r = aggregate(plan, results, mechanisms)[0];
  EXPECT_EQ(r.cannot, "1 MiB is above msgsize_max (8192)");
  EXPECT_TRUE(r.error.empty());
  EXPECT_EQ(r.rounds, 0);
  EXPECT_FALSE(r.verified);
  EXPECT_FALSE(r.msgs_per_s.has_value());
}

TEST(BenchAggregate, ACellTheRunNeverReachedIsFailedNotEmpty) {
  const std::vector<Mechanism> mechanisms{fake("pipe")};
  const std::vector<PlannedCell> plan{planned("pipe", BenchTest::kLatency, 64, 0)};
  const std::vector<std::vector<RoundResult>> results{{}};
  EXPECT_FALSE(aggregate(plan, results, mechanisms)[0].error.empty());
}

TEST(BenchAggregate, RatiosArePerRoundThenTheMedianNotTheRatioOfMedians) {
  const std::vector<Mechanism> mechanisms{fake("pipe"), fake("shm-spin"),
                                          fake("channel", {"busy-poll"})};
  const std::vector<PlannedCell> plan{planned("pipe", BenchTest::kLatency, 64, 0),
                                      planned("shm-spin", BenchTest::kLatency, 64, 1),
                                      planned("channel", BenchTest::kLatency, 64, 2, "busy-poll")};
  // A slow phase in round 2 doubles everything; per-round ratios stay 1.2 vs the floor.
  const std::vector<std::vector<RoundResult>> results{
      {latency_round(1000), latency_round(3000), latency_round(1100)},
      {latency_round(100), latency_round(200), latency_round(90)},
      {latency_round(120), latency_round(240), latency_round(108)}};
  const auto rows = aggregate(plan, results, mechanisms);
  ASSERT_TRUE(rows[2].vs_floor.has_value());
  EXPECT_NEAR(*rows[2].vs_floor, 1.2, 1e-9);
  // vs pipe: 0.12, 0.08, 0.0981... -> median 0.0981
  ASSERT_TRUE(rows[2].vs_pipe.has_value());
  EXPECT_NEAR(*rows[2].vs_pipe, 108.0 / 1100.0, 1e-9);
  // The ratio of medians would be 120 / 100 = 1.2 too, but against pipe 120/1100 != 108/1100.
  EXPECT_NEAR(*rows[1].vs_floor, 1.0, 1e-9);
  EXPECT_NEAR(*rows[0].vs_floor, 1100.0 / 90.0, 1e-9);  // 10, 15, 12.2
}

TEST(BenchAggregate, RatiosNeedTheSameTestSizeAndLoadAndAReferenceThatDidNotFail) {
  const std::vector<Mechanism> mechanisms{fake("shm-spin"), fake("pipe"),
                                          fake("channel", {"busy-poll"})};
  std::vector<PlannedCell> plan{planned("shm-spin", BenchTest::kThroughput, 64, 0),
                                planned("pipe", BenchTest::kThroughput, 64, 1),
                                planned("channel", BenchTest::kThroughput, 64, 2, "busy-poll"),
                                planned("channel", BenchTest::kThroughput, 1024, 2, "busy-poll")};
  plan.push_back(planned("channel", BenchTest::kLatency, 64, 2, "busy-poll"));
  auto busy = planned("channel", BenchTest::kThroughput, 64, 2, "busy-poll");
  busy.cell.producers = 4;
  plan.push_back(busy);
  const std::vector<std::vector<RoundResult>> results{
      {throughput_round(4e6, 64)},   {failed_round("pipe broke")}, {throughput_round(2e6, 64)},
      {throughput_round(1e6, 1024)}, {latency_round(100)},         {throughput_round(8e6, 64)}};
  const auto rows = aggregate(plan, results, mechanisms);
  EXPECT_NEAR(*rows[2].vs_floor, 0.5, 1e-9);   // throughput: < 1 is slower
  EXPECT_FALSE(rows[2].vs_pipe.has_value());   // pipe failed
  EXPECT_FALSE(rows[3].vs_floor.has_value());  // no floor at 1 KiB
  EXPECT_FALSE(rows[4].vs_floor.has_value());  // no latency floor
  EXPECT_NEAR(*rows[5].vs_floor, 2.0, 1e-9);   // 4 producers against the one-producer floor
}

TEST(BenchAggregate, RowsCarryTheirMechanismsNote) {
  std::vector<Mechanism> mechanisms{fake("iceoryx")};
  mechanisms[0].note = "configured lossless: blocking publisher";
  const std::vector<PlannedCell> plan{planned("iceoryx", BenchTest::kLatency, 64, 0)};
  const std::vector<std::vector<RoundResult>> results{{latency_round(500)}};
  EXPECT_EQ(aggregate(plan, results, mechanisms)[0].note,
            "configured lossless: blocking publisher");
}

}  // namespace
}  // namespace ipckit::bench
