// PIPE_BUF atomicity under contention: four forked writers each send 20,000 records of varying
// sizes up to PIPE_BUF through one FIFO, one write() per record; the reader checks that every
// record arrives whole (header, length, checksum, payload pattern) and in each writer's order.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <vector>

#include "ipckit/fifo.hpp"
#include "posix/fifo_test_support.hpp"

namespace ipckit {
namespace {

constexpr int kWriters = 4;
constexpr std::uint32_t kRecordsPerWriter = 20'000;
constexpr std::uint32_t kMagic = 0x46494630;  // "FIF0"

struct Header {
  std::uint32_t magic;
  std::uint16_t writer;
  std::uint16_t size;  // of the whole record, header included
  std::uint32_t seq;
  std::uint32_t checksum;  // FNV-1a of the payload, seeded with writer and seq
};
constexpr std::size_t kHeader = sizeof(Header);
static_assert(kHeader == 16);

// Record sizes cover the boundary: exactly PIPE_BUF, just under it, and many small ones.
std::size_t record_size(int writer, std::uint32_t seq) {
  switch (seq % 8) {
    case 0:
      return kPipeBuf;
    case 1:
      return kPipeBuf - 1 - (seq % 61);
    default:
      return kHeader + ((seq * 2654435761u + static_cast<unsigned>(writer) * 97u) % 512u);
  }
}

std::byte payload_byte(int writer, std::uint32_t seq, std::size_t i) {
  return static_cast<std::byte>((static_cast<std::size_t>(writer) * 31 + seq * 7 + i) & 0xff);
}

std::uint32_t checksum(int writer, std::uint32_t seq, std::span<const std::byte> payload) {
  std::uint32_t h = 2166136261u ^ (static_cast<std::uint32_t>(writer) << 24) ^ seq;
  for (const std::byte b : payload)
    h = (h ^ static_cast<std::uint32_t>(b)) * 16777619u;
  return h;
}

// The child's whole life: open the FIFO for writing, send every record, exit.
int run_writer(const std::string& path, int writer) {
  auto w = Fifo::open(path, FifoEnd::kWrite);
  if (!w) return 2;
  std::vector<std::byte> record(kPipeBuf);
  for (std::uint32_t seq = 0; seq < kRecordsPerWriter; ++seq) {
    const std::size_t size = record_size(writer, seq);
    for (std::size_t i = kHeader; i < size; ++i)
      record[i] = payload_byte(writer, seq, i);
    const Header h{kMagic, static_cast<std::uint16_t>(writer), static_cast<std::uint16_t>(size),
                   seq, checksum(writer, seq, std::span(record).subspan(kHeader, size - kHeader))};
    std::memcpy(record.data(), &h, kHeader);
    auto n = w->write(std::span(record).first(size));
    if (!n || *n != size) return 3;  // a short write would break the atomicity promise
  }
  return 0;
}

// Checks one record at the front of `data`; returns an empty string if it is whole and in order.
std::string check_record(std::span<const std::byte> data,
                         std::array<std::uint32_t, kWriters>& next) {
  Header h{};
  std::memcpy(&h, data.data(), kHeader);
  if (h.magic != kMagic) return "bad magic: a record was torn or interleaved";
  if (h.writer >= kWriters) return "bad writer id";
  if (h.seq != next[h.writer])
    return "writer " + std::to_string(h.writer) + ": seq " + std::to_string(h.seq) + " after " +
           std::to_string(next[h.writer]);
  if (h.size != record_size(h.writer, h.seq)) return "bad size";
  const auto payload = data.subspan(kHeader, h.size - kHeader);
  for (std::size_t i = 0; i < payload.size(); ++i) {
    if (payload[i] != payload_byte(h.writer, h.seq, kHeader + i)) return "payload corrupted";
  }
  if (h.checksum != checksum(h.writer, h.seq, payload)) return "bad checksum";
  ++next[h.writer];
  return {};
}

TEST(FifoRace, WritesOfAtMostPipeBufFromFourWritersAreNeverInterleaved) {
  fifotest::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string path = dir.path("race");
  ASSERT_TRUE(Fifo::make(path));
  // Open the read end first (non-blocking: no writer yet), and hold a write end until every
  // writer has been forked, so the reader cannot see end-of-file before they open theirs.
  auto reader = Fifo::open(path, FifoEnd::kRead, FifoBlocking::kNonBlock);
  ASSERT_TRUE(reader) << reader.error().message();
  std::optional<Result<Fifo>> keeper = Fifo::open(path, FifoEnd::kWrite, FifoBlocking::kNonBlock);
  ASSERT_TRUE(*keeper);
  ASSERT_TRUE(reader->set_nonblocking(false));

  std::vector<pid_t> children;
  auto reap = test::ScopeExit([&] {  // on an early failure: stop and reap every writer
    for (const pid_t pid : children) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  });
  std::fflush(nullptr);
  for (int w = 0; w < kWriters; ++w) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(reader->fd().get());  // a writer must never hold a read end: EPIPE if we die
      ::_exit(run_writer(path, w));
    }
    children.push_back(pid);
  }
  keeper.reset();

  std::array<std::uint32_t, kWriters> next{};
  std::vector<std::byte> buf(1 << 16);
  std::size_t have = 0;
  std::uint64_t records = 0;
  for (;;) {
    auto n = reader->read(std::span(buf).subspan(have));
    ASSERT_TRUE(n) << n.error().message();
    if (*n == 0) break;  // every writer is gone
    have += *n;
    std::size_t at = 0;
    while (have - at >= kHeader) {
      Header h{};
      std::memcpy(&h, buf.data() + at, kHeader);
      ASSERT_EQ(h.magic, kMagic) << "after " << records << " records";
      ASSERT_LE(h.size, kPipeBuf);
      ASSERT_GE(h.size, kHeader);
      if (have - at < h.size) break;
      const std::string bad = check_record(std::span(buf).subspan(at, h.size), next);
      ASSERT_TRUE(bad.empty()) << bad << " (after " << records << " records)";
      at += h.size;
      ++records;
    }
    std::memmove(buf.data(), buf.data() + at, have - at);
    have -= at;
  }
  EXPECT_EQ(have, 0u) << "a partial record was left at end of file";
  EXPECT_EQ(records, std::uint64_t{kWriters} * kRecordsPerWriter);
  for (std::size_t w = 0; w < next.size(); ++w) {
    EXPECT_EQ(next[w], kRecordsPerWriter) << "writer " << w;
  }
  for (const pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  }
  children.clear();
}

}  // namespace
}  // namespace ipckit
