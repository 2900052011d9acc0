// What parse_config (config.cpp) and validate (config_validate.cpp) share: the rules for one-line
// texts, octal modes, error reasons and reading the file. Internal.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

#include "ipckit/core/error.hpp"

namespace ipckit::handoff {

// Why `text` cannot be a banner, reject line or busy line ("must be one line (no CR, LF or
// NUL)", "must be at most 998 bytes"), or nullopt when it can.
[[nodiscard]] std::optional<std::string> line_problem(std::string_view text);

// "0660", "660", "0o660": octal permission bits up to 0777; nullopt for anything else.
[[nodiscard]] std::optional<mode_t> parse_mode(std::string_view text) noexcept;

// An error's reason alone (its detail, or the errno text): for "bad CIDR 'x': <reason>".
[[nodiscard]] std::string reason(const Error& e);

// The file's whole text. Errors: those of open/read, object `path`.
[[nodiscard]] Result<std::string> read_config_file(const std::string& path);

}  // namespace ipckit::handoff
