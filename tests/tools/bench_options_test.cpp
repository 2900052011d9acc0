// The command line of `ipckit bench` (tools/bench/bench_options.hpp): every value checked before
// anything runs, with one line saying which option and why.
#include "bench/bench_options.hpp"

#include <gtest/gtest.h>

namespace ipckit::bench {
namespace {

const std::vector<KnownMechanism> kKnown{
    {"pipe", {"default"}, {}},
    {"channel", {"busy-poll", "block"}, {}},
    {"nng", {}, "ipckit-bench-nng not installed: built only when libnng-dev is found"}};

std::string error_of(const BenchArgs& args) {
  auto s = validate(args, kKnown);
  EXPECT_FALSE(s.has_value());
  return s ? std::string() : s.error();
}

TEST(BenchOptions, DefaultsAreFiveRoundsOf200MsPinnedTableDefaultSizes) {
  auto s = validate(BenchArgs{}, kKnown);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->rounds, 5);
  EXPECT_EQ(s->duration, std::chrono::milliseconds(200));
  EXPECT_TRUE(s->pin);
  EXPECT_TRUE(s->sizes.empty());
  EXPECT_TRUE(s->only.empty());
  EXPECT_EQ(s->output, Output::kTable);
  EXPECT_FALSE(s->quick);
}

TEST(BenchOptions, QuickIsOneRoundOf50MsAt64BytesAndExplicitOptionsOverrideIt) {
  BenchArgs a;
  a.quick = true;
  auto s = validate(a, kKnown);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->rounds, 1);
  EXPECT_EQ(s->duration, std::chrono::milliseconds(50));
  EXPECT_EQ(s->sizes, (std::vector<std::size_t>{64}));
  a.rounds = "3";
  a.sizes = "8";
  a.duration = "0.01";
  s = validate(a, kKnown);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->rounds, 3);
  EXPECT_EQ(s->sizes, (std::vector<std::size_t>{8}));
  EXPECT_EQ(s->duration, std::chrono::milliseconds(10));
}

TEST(BenchOptions, SizesTakeSuffixesAreSortedAndDeduplicated) {
  BenchArgs a;
  a.sizes = "4K,64,1M,64";
  auto s = validate(a, kKnown);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->sizes, (std::vector<std::size_t>{64, 4096, 1048576}));
}

TEST(BenchOptions, BadSizesAreRefusedNamingTheValue) {
  BenchArgs a;
  a.sizes = "64,1Q";
  EXPECT_EQ(error_of(a), "--sizes: invalid size '1Q' (bytes, 8 to 64M)");
  a.sizes = "4";
  EXPECT_EQ(error_of(a), "--sizes: invalid size '4' (bytes, 8 to 64M)");
  a.sizes = "128M";
  EXPECT_EQ(error_of(a), "--sizes: invalid size '128M' (bytes, 8 to 64M)");
  a.sizes = "64,";
  EXPECT_EQ(error_of(a), "--sizes: invalid size '' (bytes, 8 to 64M)");
  a.sizes = "";
  EXPECT_EQ(error_of(a), "--sizes: invalid size '' (bytes, 8 to 64M)");
}

TEST(BenchOptions, RoundsMustBeAWholeNumberFrom1To1000) {
  BenchArgs a;
  for (const char* bad : {"0", "-1", "1001", "", "2.5", "x"}) {
    a.rounds = bad;
    EXPECT_EQ(error_of(a),
              std::string("--rounds: invalid value '") + bad + "' (a whole number from 1 to 1000)");
  }
  a.rounds = "1000";
  EXPECT_TRUE(validate(a, kKnown).has_value());
}

TEST(BenchOptions, DurationIsSecondsFromAMillisecondToAMinute) {
  BenchArgs a;
  a.duration = "0.25";
  EXPECT_EQ(validate(a, kKnown)->duration, std::chrono::milliseconds(250));
  for (const char* bad : {"0", "0.0004", "61", "nan", "-1", "1s"}) {
    a.duration = bad;
    EXPECT_EQ(error_of(a),
              std::string("--duration: invalid duration '") + bad + "' (seconds, 0.001 to 60)");
  }
}

TEST(BenchOptions, OnlyTakesNamesAndNameColonMode) {
  BenchArgs a;
  a.only = "pipe,channel:block";
  auto s = validate(a, kKnown);
  ASSERT_TRUE(s.has_value());
  ASSERT_EQ(s->only.size(), 2U);
  EXPECT_EQ(s->only[0].mechanism, "pipe");
  EXPECT_FALSE(s->only[0].mode.has_value());
  EXPECT_EQ(s->only[1].mechanism, "channel");
  EXPECT_EQ(s->only[1].mode, "block");
}

TEST(BenchOptions, OnlyRefusesUnknownMechanismsModesAndMissingPeersWithTheReason) {
  BenchArgs a;
  a.only = "pipe,carrier-pigeon";
  EXPECT_EQ(error_of(a),
            "--only: unknown mechanism 'carrier-pigeon' ('ipckit bench --list' shows them)");
  a.only = "channel:turbo";
  EXPECT_EQ(error_of(a), "--only: 'channel' has no mode 'turbo' (modes: busy-poll, block)");
  a.only = "nng";
  EXPECT_EQ(error_of(a),
            "--only: 'nng' cannot run here: ipckit-bench-nng not installed: built only when "
            "libnng-dev is found");
  a.only = "";
  EXPECT_EQ(error_of(a), "--only: empty mechanism name in ''");
  a.only = "pipe\n";
  EXPECT_EQ(error_of(a), "--only: unknown mechanism 'pipe\\n' ('ipckit bench --list' shows them)");
}

TEST(BenchOptions, JsonAndCsvExcludeEachOtherAndListTakesNoOutputFile) {
  BenchArgs a;
  a.json = true;
  a.csv = true;
  EXPECT_EQ(error_of(a), "--json and --csv exclude each other");
  BenchArgs l;
  l.list = true;
  l.plot = "x.svg";
  EXPECT_EQ(error_of(l),
            "--list prints the mechanisms; it takes no --json, --csv, --plot or --html");
  BenchArgs c;
  c.csv = true;
  EXPECT_EQ(validate(c, kKnown)->output, Output::kCsv);
  BenchArgs n;
  n.no_pin = true;
  EXPECT_FALSE(validate(n, kKnown)->pin);
}

}  // namespace
}  // namespace ipckit::bench
