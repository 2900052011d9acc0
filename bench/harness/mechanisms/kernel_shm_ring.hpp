// The shared-memory ring behind sysv-shm-sem, posix-shm-futex and shm-spin: per direction, one
// single-producer single-consumer ring of fixed-size slots in memory both processes map, and one
// of three ways to wait for it:
//   - SpinWait: busy-wait on the other side's counter (the floor: nothing but cache lines move);
//   - FutexWait: futex(2) on the counter itself; the waiter announces itself in a flag and the
//     other side calls FUTEX_WAKE only when the flag is set (no syscall while nobody sleeps);
//   - SemWait: two System V counting semaphores per direction (free slots, full slots), one
//     semop(2) for every wait and every post, as the classic System V design does.
// Messages are written and read in place: prepare() hands out the next free slot, receive() the
// next full one, release() frees it (receive() frees a slot still held first).
//
// Layout of one direction (Ring::bytes()): a 256-byte control block (head, tail and the two
// futex flags, each on its own 64-byte line), a u32 length per slot, then `slots` slots of
// `stride` bytes (the message size rounded up to 64). head counts messages published by the
// producer, tail messages released by the consumer; both only grow (u32, wrapping).
//
// Ownership: the Link maps the memory before the fork; the endpoints borrow it and must not
// outlive the mapping. Safety: the memory is shared with the peer; only the fields above are
// accessed, with the ordering given in the code.
#pragma once

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

#include "harness/link.hpp"
#include "ipckit/sysv/semaphore_set.hpp"

namespace ipckit::bench::kernel {

struct RingControl {
  alignas(64) std::atomic<std::uint32_t> head{0};             // written by the producer
  alignas(64) std::atomic<std::uint32_t> tail{0};             // written by the consumer
  alignas(64) std::atomic<std::uint32_t> consumer_asleep{0};  // FutexWait: waits on head
  alignas(64) std::atomic<std::uint32_t> producer_asleep{0};  // FutexWait: waits on tail
};
static_assert(sizeof(RingControl) == 256);
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);

// The geometry of one direction's ring for messages of up to `size` bytes.
struct RingShape {
  std::size_t size = 0;    // largest message
  std::size_t stride = 0;  // bytes per slot: size rounded up to 64
  std::uint32_t slots = 0;

  // About 256 KiB of slots (so small messages stay in cache), at least 4 and at most 1024.
  static RingShape for_size(std::size_t size) {
    RingShape s;
    s.size = size;
    s.stride = (std::max<std::size_t>(size, 1) + 63) / 64 * 64;
    s.slots = static_cast<std::uint32_t>(std::clamp<std::size_t>(256 * 1024 / s.stride, 4, 1024));
    return s;
  }
  std::size_t lengths_offset() const { return sizeof(RingControl); }
  std::size_t slots_offset() const { return (sizeof(RingControl) + 4 * slots + 63) / 64 * 64; }
  std::size_t bytes() const { return slots_offset() + stride * slots; }
};

// One direction in mapped memory. `base` is 64-byte aligned and bytes() long.
struct RingView {
  RingControl* control = nullptr;
  std::uint32_t* lengths = nullptr;
  std::byte* slots = nullptr;
  RingShape shape;

  static RingView at(std::byte* base, const RingShape& shape) {
    return RingView{reinterpret_cast<RingControl*>(base),
                    reinterpret_cast<std::uint32_t*>(base + shape.lengths_offset()),
                    base + shape.slots_offset(), shape};
  }
  std::byte* slot(std::uint32_t n) const { return slots + (n % shape.slots) * shape.stride; }
};

inline long futex(std::atomic<std::uint32_t>* word, int op, std::uint32_t value) {
  return ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), op, value, nullptr, nullptr,
                   0);
}

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

// Busy-waiting.
struct SpinWait {
  // Wait until `counter` differs from `seen` (the other side moved).
  static void wait(std::atomic<std::uint32_t>& counter, std::atomic<std::uint32_t>& /*asleep*/,
                   std::uint32_t seen) {
    while (counter.load(std::memory_order_acquire) == seen)
      cpu_relax();
  }
  static void publish(std::atomic<std::uint32_t>& counter, std::atomic<std::uint32_t>& /*asleep*/,
                      std::uint32_t value) {
    counter.store(value, std::memory_order_release);
  }
};

// futex(2) on the counter, FUTEX_WAIT/FUTEX_WAKE (not _PRIVATE: the memory is shared between
// processes). No spinning: the reference for a blocking handshake.
struct FutexWait {
  // Dekker pairing with publish(): the sleeper stores `asleep` then re-reads `counter`; the
  // publisher stores `counter` then reads `asleep` (all seq_cst), so at least one sees the other.
  static void wait(std::atomic<std::uint32_t>& counter, std::atomic<std::uint32_t>& asleep,
                   std::uint32_t seen) {
    while (counter.load(std::memory_order_acquire) == seen) {
      asleep.store(1, std::memory_order_seq_cst);
      if (counter.load(std::memory_order_seq_cst) == seen)
        (void)futex(&counter, FUTEX_WAIT, seen);  // returns at once if counter moved
      asleep.store(0, std::memory_order_relaxed);
    }
  }
  // The flag is cleared only by the sleeper, once awake: a publisher that cleared it could take
  // the flag of a wait on the value it had just published (the sleeper read that value after
  // the store), wake nobody, and leave the next publication without a wake: a lost wake-up that
  // hung throughput rounds. While the sleeper has not yet cleared it, a publication may make one
  // FUTEX_WAKE that finds nobody; that costs a syscall, never a message.
  static void publish(std::atomic<std::uint32_t>& counter, std::atomic<std::uint32_t>& asleep,
                      std::uint32_t value) {
    counter.store(value, std::memory_order_seq_cst);
    if (asleep.load(std::memory_order_seq_cst) != 0) (void)futex(&counter, FUTEX_WAKE, 1);
  }
};

