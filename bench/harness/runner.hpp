// Running one round of a link-based cell in forked processes (docs/bench.md "How a round runs").
//
// run_link_round(): the parent makes the Link, forks B and the A processes (pinned per
// RoundOptions::cpus; a spinner on B's CPU for Load::kBusyCpu), each opens its end and reports
// ready over a pipe; all start together; each ends with a fixed-size report over the pipe. The
// parent kills every child still running at the deadline (error "timed out after N s"), reaps
// all of them, and destroys the Link (removing its objects) before returning. A child that dies
// fails the round with its signal or exit status.
//
// Latency: A sends message i, B checks it and answers with its own message of the same size, A
// checks the answer; one-way = round trip / 2, after a warm-up. Throughput: each A sends for
// `duration`, then an end message; B checks every message and counts those received between
// the start and the last message.
#pragma once

#include <functional>
#include <memory>

#include "harness/link.hpp"
#include "harness/mechanism.hpp"
#include "harness/round.hpp"

namespace ipckit::bench {

using LinkFactory = std::function<Result<std::unique_ptr<Link>>(const Cell& cell)>;

RoundResult run_link_round(const LinkFactory& make_link, const Cell& cell,
                           const RoundOptions& options);

// The Mechanism of a Link type built from the cell alone (every kernel mechanism and most
// peers): mode "default", both tests, one producer; run() is run_link_round() with `make`;
// `cannot` defaults to "can do every cell".
Mechanism link_mechanism(std::string name, std::string note, LinkFactory make,
                         std::function<std::optional<std::string>(const Cell&)> cannot = {});

// Pins the calling thread to `cpu`; errors name the CPU.
Result<void> pin_to_cpu(int cpu);

// The CPU pair used by default: two different online CPUs, the last two of the affinity mask
// (so CPU 0, where interrupts often land, is avoided on machines with more than two). nullopt
// on a one-CPU machine.
std::optional<std::pair<int, int>> default_cpus();

}  // namespace ipckit::bench
