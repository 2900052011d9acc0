#include "ipckit/unix/framing.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <string>
#include <thread>
#include <vector>

#include "ipckit/unix/socket.hpp"
#include "support/ipc_test_support.hpp"

namespace ipckit::uds {
namespace {

using namespace std::chrono_literals;

struct NoFdLeak {
  int before = test::count_open_fds();
  ~NoFdLeak() { EXPECT_EQ(test::count_open_fds(), before) << "descriptor leak"; }
};

using test::code_of;

std::vector<std::byte> pattern(std::size_t size) {
  std::vector<std::byte> v(size);
  for (std::size_t i = 0; i < size; ++i)
    v[i] = std::byte((i * 31 + 7) & 0xff);
  return v;
}

SocketPair stream_pair() {
  auto pair = UnixSocket::pair(SocketType::kStream);
  EXPECT_TRUE(pair);
  return std::move(*pair);
}

TEST(UnixFraming, HeaderIsFourBytesLittleEndian) {
  const auto h = encode_frame_header(0x01020304u);
  EXPECT_EQ(h[0], std::byte{0x04});
  EXPECT_EQ(h[1], std::byte{0x03});
  EXPECT_EQ(h[2], std::byte{0x02});
  EXPECT_EQ(h[3], std::byte{0x01});
  EXPECT_EQ(decode_frame_header(h), 0x01020304u);
}

TEST(UnixFraming, FramesRoundTripIncludingEmptyOnes) {
  NoFdLeak leak;
  auto [a, b] = stream_pair();
  const auto big = pattern(1000);
  ASSERT_TRUE(write_frame(a, pattern(3)));
  ASSERT_TRUE(write_frame(a, {}));
  ASSERT_TRUE(write_frame(a, big));
  auto f1 = read_frame(b);
  auto f2 = read_frame(b);
  auto f3 = read_frame(b);
  ASSERT_TRUE(f1 && f2 && f3);
  ASSERT_TRUE(f1->has_value() && f2->has_value() && f3->has_value());
  EXPECT_EQ(**f1, pattern(3));
  EXPECT_TRUE((*f2)->empty());
  EXPECT_EQ(**f3, big);
}

TEST(UnixFraming, WireBytesAreHeaderThenPayload) {
  NoFdLeak leak;
  auto [a, b] = stream_pair();
  ASSERT_TRUE(write_frame(a, std::as_bytes(std::span("hi", 2))));
  std::array<std::byte, 16> raw{};
  auto n = b.receive(raw);
  ASSERT_TRUE(n);
  ASSERT_EQ(*n, 6u);
  EXPECT_EQ(decode_frame_header(std::span(raw).first<4>()), 2u);
  EXPECT_EQ(raw[4], std::byte{'h'});
}

TEST(UnixFraming, CleanEofAtAFrameBoundaryIsNullopt) {
  NoFdLeak leak;
  auto [a, b] = stream_pair();
  ASSERT_TRUE(write_frame(a, pattern(5)));
  { auto gone = std::move(a); }
  auto f = read_frame(b);
  ASSERT_TRUE(f && f->has_value());
  auto end = read_frame(b);
  ASSERT_TRUE(end);
  EXPECT_FALSE(end->has_value());
}

TEST(UnixFraming, FramesSplitAcrossManyWritesArriveWhole) {
  NoFdLeak leak;
  auto [a, b] = stream_pair();
  const auto payload = pattern(10);
  std::vector<std::byte> wire;
  for (const std::byte x : encode_frame_header(10))
    wire.push_back(x);
  for (const std::byte x : payload)
    wire.push_back(x);
  // The writer dribbles the frame a byte or two at a time, so every recv is partial.
  std::thread writer([&, &a = a] {
    for (std::size_t i = 0; i < wire.size(); i += 2) {
      (void)a.send(std::span(wire).subspan(i, std::min<std::size_t>(2, wire.size() - i)));
      std::this_thread::sleep_for(2ms);
    }
  });
  auto f = read_frame(b);
  writer.join();
  ASSERT_TRUE(f && f->has_value()) << (f ? "" : f.error().message());
  EXPECT_EQ(**f, payload);
}

TEST(UnixFraming, FrameLargerThanTheSocketBufferIsWrittenInParts) {
  NoFdLeak leak;
  auto [a, b] = stream_pair();
  const auto payload = pattern(8 << 20);
  Result<std::optional<std::vector<std::byte>>> got = std::nullopt;
  std::thread reader([&, &b = b] { got = read_frame(b, 16 << 20); });
  auto r = write_frame(a, payload, 16 << 20);
  reader.join();
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_TRUE(got && got->has_value());
  EXPECT_EQ(**got, payload);
}

TEST(UnixFraming, EofMidPayloadFailsWithEproto) {
  NoFdLeak leak;
  auto [a, b] = stream_pair();
  const auto header = encode_frame_header(10);
  ASSERT_TRUE(a.send_all(header));
  ASSERT_TRUE(a.send_all(pattern(3)));
  ASSERT_TRUE(a.shutdown(Shutdown::kWrite));
  auto f = read_frame(b);
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code(), EPROTO);
  EXPECT_NE(f.error().message().find("after 3 of 10 payload bytes"), std::string::npos)
      << f.error().message();
}

TEST(UnixFraming, EofMidHeaderFailsWithEproto) {
  NoFdLeak leak;
  auto [a, b] = stream_pair();
  ASSERT_TRUE(a.send_all(pattern(2)));
  { auto gone = std::move(a); }
  auto f = read_frame(b);
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code(), EPROTO);
  EXPECT_NE(f.error().message().find("after 2 of 4 header bytes"), std::string::npos);
}

