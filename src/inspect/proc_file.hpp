// Reading small kernel text files (/proc/sysvipc/*, /proc/sys/kernel/*). Not installed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ipckit/core/error.hpp"

namespace ipckit::inspect::detail {

// open(2) O_RDONLY|O_CLOEXEC and read(2) to the end (retrying EINTR, which procfs reads never
// return in practice). Returns: the whole text. Errors: from open or read, object = path.
[[nodiscard]] Result<std::string> read_text_file(const char* path);

// The first whitespace-separated token of `text` as a decimal number, or nullopt.
[[nodiscard]] std::optional<std::int64_t> parse_first_i64(std::string_view text);
[[nodiscard]] std::optional<std::uint64_t> parse_first_u64(std::string_view text);

}  // namespace ipckit::inspect::detail
