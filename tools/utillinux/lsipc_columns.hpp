// lsipc's column descriptors: one table that drives -o parsing, --help, the pretty (--id) view
// and every output mode, in util-linux 2.38's order (which --help and the --id view follow).
//
// Constant data and pure functions: thread-safe.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

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

struct ColumnDesc {
  Col id;
  std::string_view name;    // as -o takes it and headers show it
  std::string_view help;    // --help
  std::string_view pretty;  // the --id view's label
  bool right;               // right-aligned
  ColGroup group;
};

// Every column, in util-linux's order.
[[nodiscard]] std::span<const ColumnDesc> all_columns();
[[nodiscard]] const ColumnDesc& describe(Col id);
// The column called `name` (case-insensitive), or nullptr.
[[nodiscard]] const ColumnDesc* find_column(std::string_view name);
// lsipc 2.38's libsmartcols flags: COMMAND may be truncated to fit a terminal (unless
// --notruncate), STATUS ignores extreme cells when it must narrow (lsipc_fit.hpp).
[[nodiscard]] bool truncatable(Col id) noexcept;
[[nodiscard]] bool no_extremes(Col id) noexcept;
// The number of descriptors, which bounds -o: util-linux keeps room for each column twice.
[[nodiscard]] std::size_t column_count();

}  // namespace ipckit::cli::lsipc
