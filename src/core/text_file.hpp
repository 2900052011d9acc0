// Reading small kernel text files (/proc/..., /sys/...), the one way every part of the library
// does it. Internal.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "ipckit/core/error.hpp"

namespace ipckit::detail {

// open(2) O_RDONLY|O_CLOEXEC and read(2) to the end, through an ipckit::Fd (closed on every
// path), retrying EINTR (which procfs reads never return in practice).
// Returns: the whole text, however long. Errors: from open ("open") or read ("read"); the object
// is `path`. ENOENT or ESRCH: the file (or the process it describes) is gone.
[[nodiscard]] Result<std::string> read_text_file(const std::string& path);

// The same read into a caller's buffer, for hot paths that must not allocate: reads until EOF or
// until `buffer` is full. Returns: the bytes read, or -1 with errno set.
[[nodiscard]] ssize_t read_text_file(const char* path, std::span<char> buffer) noexcept;

// The first whitespace-separated token of `text` as a decimal number, or nullopt.
[[nodiscard]] std::optional<std::int64_t> parse_first_i64(std::string_view text);
[[nodiscard]] std::optional<std::uint64_t> parse_first_u64(std::string_view text);

}  // namespace ipckit::detail
