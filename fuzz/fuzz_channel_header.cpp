// Feeds arbitrary bytes to the channel header parser as if they were a mapped segment.
// Property: parse_header never reads outside the buffer, and whatever it accepts is a geometry
// the ring code can trust (power-of-two capacity that fits the segment, bounded max message).
#include <cstdlib>
#include <cstring>
#include <vector>

#include "channel/parse.hpp"

using namespace ipckit::channel::detail;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 8) return 0;
  // The first 8 bytes choose the claimed segment size; the rest is the header.
  std::uint64_t claimed;
  std::memcpy(&claimed, data, 8);
  std::vector<std::byte> header(size - 8);
  std::memcpy(header.data(), data + 8, header.size());
  const std::size_t segment_size = header.size() < kHeaderSize ? header.size() : claimed;
  if (header.size() < kHeaderSize && segment_size >= kHeaderSize) return 0;
  auto g = parse_header(header.data(), segment_size);
  if (g) {
    if (g->capacity < kMinCapacity || (g->capacity & (g->capacity - 1)) != 0) std::abort();
    if (g->max_message == 0 || g->max_message > g->capacity / 4) std::abort();
    if (segment_size < kHeaderSize + g->capacity) std::abort();
  }
  return 0;
}
