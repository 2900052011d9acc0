// One object's details, as `ipckit chan stat`, `shm stat`, `mq stat` and `sem get` print them:
// for people, aligned "label:        value" lines; with --json, one JSON object (two-space indent)
// whose field names and units docs/cli.md documents per command. The values' formats are shared
// here so every command writes a mode, a time or a size the same way.
//
// Output goes to stdout through fmt (main.cpp turns a failed write into the write-error exit).
// Single-threaded, like the command.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <ctime>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace ipckit::cli {

// "label:" padded to the value column, then the value: "mode:         0600".
void print_detail(std::string_view label, std::string_view value);
// The document, two-space indented, and a newline.
void print_json(const nlohmann::ordered_json& doc);

// Permission bits as four octal digits ("0600"); "?" when unknown.
[[nodiscard]] std::string octal_mode(std::optional<unsigned> bits);
// A byte count and its short form: "65536 (64 KiB)".
[[nodiscard]] std::string size_detail(std::uint64_t bytes);

// A time: RFC 3339 UTC for JSON ("2026-11-26T21:04:17Z"), local time with the zone for people
// ("2026-11-26 22:04:17 +0100"); "?" if the time cannot be broken down.
[[nodiscard]] std::string format_time(std::time_t seconds, bool utc);
// A System V time, where 0 means "never happened": JSON null, or "never" for people.
[[nodiscard]] nlohmann::ordered_json json_time_or_never(std::time_t seconds);
[[nodiscard]] std::string text_time_or_never(std::time_t seconds);

}  // namespace ipckit::cli
