// A mechanism `ipckit bench` can measure: its name, modes, and how to run one round of a cell.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "harness/round.hpp"

namespace ipckit::bench {

struct Mechanism {
  std::string name;                // lower case, as in docs/bench.md ("pipe", "channel", ...)
  std::vector<std::string> modes;  // at least one; {"default"} when there is only one
  std::vector<Test> tests;         // which tests it can run
  int max_producers = 1;           // more than 1: takes part in the producer-scaling rows
  std::string note;                // shown with the results, e.g. "configured lossless: ..."
  // Why this mechanism cannot run `cell` on this machine (a message above msgmax, ...), or
  // nullopt. The row is then marked with the reason, never measured.
  std::function<std::optional<std::string>(const Cell& cell)> cannot;
  // The largest message it carries (0: no limit of its own) and why, e.g. "the largest mempool
  // chunk". A peer harness's --probe reports them, so `ipckit bench` marks larger rows before
  // it runs them; cannot() must agree.
  std::size_t max_size = 0;
  std::string max_size_reason;
  // One round of `cell`. Never throws; errors go into RoundResult::error.
  std::function<RoundResult(const Cell& cell, const RoundOptions& options)> run;
};

// Every mechanism built into ipckit, in the order tables show them: the kernel's (pipe first),
// the bare floors (shm-spin, posix-shm-futex), ipckit's (channel, shared-state, fd-passing),
// and memcpy (the throughput ceiling). Peers come from peers.hpp.
std::vector<Mechanism> builtin_mechanisms();

// Parts of the registry, one per file owner (bench/harness/mechanisms/).
std::vector<Mechanism> kernel_mechanisms();   // kernel_*.cpp
std::vector<Mechanism> channel_mechanisms();  // channel_*.cpp, shared_state*.cpp
Mechanism memcpy_mechanism();                 // memcpy.cpp

}  // namespace ipckit::bench
