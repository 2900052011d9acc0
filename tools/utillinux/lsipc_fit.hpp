// Fitting lsipc's table to a terminal, as libsmartcols (util-linux 2.38) does when stdout is one.
//
// Off a terminal every column is as wide as its widest cell or header. On a terminal of W
// columns (TIOCGWINSZ on stdout; $COLUMNS when that reports 0 columns; else 80):
// - a table narrower than W is left as it is (the last column is widened to W, which never
//   shows: the last column is not padded);
// - a table wider than W first narrows its "no extremes" columns (STATUS) whose widest cell is
//   more than twice the average cell: such a column becomes as wide as its widest cell that is
//   not extreme (never narrower than its header), and if the table is then narrower than W the
//   first such column grows back, at most to its widest cell;
// - then the truncatable columns (COMMAND, unless --notruncate) lose one column each in turn,
//   never below their header's width, until the table fits or none can shrink. Nothing else
//   shrinks: a table that still does not fit is printed wider than the terminal.
// lsipc_table.cpp then prints: a truncatable cell wider than its column is cut; a left-aligned
// cell of another column (only an extreme STATUS cell) is printed whole and the rest of the row
// continues on the next line under its own columns.
//
// Pure functions of their arguments (output_terminal_width reads stdout's terminal and the
// environment): thread-compatible.
#pragma once

#include <cstddef>
#include <vector>

#include "utillinux/lsipc_table.hpp"

namespace ipckit::cli::lsipc {

// isatty(3) and ioctl(2) TIOCGWINSZ on stdout. Returns: 0 when stdout is not a terminal, else
// the terminal's columns, else $COLUMNS if it is a positive decimal number, else 80.
[[nodiscard]] std::size_t output_terminal_width();

// The width of each of `table`'s columns, fitted to `terminal_width` columns (0: not a
// terminal) by the rules above. Columns are sized by their real names (not the --shell names).
[[nodiscard]] std::vector<std::size_t> fit_widths(const Table& table, std::size_t terminal_width);

}  // namespace ipckit::cli::lsipc
