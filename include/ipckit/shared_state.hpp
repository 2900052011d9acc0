// Umbrella header for the shared state: one writer publishes a large table, many reader
// processes read complete versions of it. See ipckit/shared_state/writer.hpp for the contract.
#pragma once

#include "ipckit/shared_state/draft.hpp"
#include "ipckit/shared_state/options.hpp"
#include "ipckit/shared_state/reader.hpp"
#include "ipckit/shared_state/shared_state.hpp"
#include "ipckit/shared_state/snapshot.hpp"
#include "ipckit/shared_state/writer.hpp"

namespace ipckit {
using shared_state::SharedState;
using shared_state::SharedStateInfo;
using shared_state::SharedStateOptions;
using shared_state::SharedStateReader;
using shared_state::SharedStateWriter;
}  // namespace ipckit
