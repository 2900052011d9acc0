// The bridge's frames: what one side encodes the other decodes, and what is not a frame is
// refused with EPROTO.
#include "ipckit/bridge/wire.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace ipckit::bridge {
namespace {

std::span<const std::byte> bytes_of(const std::string& s) {
  return std::as_bytes(std::span(s.data(), s.size()));
}

TEST(BridgeWire, AHeaderDecodesToWhatWasEncoded) {
  Header h;
  h.type = Type::kData;
  h.count = 513;
  h.epoch = 77;
  h.incarnation = 0x1122334455667788ULL;
  h.seq = 4096;
  h.prev = kNone;
  auto frame = encode(h);
  auto back = decode(frame);
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(back->type, Type::kData);
  EXPECT_EQ(back->count, 513);
  EXPECT_EQ(back->epoch, 77u);
  EXPECT_EQ(back->incarnation, h.incarnation);
  EXPECT_EQ(back->seq, 4096u);
  EXPECT_EQ(back->prev, kNone);
}

TEST(BridgeWire, FramesThatAreNotOursAreRefusedWithEproto) {
  auto frame = encode(Header{});
  auto shorter = decode(std::span(frame).first(kHeaderSize - 1));
  ASSERT_FALSE(shorter);
  EXPECT_EQ(shorter.error().code(), EPROTO);
  auto bad_magic = frame;
  bad_magic[0] = std::byte{0};
  EXPECT_FALSE(decode(bad_magic));
  auto bad_version = frame;
  bad_version[5] = std::byte{kVersion + 1};
  auto v = decode(bad_version);
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().message().find("version"), std::string::npos);
  auto bad_type = frame;
  bad_type[4] = std::byte{99};
  EXPECT_FALSE(decode(bad_type));
  auto zero_type = frame;
  zero_type[4] = std::byte{0};
  EXPECT_FALSE(decode(zero_type));
}

TEST(BridgeWire, ABatchKeepsEveryMessageAndItsPosition) {
  std::vector<std::byte> body;
  const std::vector<std::string> messages = {"", "a", "seven b", std::string(1000, 'x')};
  std::uint64_t start = 100;
  std::vector<std::uint64_t> starts;
  for (const auto& m : messages) {
    append_to_batch(body, start, bytes_of(m));
    starts.push_back(start);
    start += 64 + m.size();
  }
  auto batch = decode_batch(body, static_cast<std::uint16_t>(messages.size()));
  ASSERT_TRUE(batch) << batch.error().message();
  ASSERT_EQ(batch->size(), messages.size());
  for (std::size_t i = 0; i < messages.size(); ++i) {
    EXPECT_EQ((*batch)[i].start, starts[i]);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>((*batch)[i].bytes.data()),
                          (*batch)[i].bytes.size()),
              messages[i]);
  }
}

TEST(BridgeWire, ABatchThatLiesAboutItselfIsRefused) {
  std::vector<std::byte> body;
  append_to_batch(body, 8, bytes_of("hello"));
  append_to_batch(body, 64, bytes_of("world"));
  EXPECT_FALSE(decode_batch(body, 3));  // says three, holds two
  EXPECT_FALSE(decode_batch(body, 1));  // says one, holds more
  auto cut = std::span<const std::byte>(body).first(body.size() - 3);
  EXPECT_FALSE(decode_batch(cut, 2));
  // A length field larger than the frame.
  auto big = body;
  const std::uint32_t huge = 1U << 30U;
  std::memcpy(big.data() + 8, &huge, 4);
  auto r = decode_batch(big, 2);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), EPROTO);
  // Positions that do not grow.
  std::vector<std::byte> backwards;
  append_to_batch(backwards, 64, bytes_of("a"));
  append_to_batch(backwards, 64, bytes_of("b"));
  EXPECT_FALSE(decode_batch(backwards, 2));
}

TEST(BridgeWire, IncarnationsDifferWithTimeAndCreatorAndAreNeverZero) {
  const auto a = source_incarnation(1'700'000'000'000'000'000, 42);
  EXPECT_NE(a, source_incarnation(1'700'000'000'000'000'001, 42));
  EXPECT_NE(a, source_incarnation(1'700'000'000'000'000'000, 43));
  EXPECT_EQ(a, source_incarnation(1'700'000'000'000'000'000, 42));
  EXPECT_NE(source_incarnation(0, 0), 0u);
}

}  // namespace
}  // namespace ipckit::bridge
