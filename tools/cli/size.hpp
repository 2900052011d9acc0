// Byte sizes on the command line: "65536", "64K", "1M", "1G".
//
// Suffixes are binary multiples (K = 1024, M = 1024^2, G = 1024^3, T = 1024^4), in either case,
// with no space, sign, fraction or trailing "B": the sizes ipckit asks for (ring capacities,
// message and chunk sizes) are powers of two, and "1M" meaning 1,000,000 would never be one.
// Pure functions, safe from any thread.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ipckit::cli {

// Parses a byte count: decimal digits, then at most one of K, M, G, T (either case).
// Returns: the number of bytes, or std::nullopt for anything else (empty text, stray characters,
// a value that does not fit in 64 bits).
[[nodiscard]] std::optional<std::uint64_t> parse_size(std::string_view text) noexcept;

// A short human form for messages and progress lines: "512 B", "64 KiB", "1.5 MiB", "1 GiB".
[[nodiscard]] std::string format_size(std::uint64_t bytes);

// A CLI11 transformer for size options: turns "64K" into "65536" before CLI11 converts the value,
// and rejects anything parse_size() refuses with "invalid size '1Q'".
[[nodiscard]] CLI::Validator size_transformer();

}  // namespace ipckit::cli
