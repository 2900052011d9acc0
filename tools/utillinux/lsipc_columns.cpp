#include "utillinux/lsipc_columns.hpp"

#include <array>
#include <cctype>

namespace ipckit::cli::lsipc {

namespace {

using G = ColGroup;
constexpr std::array<ColumnDesc, 34> kColumns{{
    {Col::kKey, "KEY", "Resource key", "Key", false, G::kGeneric},
    {Col::kId, "ID", "Resource ID", "ID", false, G::kGeneric},
    {Col::kOwner, "OWNER", "Owner's username or UID", "Owner", true, G::kGeneric},
    {Col::kPerms, "PERMS", "Permissions", "Permissions", true, G::kGeneric},
    {Col::kCuid, "CUID", "Creator UID", "Creator UID", true, G::kGeneric},
    {Col::kCuser, "CUSER", "Creator user", "Creator user", false, G::kGeneric},
    {Col::kCgid, "CGID", "Creator GID", "Creator GID", true, G::kGeneric},
    {Col::kCgroup, "CGROUP", "Creator group", "Creator group", false, G::kGeneric},
    {Col::kUid, "UID", "User ID", "UID", true, G::kGeneric},
    {Col::kUser, "USER", "User name", "User name", false, G::kGeneric},
    {Col::kGid, "GID", "Group ID", "GID", true, G::kGeneric},
    {Col::kGroup, "GROUP", "Group name", "Group name", false, G::kGeneric},
    {Col::kCtime, "CTIME", "Time of the last change", "Last change", true, G::kGeneric},
    {Col::kUsedBytes, "USEDBYTES", "Bytes used", "Bytes used", true, G::kMsg},
    {Col::kMsgs, "MSGS", "Number of messages", "Messages", false, G::kMsg},
    {Col::kSend, "SEND", "Time of last msg sent", "Msg sent", true, G::kMsg},
    {Col::kRecv, "RECV", "Time of last msg received", "Msg received", true, G::kMsg},
    {Col::kLspid, "LSPID", "PID of the last msg sender", "Msg sender", true, G::kMsg},
    {Col::kLrpid, "LRPID", "PID of the last msg receiver", "Msg receiver", true, G::kMsg},
    {Col::kSize, "SIZE", "Segment size", "Segment size", true, G::kShm},
    {Col::kNattch, "NATTCH", "Number of attached processes", "Attached processes", true, G::kShm},
    {Col::kStatus, "STATUS", "Status", "Status", false, G::kShm},
    {Col::kAttach, "ATTACH", "Attach time", "Attach time", true, G::kShm},
    {Col::kDetach, "DETACH", "Detach time", "Detach time", true, G::kShm},
    {Col::kCommand, "COMMAND", "Creator command line", "Creator command", false, G::kShm},
    {Col::kCpid, "CPID", "PID of the creator", "Creator PID", true, G::kShm},
    {Col::kLpid, "LPID", "PID of last user", "Last user PID", true, G::kShm},
    {Col::kNsems, "NSEMS", "Number of semaphores", "Semaphores", true, G::kSem},
    {Col::kOtime, "OTIME", "Time of the last operation", "Last operation", true, G::kSem},
    {Col::kResource, "RESOURCE", "Resource name", "Resource", false, G::kSummary},
    {Col::kDesc, "DESCRIPTION", "Resource description", "Description", false, G::kSummary},
    {Col::kLimit, "LIMIT", "System-wide limit", "Limit", true, G::kSummary},
    {Col::kUsed, "USED", "Currently used", "Used", true, G::kSummary},
    {Col::kUsePerc, "USE%", "Currently use percentage", "Use", true, G::kSummary},
}};

bool same_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

}  // namespace

std::span<const ColumnDesc> all_columns() {
  return kColumns;
}

const ColumnDesc& describe(Col id) {
  return kColumns[static_cast<std::size_t>(id)];
}

const ColumnDesc* find_column(std::string_view name) {
  for (const ColumnDesc& d : kColumns) {
    if (same_ignoring_case(d.name, name)) return &d;
  }
  return nullptr;
}

std::size_t column_count() {
  return kColumns.size();
}

bool truncatable(Col id) noexcept {
  return id == Col::kCommand;
}

bool no_extremes(Col id) noexcept {
  return id == Col::kStatus;
}

}  // namespace ipckit::cli::lsipc
