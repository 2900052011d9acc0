// Unit tests of the handoff daemon's log line writer (logfmt and JSON).
#include <gtest/gtest.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

#include "handoff/log.hpp"

namespace ipckit::handoff::detail {
namespace {

// 2026-12-02T15:04:05.123Z
constexpr std::int64_t kWhen = 1'796'223'845'123'000'000;

TEST(HandoffLog, LogfmtLineHasTsLevelEventAndFields) {
  Logger log(FdView(-1), LogFormat::kLogfmt, LogLevel::kInfo);
  const std::string line(log.begin(LogLevel::kInfo, "handed_off", kWhen)
                             .field("client", "127.0.0.1:40512")
                             .field("id", std::uint64_t{7})
                             .field("worker", 2)
                             .finish());
  EXPECT_EQ(line,
            "ts=2026-12-02T15:04:05.123Z level=info event=handed_off client=127.0.0.1:40512 id=7 "
            "worker=2\n");
}

TEST(HandoffLog, LogfmtQuotesAndEscapesOddValues) {
  Logger log(FdView(-1), LogFormat::kLogfmt, LogLevel::kInfo);
  const std::string line(log.begin(LogLevel::kWarning, "x", kWhen)
                             .field("a", "two words")
                             .field("b", "")
                             .field("c", "say \"hi\"\nnext\x01\xff")
                             .field("d", "k=v")
                             .finish());
  EXPECT_EQ(line,
            "ts=2026-12-02T15:04:05.123Z level=warning event=x a=\"two words\" b=\"\" "
            "c=\"say \\\"hi\\\"\\nnext\\x01\\xff\" d=\"k=v\"\n");
}

TEST(HandoffLog, JsonLineIsOneValidObjectWithTheSameKeys) {
  Logger log(FdView(-1), LogFormat::kJson, LogLevel::kInfo);
  const std::string line(log.begin(LogLevel::kInfo, "client_rejected", kWhen)
                             .field("client", "[::1]:5")
                             .field("reason", "access")
                             .field("id", std::uint64_t{9})
                             .field("odd", "q\"\\\n\x02\xc3")
                             .finish());
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  const auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["ts"], "2026-12-02T15:04:05.123Z");
  EXPECT_EQ(j["level"], "info");
  EXPECT_EQ(j["event"], "client_rejected");
  EXPECT_EQ(j["client"], "[::1]:5");
  EXPECT_EQ(j["id"], 9);
  EXPECT_EQ(j["odd"], std::string("q\"\\\n\x02") + "\u00c3");
}

TEST(HandoffLog, LevelFilters) {
  Logger log(FdView(2), LogFormat::kLogfmt, LogLevel::kWarning);
  EXPECT_FALSE(log.enabled(LogLevel::kDebug));
  EXPECT_FALSE(log.enabled(LogLevel::kInfo));
  EXPECT_TRUE(log.enabled(LogLevel::kWarning));
  EXPECT_TRUE(log.enabled(LogLevel::kError));
  Logger closed(FdView(-1), LogFormat::kLogfmt, LogLevel::kDebug);
  EXPECT_FALSE(closed.enabled(LogLevel::kError));
}

TEST(HandoffLog, WriteSendsOneLineToTheDescriptor) {
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  Logger log(FdView(p[1]), LogFormat::kLogfmt, LogLevel::kInfo);
  log.begin(LogLevel::kInfo, "stopped", kWhen).write();
  char buf[256];
  const ssize_t n = ::read(p[0], buf, sizeof buf);
  ::close(p[0]);
  ::close(p[1]);
  EXPECT_EQ(std::string(buf, static_cast<std::size_t>(n)),
            "ts=2026-12-02T15:04:05.123Z level=info event=stopped\n");
}

}  // namespace
}  // namespace ipckit::handoff::detail
