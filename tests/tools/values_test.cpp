#include "cli/values.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace ipckit::cli {
namespace {

TEST(CliValues, SecondsAcceptDecimalsFractionsAndExponentsUpToTheMaximum) {
  EXPECT_EQ(parse_seconds("0"), 0.0);
  EXPECT_EQ(parse_seconds("2"), 2.0);
  EXPECT_EQ(parse_seconds("0.5"), 0.5);
  EXPECT_EQ(parse_seconds(".25"), 0.25);
  EXPECT_EQ(parse_seconds("1e3"), 1000.0);
  EXPECT_EQ(parse_seconds("1000000"), kMaxSeconds);
}

TEST(CliValues, SecondsRefuseNanInfinityNegativesHugeValuesAndGarbage) {
  for (const char* bad : {"", "nan", "NaN", "-nan", "inf", "infinity", "-1", "-0", "+1", "1e99",
                          "1000000.5", "1e7", " 1", "1 ", "1s", "0x10", "1,5", "."}) {
    EXPECT_FALSE(parse_seconds(bad)) << "'" << bad << "'";
  }
}

TEST(CliValues, UnsignedRefusesOverflowSignsAndTheEmptyString) {
  EXPECT_EQ(parse_unsigned("18446744073709551615", 0, UINT64_MAX), UINT64_MAX);
  EXPECT_FALSE(parse_unsigned("18446744073709551616", 0, UINT64_MAX));
  EXPECT_FALSE(parse_unsigned("", 0, UINT64_MAX));
  EXPECT_FALSE(parse_unsigned("-1", 0, UINT64_MAX));
  EXPECT_FALSE(parse_unsigned("+1", 0, UINT64_MAX));
  EXPECT_FALSE(parse_unsigned("0", 1, 10));
  EXPECT_FALSE(parse_unsigned("11", 1, 10));
  EXPECT_EQ(parse_unsigned("10", 1, 10), 10u);
}

TEST(CliValues, IntegerTakesASignOnlyWhenTheRangeIsNegative) {
  EXPECT_EQ(parse_integer("-5", -10, 10), -5);
  EXPECT_FALSE(parse_integer("-1", 0, 10));
  EXPECT_FALSE(parse_integer("", 0, 10));
  EXPECT_FALSE(parse_integer("1.0", 0, 10));
  EXPECT_FALSE(parse_integer("65536", 0, 65535));
  EXPECT_EQ(parse_integer("65535", 0, 65535), 65535);
}

TEST(CliValues, ControlCharactersAreNamedAndEscaped) {
  EXPECT_EQ(control_character_problem("orders"), std::nullopt);
  EXPECT_EQ(control_character_problem("caf\xc3\xa9"), std::nullopt);  // UTF-8 is fine
  EXPECT_EQ(control_character_problem("a\nb"), "contains a control character ('\\n')");
  EXPECT_EQ(control_character_problem("a\x1b[2Jb"), "contains a control character ('\\x1b')");
  EXPECT_EQ(control_character_problem("del\x7f"), "contains a control character ('\\x7f')");
  EXPECT_EQ(escape_controls("a\tb\nc\rd\x01"), "a\\tb\\nc\\rd\\x01");
}

TEST(CliValues, PosixNamesFollowTheLibrarysRuleAndPerKindLimit) {
  using posix::NameKind;
  EXPECT_EQ(posix_name_problem("/orders", NameKind::kMessageQueue), std::nullopt);
  EXPECT_EQ(posix_name_problem("", NameKind::kSharedMemory), "empty");
  EXPECT_EQ(posix_name_problem("a/b", NameKind::kSharedMemory),
            "'/' is allowed only as the first character");
  EXPECT_EQ(posix_name_problem("..", NameKind::kSemaphore), "'.' and '..' are reserved");
  EXPECT_EQ(posix_name_problem(std::string(251, 's'), NameKind::kSemaphore), std::nullopt);
  EXPECT_EQ(posix_name_problem(std::string(252, 's'), NameKind::kSemaphore),
            "252 bytes after the '/', at most 251 for a named semaphore");
  EXPECT_EQ(posix_name_problem(std::string(255, 'q'), NameKind::kMessageQueue), std::nullopt);
  EXPECT_EQ(posix_name_problem(std::string(256, 'q'), NameKind::kMessageQueue),
            "256 bytes after the '/', at most 255 for a message queue");
  EXPECT_EQ(posix_name_problem(std::string(201, 'c'), NameKind::kChannel),
            "201 bytes after the '/', at most 200 for a channel");
}

TEST(CliValues, ValidatorMessagesQuoteTheValueAndTheLimits) {
  std::string nan = "nan";
  EXPECT_EQ(seconds_validator()(nan), "invalid duration 'nan' (seconds, 0 to 1000000)");
  std::string empty;
  EXPECT_EQ(unsigned_validator(0, 65535)(empty),
            "invalid value '' (a whole number from 0 to 65535)");
  std::string zero = "0";
  EXPECT_EQ(integer_validator(1, 65535)(zero), "'0' not in range 1 to 65535");
  std::string huge = "18446744073709551616";
  EXPECT_EQ(unsigned_validator(0, UINT64_MAX)(huge),
            "'18446744073709551616' not in range 0 to 18446744073709551615");
}

}  // namespace
}  // namespace ipckit::cli
