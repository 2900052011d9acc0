// bridge_load: the traffic of the bridge tests. `produce CHANNEL N SEED` sends N messages of
// random sizes (1 B to 64 KiB, log-uniform, so most are small) into CHANNEL (`produce-from
// CHANNEL FROM TO SEED`: the messages FROM..TO-1 of the same sequence); `verify CHANNEL N
// SEED` receives N messages from CHANNEL and checks that message i is exactly the i-th one
// produced: nothing lost, duplicated, reordered or corrupted. Each message starts with its index
// (8 bytes, when it has room) and its other bytes follow from (SEED, index).
//
// Exit 0 when all is well; 1 with one line on stderr saying what went wrong (and, for verify,
// the index where it went wrong). `produce` waits out EPIPE (a full ring whose consumer is
// being restarted) and sends again, but gives up when no message has gone out for
// $BRIDGE_LOAD_STALL seconds (default 120: a bridge out that died for good must fail the
// test, not hang it past ctest's timeout). `verify` gives up after TIMEOUT seconds without a
// message (default 60). `verify-multi CHANNEL TIMEOUT SEED:N...`: several streams interleaved, each
// in its own order (a message's first byte is its seed's low byte).
#include <fmt/core.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "ipckit/channel.hpp"

namespace {

std::uint64_t mix(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30U)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27U)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31U);
}

std::size_t size_of(std::uint64_t seed, std::uint64_t index, std::size_t max_size) {
  const std::uint64_t r = mix(seed * 31 + index);
  const unsigned bits = static_cast<unsigned>(r % 17);  // 2^0 .. 2^16
  std::size_t size = 1 + static_cast<std::size_t>((r >> 8U) % (std::uint64_t{1} << bits));
  return std::min(size, max_size);
}

void fill(std::vector<std::byte>& m, std::uint64_t seed, std::uint64_t index, std::size_t size) {
  m.resize(size);
  std::uint64_t state = mix(seed ^ (index << 1U));
  for (std::size_t i = 0; i < size; i += 8) {
    state = mix(state);
    std::memcpy(m.data() + i, &state, std::min<std::size_t>(8, size - i));
  }
  m[0] = static_cast<std::byte>(seed & 0xffU);  // the stream's tag (verify-multi)
  if (size >= 9) std::memcpy(m.data() + 1, &index, 8);
}

