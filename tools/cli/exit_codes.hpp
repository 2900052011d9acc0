// Exit codes of the `ipckit` command. Documented in docs/cli.md; never renumber a shipped code.
#pragma once

namespace ipckit::cli {

inline constexpr int kExitOk = 0;           // the command did what was asked
inline constexpr int kExitFailure = 1;      // bad usage, or the operation failed (message says why)
inline constexpr int kExitUnsupported = 2;  // this kernel or build cannot do what was asked
inline constexpr int kExitPeerGone = 3;     // the process at the other end died or left
inline constexpr int kExitTimeout = 4;      // a --timeout expired before the operation completed

// The `ipckit handoff` commands (a daemon and its tools) follow the LSB convention for daemons
// instead: a bad command line, flag value or config file exits 2 ("invalid argument"), so a
// service manager can tell it from a run-time failure (RestartPreventExitStatus=2). These
// commands never report kExitUnsupported, so the number keeps one meaning per command.
inline constexpr int kExitDaemonUsage = 2;

}  // namespace ipckit::cli
