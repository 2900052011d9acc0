// The bytes every mechanism moves, and the receiver's check of them (docs/bench.md "Honesty").
//
// Message `seq` of producer `p`, `size` bytes (>= 8): its first 8 bytes and (size >= 16) its last
// 8 bytes hold the stamp (p << 56 | seq); the bytes between come from a pattern that shifts with
// seq, so no two neighbouring messages have the same body. The receiver checks, for every
// message: its size, the stamp at both ends (each producer's messages arrive in order, none
// missing, none twice), and a position-dependent checksum of every byte against the one the
// sender's message must have (precomputed per pattern shift). A short, reordered, duplicated,
// lost or corrupted message fails the check with a one-line reason.
//
// Costs: fill() is one memcpy of the message plus O(1); check() reads every byte once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "ipckit/core/error.hpp"

namespace ipckit::bench {

class MessageFormat {
 public:
  // REQUIRES: size >= 8; producers in [1, 255].
  MessageFormat(std::size_t size, int producers = 1);

  std::size_t size() const noexcept { return size_; }
  // Writes message `seq` of `producer` into `out` (out.size() == size()).
  void fill(std::span<std::byte> out, int producer, std::uint64_t seq) const noexcept;

 private:
  friend class StreamCheck;
  std::size_t size_;
  int producers_;
  std::vector<std::byte> pattern_;       // size_ + shift room
  std::vector<std::uint64_t> body_sum_;  // expected checksum of the body per pattern shift
};

// The receiver's side: one per receiving process, fed every message in arrival order.
class StreamCheck {
 public:
  explicit StreamCheck(const MessageFormat& format);
  // Checks the next message. Error: EBADMSG with what was wrong ("message 1234 of producer 0 is
  // 63 bytes, not 64", "expected message 17 of producer 1, got 19", "message 5: checksum ...").
  Result<void> check(std::span<const std::byte> message);
  // Messages checked so far from `producer`.
  std::uint64_t received(int producer) const noexcept;
  std::uint64_t received_total() const noexcept;

 private:
  const MessageFormat* format_;
  std::vector<std::uint64_t> next_;  // next expected seq per producer
};

}  // namespace ipckit::bench
