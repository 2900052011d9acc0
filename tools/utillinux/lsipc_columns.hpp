// lsipc's column descriptors: one table that drives -o parsing, --help, the pretty (--id) view
// and every output mode, in util-linux 2.38's order (which --help and the --id view follow).
//
// Constant data and pure functions: thread-safe.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

#include "cli/table.hpp"

namespace ipckit::cli::lsipc {

enum class Col : int {
  // generic
  kKey,
  kId,
  kOwner,
  kPerms,
  kCuid,
  kCuser,
  kCgid,
  kCgroup,
  kUid,
  kUser,
  kGid,
  kGroup,
  kCtime,
  // message queues
  kUsedBytes,
  kMsgs,
  kSend,
  kRecv,
  kLspid,
  kLrpid,
  // shared memory
  kSize,
  kNattch,
  kStatus,
  kAttach,
  kDetach,
  kCommand,
  kCpid,
  kLpid,
  // semaphores
  kNsems,
  kOtime,
  // summary (--global)
  kResource,
  kDesc,
  kLimit,
  kUsed,
  kUsePerc,
};

// Which group a column belongs to; generic columns apply to every listing.
enum class ColGroup { kGeneric, kMsg, kShm, kSem, kSummary };

// The name (as -o takes it and headers show it), --help line and libsmartcols flags are lsipc
// 2.38's: COMMAND may be truncated to fit a terminal (unless --notruncate; width hint 0), STATUS
// ignores extreme cells when it must narrow, the numeric and time columns are right-aligned.
struct ColumnDesc {
  Col id;
  table::ColumnSpec spec;
  std::string_view pretty;  // the --id view's label
  ColGroup group;
};

// Every column, in util-linux's order.
[[nodiscard]] std::span<const ColumnDesc> all_columns();
// The same columns' table descriptors, indexed by Col.
[[nodiscard]] std::span<const table::ColumnSpec> column_specs();
[[nodiscard]] const ColumnDesc& describe(Col id);

}  // namespace ipckit::cli::lsipc
