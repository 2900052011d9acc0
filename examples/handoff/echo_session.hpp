// The line-echo session of the example handoff worker: library code to copy into a worker of
// your own (examples/handoff/handoff_worker.cpp runs it; `ipckit handoff worker --echo` too).
//
// The session writes nothing first. Then, for each line the client sends (up to kMaxLine bytes,
// terminator included), it writes the same bytes back, "\r\n" or "\n" kept as received. The one
// exception is the line "PID", answered with "pid <getpid()>" and the same terminator: it tells
// a test which process serves the connection (a worker's pid, never the daemon's). A last line
// without a terminator is echoed before the session ends at end of stream.
// A line longer than kMaxLine is answered "line too long\r\n" and ends the session; so does a
// read or write error (the client hung up).
//
// Ownership: takes the client's descriptor and closes it when the session ends.
// Blocking: runs until the client closes its side; one thread per session.
#pragma once

#include "ipckit/core/fd.hpp"

namespace handoff_example {

void run_echo_session(ipckit::Fd client);

}  // namespace handoff_example
