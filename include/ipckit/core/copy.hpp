// ipckit::copy_bytes: std::memcpy without the page-aliasing trap of `rep movsb`.
//
// glibc copies blocks from about 2 KiB up to the L2 size with `rep movsb` on CPUs that announce
// fast string moves (ERMS/FSRM). On AMD Zen that instruction runs 10-20x slower when the
// destination lies 1-63 bytes after the source modulo 4 KiB: on this project's EPYC machines,
// glibc 2.36, a 64 KiB copy takes 25 us instead of 1.4 us at distances 1-15, and about twice as
// long at 16-63 (docs/BENCHMARKS.md, "Copies"). A channel record's payload starts 8 bytes after its
// record header, so sending 65528- or 4088-byte messages from a page-aligned buffer hit it on every
// send.
//
// copy_bytes(dst, src, n) is std::memcpy(dst, src, n) (same contract: no overlap), except that a
// block above 2 KiB at such a distance is copied by ipckit's own vector loop (AVX2 where the CPU
// has it), from its end to its start, at the speed memcpy has at other distances. The channel's
// send() and recv() and the shared state's writer copy with it; code that fills a channel
// Reservation or a shared-state table with large blocks may want it too. Thread safety: none needed
// (a plain function).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace ipckit {

namespace detail {
inline constexpr std::size_t kCopyNearAbove = 2048;  // glibc 2.36 uses `rep movsb` from 2113
void copy_near(void* dst, const void* src, std::size_t n) noexcept;
}  // namespace detail

// REQUIRES: [dst, dst + n) and [src, src + n) do not overlap.
inline void copy_bytes(void* dst, const void* src, std::size_t n) noexcept {
  const auto distance = (reinterpret_cast<std::uintptr_t>(dst) -   // NOLINT(*-reinterpret-cast)
                         reinterpret_cast<std::uintptr_t>(src)) &  // NOLINT(*-reinterpret-cast)
                        4095;
  if (n > detail::kCopyNearAbove && distance != 0 && distance < 64) {
    detail::copy_near(dst, src, n);
    return;
  }
  if (n != 0) std::memcpy(dst, src, n);
}

}  // namespace ipckit
