#include "ipckit/bridge/wire.hpp"

#include <fmt/core.h>

#include <bit>
#include <cstring>

namespace ipckit::bridge {

namespace {

template <class T>
void put(std::byte* at, T value) noexcept {
  static_assert(std::endian::native == std::endian::little, "the wire is little-endian");
  std::memcpy(at, &value, sizeof value);
}

template <class T>
T get(const std::byte* at) noexcept {
  T value;
  std::memcpy(&value, at, sizeof value);
  return value;
}

constexpr std::size_t kRecordHead = 16;

std::unexpected<Error> bad(std::string what) {
  return fail(EPROTO, "bridge frame", "", std::move(what));
}

}  // namespace

std::array<std::byte, kHeaderSize> encode(const Header& header) {
  std::array<std::byte, kHeaderSize> out{};
  put(out.data() + 0, kMagic);
  put(out.data() + 4, static_cast<std::uint8_t>(header.type));
  put(out.data() + 5, kVersion);
  put(out.data() + 6, header.count);
  put(out.data() + 8, header.epoch);
  put(out.data() + 12, std::uint32_t{0});
  put(out.data() + 16, header.incarnation);
  put(out.data() + 24, header.seq);
  put(out.data() + 32, header.prev);
  return out;
}

Result<Header> decode(std::span<const std::byte> frame) {
  if (frame.size() != kHeaderSize) {
    return bad(fmt::format("a header of {} bytes, not {}", frame.size(), kHeaderSize));
  }
  if (get<std::uint32_t>(frame.data()) != kMagic) return bad("not an ipckit bridge frame");
  const auto version = get<std::uint8_t>(frame.data() + 5);
  if (version != kVersion) {
    return bad(fmt::format("protocol version {}, this side speaks {}", version, kVersion));
  }
  const auto type = get<std::uint8_t>(frame.data() + 4);
  if (type < static_cast<std::uint8_t>(Type::kHello) ||
      type > static_cast<std::uint8_t>(Type::kResync)) {
    return bad(fmt::format("unknown frame type {}", type));
  }
  Header h;
  h.type = static_cast<Type>(type);
  h.count = get<std::uint16_t>(frame.data() + 6);
  h.epoch = get<std::uint32_t>(frame.data() + 8);
  h.incarnation = get<std::uint64_t>(frame.data() + 16);
  h.seq = get<std::uint64_t>(frame.data() + 24);
  h.prev = get<std::uint64_t>(frame.data() + 32);
  return h;
}

std::size_t batch_record_size(std::size_t bytes) noexcept {
  return kRecordHead + ((bytes + 7) & ~std::size_t{7});
}

void append_to_batch(std::vector<std::byte>& body, std::uint64_t start,
                     std::span<const std::byte> bytes) {
  const std::size_t at = body.size();
  body.resize(at + batch_record_size(bytes.size()));
  put(body.data() + at, start);
  put(body.data() + at + 8, static_cast<std::uint32_t>(bytes.size()));
  put(body.data() + at + 12, std::uint32_t{0});
  if (!bytes.empty()) std::memcpy(body.data() + at + kRecordHead, bytes.data(), bytes.size());
  // The padding is zero (resize value-initialises): no stale memory goes on the wire.
}

Result<std::vector<Message>> decode_batch(std::span<const std::byte> body, std::uint16_t count) {
  std::vector<Message> out;
  out.reserve(count);
  std::size_t at = 0;
  for (std::uint16_t i = 0; i < count; ++i) {
    if (body.size() - at < kRecordHead) {
      return bad(fmt::format("a batch of {} messages ends in message {}", count, i + 1));
    }
    const auto start = get<std::uint64_t>(body.data() + at);
    const auto length = get<std::uint32_t>(body.data() + at + 8);
    const std::size_t record = batch_record_size(length);
    if (record > body.size() - at) {
      return bad(fmt::format("message {} of the batch says {} bytes, more than the frame holds",
                             i + 1, length));
    }
    if (!out.empty() && start <= out.back().start) {
      return bad(fmt::format("message {} of the batch does not follow the one before", i + 1));
    }
    out.push_back({start, body.subspan(at + kRecordHead, length)});
    at += record;
  }
  if (at != body.size()) {
    return bad(fmt::format("{} bytes after the batch's {} messages", body.size() - at, count));
  }
  return out;
}

std::uint64_t source_incarnation(std::int64_t created_unix_ns, int creator_pid) noexcept {
  // splitmix64 of the two: a creation time is unique per host to the nanosecond in practice,
  // and the pid separates two channels made in the same nanosecond.
  std::uint64_t z = static_cast<std::uint64_t>(created_unix_ns) ^
                    (static_cast<std::uint64_t>(static_cast<std::uint32_t>(creator_pid)) << 32U);
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30U)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27U)) * 0x94d049bb133111ebULL;
  z ^= z >> 31U;
  return z == 0 ? 1 : z;
}

std::string_view type_name(Type type) noexcept {
  switch (type) {
    case Type::kHello:
      return "hello";
    case Type::kData:
      return "data";
    case Type::kWelcome:
      return "welcome";
    case Type::kAck:
      return "ack";
    case Type::kRewind:
      return "rewind";
    case Type::kRefuse:
      return "refuse";
    case Type::kResync:
      return "resync";
  }
  return "unknown";
}

}  // namespace ipckit::bridge
