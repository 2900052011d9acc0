// shared-state in `ipckit bench`: snapshot cost while a writer republishes (shared_state.cpp).
#pragma once

#include "harness/mechanism.hpp"

namespace ipckit::bench {

// One round in forked processes; never throws, errors in RoundResult::error.
RoundResult run_shared_state_round(const Cell& cell, const RoundOptions& options);
Mechanism shared_state_mechanism();

}  // namespace ipckit::bench
