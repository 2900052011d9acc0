#include "ipckit/sysv/key.hpp"

#include <gtest/gtest.h>
#include <sys/ipc.h>
#include <sys/stat.h>

#include <cerrno>
#include <string>

#include "support/ipc_test_support.hpp"

namespace ipckit::sysv {
namespace {

TEST(SysvKey, FromPathOfMissingFileFailsWithEnoent) {
  const std::string path = "/tmp/" + test::unique_name("missing");
  auto key = Key::from_path(path, 'k');
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error().code(), ENOENT);
  EXPECT_EQ(key.error().operation(), "ftok");
  EXPECT_EQ(key.error().object(), path);
}

TEST(SysvKey, FromPathWithZeroLowBitsInProjIdFailsWithEinval) {
  auto key = Key::from_path("/", 0x100);
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error().code(), EINVAL);
  EXPECT_FALSE(Key::from_path("/", 0));
}

TEST(SysvKey, FromPathMatchesFtokAndDependsOnProjId) {
  auto a = Key::from_path("/", 'a');
  auto b = Key::from_path("/", 'b');
  ASSERT_TRUE(a) << a.error().message();
  ASSERT_TRUE(b) << b.error().message();
  EXPECT_EQ(a->value(), ::ftok("/", 'a'));
  EXPECT_NE(*a, *b);
}

TEST(SysvKey, ParseAcceptsDecimal) {
  auto key = Key::parse("1234");
  ASSERT_TRUE(key) << key.error().message();
  EXPECT_EQ(key->value(), 1234);
}

TEST(SysvKey, ParseAcceptsHexWithEitherCasePrefix) {
  auto lower = Key::parse("0x4d2");
  auto upper = Key::parse("0X4D2");
  ASSERT_TRUE(lower) << lower.error().message();
  ASSERT_TRUE(upper) << upper.error().message();
  EXPECT_EQ(lower->value(), 0x4d2);
  EXPECT_EQ(upper->value(), 0x4d2);
}

TEST(SysvKey, ParseAcceptsOctalWithLeadingZero) {
  auto key = Key::parse("02322");
  ASSERT_TRUE(key) << key.error().message();
  EXPECT_EQ(key->value(), 02322);
}

TEST(SysvKey, ParseOfZeroIsThePrivateKey) {
  auto key = Key::parse("0");
  ASSERT_TRUE(key) << key.error().message();
  EXPECT_TRUE(key->is_private());
}

TEST(SysvKey, ParseAcceptsNegativeDecimalAndFullUnsignedRange) {
  auto negative = Key::parse("-1");
  auto unsigned_max = Key::parse("0xffffffff");
  ASSERT_TRUE(negative) << negative.error().message();
  ASSERT_TRUE(unsigned_max) << unsigned_max.error().message();
  EXPECT_EQ(negative->value(), -1);
  EXPECT_EQ(unsigned_max->value(), -1);
}

TEST(SysvKey, ParseOfGarbageFailsWithEinval) {
  for (const char* text :
       {"", "-", "0x", "abc", "12abc", "0x1g", "089", " 1", "1 ", "+1", "-0x1", "-01"}) {
    auto key = Key::parse(text);
    ASSERT_FALSE(key) << "'" << text << "' parsed as " << key->value();
    EXPECT_EQ(key.error().code(), EINVAL) << "'" << text << "': " << key.error().message();
  }
}

TEST(SysvKey, ParseErrorQuotesTheText) {
  auto key = Key::parse("abc");
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error().message(), "parse key('abc'): not a number");
}

TEST(SysvKey, ParseOfOverflowFailsWithErange) {
  for (const char* text : {"0x100000000", "4294967296", "99999999999999999999999", "-2147483649"}) {
    auto key = Key::parse(text);
    ASSERT_FALSE(key) << "'" << text << "' parsed as " << key->value();
    EXPECT_EQ(key.error().code(), ERANGE) << "'" << text << "': " << key.error().message();
  }
}

TEST(SysvKey, HexIsEightZeroPaddedLowercaseDigits) {
  EXPECT_EQ(Key(0x4d2).hex(), "0x000004d2");
  EXPECT_EQ(Key(0x1a2b3c4d).hex(), "0x1a2b3c4d");
  EXPECT_EQ(Key(-1).hex(), "0xffffffff");
  EXPECT_EQ(Key::private_key().hex(), "0x00000000");
}

TEST(SysvKey, DescribeNamesTheKeyOrIpcPrivate) {
  EXPECT_EQ(Key(0x1a2b3c4d).describe(), "key 0x1a2b3c4d");
  EXPECT_EQ(Key::private_key().describe(), "IPC_PRIVATE");
}

TEST(SysvKey, HexRoundTripsThroughParse) {
  const Key original = test::unique_key();
  auto parsed = Key::parse(original.hex());
  ASSERT_TRUE(parsed) << parsed.error().message();
  EXPECT_EQ(*parsed, original);
}

}  // namespace
}  // namespace ipckit::sysv