// Marker for the System V semaphore variant (the waits are semop(2) calls in the endpoint).
struct SemWait {};

// The endpoint: produces into `out`, consumes from `in`. With SemWait, `sems` holds four
// counters: [2d] free slots and [2d+1] full slots of direction d (0: A->B, 1: B->A).
template <class Wait>
class ShmRingEndpoint final : public Endpoint {
 public:
  ShmRingEndpoint(RingView out, RingView in, const sysv::SemaphoreSet* sems = nullptr,
                  unsigned out_direction = 0)
      : out_(out), in_(in), sems_(sems), out_dir_(out_direction), in_dir_(1 - out_direction) {
    head_ = out_.control->head.load(std::memory_order_relaxed);
    tail_cache_ = out_.control->tail.load(std::memory_order_relaxed);
    tail_ = in_.control->tail.load(std::memory_order_relaxed);
    head_cache_ = in_.control->head.load(std::memory_order_relaxed);
    published_tail_ = tail_;
    tail_batch_ = std::clamp<std::uint32_t>(in_.shape.slots / 4, 1, 16);
  }

  Result<std::span<std::byte>> prepare(std::size_t size) override {
    if (size > out_.shape.size)
      return fail(EMSGSIZE, "prepare", "shm ring", "message larger than the ring's slots");
    if constexpr (kSem) {
      if (!holding_free_) {
        if (auto r = sems_->apply({{static_cast<unsigned short>(2 * out_dir_), -1, 0}}); !r)
          return std::unexpected(r.error());
        holding_free_ = true;
      }
    } else {
      while (head_ - tail_cache_ >= out_.shape.slots) {
        tail_cache_ = out_.control->tail.load(std::memory_order_acquire);
        if (head_ - tail_cache_ >= out_.shape.slots)
          Wait::wait(out_.control->tail, out_.control->producer_asleep, tail_cache_);
      }
    }
    return std::span<std::byte>(out_.slot(head_), size);
  }

  Result<void> send(std::size_t size) override {
    out_.lengths[head_ % out_.shape.slots] = static_cast<std::uint32_t>(size);
    ++head_;
    if constexpr (kSem) {
      out_.control->head.store(head_, std::memory_order_release);
      holding_free_ = false;
      return sems_->apply({{static_cast<unsigned short>(2 * out_dir_ + 1), 1, 0}});
    } else {
      Wait::publish(out_.control->head, out_.control->consumer_asleep, head_);
      return {};
    }
  }

  Result<std::span<const std::byte>> receive() override {
    release();
    if constexpr (kSem) {
      if (auto r = sems_->apply({{static_cast<unsigned short>(2 * in_dir_ + 1), -1, 0}}); !r)
        return std::unexpected(r.error());
    } else {
      while (tail_ == head_cache_) {
        head_cache_ = in_.control->head.load(std::memory_order_acquire);
        if (tail_ == head_cache_) {
          publish_tail();  // about to wait: every freed slot must be visible first
          Wait::wait(in_.control->head, in_.control->consumer_asleep, head_cache_);
        }
      }
    }
    holding_ = true;
    const std::uint32_t length = in_.lengths[tail_ % in_.shape.slots];
    return std::span<const std::byte>(in_.slot(tail_), length);
  }

  void release() override {
    if (!holding_) return;
    holding_ = false;
    ++tail_;
    if constexpr (kSem) {
      in_.control->tail.store(tail_, std::memory_order_release);
      (void)sems_->apply({{static_cast<unsigned short>(2 * in_dir_), 1, 0}});
    } else if (!kBatchTail || tail_ - published_tail_ >= tail_batch_) {
      publish_tail();
    }
  }

 private:
  static constexpr bool kSem = std::is_same_v<Wait, SemWait>;
  // SpinWait frees slots in batches (a quarter of the ring, at most 16): the producer, which
  // reads tail only when the ring looks full, then takes the consumer's cache line once per
  // batch rather than once per message. Waiting publishes first, so nothing stalls on it.
  static constexpr bool kBatchTail = std::is_same_v<Wait, SpinWait>;

  void publish_tail() {
    if (published_tail_ == tail_) return;
    published_tail_ = tail_;
    Wait::publish(in_.control->tail, in_.control->producer_asleep, tail_);
  }

  RingView out_, in_;
  const sysv::SemaphoreSet* sems_;
  unsigned out_dir_, in_dir_;
  std::uint32_t head_ = 0, tail_cache_ = 0;  // producing
  std::uint32_t tail_ = 0, head_cache_ = 0;  // consuming
  std::uint32_t published_tail_ = 0;         // the tail the producer can see
  std::uint32_t tail_batch_ = 1;
  bool holding_ = false;       // a received slot not yet released
  bool holding_free_ = false;  // SemWait: a free slot taken by prepare()
};

}  // namespace ipckit::bench::kernel
