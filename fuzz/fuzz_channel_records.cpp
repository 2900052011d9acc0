// Feeds arbitrary ring contents and positions to the record parser, walking from head to tail
// the way a receiver does. Property: no out-of-bounds read (ASan), every accepted record lies
// inside the ring and inside [head, tail), and the walk always makes progress.
#include <cstdlib>
#include <cstring>
#include <vector>

#include "channel/parse.hpp"

using namespace ipckit::channel::detail;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 16) return 0;
  std::uint64_t head, span;
  std::memcpy(&head, data, 8);
  std::memcpy(&span, data + 8, 8);
  auto g = make_geometry(4096, 0, 0);
  if (!g) std::abort();
  std::vector<std::byte> ring(g->capacity);
  std::memcpy(ring.data(), data + 16, std::min(size - 16, ring.size()));
  head &= ~std::uint64_t{7};
  std::uint64_t tail = head + (span % (g->capacity + 16));
  // Usually make the tags right, so the fuzzer explores lengths and padding, not just tags.
  const bool fix_tags = (data[0] & 0x80) == 0;
  for (int steps = 0; steps < 1024 && head < tail; ++steps) {
    if (fix_tags) {
      std::uint32_t tag = record_tag(head);
      std::memcpy(ring.data() + (head & g->mask) + 4, &tag, 4);
    }
    auto r = parse_record(ring.data(), *g, head, tail);
    if (!r) break;
    if (r->size == 0 || r->size > tail - head) std::abort();
    if (!r->padding && r->offset + r->length > g->capacity) std::abort();
    if (!r->padding && r->length > 0) {
      volatile std::byte sink = ring[r->offset + r->length - 1];
      (void)sink;
    }
    head += r->size;
  }
  return 0;
}
