// Uniform messages for the `ipckit` command: "ipckit: what: why", lowercase, no final period.
#pragma once

#include <fmt/core.h>

#include <cstdio>
#include <string_view>
#include <utility>

#include "ipckit/core/error.hpp"

namespace ipckit::cli {

// The program name used in messages (argv[0]'s basename, or "ipckit").
std::string_view program_name();
void set_program_name(std::string_view argv0);

// Writes `text` to `stream` and never throws (fmt::print throws std::system_error when a write
// fails). A failed write leaves the stream's error flag set, as printf(3) does; finish_stdout()
// reports it once, at exit.
void write_text(std::FILE* stream, std::string_view text) noexcept;

// fmt::print to stdout that never throws (see write_text). For output of commands that have
// work left to do after printing (the tour cleans up, ipcrm removes the next object).
template <class... Args>
void out(fmt::format_string<Args...> f, Args&&... args) {
  write_text(stdout, fmt::format(f, std::forward<Args>(args)...));
}

template <class... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) {
  write_text(stderr,
             fmt::format("{}: {}\n", program_name(), fmt::format(f, std::forward<Args>(args)...)));
}

// SIGPIPE. The `ipckit` commands ignore it (a closed stdout or socket is EPIPE, a write error);
// the util-linux drop-ins keep the disposition they inherited, as util-linux does (a default
// SIGPIPE kills them quietly; an ignored one gives "write error" and exit 1).
// ignore_sigpipe() remembers the inherited disposition; restore_sigpipe() puts it back.
void ignore_sigpipe() noexcept;
void restore_sigpipe() noexcept;

// The end of every `ipckit` command (util-linux's close_stdout): flushes stdout and, when this or
// any earlier write to it failed, prints one line "ipckit: write error: REASON" and returns the
// exit code for it: kExitPeerGone (3) for a reader that went away (EPIPE), else kExitFailure (1).
// A command that already failed keeps its own code. `write_errno` is the errno of a failed write
// caught earlier (0: unknown). A stdout closed before the start (EBADF) is not an error.
int finish_stdout(int code, int write_errno = 0);

}  // namespace ipckit::cli
