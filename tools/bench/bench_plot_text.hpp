// Text for the charts and the HTML page (bench_plot.cpp, bench_plot_html.cpp): escaping into XML
// and the units the charts print. Pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "bench/bench_rows.hpp"

namespace ipckit::bench::plot_text {

// `text` escaped for XML character data and attribute values (& < > " '). Bytes that are not
// valid UTF-8, and control characters XML 1.0 forbids (all below 0x20 but tab, LF, CR), become
// U+FFFD, so the result is always well-formed.
[[nodiscard]] std::string xml(std::string_view text);

// At most `max_chars` code points of `text`, ending in "…" when it was cut. Never splits a UTF-8
// sequence (invalid bytes count as one character each and are left to xml()).
[[nodiscard]] std::string clip(std::string_view text, std::size_t max_chars);

// Code points in `text` (invalid bytes count one each): for estimating a label's width.
[[nodiscard]] std::size_t chars(std::string_view text);

// "8 B", "64 B", "4 KiB", "1 MiB", "1.5 KiB".
[[nodiscard]] std::string size(double bytes);
// "850 ns", "1.2 µs", "10 ms" (three significant digits at most).
[[nodiscard]] std::string duration_ns(double ns);
// "950 MB/s", "12.3 GB/s" (decimal units).
[[nodiscard]] std::string bytes_per_s(double value);
// "950 k/s", "12.3 M/s": messages per second.
[[nodiscard]] std::string per_s(double value);

// A line's name: "pipe", "channel busy-poll" (the mode is left out when it is "default").
[[nodiscard]] std::string series_name(const Cell& cell);
// The name of one row: the series name, then what sets it apart: "64 B", "4 producers",
// "busy-cpu load".
[[nodiscard]] std::string row_name(const Cell& cell);

[[nodiscard]] std::string_view test_word(Test test);  // "latency", "throughput"
[[nodiscard]] std::string_view load_word(Load load);  // "idle", "busy-cpu"

}  // namespace ipckit::bench::plot_text
