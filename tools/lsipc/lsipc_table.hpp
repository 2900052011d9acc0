// A small libsmartcols (util-linux 2.38) look-alike: one table of string cells printed as
// lsipc prints it in table, raw, JSON, export and newline-export modes.
//
// Rules reproduced (output that is not a terminal, which is what lsipc's users parse):
// - table: each column is as wide as its widest cell or header (the header counts even with
//   --noheadings); right-aligned columns pad on the left, others on the right; the last column is
//   not padded on the right; one space between columns; nothing is truncated (libsmartcols only
//   truncates on a terminal).
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

#include <optional>
#include <string>
#include <vector>

namespace ipckit::cli::lsipc {

enum class OutMode { kTable, kRaw, kJson, kExport, kNewline, kPretty, kList };

struct TableColumn {
  std::string name;
  bool right = false;
};

using Cell = std::optional<std::string>;  // nullopt: no data (libsmartcols' NULL)

struct Table {
  std::string name;  // the JSON array's name; "" until a listing sets it
  std::vector<TableColumn> columns;
  std::vector<std::vector<Cell>> rows;  // each row has columns.size() cells
  bool noheadings = false;
  bool shellvar = false;
};

// Renders `table` in `mode` (kList and kPretty render as kTable).
[[nodiscard]] std::string render(const Table& table, OutMode mode);

}  // namespace ipckit::cli::lsipc
