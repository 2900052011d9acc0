// Uniform messages for the `ipckit` command: "ipckit: what: why", lowercase, no final period.
#pragma once

#include <fmt/core.h>

#include <cstdio>
#include <string_view>

#include "ipckit/core/error.hpp"

namespace ipckit::cli {

// The program name used in messages (argv[0]'s basename, or "ipckit").
std::string_view program_name();
void set_program_name(std::string_view argv0);

template <class... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) {
  fmt::print(stderr, "{}: {}\n", program_name(), fmt::format(f, std::forward<Args>(args)...));
}

// Prints the error and returns the exit code it maps to.
int report(const Error& e);

// Flushes stdout and reports a failed write (e.g. a full disk or closed pipe) as an error.
int finish_stdout(int code);

}  // namespace ipckit::cli
