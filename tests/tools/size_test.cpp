#include "cli/size.hpp"

#include <gtest/gtest.h>

namespace ipckit::cli {
namespace {

TEST(CliSize, ParsesPlainNumbersAndBinarySuffixes) {
  EXPECT_EQ(parse_size("0"), 0u);
  EXPECT_EQ(parse_size("65536"), 65536u);
  EXPECT_EQ(parse_size("64K"), 65536u);
  EXPECT_EQ(parse_size("64k"), 65536u);
  EXPECT_EQ(parse_size("1M"), 1u << 20);
  EXPECT_EQ(parse_size("1G"), 1u << 30);
  EXPECT_EQ(parse_size("1T"), std::uint64_t{1} << 40);
}

TEST(CliSize, RejectsGarbageSignsFractionsAndSpaces) {
  for (const char* bad : {"", "K", "1Q", "-1", "+1", "1.5M", " 1", "1 ", "1KB", "1MK", "0x10"}) {
    EXPECT_FALSE(parse_size(bad)) << "'" << bad << "'";
  }
}

TEST(CliSize, RejectsValuesThatOverflow64Bits) {
  EXPECT_FALSE(parse_size("18446744073709551616"));
  EXPECT_FALSE(parse_size("16777216T"));
  EXPECT_EQ(parse_size("18446744073709551615"), UINT64_MAX);
}

TEST(CliSize, FormatsHumanReadableSizes) {
  EXPECT_EQ(format_size(512), "512 B");
  EXPECT_EQ(format_size(65536), "64 KiB");
  EXPECT_EQ(format_size(1u << 30), "1 GiB");
}

}  // namespace
}  // namespace ipckit::cli
