// What `ipckit bench` prints (docs/bench.md "Output"): the terminal tables, the --json array of
// rows (docs/bench-schema.json) and the --csv lines. Pure: each returns the text to print.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "bench/bench_rows.hpp"

namespace ipckit::bench {

// One row as JSON, keys as in docs/bench.md "Rows": figures only for rows that ran, `error`
// only on a failed row, `cannot` only on a marked one.
[[nodiscard]] nlohmann::ordered_json row_json(const Row& row);
// The --json document: an array of row_json(), pretty-printed, ending in a newline.
[[nodiscard]] std::string json_text(const Report& report);
// The --csv text: a header line, then one line per row (RFC 4180 quoting, "\n" line ends).
[[nodiscard]] std::string csv_text(const Report& report);
// The terminal report: the machine and CPUs, a latency table, a throughput table, then the
// failed and marked rows with their reasons and the mechanisms' notes.
[[nodiscard]] std::string table_text(const Report& report);

// "850 ns", "12.3 us", "1.20 ms"; "12.3 M", "640 k"; "1.25x".
[[nodiscard]] std::string format_ns(double ns);
[[nodiscard]] std::string format_rate(double per_second);
[[nodiscard]] std::string format_ratio(double ratio);

}  // namespace ipckit::bench
