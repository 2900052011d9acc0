// Recognising channels on System V segments (see sysv_channel_probe.hpp).
#include "inspect/sysv_channel_probe.hpp"

#include <sys/shm.h>

#include <bit>
#include <cstring>

namespace ipckit::inspect::detail {

namespace {

// docs/channel-format.md: the stable fields at the start of the header page.
constexpr std::uint64_t kChannelMagic = 0x3148434b43504949ull;
constexpr std::uint64_t kHeaderSize = 4096;
constexpr std::size_t kMagicOffset = 0;
constexpr std::size_t kHeaderSizeOffset = 12;
constexpr std::size_t kCapacityOffset = 16;

}  // namespace

bool channel_sized(std::uint64_t size) noexcept {
  return size >= kHeaderSize + 4096 && std::has_single_bit(size - kHeaderSize);
}

bool is_channel_segment(int shmid, std::uint64_t size) noexcept {
  if (!channel_sized(size)) return false;
  void* base = ::shmat(shmid, nullptr, SHM_RDONLY);
  // NOLINTNEXTLINE(performance-no-int-to-ptr): shmat(2) fails with (void*)-1
  if (base == reinterpret_cast<void*>(-1)) return false;
  // The segment is at least 8 KiB (channel_sized), so the first 24 bytes are mapped. A creator
  // writes the magic last; a concurrent writer can only make this read see a non-channel.
  unsigned char head[24];
  std::memcpy(head, base, sizeof head);
  ::shmdt(base);
  std::uint64_t magic = 0;
  std::uint32_t header_size = 0;
  std::uint64_t capacity = 0;
  std::memcpy(&magic, head + kMagicOffset, sizeof magic);
  std::memcpy(&header_size, head + kHeaderSizeOffset, sizeof header_size);
  std::memcpy(&capacity, head + kCapacityOffset, sizeof capacity);
  return magic == kChannelMagic && header_size == kHeaderSize && capacity == size - kHeaderSize;
}

}  // namespace ipckit::inspect::detail