TEST(UnixFraming, OversizeFrameFailsWithEmsgsizeWithoutReadingThePayload) {
  NoFdLeak leak;
  auto [a, b] = stream_pair();
  const auto header = encode_frame_header(1000);
  ASSERT_TRUE(a.send_all(header));
  ASSERT_TRUE(a.send_all(pattern(5)));
  auto f = read_frame(b, 100);
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code(), EMSGSIZE);
  // The payload bytes are still in the socket: nothing past the header was read.
  std::array<std::byte, 16> rest{};
  auto n = b.receive(rest);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 5u);
}

TEST(UnixFraming, WritingAnOversizeFrameFailsWithEmsgsizeAndSendsNothing) {
  NoFdLeak leak;
  auto [a, b] = stream_pair();
  EXPECT_EQ(code_of(write_frame(a, pattern(101), 100)), EMSGSIZE);
  ASSERT_TRUE(b.set_blocking(Blocking::kNo));
  std::array<std::byte, 4> buf{};
  EXPECT_EQ(code_of(b.receive(buf)), EAGAIN);
}

TEST(UnixFraming, WriteToAClosedPeerFailsWithEpipe) {
  NoFdLeak leak;
  auto [a, b] = stream_pair();
  { auto gone = std::move(b); }
  EXPECT_EQ(code_of(write_frame(a, pattern(4))), EPIPE);
}

TEST(UnixFraming, ReadWithNothingQueuedFailsWithEagainOrEtimedout) {
  NoFdLeak leak;
  auto [a, b] = stream_pair();
  ASSERT_TRUE(b.set_receive_timeout(10ms));
  EXPECT_EQ(code_of(read_frame(b)), ETIMEDOUT);
  ASSERT_TRUE(b.set_blocking(Blocking::kNo));
  EXPECT_EQ(code_of(read_frame(b)), EAGAIN);
  // At a frame boundary nothing was consumed: a frame sent now still reads whole.
  ASSERT_TRUE(write_frame(a, pattern(3)));
  auto f = read_frame(b);
  ASSERT_TRUE(f && f->has_value());
  EXPECT_EQ(**f, pattern(3));
}

TEST(UnixFraming, NonBlockingReaderFinishesAFrameOnceStarted) {
  NoFdLeak leak;
  auto [a, b] = stream_pair();
  ASSERT_TRUE(b.set_blocking(Blocking::kNo));
  const auto header = encode_frame_header(6);
  ASSERT_TRUE(a.send_all(header));
  ASSERT_TRUE(a.send_all(pattern(2)));
  const auto whole = pattern(6);
  std::thread late([&, &a = a] {
    std::this_thread::sleep_for(30ms);
    (void)a.send_all(std::span(whole).subspan(2));
  });
  auto f = read_frame(b);
  late.join();
  ASSERT_TRUE(f && f->has_value()) << (f ? "" : f.error().message());
  EXPECT_EQ(**f, pattern(6));
}

TEST(UnixFraming, TimeoutMidFrameFailsWithEtimedoutAndSaysTheStreamIsUnusable) {
  NoFdLeak leak;
  auto [a, b] = stream_pair();
  ASSERT_TRUE(b.set_receive_timeout(20ms));
  const auto header = encode_frame_header(6);
  ASSERT_TRUE(a.send_all(header));
  auto f = read_frame(b);
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code(), ETIMEDOUT);
  EXPECT_NE(f.error().message().find("unusable"), std::string::npos) << f.error().message();
}

}  // namespace
}  // namespace ipckit::uds
