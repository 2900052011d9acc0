#include "channel/streams.hpp"

#include <cstring>

namespace ipckit::channel::detail {

bool join_producers(Header& h, std::uint32_t attaches_before) noexcept {
  auto& word = h.attaches.live_producers;
  std::uint32_t old = word.load(std::memory_order_seq_cst);
  std::uint32_t next = 0;
  bool starts = false;
  do {
    const std::uint32_t count = old & ~kBreakPending;
    // The first producer ever follows no stream: nothing to break.
    starts = count == 0 && attaches_before != 0;
    next = (count + 1) | (old & kBreakPending) | (starts ? kBreakPending : 0);
  } while (!word.compare_exchange_weak(old, next, std::memory_order_seq_cst));
  if (starts) {
    h.attaches.break_attaches.store(attaches_before, std::memory_order_seq_cst);
    h.attaches.streams.fetch_add(1, std::memory_order_seq_cst);
  }
  return (next & kBreakPending) != 0;
}

void leave_producers(Header& h) noexcept {
  auto& word = h.attaches.live_producers;
  std::uint32_t old = word.load(std::memory_order_seq_cst);
  while ((old & ~kBreakPending) != 0 &&
         !word.compare_exchange_weak(old, old - 1, std::memory_order_seq_cst)) {
  }
}

bool try_take_break(Header& h) noexcept {
  auto& word = h.attaches.live_producers;
  std::uint32_t old = word.load(std::memory_order_seq_cst);
  while ((old & kBreakPending) != 0) {
    if (word.compare_exchange_weak(old, old & ~kBreakPending, std::memory_order_seq_cst))
      return true;
  }
  return false;
}

std::optional<StreamBreak> read_break(const std::byte* body, std::uint64_t position) noexcept {
  StreamBreak b;
  std::memcpy(&b, body, sizeof b);
  if (b.magic != kBreakMagic || b.check != break_check(position)) return std::nullopt;
  return b;
}

}  // namespace ipckit::channel::detail
