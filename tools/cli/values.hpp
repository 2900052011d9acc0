// Option values on the command line: seconds, whole numbers in a range, and object names that must
// be printable. Every command parses these through the functions below, so `--timeout nan`,
// `--count 18446744073709551616` or a name with a newline is refused the same way everywhere.
// Pure functions, safe from any thread. docs/cli.md ("Values") documents the limits.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ipckit/posix/name.hpp"

namespace ipckit::cli {

// The largest --timeout (and any other duration in seconds) a command accepts: 1,000,000 s, about
// 11.6 days. Longer waits are "forever": leave --timeout out. The bound keeps every deadline
// representable (nanoseconds since boot, poll(2)'s int milliseconds) with no clamping.
inline constexpr double kMaxSeconds = 1'000'000.0;

// Parses a duration in seconds: decimal digits with an optional fraction and exponent ("0.5",
// "2", "1e3"), from 0 to kMaxSeconds. Returns: the seconds, or std::nullopt for anything else
// (empty text, a sign, blanks, "nan", "inf", hex, a value above kMaxSeconds).
[[nodiscard]] std::optional<double> parse_seconds(std::string_view text) noexcept;

// Parses a whole number in decimal: an optional '-' (only when `min` < 0), then digits.
// Returns: the value, or std::nullopt for anything else, and for a value outside [min, max].
[[nodiscard]] std::optional<std::int64_t> parse_integer(std::string_view text, std::int64_t min,
                                                        std::int64_t max) noexcept;
// The same for unsigned values up to 2^64 - 1 (no sign accepted).
[[nodiscard]] std::optional<std::uint64_t> parse_unsigned(std::string_view text, std::uint64_t min,
                                                          std::uint64_t max) noexcept;

// `text` with every control character (below 0x20, and 0x7f) written as a C escape ("\n", "\t",
// "\x1b"), for messages that quote a value.
[[nodiscard]] std::string escape_controls(std::string_view text);

// Why `name` cannot name an object: "contains a control character ('\n')", or std::nullopt when
// it has none. ipckit refuses such names for every object kind: `ls`, `ipcs` and the messages
// would print them raw, and a newline would forge a line of output.
[[nodiscard]] std::optional<std::string> control_character_problem(std::string_view name);

// Why `name` cannot name a POSIX object of `kind`: the library's own rule and per-kind limit
// (posix::check_name, ipckit/posix/name.hpp), worded for "invalid queue name 'x': <why>" ("'/' is
// allowed only as the first character", "252 bytes after the '/', at most 251 for a named
// semaphore"), or std::nullopt when it can. Control characters are not its business: see above.
[[nodiscard]] std::optional<std::string> posix_name_problem(std::string_view name,
                                                            posix::NameKind kind);

// CLI11 validators over the parsers above. Their messages, after the option name that CLI11
// puts first: "invalid duration 'nan' (seconds, 0 to 1000000)", "invalid value ''
// (a whole number from 1 to 65535)", "'0' not in range 1 to 65535".
[[nodiscard]] CLI::Validator seconds_validator();
[[nodiscard]] CLI::Validator integer_validator(std::int64_t min, std::int64_t max);
[[nodiscard]] CLI::Validator unsigned_validator(std::uint64_t min, std::uint64_t max);

}  // namespace ipckit::cli
