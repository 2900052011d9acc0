#include "harness/message_format.hpp"

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "ipckit/core/copy.hpp"

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

// MurmurHash3's 64-bit finalizer: a bijection that spreads every input bit over the output.
std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

// Position-dependent checksum of `bytes`: eight Fletcher-style lanes over 64-bit words (a = running
// sum, b = sum of the running sums, so a word's weight depends on its position), combined with
// distinct odd factors so words that trade places between lanes change the result. The lanes are
// two 4 x 64-bit vectors (AVX2 where the CPU has it, two SSE2 halves otherwise): the receiver
// reads a large message at about the speed of a memcpy, so the check is not what a 64 KiB row
// measures. Words past the last whole 64-byte block go to lane 0, then a zero-padded tail word.
using U64x4 = std::uint64_t __attribute__((vector_size(32)));

[[gnu::always_inline]] inline std::uint64_t checksum_lanes(const std::byte* bytes, std::size_t n) {
  U64x4 a_lo{}, a_hi{}, b_lo{}, b_hi{};
  std::size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    U64x4 lo, hi;
    std::memcpy(&lo, bytes + i, sizeof lo);
    std::memcpy(&hi, bytes + i + 32, sizeof hi);
    a_lo += lo;
    a_hi += hi;
    b_lo += a_lo;
    b_hi += a_hi;
  }
  std::uint64_t a0 = a_lo[0], b0 = b_lo[0];
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
  // Odd lane factors keep every bit of a change; the bijective mix of each half before they are
  // combined keeps a change in one half from cancelling a change in the other.
  const std::uint64_t a = a0 + 3 * a_lo[1] + 5 * a_lo[2] + 7 * a_lo[3] + 9 * a_hi[0] +
                          11 * a_hi[1] + 13 * a_hi[2] + 15 * a_hi[3];
  const std::uint64_t b = b0 + 17 * b_lo[1] + 19 * b_lo[2] + 21 * b_lo[3] + 23 * b_hi[0] +
                          25 * b_hi[1] + 27 * b_hi[2] + 29 * b_hi[3];
  return mix64(a) ^ mix64(b ^ ~n);
}

// The lanes compiled twice: for AVX2, and for the x86-64 baseline (or any other CPU), chosen at
// the first call. (Not target_clones: its ifunc resolver runs before ThreadSanitizer's runtime
// is up and crashes the sanitizer build at start.)
[[gnu::target("avx2")]] std::uint64_t checksum_lanes_avx2(const std::byte* bytes, std::size_t n) {
  return checksum_lanes(bytes, n);
}
std::uint64_t checksum_lanes_baseline(const std::byte* bytes, std::size_t n) {
  return checksum_lanes(bytes, n);
}

std::uint64_t vector_checksum(const std::byte* bytes, std::size_t n) {
#if defined(__x86_64__)
  static const bool avx2 = __builtin_cpu_supports("avx2");
  if (avx2) return checksum_lanes_avx2(bytes, n);
#endif
  return checksum_lanes_baseline(bytes, n);
}

// The same sums in one lane, for bodies shorter than a block: no vector set-up, no indirect call.
std::uint64_t scalar_checksum(const std::byte* bytes, std::size_t n) {
  std::uint64_t a = 0, b = 0;
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    a += load64(bytes + i);
    b += a;
  }
  if (i < n) {
    std::uint64_t tail = 0;
    std::memcpy(&tail, bytes + i, n - i);
    a += tail ^ (std::uint64_t{0x9e3779b97f4a7c15} * (n - i));
    b += a;
  }
  return mix64(a) ^ mix64(b ^ ~n);
}

std::uint64_t checksum(const std::byte* bytes, std::size_t n) {
  return n < 64 ? scalar_checksum(bytes, n) : vector_checksum(bytes, n);
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
  copy_bytes(p + body_begin(), pattern_.data() + seq % kShifts, end - body_begin());
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
