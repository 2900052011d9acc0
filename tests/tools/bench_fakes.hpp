// Fake mechanisms for the unit tests of `ipckit bench`'s pure parts (tests/tools/bench_*_test.cpp):
// descriptions only, or a scripted runner that records the order it was called in.
#pragma once

#include <string>
#include <vector>

#include "harness/mechanism.hpp"

namespace ipckit::bench::fakes {

using BenchTest = ::ipckit::bench::Test;  // gtest has its own Test

inline Mechanism fake(std::string name, std::vector<std::string> modes = {"default"},
                      std::vector<BenchTest> tests = {BenchTest::kLatency, BenchTest::kThroughput},
                      int max_producers = 1) {
  Mechanism m;
  m.name = std::move(name);
  m.modes = std::move(modes);
  m.tests = std::move(tests);
  m.max_producers = max_producers;
  return m;
}

inline RoundResult latency_round(std::int64_t p50, bool verified = true) {
  RoundResult r;
  r.verified = verified;
  r.p50_ns = p50;
  r.p99_ns = p50 * 2;
  r.p999_ns = p50 * 3;
  r.max_ns = p50 * 10;
  r.samples = 1000;
  r.messages = 1000;
  return r;
}

inline RoundResult throughput_round(double msgs, std::size_t size) {
  RoundResult r;
  r.verified = true;
  r.msgs_per_s = msgs;
  r.bytes_per_s = msgs * static_cast<double>(size);
  r.messages = 1000;
  return r;
}

inline RoundResult failed_round(std::string error) {
  RoundResult r;
  r.error = std::move(error);
  return r;
}

}  // namespace ipckit::bench::fakes
