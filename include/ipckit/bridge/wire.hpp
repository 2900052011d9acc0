// The bridge's wire protocol: what `ipckit bridge out` and `ipckit bridge in` say to each other
// over ZeroMQ (docs/bridge.md, "Wire protocol"). Pure encoding, no I/O.
//
// Every ZeroMQ message is one header frame (kHeaderSize bytes, little-endian) and at most one
// body frame. Positions are source-channel byte positions (Receiver::Ahead::start): they name a
// message within one incarnation of the source channel, and only grow.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ipckit/core/error.hpp"

namespace ipckit::bridge {

inline constexpr std::uint32_t kMagic = 0x31424b49;  // "IKB1" little-endian
inline constexpr std::uint8_t kVersion = 1;
inline constexpr std::size_t kHeaderSize = 40;
// "No position": nothing committed yet (WELCOME, ACK), or no message before this one (DATA).
inline constexpr std::uint64_t kNone = ~std::uint64_t{0};
inline constexpr std::size_t kMaxSourceName = 200;

enum class Type : std::uint8_t {
  kHello = 1,    // out -> in: body = source name; seq = the source's max message size
  kData = 2,     // out -> in: body = a batch of `count` messages (append_to_batch), seq = the
                 // first one's start; count 0: one message, the body is its bytes, seq its start
  kWelcome = 3,  // in -> out: seq = last committed start of this source incarnation, or kNone
  kAck = 4,      // in -> out: seq = last committed start
  kRewind = 5,   // in -> out: a gap (a lost batch): resend after seq (last committed)
  kRefuse = 6,   // in -> out: body = why; the source must not retry unchanged
  kResync = 7,   // in -> out: data from a connection that never said hello: say it
};

struct Header {
  Type type = Type::kHello;
  std::uint16_t count = 0;        // kData: messages in the batch
  std::uint32_t epoch = 0;        // the out side's hello count; replies echo it
  std::uint64_t incarnation = 0;  // the source channel's incarnation (source_incarnation)
  std::uint64_t seq = 0;          // see Type
  std::uint64_t prev = kNone;     // kData: start of the message sent before the batch
};

[[nodiscard]] std::array<std::byte, kHeaderSize> encode(const Header& header);
// EPROTO with what is wrong (size, magic, version, type).
[[nodiscard]] Result<Header> decode(std::span<const std::byte> frame);

// One message of a batch, pointing into the batch body (or into the source ring when encoding).
struct Message {
  std::uint64_t start = 0;
  std::span<const std::byte> bytes;
};

// A batch body: per message [u64 start][u32 length][u32 0][bytes], padded to 8 bytes.
void append_to_batch(std::vector<std::byte>& body, std::uint64_t start,
                     std::span<const std::byte> bytes);
[[nodiscard]] std::size_t batch_record_size(std::size_t bytes) noexcept;
// The messages of a body that says `count`; EPROTO when the body does not hold exactly them, or
// when their starts do not grow.
[[nodiscard]] Result<std::vector<Message>> decode_batch(std::span<const std::byte> body,
                                                        std::uint16_t count);

// A source channel's incarnation: its creation time and creator, mixed into one word (never 0).
[[nodiscard]] std::uint64_t source_incarnation(std::int64_t created_unix_ns,
                                               int creator_pid) noexcept;

[[nodiscard]] std::string_view type_name(Type type) noexcept;

}  // namespace ipckit::bridge
