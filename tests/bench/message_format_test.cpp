// MessageFormat and StreamCheck: what the sender writes, and that the receiver's check catches a
// short, long, reordered, duplicated, lost or corrupted message with a reason naming it.
#include "harness/message_format.hpp"

#include <cerrno>
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

namespace ipckit::bench {
namespace {

std::vector<std::byte> message(const MessageFormat& format, int producer, std::uint64_t seq) {
  std::vector<std::byte> m(format.size());
  format.fill(m, producer, seq);
  return m;
}

std::string error_of(StreamCheck& check, std::span<const std::byte> m) {
  auto r = check.check(m);
  if (r) return "";
  EXPECT_EQ(r.error().code(), EBADMSG);
  return r.error().message();
}

class BenchMessageFormatSizes : public ::testing::TestWithParam<std::size_t> {};

TEST_P(BenchMessageFormatSizes, AStreamInOrderPasses) {
  const MessageFormat format(GetParam());
  StreamCheck check(format);
  for (std::uint64_t seq = 0; seq < 200; ++seq)
    ASSERT_EQ(error_of(check, message(format, 0, seq)), "") << "seq " << seq;
  EXPECT_EQ(check.received(0), 200u);
  EXPECT_EQ(check.received_total(), 200u);
}

// Sanitizer builds run the checksum ~20x slower: there, large sizes flip every 7th byte and the
// first and last 64 (the default build flips every byte of every size).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr std::size_t kEveryByteUpTo = 4096;
#else
constexpr std::size_t kEveryByteUpTo = std::size_t{1} << 30;
#endif

TEST_P(BenchMessageFormatSizes, EveryFlippedByteIsCaught) {
  const MessageFormat format(GetParam());
  const auto first = message(format, 0, 0);
  auto second = message(format, 0, 1);
  const std::size_t n = format.size();
  for (std::size_t at = 0; at < n; ++at) {
    if (n > kEveryByteUpTo && at >= 64 && at + 64 < n && at % 7 != 0) continue;
    StreamCheck check(format);
    ASSERT_EQ(error_of(check, first), "");
    second[at] ^= std::byte{0x01};
    EXPECT_NE(error_of(check, second), "") << "byte " << at << " of " << n;
    second[at] ^= std::byte{0x01};
  }
}

TEST_P(BenchMessageFormatSizes, StampsAtBothEnds) {
  const MessageFormat format(GetParam(), 3);
  const auto m = message(format, 2, 77);
  std::uint64_t head = 0, tail = 0;
  std::memcpy(&head, m.data(), 8);
  std::memcpy(&tail, m.data() + m.size() - 8, 8);
  EXPECT_EQ(head, (std::uint64_t{2} << 56) | 77);
  if (format.size() >= 16) {
    EXPECT_EQ(tail, head);
  }
}

INSTANTIATE_TEST_SUITE_P(Sizes, BenchMessageFormatSizes,
                         ::testing::Values(8, 9, 15, 16, 17, 24, 64, 100, 1000, 4096, 65536));

TEST(BenchMessageFormat, NeighbouringMessagesHaveDifferentBodies) {
  const MessageFormat format(64);
  const auto a = message(format, 0, 10), b = message(format, 0, 11);
  EXPECT_NE(std::memcmp(a.data() + 8, b.data() + 8, 48), 0);
}

TEST(BenchMessageFormat, ShortMessageIsCaught) {
  const MessageFormat format(64);
  StreamCheck check(format);
  auto m = message(format, 0, 0);
  EXPECT_EQ(error_of(check, std::span(m).first(63)),
            "check: message 0 of producer 0 is 63 bytes, not 64");
  EXPECT_EQ(error_of(check, std::span(m).first(3)), "check: a message of 3 bytes, not 64");
  EXPECT_EQ(check.received(0), 0u);
}

TEST(BenchMessageFormat, LongMessageIsCaught) {
  const MessageFormat format(64);
  StreamCheck check(format);
  auto m = message(format, 0, 0);
  m.resize(65);
  EXPECT_EQ(error_of(check, m), "check: message 0 of producer 0 is 65 bytes, not 64");
}

TEST(BenchMessageFormat, ReorderedMessagesAreCaught) {
  const MessageFormat format(64);
  StreamCheck check(format);
  ASSERT_EQ(error_of(check, message(format, 0, 0)), "");
  EXPECT_EQ(error_of(check, message(format, 0, 2)),
            "check: expected message 1 of producer 0, got 2 (lost or reordered)");
}

TEST(BenchMessageFormat, DuplicatedMessageIsCaught) {
  const MessageFormat format(64);
  StreamCheck check(format);
  ASSERT_EQ(error_of(check, message(format, 0, 0)), "");
  ASSERT_EQ(error_of(check, message(format, 0, 1)), "");
  EXPECT_EQ(error_of(check, message(format, 0, 1)),
            "check: expected message 2 of producer 0, got 1 (duplicated or reordered)");
}

TEST(BenchMessageFormat, LostMessageIsCaught) {
  const MessageFormat format(4096);
  StreamCheck check(format);
  ASSERT_EQ(error_of(check, message(format, 0, 0)), "");
  EXPECT_EQ(error_of(check, message(format, 0, 5)),
            "check: expected message 1 of producer 0, got 5 (lost or reordered)");
}

TEST(BenchMessageFormat, StaleBodyUnderAFreshStampIsCaught) {
  // A mechanism that rewrote the stamps but delivered the previous message's body.
  const MessageFormat format(64);
  StreamCheck check(format);
  ASSERT_EQ(error_of(check, message(format, 0, 0)), "");
  auto m = message(format, 0, 0);
  const std::uint64_t stamp = 1;
  std::memcpy(m.data(), &stamp, 8);
  std::memcpy(m.data() + 56, &stamp, 8);
  EXPECT_NE(error_of(check, m).find("message 1 of producer 0: checksum"), std::string::npos);
}

TEST(BenchMessageFormat, SwappedWordsAreCaught) {
  const MessageFormat format(256);
  StreamCheck check(format);
  auto m = message(format, 0, 0);
  std::byte word[8];
  std::memcpy(word, m.data() + 8, 8);
  std::memcpy(m.data() + 8, m.data() + 40, 8);
  std::memcpy(m.data() + 40, word, 8);
  EXPECT_NE(error_of(check, m).find("(corrupted)"), std::string::npos);
}

// The checksum runs eight lanes over 64-byte blocks: words that trade places within a block
// (between lanes), whole blocks that trade places (same lanes, other positions), and a word that
// moves from the blocks to the tail words all change it.
TEST(BenchMessageFormat, WordsAndBlocksMovedInALargeMessageAreCaught) {
  const MessageFormat format(4096);
  const auto swap_words = [](std::vector<std::byte>& m, std::size_t a, std::size_t b,
                             std::size_t n) {
    std::vector<std::byte> t(m.begin() + static_cast<std::ptrdiff_t>(a),
                             m.begin() + static_cast<std::ptrdiff_t>(a + n));
    std::memmove(m.data() + a, m.data() + b, n);
    std::memcpy(m.data() + b, t.data(), n);
  };
  struct Move {
    std::size_t a, b, n;
  };
  // Offsets in the message: the body starts at 8, its 64-byte blocks at 8 + 64k, and the last
  // 56 bytes of the 4080-byte body are tail words.
  for (const Move mv : {Move{8, 16, 8}, Move{8, 64, 8}, Move{8 + 64, 8 + 128, 64},
                        Move{8, 8 + 64 * 62, 64}, Move{8 + 64 * 10, 4096 - 8 - 16, 8}}) {
    StreamCheck check(format);
    auto m = message(format, 0, 0);
    swap_words(m, mv.a, mv.b, mv.n);
    ASSERT_NE(std::memcmp(m.data(), message(format, 0, 0).data(), m.size()), 0);
    EXPECT_NE(error_of(check, m).find("(corrupted)"), std::string::npos)
        << mv.n << " bytes at " << mv.a << " and " << mv.b;
  }
}

TEST(BenchMessageFormat, TornMessageIsCaughtByItsTailStamp) {
  const MessageFormat format(64);
  StreamCheck check(format);
  auto m = message(format, 0, 0);
  const auto old_tail = message(format, 0, 7);
  std::memcpy(m.data() + 56, old_tail.data() + 56, 8);
  EXPECT_EQ(error_of(check, m),
            "check: message 0 of producer 0: last 8 bytes hold stamp 0x7, not 0x0");
}

TEST(BenchMessageFormat, ProducersAreCheckedIndependently) {
  const MessageFormat format(64, 2);
  StreamCheck check(format);
  ASSERT_EQ(error_of(check, message(format, 1, 0)), "");
  ASSERT_EQ(error_of(check, message(format, 0, 0)), "");
  ASSERT_EQ(error_of(check, message(format, 1, 1)), "");
  EXPECT_EQ(check.received(0), 1u);
  EXPECT_EQ(check.received(1), 2u);
  EXPECT_EQ(check.received_total(), 3u);
  EXPECT_EQ(error_of(check, message(format, 0, 2)),
            "check: expected message 1 of producer 0, got 2 (lost or reordered)");
}

TEST(BenchMessageFormat, UnknownProducerIsCaught) {
  const MessageFormat two(64, 2), one(64, 1);
  StreamCheck check(one);
  EXPECT_EQ(error_of(check, message(two, 1, 0)),
            "check: a message from unknown producer 1 (stamp 0x100000000000000, 64 bytes)");
}

}  // namespace
}  // namespace ipckit::bench
