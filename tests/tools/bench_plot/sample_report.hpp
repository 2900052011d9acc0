// A hand-built Report for the chart tests (bench_plot_test.cpp, bench_plot_sample.cpp): the
// default matrix's shape with plausible figures, one failed row, one marked row, a mechanism with
// a name that needs escaping, rows at one point only, and a missing peer.
#pragma once

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "bench/bench_rows.hpp"

namespace ipckit::bench::testing {

// A latency row: p50 `ns`, spread +-10%.
inline Row latency_row(std::string mechanism, std::string mode, std::size_t size, double ns) {
  Row r;
  r.cell = Cell{std::move(mechanism), std::move(mode), Test::kLatency, size, 1, Load::kIdle};
  r.rounds = 5;
  r.verified = true;
  r.p50_ns = ns;
  r.p99_ns = ns * 1.8;
  r.p999_ns = ns * 3;
  r.max_ns = ns * 20;
  r.spread = {ns * 0.9, ns * 1.1};
  return r;
}

// A throughput row: `msgs` messages/s of `size` bytes, spread +-10%.
inline Row throughput_row(std::string mechanism, std::string mode, std::size_t size, double msgs) {
  Row r;
  r.cell = Cell{std::move(mechanism), std::move(mode), Test::kThroughput, size, 1, Load::kIdle};
  r.rounds = 5;
  r.verified = true;
  r.msgs_per_s = msgs;
  r.bytes_per_s = msgs * static_cast<double>(size);
  r.spread = {msgs * 0.9, msgs * 1.1};
  return r;
}

// `row` as a row that has no figures: failed with `error`, or marked with `cannot`.
inline Row without_figures(const Row& row, std::string error, std::string cannot) {
  Row r;
  r.cell = row.cell;
  r.error = std::move(error);
  r.cannot = std::move(cannot);
  return r;
}

// The sample: a failed zmq latency row at 4 KiB ("timed out after 30 s"), a marked sysv-msg row
// at 64 KiB and 1 MiB ("above msgmax (8192 B)"), a mechanism named "odd<&\"'>" whose error has
// an invalid UTF-8 byte and a control character, channel busy-poll at 4 producers and pipe under
// a busy CPU, and a missing peer "iceoryx".
inline Report sample_report() {
  Report report;
  report.cpus = "0,1";
  report.machine = "Intel(R) Xeon(R) CPU @ 2.20GHz, 2 cores, Linux 6.1.0-18-amd64";
  report.peers_missing = {"iceoryx: ipckit-bench-iceoryx not found (package iceoryx not built)"};
  const std::vector<std::pair<std::string, std::string>> lines = {{"shm-spin", "default"},
                                                                  {"pipe", "default"},
                                                                  {"fifo", "default"},
                                                                  {"unix-stream", "default"},
                                                                  {"unix-dgram", "default"},
                                                                  {"unix-seqpacket", "default"},
                                                                  {"tcp", "default"},
                                                                  {"sysv-msg", "default"},
                                                                  {"posix-mq", "default"},
                                                                  {"sysv-shm-sem", "default"},
                                                                  {"posix-shm-futex", "default"},
                                                                  {"channel", "busy-poll"},
                                                                  {"channel", "spin-then-block"},
                                                                  {"channel", "block"},
                                                                  {"zmq", "default"},
                                                                  {"nng", "default"}};
  const double base[] = {90,   4200, 4300, 3900, 3800, 3900, 9000,  4100,
                         4500, 5200, 2600, 110,  180,  2700, 16000, 14000};
  for (std::size_t i = 0; i < lines.size(); ++i) {
    for (std::size_t size : {8UL, 64UL, 512UL, 4096UL, 65536UL}) {
      Row r = latency_row(lines[i].first, lines[i].second, size,
                          base[i] * (1 + static_cast<double>(size) / 8192.0));
      if (lines[i].first == "zmq" && size == 4096) {
        r = without_figures(r, "timed out after 30 s", "");
      }
      if (lines[i].first == "sysv-msg" && size == 65536) {
        r = without_figures(r, "", "above msgmax (8192 B)");
      }
      report.rows.push_back(r);
    }
  }
  for (std::size_t i = 0; i < lines.size(); ++i) {
    for (std::size_t size : {64UL, 1024UL, 16384UL, 65536UL, 1048576UL}) {
      const double msgs = 2e9 / (base[i] * (1 + static_cast<double>(size) / 2048.0));
      Row r = throughput_row(lines[i].first, lines[i].second, size, msgs);
      if (lines[i].first == "sysv-msg" && size >= 65536) {
        r = without_figures(r, "", "above msgmax (8192 B)");
      }
      report.rows.push_back(r);
    }
  }
  for (std::size_t size : {64UL, 1024UL, 16384UL, 65536UL, 1048576UL}) {
    report.rows.push_back(throughput_row(
        "memcpy", "default", size, 1.2e10 / static_cast<double>(std::max<std::size_t>(size, 256))));
  }
  Row odd = latency_row("odd<&\"'>", "m\xC3\xA9thode", 64, 777);
  report.rows.push_back(odd);
  Row odd_failed = latency_row("odd<&\"'>", "m\xC3\xA9thode", 512, 0);
  odd_failed.error = "peer printed \xFF garbage\x01 <not json> & died";
  odd_failed.p50_ns.reset();
  report.rows.push_back(odd_failed);
  Row scaled = throughput_row("channel", "busy-poll", 64, 4.1e7);
  scaled.cell.producers = 4;
  report.rows.push_back(scaled);
  Row busy = latency_row("pipe", "default", 64, 9100);
  busy.cell.load = Load::kBusyCpu;
  report.rows.push_back(busy);
  return report;
}

}  // namespace ipckit::bench::testing