int produce(const std::string& name, std::uint64_t from, std::uint64_t to, std::uint64_t seed) {
  auto ch = ipckit::Channel::open(name);
  if (!ch) {
    fmt::print(stderr, "bridge_load: {}\n", ch.error().message());
    return 1;
  }
  auto tx = ch->sender();
  if (!tx) {
    fmt::print(stderr, "bridge_load: {}\n", tx.error().message());
    return 1;
  }
  const char* stall_env = std::getenv("BRIDGE_LOAD_STALL");
  const auto stall = std::chrono::seconds(stall_env != nullptr ? std::atoi(stall_env) : 120);
  std::vector<std::byte> m;
  for (std::uint64_t i = from; i < to; ++i) {
    fill(m, seed, i, size_of(seed, i, tx->max_message()));
    const auto give_up = std::chrono::steady_clock::now() + stall;
    for (;;) {
      auto r = tx->send(m, std::chrono::seconds(1));
      if (r) break;
      // EPIPE: the ring is full and its consumer is gone (a bridge out being restarted);
      // ETIMEDOUT: full and its consumer is slow or stuck. The message was not sent: send it
      // again, until the stall limit.
      const int code = r.error().code();
      if ((code != EPIPE && code != ETIMEDOUT) || std::chrono::steady_clock::now() >= give_up) {
        fmt::print(stderr, "bridge_load: message {}: {}{}\n", i, r.error().message(),
                   code == EPIPE || code == ETIMEDOUT
                       ? fmt::format(" (nothing went out for {} s)", stall.count())
                       : "");
        return 1;
      }
      if (code == EPIPE) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  return 0;
}

int verify(const std::string& name, std::uint64_t n, std::uint64_t seed, double timeout) {
  auto ch = ipckit::Channel::open(name);
  if (!ch) {
    fmt::print(stderr, "bridge_load: {}\n", ch.error().message());
    return 1;
  }
  auto rx = ch->receiver({}, ipckit::channel::ReceiveMode::kFollow);
  if (!rx) {
    fmt::print(stderr, "bridge_load: {}\n", rx.error().message());
    return 1;
  }
  std::vector<std::byte> expected;
  std::uint64_t bytes = 0;
  const auto wait = std::chrono::milliseconds(static_cast<long>(timeout * 1000));
  for (std::uint64_t i = 0; i < n;) {
    auto m = rx->peek(wait);
    if (!m) {
      if (m.error().code() == EPIPE || m.error().code() == ECONNRESET) continue;  // kFollow events
      fmt::print(stderr, "bridge_load: verify: after {} of {} messages: {}\n", i, n,
                 m.error().message());
      return 1;
    }
    fill(expected, seed, i, size_of(seed, i, rx->max_message()));
    if (m->size() != expected.size() || std::memcmp(m->data(), expected.data(), m->size()) != 0) {
      std::uint64_t got = ~std::uint64_t{0};
      if (m->size() >= 9) std::memcpy(&got, m->data() + 1, 8);
      fmt::print(stderr,
                 "bridge_load: verify: message {} is wrong: {} bytes (expected {}), index field "
                 "{} ({})\n",
                 i, m->size(), expected.size(), got,
                 got < i   ? "a duplicate or reordered message"
                 : got > i ? "messages lost"
                           : "corrupted");
      return 1;
    }
    bytes += m->size();
    rx->release();
    ++i;
  }
  // Nothing more may come: a duplicate after the last message is a failure too.
  auto extra = rx->peek(std::chrono::milliseconds(300));
  if (extra) {
    fmt::print(stderr, "bridge_load: verify: a message after the last of {} ({} bytes)\n", n,
               extra->size());
    return 1;
  }
  fmt::print("verified {} messages, {} bytes\n", n, bytes);
  return 0;
}

// Several streams (SEED:N each, the seeds' low bytes all different) interleaved in one channel:
// each message belongs to the stream its first byte names and must be that stream's next one.
int verify_multi(const std::string& name, double timeout,
                 std::vector<std::pair<std::uint64_t, std::uint64_t>> streams) {
  auto ch = ipckit::Channel::open(name);
  if (!ch) {
    fmt::print(stderr, "bridge_load: {}\n", ch.error().message());
    return 1;
  }
  auto rx = ch->receiver({}, ipckit::channel::ReceiveMode::kFollow);
  if (!rx) {
    fmt::print(stderr, "bridge_load: {}\n", rx.error().message());
    return 1;
  }
  std::vector<std::uint64_t> next(streams.size(), 0);
  std::uint64_t left = 0;
  for (const auto& [seed, n] : streams)
    left += n;
  std::vector<std::byte> expected;
  const auto wait = std::chrono::milliseconds(static_cast<long>(timeout * 1000));
  while (left > 0) {
    auto m = rx->peek(wait);
    if (!m) {
      if (m.error().code() == EPIPE || m.error().code() == ECONNRESET) continue;
      fmt::print(stderr, "bridge_load: verify-multi: {} messages missing: {}\n", left,
                 m.error().message());
      return 1;
    }
    std::size_t s = 0;
    while (s < streams.size() && static_cast<std::byte>(streams[s].first & 0xffU) != (*m)[0])
      ++s;
    if (s == streams.size() || next[s] >= streams[s].second) {
      fmt::print(stderr, "bridge_load: verify-multi: a message of no stream or past its end\n");
      return 1;
    }
    fill(expected, streams[s].first, next[s],
         size_of(streams[s].first, next[s], rx->max_message()));
    if (m->size() != expected.size() || std::memcmp(m->data(), expected.data(), m->size()) != 0) {
      fmt::print(stderr,
                 "bridge_load: verify-multi: stream {} message {} is wrong (lost, duplicated, "
                 "reordered or corrupted)\n",
                 s, next[s]);
      return 1;
    }
    rx->release();
    ++next[s];
    --left;
  }
  fmt::print("verified {} streams in order\n", streams.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    fmt::print(stderr,
               "usage: bridge_load produce|verify CHANNEL N SEED [TIMEOUT] | produce-from CHANNEL "
               "FROM TO SEED\n");
    return 2;
  }
  const std::string mode = argv[1];
  const std::string name = argv[2];
  const std::uint64_t n = std::strtoull(argv[3], nullptr, 10);
  const std::uint64_t seed = std::strtoull(argv[4], nullptr, 10);
  const double timeout = argc > 5 ? std::strtod(argv[5], nullptr) : 60.0;
  if (mode == "verify-multi") {  // verify-multi CHANNEL TIMEOUT SEED:N...
    std::vector<std::pair<std::uint64_t, std::uint64_t>> streams;
    for (int i = 4; i < argc; ++i) {
      const std::string arg = argv[i];
      const auto colon = arg.find(':');
      streams.emplace_back(std::stoull(arg.substr(0, colon)), std::stoull(arg.substr(colon + 1)));
    }
    return verify_multi(name, std::strtod(argv[3], nullptr), streams);
  }
  if (mode == "produce") return produce(name, 0, n, seed);
  if (mode == "produce-from" && argc > 5) {  // produce-from CHANNEL FROM TO SEED
    return produce(name, n, std::strtoull(argv[4], nullptr, 10),
                   std::strtoull(argv[5], nullptr, 10));
  }
  if (mode == "verify") return verify(name, n, seed, timeout);
  fmt::print(stderr, "bridge_load: unknown mode {}\n", mode);
  return 2;
}
