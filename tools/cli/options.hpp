// Options every family shares: permission modes, minimum sizes and timeouts, parsed and described
// one way everywhere (docs/cli.md, "Values"). Validators run at parse time, so a bad value fails
// before any object is touched. Pure functions, safe from any thread.
#pragma once

#include <sys/types.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ipckit/channel/options.hpp"

namespace ipckit::cli {

// --mode: octal permission bits, at most 0777 ("invalid mode '0999' (octal permission bits,
// e.g. 0600)"). mode_value() converts a validated text; optional_mode() also takes "" (the
// option was not given) as std::nullopt.
[[nodiscard]] CLI::Validator mode_validator();
[[nodiscard]] mode_t mode_value(const std::string& text);
[[nodiscard]] std::optional<mode_t> optional_mode(const std::string& text);

// For a size option after size_transformer() (cli/size.hpp): refuses values below `minimum`
// ("must be at least 1 byte, not 0").
[[nodiscard]] CLI::Validator size_at_least(std::uint64_t minimum);

// Adds --timeout SECONDS ("Give up (exit 4) when no WHAT came for SECONDS") to `app`, checked by
// seconds_validator() (cli/values.hpp). A negative value, the options' default, means "not given".
void add_timeout_option(CLI::App& app, double& seconds, std::string_view what);

// --timeout SECONDS for the library's *_for() calls; a negative value and anything above a
// century become a century (forever in practice, and no deadline overflows).
[[nodiscard]] std::chrono::nanoseconds to_duration(double seconds) noexcept;
// --timeout SECONDS for the channel; a negative value is channel::kForever.
[[nodiscard]] channel::Timeout to_timeout(double seconds) noexcept;
// --timeout SECONDS for poll(2): -1 (forever) for a negative value.
[[nodiscard]] int to_poll_timeout(double seconds) noexcept;

// "0.2 s", for messages; describe_timeout() says "forever" for a negative value.
[[nodiscard]] std::string describe_seconds(double seconds);
[[nodiscard]] std::string describe_timeout(double seconds);

}  // namespace ipckit::cli
