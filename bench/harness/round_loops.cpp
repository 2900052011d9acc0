#include "harness/round_loops.hpp"

#include <algorithm>
#include <cstring>
#include <optional>

#include <fmt/format.h>

#include "harness/stats.hpp"

namespace ipckit::bench::detail {
namespace {

// The end message of producer p carries p << 56 | kEndFlag | (messages p sent) in its first 8
// bytes. No data message has this bit: its sequence number would have to reach 2^55.
constexpr std::uint64_t kEndFlag = std::uint64_t{1} << 55;
constexpr std::uint64_t kCountMask = kEndFlag - 1;
// Latency samples kept at most (one per round trip): 64 MiB, enough for 8 s at 1 µs.
constexpr std::size_t kMaxSamples = std::size_t{1} << 23;

std::uint64_t head_of(std::span<const std::byte> message) {
  std::uint64_t v = 0;
  std::memcpy(&v, message.data(), sizeof v);
  return v;
}

bool is_end(std::span<const std::byte> message) {
  return message.size() >= 8 && (head_of(message) & kEndFlag) != 0;
}

// Sends producer p's end message: the same size as its data messages.
Result<void> send_end(Endpoint& endpoint, const MessageFormat& format, int producer,
                      std::uint64_t count) {
  auto out = endpoint.prepare(format.size());
  if (!out) return std::unexpected(out.error());
  format.fill(*out, producer, count);
  const std::uint64_t head = (static_cast<std::uint64_t>(producer) << 56) | kEndFlag | count;
  std::memcpy(out->data(), &head, sizeof head);
  return endpoint.send(format.size());
}

}  // namespace

void ChildReport::fail(std::string_view why) {
  if (failed) return;  // the first error explains the round
  failed = 1;
  const std::size_t n = std::min(why.size(), sizeof error - 1);
  std::memcpy(error, why.data(), n);
  error[n] = '\0';
}

std::chrono::nanoseconds warmup_for(std::chrono::nanoseconds duration) {
  return std::min<std::chrono::nanoseconds>(duration / 4, std::chrono::milliseconds(50));
}

std::uint32_t clock_every(std::size_t size) {
  return static_cast<std::uint32_t>(
      std::clamp<std::size_t>(16384 / std::max<std::size_t>(size, 1), 1, 256));
}

LatencyBuffers prepare_latency(const RoundPlan& plan) {
  // One sample per 100 ns of measured time at most; touched now, so no page fault later.
  const auto want = static_cast<std::size_t>(plan.duration.count() / 100) + 1024;
  return LatencyBuffers{std::vector<std::int64_t>(std::min(want, kMaxSamples), 0)};
}

void run_latency_a(Endpoint& endpoint, const RoundPlan& plan, LatencyBuffers& buffers,
                   Clock::time_point go, ChildReport& report) {
  const std::size_t size = plan.data->size();
  StreamCheck replies(*plan.reply);
  const Clock::time_point measure_from = go + plan.warmup;
  const Clock::time_point stop_at = measure_from + plan.duration;
  std::int64_t* const samples = buffers.rtt_ns.data();
  const std::size_t capacity = buffers.rtt_ns.size();
  std::size_t n = 0;
  std::uint64_t seq = 0;
  for (;; ++seq) {
    const Clock::time_point t0 = Clock::now();
    // At least one round trip is measured, however late the scheduler ran us (a busy
    // machine); the round's deadline still bounds it.
    if ((t0 >= stop_at && n > 0) || n == capacity) break;
    auto out = endpoint.prepare(size);
    if (!out) return report.fail("A: " + out.error().message());
    plan.data->fill(*out, 0, seq);
    if (auto sent = endpoint.send(size); !sent) return report.fail("A: " + sent.error().message());
    auto in = endpoint.receive();
    const Clock::time_point t1 = Clock::now();
    if (!in) return report.fail("A: " + in.error().message());
    auto checked = replies.check(*in);
    endpoint.release();
    if (!checked) return report.fail("A: reply: " + checked.error().message());
    if (replies.received(1) != seq + 1)
      return report.fail(fmt::format("A: reply {} is A's own message, not B's answer", seq));
    if (t0 >= measure_from) samples[n++] = (t1 - t0).count();
  }
  if (auto ended = send_end(endpoint, *plan.data, 0, seq); !ended)
    return report.fail("A: " + ended.error().message());
  report.messages = seq;
  if (n == 0) return report.fail("A: no round trip completed in the measured interval");
  const Percentiles p = percentiles(std::span<std::int64_t>(samples, n));
  report.samples = n;
  report.p50_ns = p.p50 / 2;
  report.p99_ns = p.p99 / 2;
  report.p999_ns = p.p999 / 2;
  report.max_ns = p.max / 2;
}

void run_latency_b(Endpoint& endpoint, const RoundPlan& plan, Clock::time_point /*go*/,
                   ChildReport& report) {
  const std::size_t size = plan.data->size();
  StreamCheck check(*plan.data);
  for (std::uint64_t seq = 0;; ++seq) {
    auto in = endpoint.receive();
    if (!in) return report.fail("B: " + in.error().message());
    if (is_end(*in)) {
      const std::uint64_t sent = head_of(*in) & kCountMask;
      endpoint.release();
      report.messages = check.received_total();
      if (sent != check.received(0))
        return report.fail(
            fmt::format("B: A sent {} messages, B received {}", sent, check.received(0)));
      return;
    }
    // Answer first, check while A reads the answer: the check stays off the round trip.
    if (in->size() == size) {
      auto out = endpoint.prepare(size);
      if (!out) return report.fail("B: " + out.error().message());
      plan.reply->fill(*out, 1, seq);
      if (auto sent = endpoint.send(size); !sent)
        return report.fail("B: " + sent.error().message());
    }
    auto checked = check.check(*in);
    endpoint.release();
    if (!checked) return report.fail("B: " + checked.error().message());
  }
}

void run_throughput_a(Endpoint& endpoint, const RoundPlan& plan, int producer, Clock::time_point go,
                      ChildReport& report) {
  const std::size_t size = plan.data->size();
  const std::uint32_t every = clock_every(size);
  const Clock::time_point measure_from = go + plan.warmup;
  const Clock::time_point stop_at = measure_from + plan.duration;
  const std::string who = plan.cell->producers > 1 ? fmt::format("A{}", producer) : "A";
  std::uint64_t seq = 0;
  // B looks at the clock once per `every` messages: sending more than 2 * every after the
  // warm-up ends guarantees that B measured some of them, however late either process ran (a
  // busy machine); the round's deadline still bounds it.
  std::optional<std::uint64_t> seq_at_measure;
  for (;;) {
    for (std::uint32_t k = 0; k < every; ++k, ++seq) {
      auto out = endpoint.prepare(size);
      if (!out) return report.fail(who + ": " + out.error().message());
      plan.data->fill(*out, producer, seq);
      if (auto sent = endpoint.send(size); !sent)
        return report.fail(who + ": " + sent.error().message());
    }
    const Clock::time_point now = Clock::now();
    if (!seq_at_measure && now >= measure_from) seq_at_measure = seq;
    if (now >= stop_at && seq - *seq_at_measure > 2 * std::uint64_t{every}) break;
  }
  report.messages = seq;
  if (auto ended = send_end(endpoint, *plan.data, producer, seq); !ended)
    return report.fail(who + ": " + ended.error().message());
}

void run_throughput_b(Endpoint& endpoint, const RoundPlan& plan, Clock::time_point go,
                      ChildReport& report) {
  const int producers = plan.cell->producers;
  const std::uint32_t every = clock_every(plan.data->size());
  StreamCheck check(*plan.data);
  std::vector<bool> ended(static_cast<std::size_t>(producers), false);
  int still_sending = producers;
  const Clock::time_point measure_from = go + plan.warmup;
  bool measuring = false;
  Clock::time_point measured_since = go;
  std::uint64_t total = 0, total_before = 0;
  std::uint32_t until_clock = every;
  while (still_sending > 0) {
    auto in = endpoint.receive();
    if (!in) return report.fail("B: " + in.error().message());
    if (is_end(*in)) {
      const std::uint64_t head = head_of(*in);
      const auto producer = static_cast<int>(head >> 56);
      endpoint.release();
      if (producer >= producers || ended[static_cast<std::size_t>(producer)])
        return report.fail(fmt::format("B: an unexpected end message (stamp {:#x})", head));
      ended[static_cast<std::size_t>(producer)] = true;
      --still_sending;
      const std::uint64_t sent = head & kCountMask;
      if (sent != check.received(producer))
        return report.fail(fmt::format("B: producer {} sent {} messages, B received {}", producer,
                                       sent, check.received(producer)));
      continue;
    }
    auto checked = check.check(*in);
    endpoint.release();
    if (!checked) return report.fail("B: " + checked.error().message());
    ++total;
    if (!measuring && --until_clock == 0) {
      until_clock = every;
      const Clock::time_point now = Clock::now();
      if (now >= measure_from) {
        measuring = true;
        measured_since = now;
        total_before = total;
      }
    }
  }
  const Clock::time_point last = Clock::now();
  report.messages = total;
  report.measured = total - total_before;
  report.interval_ns = (last - measured_since).count();
}

}  // namespace ipckit::bench::detail
