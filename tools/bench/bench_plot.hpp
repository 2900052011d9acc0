// The charts of `ipckit bench --plot FILE.svg` and `--html FILE.html` (docs/bench.md, "Charts").
//
// Two charts over a Report's rows, both log-log: one-way latency p50 against message size, and
// throughput (bytes/s) against message size. Each mechanism/mode is one line, named in a legend
// and at its line's end; shm-spin (the floor) and memcpy (the ceiling) are drawn as dashed
// reference lines; a bar at every point spans the row's spread (min–max over rounds). Rows that
// failed, were marked (`cannot`) or have no positive figure are not drawn: each is listed under
// its chart with the reason. Rows measured at one point only (several producers, a busy CPU) are
// listed under the chart with their figures. The machine line and the CPUs are in the caption.
//
// The output is self-contained: no scripts, no fonts, no external references; styles are inline.
// Every text from the report is XML-escaped and made valid UTF-8, so a mechanism name or an error
// message with odd bytes cannot break the document. Pure functions: no I/O, no errors, any
// Report (empty, one row) gives a well-formed document.
#pragma once

#include <string>

#include "bench/bench_rows.hpp"

namespace ipckit::bench {

// An SVG 1.1 document (UTF-8, with an XML declaration): the caption, then the latency chart, then
// the throughput chart, stacked. What `ipckit bench --plot FILE.svg` writes.
[[nodiscard]] std::string svg(const Report& report);

// An HTML page (UTF-8, also well-formed XML): the caption, both charts as inline SVG, and a table
// of every row (figures, spread, ratios, status, note). What `ipckit bench --html FILE.html`
// writes.
[[nodiscard]] std::string html(const Report& report);

// One chart alone, as an <svg> element without an XML declaration (html() embeds these).
[[nodiscard]] std::string chart_svg(const Report& report, Test test);

}  // namespace ipckit::bench
