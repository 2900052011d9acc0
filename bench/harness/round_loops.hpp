// Internal to the runner (runner.cpp): what each forked process of a round does once it has its
// Endpoint, and the fixed-size report it sends back to the parent over its pipe.
//
// Per message the loops do only the mechanism's calls, the MessageFormat fill and the StreamCheck
// check: no allocation, no syscall of their own. Latency reads the clock twice per round trip;
// throughput reads it once every `clock_every()` messages.
#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>
#include <vector>

#include "harness/link.hpp"
#include "harness/message_format.hpp"
#include "harness/round.hpp"

namespace ipckit::bench::detail {

using Clock = std::chrono::steady_clock;

// One report, written whole with a single write() (smaller than PIPE_BUF, so atomic).
struct ChildReport {
  enum Kind : std::uint32_t { kReady = 1, kFinal = 2 };
  std::uint32_t kind = kFinal;
  std::uint32_t failed = 0;      // 1: `error` says why (a NUL-terminated line)
  std::uint64_t messages = 0;    // B: messages received and checked; A: messages sent
  std::uint64_t measured = 0;    // B, throughput: messages in the measured interval
  std::int64_t interval_ns = 0;  // B, throughput: the measured interval
  std::uint64_t samples = 0;     // A, latency: round trips measured
  std::int64_t p50_ns = 0, p99_ns = 0, p999_ns = 0, max_ns = 0;  // A, latency: one-way
  char error[480] = {};

  void fail(std::string_view why);
};

// What every process of a round knows before it starts.
struct RoundPlan {
  const Cell* cell = nullptr;
  const MessageFormat* data = nullptr;   // A -> B: `producers` producers
  const MessageFormat* reply = nullptr;  // B -> A (latency): B's replies are producer 1
  std::chrono::nanoseconds warmup{0};
  std::chrono::nanoseconds duration{0};
};

// The unmeasured part before each round's measured interval.
std::chrono::nanoseconds warmup_for(std::chrono::nanoseconds duration);
// Throughput reads the clock once every this many messages of `size` bytes.
std::uint32_t clock_every(std::size_t size);

// State a role allocates before it reports ready, so the measured loop allocates nothing.
struct LatencyBuffers {
  std::vector<std::int64_t> rtt_ns;
};
LatencyBuffers prepare_latency(const RoundPlan& plan);

// Each runs its role from the common start `go` to the end and fills `report` (failed on any
// error). `endpoint` stays open; the caller closes it before sending the final report.
void run_latency_a(Endpoint& endpoint, const RoundPlan& plan, LatencyBuffers& buffers,
                   Clock::time_point go, ChildReport& report);
void run_latency_b(Endpoint& endpoint, const RoundPlan& plan, Clock::time_point go,
                   ChildReport& report);
void run_throughput_a(Endpoint& endpoint, const RoundPlan& plan, int producer, Clock::time_point go,
                      ChildReport& report);
void run_throughput_b(Endpoint& endpoint, const RoundPlan& plan, Clock::time_point go,
                      ChildReport& report);

}  // namespace ipckit::bench::detail
