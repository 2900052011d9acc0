// A small libsmartcols (util-linux 2.38) look-alike: one table of string cells printed as
// lsipc prints it in table, raw, JSON, export and newline-export modes.
//
// Rules reproduced:
// - table: each column is as wide as its widest cell or header (the header counts even with
//   --noheadings); right-aligned columns pad on the left, others on the right; the last column is
//   not padded on the right; one space between columns. On a terminal (terminal_width set) the
//   widths are fitted to it first (lsipc_fit.hpp): a truncatable cell wider than its column is
//   cut, a left-aligned cell of another column is printed whole and the row continues on the
//   next line, each later cell under its own column.
// - raw: cells joined by one space, blanks, backslashes and control bytes as \xHH.
// - export: NAME="value" pairs (backslash before " \ ` $), joined by a space or, in newline
//   mode, by a newline.
// - --shell (shellvar) renames the columns in every mode: "USE%" becomes "USE_PCT" (the table
//   mode still sizes the column by "USE%", as libsmartcols does).
// - JSON: {"name": [ {"col": "value"|null, ...}, ... ]} with 3-space indents; every value is a
//   string (lsipc 2.38 sets no column types); a missing or empty cell is null.
// An empty table prints nothing, except in JSON.
//
// Plain value type, no shared state: thread-compatible.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace ipckit::cli::lsipc {

enum class OutMode { kTable, kRaw, kJson, kExport, kNewline, kPretty, kList };

struct TableColumn {
  std::string name;
  bool right = false;
  bool trunc = false;       // libsmartcols SCOLS_FL_TRUNC: cut to fit a terminal
  bool noextremes = false;  // SCOLS_FL_NOEXTREMES: extreme cells may overflow on a terminal
};

using Cell = std::optional<std::string>;  // nullopt: no data (libsmartcols' NULL)

struct Table {
  std::string name;  // the JSON array's name; "" until a listing sets it
  std::vector<TableColumn> columns;
  std::vector<std::vector<Cell>> rows;  // each row has columns.size() cells
  bool noheadings = false;
  bool shellvar = false;
  std::size_t terminal_width = 0;  // table mode: fit to this many columns; 0: not a terminal
};

// Renders `table` in `mode` (kList and kPretty render as kTable).
[[nodiscard]] std::string render(const Table& table, OutMode mode);

}  // namespace ipckit::cli::lsipc
