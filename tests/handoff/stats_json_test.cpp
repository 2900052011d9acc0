// Stats as JSON (docs/handoff.md "Stats"): to_json → stats_from_json keeps every field, and a
// reply that is not the documented shape is refused with EPROTO.
#include <gtest/gtest.h>

#include <cerrno>
#include <string>

#include "ipckit/handoff/stats.hpp"

namespace ipckit::handoff {
namespace {

Stats sample_stats() {
  Stats s;
  s.daemon_pid = 4242;
  s.uptime_ms = 123456;
  s.accepted = 1000;
  s.rejected = {{"access", 1},   {"rate", 2}, {"concurrency", 3},
                {"pregreet", 4}, {"busy", 5}, {"shutdown", 6}};
  s.cache_hits = 7;
  s.handed_off = 800;
  s.redispatched = 8;
  s.client_gone = 9;
  s.workers_refused = 10;
  s.workers_dropped = 11;
  s.reloads = 12;
  s.screening = 13;
  s.waiting = 14;
  s.in_flight = 15;
  s.cache_entries = 16;
  s.workers = {
      WorkerStats{.worker = 1,
                  .name = "echo",
                  .pid = 100,
                  .uid = 0,
                  .capacity = 64,
                  .in_flight = 1,
                  .active = 2,
                  .handed_off = 300},
      WorkerStats{.worker = 4294967295U,
                  .name = "smtpd",
                  .pid = 2147483647,
                  .uid = 4294967294U,
                  .capacity = 1,
                  .in_flight = 0,
                  .active = 1,
                  .handed_off = 18446744073709551615ULL},
  };
  return s;
}

void expect_same(const Stats& a, const Stats& b) {
  EXPECT_EQ(a.daemon_pid, b.daemon_pid);
  EXPECT_EQ(a.uptime_ms, b.uptime_ms);
  EXPECT_EQ(a.accepted, b.accepted);
  EXPECT_EQ(a.rejected, b.rejected);
  EXPECT_EQ(a.cache_hits, b.cache_hits);
  EXPECT_EQ(a.handed_off, b.handed_off);
  EXPECT_EQ(a.redispatched, b.redispatched);
  EXPECT_EQ(a.client_gone, b.client_gone);
  EXPECT_EQ(a.workers_refused, b.workers_refused);
  EXPECT_EQ(a.workers_dropped, b.workers_dropped);
  EXPECT_EQ(a.reloads, b.reloads);
  EXPECT_EQ(a.screening, b.screening);
  EXPECT_EQ(a.waiting, b.waiting);
  EXPECT_EQ(a.in_flight, b.in_flight);
  EXPECT_EQ(a.cache_entries, b.cache_entries);
  ASSERT_EQ(a.workers.size(), b.workers.size());
  for (std::size_t i = 0; i < a.workers.size(); ++i) {
    const WorkerStats& x = a.workers[i];
    const WorkerStats& y = b.workers[i];
    EXPECT_EQ(x.worker, y.worker);
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.pid, y.pid);
    EXPECT_EQ(x.uid, y.uid);
    EXPECT_EQ(x.capacity, y.capacity);
    EXPECT_EQ(x.in_flight, y.in_flight);
    EXPECT_EQ(x.active, y.active);
    EXPECT_EQ(x.handed_off, y.handed_off);
  }
}

void expect_refused(const std::string& json, const std::string& detail) {
  auto stats = stats_from_json(json);
  ASSERT_FALSE(stats) << json;
  EXPECT_EQ(stats.error().code(), EPROTO);
  EXPECT_NE(stats.error().detail().find(detail), std::string::npos)
      << json << " → " << stats.error().message();
}

TEST(HandoffStatsJson, RoundTripKeepsEveryField) {
  const Stats sent = sample_stats();
  auto got = stats_from_json(to_json(sent));
  ASSERT_TRUE(got) << got.error().message();
  expect_same(*got, sent);
}

TEST(HandoffStatsJson, EmptyStatsRoundTrip) {
  auto got = stats_from_json(to_json(Stats{}));
  ASSERT_TRUE(got) << got.error().message();
  expect_same(*got, Stats{});
}

TEST(HandoffStatsJson, ShapeIsTheDocumentedOne) {
  Stats s;
  s.daemon_pid = 9;
  s.rejected = {{"access", 2}};
  s.workers = {WorkerStats{.worker = 1, .name = "echo"}};
  EXPECT_EQ(to_json(s),
            R"({"op":"stats","daemon_pid":9,"uptime_ms":0,"accepted":0,"rejected":{"access":2},)"
            R"("cache_hits":0,"handed_off":0,"redispatched":0,"client_gone":0,)"
            R"("workers_refused":0,"workers_dropped":0,"reloads":0,"screening":0,"waiting":0,)"
            R"("in_flight":0,"cache_entries":0,"workers":[{"worker":1,"name":"echo","pid":0,)"
            R"("uid":0,"capacity":0,"in_flight":0,"active":0,"handed_off":0}]})");
}

TEST(HandoffStatsJson, UnknownMembersAreIgnored) {
  std::string json = to_json(sample_stats());
  json.insert(1, R"("future":{"a":[1]},)");
  auto got = stats_from_json(json);
  ASSERT_TRUE(got) << got.error().message();
  expect_same(*got, sample_stats());
}

TEST(HandoffStatsJson, OtherRepliesAreRefused) {
  expect_refused("not json", "not JSON");
  expect_refused("[1]", "not a JSON object");
  expect_refused(R"({"accepted":1})", "not a stats reply");
  expect_refused(R"({"op":"refused","reason":"no"})", "not a stats reply");
}

TEST(HandoffStatsJson, WrongShapesAreRefused) {
  const std::string good = to_json(sample_stats());
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string json = good;
    const auto at = json.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return json.replace(at, from.size(), to);
  };
  expect_refused(replace(R"("accepted":1000,)", ""), "missing 'accepted'");
  expect_refused(replace(R"("accepted":1000)", R"("accepted":-1)"),
                 "'accepted' must be a non-negative integer");
  expect_refused(replace(R"("screening":13)", R"("screening":4294967296)"),
                 "'screening' must be at most 4294967295");
  expect_refused(replace(R"("uptime_ms":123456)", R"("uptime_ms":"1")"),
                 "'uptime_ms' must be an integer");
  expect_refused(replace(R"("rejected":{)", R"("rejected":{"odd":"x",)"),
                 "'rejected' count of 'odd'");
  std::string no_rejections = to_json(Stats{});
  no_rejections.replace(no_rejections.find(R"("rejected":{})"), 13, R"("rejected":[])");
  expect_refused(no_rejections, "'rejected' must be an object");
  expect_refused(replace(R"("workers":[)", R"("workers":[7,)"), "'workers' must hold objects");
  expect_refused(replace(R"("name":"echo")", R"("name":1)"), "'name' must be a string");
  expect_refused(replace(R"("pid":100)", R"("pid":2147483648)"),
                 "'pid' must be at most 2147483647");
}

}  // namespace
}  // namespace ipckit::handoff
