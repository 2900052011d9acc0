// Copies at near source/destination distances (ipckit/core/copy.hpp): std::memcpy against
// ipckit::copy_bytes, and a channel's send + recv of messages whose payload lands 8 bytes after a
// page boundary against ones that do not. Google Benchmark; run with --benchmark_repetitions=5
// --benchmark_report_aggregates_only=true (docs/BENCHMARKS.md, "Copies").
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "ipckit/channel.hpp"
#include "ipckit/core/copy.hpp"

namespace {

struct FreeDeleter {
  void operator()(void* p) const noexcept { std::free(p); }
};
using Buffer = std::unique_ptr<std::byte, FreeDeleter>;

Buffer page_aligned(std::size_t n, int fill) {
  Buffer b(static_cast<std::byte*>(std::aligned_alloc(4096, n)));
  std::memset(b.get(), fill, n);
  return b;
}

constexpr std::size_t kBlock = 65536;

// state.range(0): the destination's distance after the source, in bytes.
template <bool kCopyBytes>
void BM_Copy64KiB(benchmark::State& state) {
  const auto distance = static_cast<std::size_t>(state.range(0));
  const Buffer src = page_aligned(kBlock, 1);
  const Buffer dst = page_aligned(kBlock + 4096, 2);
  for (auto _ : state) {
    if constexpr (kCopyBytes)
      ipckit::copy_bytes(dst.get() + distance, src.get(), kBlock);
    else
      std::memcpy(dst.get() + distance, src.get(), kBlock);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(kBlock));
}
BENCHMARK(BM_Copy64KiB<false>)->Name("memcpy_64KiB/distance")->Arg(0)->Arg(8)->Arg(24)->Arg(64);
BENCHMARK(BM_Copy64KiB<true>)->Name("copy_bytes_64KiB/distance")->Arg(0)->Arg(8)->Arg(24)->Arg(64);

// One thread sends a message from a page-aligned buffer and receives it into another. A
// 4088-byte message fills an 8-byte record header plus its payload to exactly a page, so every
// payload starts 8 bytes after a page boundary; 4096 bytes do not.
void BM_ChannelSendRecv(benchmark::State& state) {
  const auto size = static_cast<std::size_t>(state.range(0));
  const std::string name = "/ipckit-copy-bench-" + std::to_string(::getpid());
  ipckit::channel::ChannelOptions options;
  options.capacity = std::size_t{1} << 20;
  auto channel = ipckit::Channel::create(name, options);
  if (!channel) {
    state.SkipWithError(channel.error().message().c_str());
    return;
  }
  auto sender = channel->sender();
  auto receiver = channel->receiver();
  const Buffer src = page_aligned(size, 3);
  const Buffer dst = page_aligned(size, 4);
  for (auto _ : state) {
    if (!sender->send(std::span<const std::byte>(src.get(), size)) ||
        !receiver->recv(std::span<std::byte>(dst.get(), size))) {
      state.SkipWithError("send or recv failed");
      break;
    }
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(size));
  (void)ipckit::Channel::unlink(name);
}
BENCHMARK(BM_ChannelSendRecv)->Arg(4088)->Arg(4096)->Arg(65528)->Arg(65536);

}  // namespace

BENCHMARK_MAIN();
