// copy_bytes' near-distance path (see ipckit/core/copy.hpp).
//
// The block is copied from its end to its start in 128- (AVX2) or 64-byte (SSE2) steps. Copying
// backwards is what makes a near distance harmless: a load never reads an address that matches
// (modulo 4 KiB) a store still in flight, since every store so far went to higher addresses than
// the loads still to come map to. The loops are written with intrinsics, and the compiler is told
// not to turn them back into a call to memmove (which would be `rep movsb` again).
#include "ipckit/core/copy.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace ipckit::detail {

#if defined(__x86_64__)
namespace {

// The casts are what the intrinsics' unaligned load and store take.
// NOLINTBEGIN(*-reinterpret-cast)
[[gnu::target("avx2"), gnu::optimize("no-tree-loop-distribute-patterns")]] void copy_backward_avx2(
    std::byte* to, const std::byte* from, std::size_t n) noexcept {
  while (n >= 128) {
    n -= 128;
    const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(from + n + 96));
    const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(from + n + 64));
    const __m256i c = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(from + n + 32));
    const __m256i d = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(from + n));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(to + n + 96), a);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(to + n + 64), b);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(to + n + 32), c);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(to + n), d);
  }
  if (n != 0) std::memcpy(to, from, n);  // under 128 bytes: no `rep movsb`
}

[[gnu::optimize("no-tree-loop-distribute-patterns")]] void copy_backward_sse2(
    std::byte* to, const std::byte* from, std::size_t n) noexcept {
  while (n >= 64) {
    n -= 64;
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(from + n + 48));
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(from + n + 32));
    const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(from + n + 16));
    const __m128i d = _mm_loadu_si128(reinterpret_cast<const __m128i*>(from + n));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(to + n + 48), a);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(to + n + 32), b);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(to + n + 16), c);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(to + n), d);
  }
  if (n != 0) std::memcpy(to, from, n);
}
// NOLINTEND(*-reinterpret-cast)

}  // namespace

void copy_near(void* dst, const void* src, std::size_t n) noexcept {
  static const bool avx2 = __builtin_cpu_supports("avx2");
  auto* to = static_cast<std::byte*>(dst);
  const auto* from = static_cast<const std::byte*>(src);
  if (avx2)
    copy_backward_avx2(to, from, n);
  else
    copy_backward_sse2(to, from, n);
}

#else

void copy_near(void* dst, const void* src, std::size_t n) noexcept {
  std::memcpy(dst, src, n);  // the trap is x86's `rep movsb`
}

#endif

}  // namespace ipckit::detail
