// One measurement of `ipckit bench`: a cell (mechanism, mode, test, size, ...) and what one round
// of it measured. A round never throws: a failure (lost, reordered or corrupted data, a peer
// that hung or died, a setup error) is a RoundResult with `error` set and no figures.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include <nlohmann/json_fwd.hpp>

namespace ipckit::bench {

enum class Test { kLatency, kThroughput };
std::string_view test_name(Test test);  // "latency", "throughput"
std::optional<Test> parse_test(std::string_view name);

// What another process does on the machine during the round.
enum class Load {
  kIdle,     // nothing of ours
  kBusyCpu,  // a third process spins (nice 0) on B's CPU (or unpinned with --no-pin)
};
std::string_view load_name(Load load);  // "idle", "busy-cpu"
std::optional<Load> parse_load(std::string_view name);

struct Cell {
  std::string mechanism;  // lower case, docs/bench.md: "pipe", "channel", "zmq", ...
  std::string mode;       // one of the mechanism's modes ("default" when it has one)
  Test test = Test::kLatency;
  std::size_t size = 64;  // payload bytes of every message, >= 8
  int producers = 1;      // A processes (only mechanisms that say so take more than 1)
  Load load = Load::kIdle;
};

struct RoundOptions {
  // How long the measured part of the round runs (after warm-up).
  std::chrono::milliseconds duration{200};
  // CPUs for A and B (the busy-cpu spinner goes on B's); nullopt: the scheduler places them.
  std::optional<std::pair<int, int>> cpus;
  // A round that has not finished by then is killed and fails with "timed out after N s".
  std::chrono::seconds deadline{30};
};

struct RoundResult {
  bool verified = false;  // the receiver checked every byte of every message
  std::string error;      // non-empty: the round failed; the figures below mean nothing
  // Latency rounds: one-way = round trip / 2, over every measured round trip.
  std::int64_t p50_ns = 0, p99_ns = 0, p999_ns = 0, max_ns = 0;
  std::uint64_t samples = 0;  // round trips measured
  // Throughput rounds: messages received in the measured interval, per second, at B.
  double msgs_per_s = 0, bytes_per_s = 0;
  std::uint64_t messages = 0;  // messages B received and checked (throughput and latency)
};

// The one JSON form a peer harness prints (bench/peers/) and `ipckit bench` parses back.
void to_json(nlohmann::json& j, const RoundResult& r);
void from_json(const nlohmann::json& j, RoundResult& r);

}  // namespace ipckit::bench
