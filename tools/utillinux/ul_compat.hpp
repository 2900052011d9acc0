// What the util-linux drop-ins (ipcs, ipcmk, ipcrm, lsipc) share so that their messages, number
// parsing and exit codes match util-linux 2.38 byte for byte.
//
// Messages go to stderr as "prog: what" (warnx) or "prog: what: strerror" (err), where prog is
// the basename of the drop-in's argv[0]: "ipcs" for `ipckit ipcs`, as util-linux prints its
// program_invocation_short_name. Fatal errors throw Exit, which run_drop_in() turns into the
// exit code after flushing stdout, so destructors run and nothing calls exit() mid-way.
//
// Single-threaded: the drop-ins run on the main thread only (getopt_long, setlocale and the
// program name are process-wide).
#pragma once

#include <fmt/core.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace ipckit::cli::ul {

// Thrown to end a drop-in with `code` (the message has already been printed).
struct Exit {
  int code;
};

// The short program name used in messages ("ipcs").
[[nodiscard]] std::string_view program();

// errno as it was right after setlocale(LC_ALL, "") at start-up. util-linux's ipcrm prints
// this stale errno for an empty key ("failed to parse argument: '': No such file or directory"
// when the locale's files are missing); ipcrm reproduces it from here.
[[nodiscard]] int startup_errno();

// "prog: message\n" on stderr.
void warnx(std::string_view message);
// "prog: message: strerror(errnum)\n" on stderr.
void warn(std::string_view message, int errnum);
[[noreturn]] void errx(std::string_view message);             // warnx, then Exit{1}
[[noreturn]] void err(std::string_view message, int errnum);  // warn, then Exit{1}
// "Try 'prog --help' for more information.\n" on stderr, then Exit{1}.
[[noreturn]] void errtryhelp();
// "prog from ipckit VERSION\n" on stdout, then Exit{0}. (util-linux prints "from util-linux".)
[[noreturn]] void print_version();

// util-linux's strtos32_or_err: a base-10 int32 with optional sign and leading blanks. On
// failure prints "prog: what: 'text'" (plus ": Numerical result out of range" on overflow) and
// throws Exit{1}.
[[nodiscard]] std::int32_t strtos32_or_err(const char* text, std::string_view what);

// util-linux's strtosize: digits in C's base-0 notation (0x hex, 0 octal), an optional
// fraction, then K, M, G, T, P, E, Z or Y (either case) for powers of 1024, or the same with
// "iB" (1024) or "B" (1000). Returns 0 and sets `out`, or an errno value (EINVAL, ERANGE).
[[nodiscard]] int parse_size(const char* text, std::uint64_t& out);
// parse_size or "prog: what: 'text': strerror" and Exit{1}.
[[nodiscard]] std::uint64_t strtosize_or_err(const char* text, std::string_view what);

// util-linux's size_to_human_string with one-letter suffixes: "0B", "100B", "4K", "1.5M",
// "16E". One decimal, rounded, and dropped when it is zero.
[[nodiscard]] std::string human_size(std::uint64_t bytes);

// printf's "%-Ns" and "%-N.Ps" on bytes (fmt counts code points; util-linux counts bytes).
[[nodiscard]] std::string left(std::string_view text, std::size_t width);
[[nodiscard]] std::string left(std::string_view text, std::size_t width, std::size_t precision);
// printf's "%#o": "0" for zero, else the octal digits after a '0'.
[[nodiscard]] std::string alt_octal(unsigned value);

// Runs a drop-in's main: sets the program name from argv[0], leaves SIGPIPE as the drop-in
// inherited it (util-linux never changes it: a default SIGPIPE kills it quietly on a closed pipe,
// an ignored one makes the write fail with EPIPE), calls setlocale(LC_ALL, "") as util-linux
// does, resets getopt, runs `body`, catches Exit (and fmt's exception for a failed write, which
// util-linux's printf would have ignored), and ends as util-linux's close_stdout() does: an
// earlier failed write to stdout is "prog: write error" and exit 1; a failed final flush is
// "prog: write error: strerror" and exit 1, except EPIPE and EBADF, which are not errors; a
// failed write to stderr is exit 1.
int run_drop_in(int argc, char** argv, int (*body)(int argc, char** argv));

}  // namespace ipckit::cli::ul
