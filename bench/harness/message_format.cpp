#include "harness/message_format.hpp"

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace ipckit::bench {
namespace {

constexpr std::size_t kStampBytes = 8;
// Pattern shifts: prime, so seq % kShifts differs between any two of 61 neighbouring messages.
constexpr std::size_t kShifts = 61;
constexpr std::uint64_t kSeqMask = (std::uint64_t{1} << 56) - 1;

std::uint64_t stamp(int producer, std::uint64_t seq) {
  return (static_cast<std::uint64_t>(producer) << 56) | (seq & kSeqMask);
}

std::uint64_t load64(const std::byte* p) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// [begin, end) of the body inside a message of `size` bytes: between the stamps.
std::size_t body_begin() {
  return kStampBytes;
}
std::size_t body_end(std::size_t size) {
  return size >= 2 * kStampBytes ? size - kStampBytes : size;
}

// Position-dependent checksum of `bytes`: four interleaved Fletcher-style lanes over 64-bit words
// (s1 = running sum, s2 = sum of the running sums, so a word's weight depends on its position),
// combined with distinct odd factors so words that trade places between lanes change the result.
// Four independent lanes keep the loop at memory speed.
std::uint64_t checksum(const std::byte* bytes, std::size_t n) {
  std::uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    a0 += load64(bytes + i);
    a1 += load64(bytes + i + 8);
    a2 += load64(bytes + i + 16);
    a3 += load64(bytes + i + 24);
    b0 += a0;
    b1 += a1;
    b2 += a2;
    b3 += a3;
  }
  for (; i + 8 <= n; i += 8) {
    a0 += load64(bytes + i);
    b0 += a0;
  }
  if (i < n) {
    std::uint64_t tail = 0;
    std::memcpy(&tail, bytes + i, n - i);
    a0 += tail ^ (std::uint64_t{0x9e3779b97f4a7c15} * (n - i));
    b0 += a0;
  }
  return (a0 + 3 * a1 + 5 * a2 + 7 * a3) ^ ((b0 + 11 * b1 + 13 * b2 + 17 * b3) * 0x100000001b3) ^ n;
}

}  // namespace

MessageFormat::MessageFormat(std::size_t size, int producers)
    : size_(size < kStampBytes ? kStampBytes : size),
      producers_(producers < 1 ? 1 : (producers > 255 ? 255 : producers)) {
  const std::size_t body = body_end(size_) - body_begin();
  pattern_.resize(body + kShifts);
  std::uint64_t x = 0x2545f4914f6cdd1dULL ^ size_;  // xorshift64: no period shorter than the body
  for (auto& b : pattern_) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    b = static_cast<std::byte>(x >> 24);
  }
  body_sum_.resize(kShifts);
  for (std::size_t s = 0; s < kShifts; ++s)
    body_sum_[s] = checksum(pattern_.data() + s, body);
}

void MessageFormat::fill(std::span<std::byte> out, int producer, std::uint64_t seq) const noexcept {
  const std::uint64_t st = stamp(producer, seq);
  std::byte* p = out.data();
  const std::size_t end = body_end(size_);
  std::memcpy(p, &st, kStampBytes);
  std::memcpy(p + body_begin(), pattern_.data() + seq % kShifts, end - body_begin());
  if (end != size_) std::memcpy(p + end, &st, kStampBytes);
}

StreamCheck::StreamCheck(const MessageFormat& format)
    : format_(&format), next_(static_cast<std::size_t>(format.producers_), 0) {}

Result<void> StreamCheck::check(std::span<const std::byte> message) {
  const std::size_t size = format_->size_;
  const auto bad = [](std::string what) { return fail(EBADMSG, "check", "", std::move(what)); };
  if (message.size() < kStampBytes)
    return bad(fmt::format("a message of {} bytes, not {}", message.size(), size));
  const std::uint64_t head = load64(message.data());
  const auto producer = static_cast<int>(head >> 56);
  const std::uint64_t seq = head & kSeqMask;
  if (producer >= format_->producers_)
    return bad(fmt::format("a message from unknown producer {} (stamp {:#x}, {} bytes)", producer,
                           head, message.size()));
  if (message.size() != size)
    return bad(fmt::format("message {} of producer {} is {} bytes, not {}", seq, producer,
                           message.size(), size));
  std::uint64_t& next = next_[static_cast<std::size_t>(producer)];
  if (seq != next) {
    return bad(fmt::format("expected message {} of producer {}, got {} ({})", next, producer, seq,
                           seq < next ? "duplicated or reordered" : "lost or reordered"));
  }
  const std::size_t end = body_end(size);
  if (end != size) {
    const std::uint64_t tail = load64(message.data() + end);
    if (tail != head)
      return bad(fmt::format("message {} of producer {}: last 8 bytes hold stamp {:#x}, not {:#x}",
                             seq, producer, tail, head));
  }
  const std::uint64_t sum = checksum(message.data() + body_begin(), end - body_begin());
  const std::uint64_t want = format_->body_sum_[seq % kShifts];
  if (sum != want)
    return bad(fmt::format("message {} of producer {}: checksum {:#018x}, not {:#018x} (corrupted)",
                           seq, producer, sum, want));
  ++next;
  return {};
}

std::uint64_t StreamCheck::received(int producer) const noexcept {
  if (producer < 0 || static_cast<std::size_t>(producer) >= next_.size()) return 0;
  return next_[static_cast<std::size_t>(producer)];
}

std::uint64_t StreamCheck::received_total() const noexcept {
  std::uint64_t total = 0;
  for (auto n : next_)
    total += n;
  return total;
}

}  // namespace ipckit::bench
