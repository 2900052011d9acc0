// Exit codes of the `ipckit` command. Documented in docs/cli.md; never renumber a shipped code.
#pragma once

namespace ipckit::cli {

inline constexpr int kExitOk = 0;           // the command did what was asked
inline constexpr int kExitFailure = 1;      // bad usage, or the operation failed (message says why)
inline constexpr int kExitUnsupported = 2;  // this kernel or build cannot do what was asked
inline constexpr int kExitPeerGone = 3;     // the process at the other end died or left
inline constexpr int kExitTimeout = 4;      // a --timeout expired before the operation completed

}  // namespace ipckit::cli
