#include "utillinux/lsipc_columns.hpp"

#include <array>

namespace ipckit::cli::lsipc {

namespace {

using G = ColGroup;
constexpr std::array<ColumnDesc, 34> kColumns{{
    {Col::kKey, {"KEY", "Resource key", 0}, "Key", G::kGeneric},
    {Col::kId, {"ID", "Resource ID", 0}, "ID", G::kGeneric},
    {Col::kOwner, {"OWNER", "Owner's username or UID", table::kRight}, "Owner", G::kGeneric},
    {Col::kPerms, {"PERMS", "Permissions", table::kRight}, "Permissions", G::kGeneric},
    {Col::kCuid, {"CUID", "Creator UID", table::kRight}, "Creator UID", G::kGeneric},
    {Col::kCuser, {"CUSER", "Creator user", 0}, "Creator user", G::kGeneric},
    {Col::kCgid, {"CGID", "Creator GID", table::kRight}, "Creator GID", G::kGeneric},
    {Col::kCgroup, {"CGROUP", "Creator group", 0}, "Creator group", G::kGeneric},
    {Col::kUid, {"UID", "User ID", table::kRight}, "UID", G::kGeneric},
    {Col::kUser, {"USER", "User name", 0}, "User name", G::kGeneric},
    {Col::kGid, {"GID", "Group ID", table::kRight}, "GID", G::kGeneric},
    {Col::kGroup, {"GROUP", "Group name", 0}, "Group name", G::kGeneric},
    {Col::kCtime, {"CTIME", "Time of the last change", table::kRight}, "Last change", G::kGeneric},
    {Col::kUsedBytes, {"USEDBYTES", "Bytes used", table::kRight}, "Bytes used", G::kMsg},
    {Col::kMsgs, {"MSGS", "Number of messages", 0}, "Messages", G::kMsg},
    {Col::kSend, {"SEND", "Time of last msg sent", table::kRight}, "Msg sent", G::kMsg},
    {Col::kRecv, {"RECV", "Time of last msg received", table::kRight}, "Msg received", G::kMsg},
    {Col::kLspid, {"LSPID", "PID of the last msg sender", table::kRight}, "Msg sender", G::kMsg},
    {Col::kLrpid,
     {"LRPID", "PID of the last msg receiver", table::kRight},
     "Msg receiver",
     G::kMsg},
    {Col::kSize, {"SIZE", "Segment size", table::kRight}, "Segment size", G::kShm},
    {Col::kNattch,
     {"NATTCH", "Number of attached processes", table::kRight},
     "Attached processes",
     G::kShm},
    {Col::kStatus, {"STATUS", "Status", table::kNoExtremes}, "Status", G::kShm},
    {Col::kAttach, {"ATTACH", "Attach time", table::kRight}, "Attach time", G::kShm},
    {Col::kDetach, {"DETACH", "Detach time", table::kRight}, "Detach time", G::kShm},
    {Col::kCommand,
     {"COMMAND", "Creator command line", table::kTrunc, table::JsonType::kString, 0},
     "Creator command",
     G::kShm},
    {Col::kCpid, {"CPID", "PID of the creator", table::kRight}, "Creator PID", G::kShm},
    {Col::kLpid, {"LPID", "PID of last user", table::kRight}, "Last user PID", G::kShm},
    {Col::kNsems, {"NSEMS", "Number of semaphores", table::kRight}, "Semaphores", G::kSem},
    {Col::kOtime,
     {"OTIME", "Time of the last operation", table::kRight},
     "Last operation",
     G::kSem},
    {Col::kResource, {"RESOURCE", "Resource name", 0}, "Resource", G::kSummary},
    {Col::kDesc, {"DESCRIPTION", "Resource description", 0}, "Description", G::kSummary},
    {Col::kLimit, {"LIMIT", "System-wide limit", table::kRight}, "Limit", G::kSummary},
    {Col::kUsed, {"USED", "Currently used", table::kRight}, "Used", G::kSummary},
    {Col::kUsePerc, {"USE%", "Currently use percentage", table::kRight}, "Use", G::kSummary},
}};

// The descriptors alone, for cli/table (which parses -o against them).
constexpr auto kSpecs = [] {
  std::array<table::ColumnSpec, kColumns.size()> out{};
  for (std::size_t i = 0; i < kColumns.size(); ++i)
    out[i] = kColumns[i].spec;
  return out;
}();

}  // namespace

std::span<const ColumnDesc> all_columns() {
  return kColumns;
}

std::span<const table::ColumnSpec> column_specs() {
  return kSpecs;
}

const ColumnDesc& describe(Col id) {
  return kColumns[static_cast<std::size_t>(id)];
}

}  // namespace ipckit::cli::lsipc
