// copy_bytes copies exactly like memcpy at every size and every source/destination distance,
// including the 1-63 bytes modulo 4 KiB that it copies in pieces, and touches nothing around the
// destination. (How fast it copies is a benchmark: docs/BENCHMARKS.md, "Copies".)
#include "ipckit/core/copy.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <vector>

namespace ipckit {
namespace {

struct FreeDeleter {
  void operator()(void* p) const noexcept { std::free(p); }
};

constexpr std::size_t kRegion = 3 * 65536;
constexpr unsigned char kGuard = 0xA5;

std::unique_ptr<unsigned char, FreeDeleter> page_aligned(std::size_t n) {
  return std::unique_ptr<unsigned char, FreeDeleter>(
      static_cast<unsigned char*>(std::aligned_alloc(4096, n)));
}

// Copies `n` bytes from src region offset `from` to dst region offset `to` and checks every byte
// of the destination region: the copy where it belongs, the guard pattern everywhere else.
void expect_copies(std::size_t n, std::size_t from, std::size_t to) {
  static const auto src = [] {
    auto p = page_aligned(kRegion);
    for (std::size_t i = 0; i < kRegion; ++i)
      p.get()[i] = static_cast<unsigned char>((i * 131 + (i >> 8) * 7 + 1) & 0xff);
    return p;
  }();
  static auto dst = page_aligned(kRegion);
  std::memset(dst.get(), kGuard, kRegion);
  copy_bytes(dst.get() + to, src.get() + from, n);
  for (std::size_t i = 0; i < kRegion; ++i) {
    const bool inside = i >= to && i < to + n;
    const unsigned char want = inside ? src.get()[from + (i - to)] : kGuard;
    ASSERT_EQ(dst.get()[i], want) << "byte " << i << " (n " << n << ", from " << from << ", to "
                                  << to << (inside ? ", inside" : ", outside") << ")";
  }
}

TEST(CopyBytes, EverySizeAroundThePieceSizeAtEveryNearDistance) {
  for (std::size_t n :
       {std::size_t{0}, std::size_t{1}, std::size_t{63}, std::size_t{2047}, std::size_t{2048},
        std::size_t{2049}, std::size_t{4095}, std::size_t{4097}, std::size_t{6144}})
    for (std::size_t distance = 0; distance < 130; ++distance)
      ASSERT_NO_FATAL_FAILURE(expect_copies(n, 4096, 4096 + distance));
}

TEST(CopyBytes, LargeBlocksAtSlowAndFastDistancesAndMisalignedSources) {
  for (std::size_t n : {std::size_t{65528}, std::size_t{65536}, std::size_t{65536 + 13}})
    for (std::size_t from : {std::size_t{0}, std::size_t{3}, std::size_t{8}, std::size_t{4095}})
      for (std::size_t distance :
           {std::size_t{1}, std::size_t{8}, std::size_t{15}, std::size_t{16}, std::size_t{63},
            std::size_t{64}, std::size_t{4095}, std::size_t{4096}})
        ASSERT_NO_FATAL_FAILURE(expect_copies(n, from, from + distance));
}

TEST(CopyBytes, DestinationBeforeTheSource) {
  // (dst - src) mod 4096 wraps: a destination below the source is a distance near 4096.
  for (std::size_t distance : {std::size_t{1}, std::size_t{8}, std::size_t{64}})
    ASSERT_NO_FATAL_FAILURE(expect_copies(65536, 8192, 8192 - distance));
}

}  // namespace
}  // namespace ipckit
