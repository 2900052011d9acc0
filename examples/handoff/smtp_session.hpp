// A minimal SMTP server session for the example handoff worker: library code to copy
// (examples/handoff/handoff_worker.cpp runs it; `ipckit handoff worker --smtp` too). It accepts
// mail and discards it, which is enough for the postscreen → smtpd story to run end to end.
//
// The daemon may already have sent the first part of the greeting (a "220-" line, see
// ClientInfo::banner_sent); either way the session sends the final greeting line itself:
//   220 <hostname> ESMTP ipckit handoff worker pid <getpid()>
// then serves, line by line (verbs are case-insensitive, "\r\n" or "\n" accepted):
//   EHLO <domain>           250-<hostname> hello <domain> / 250-8BITMIME / 250 SMTPUTF8
//   HELO <domain>           250 <hostname> hello <domain>
//   MAIL FROM:<addr> [...]  250 (after EHLO/HELO, outside a transaction)
//   RCPT TO:<addr> [...]    250 (after MAIL)
//   DATA                    354, then every line up to a line "." is discarded; 250 (after RCPT)
//   RSET, NOOP              250 (RSET ends the transaction)
//   QUIT                    221, and the session ends
// A command out of order is 503, a missing argument 501, anything else 500. A line longer than
// kMaxLine is answered 500 and ends the session, as does end of stream or an I/O error.
//
// Ownership: takes the client's descriptor and closes it when the session ends.
// Blocking: runs until QUIT or the client hangs up; one thread per session.
#pragma once

#include <string>

#include "ipckit/core/fd.hpp"

namespace handoff_example {

struct SmtpOptions {
  std::string hostname;  // in the greeting and EHLO; empty: gethostname(2)
};

void run_smtp_session(ipckit::Fd client, const SmtpOptions& options = {});

}  // namespace handoff_example
