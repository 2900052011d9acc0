// The one table renderer of every command: column descriptors and rows of typed cells, printed
// by libsmartcols (util-linux's own output library, Debian's libsmartcols1) in table, raw, JSON
// or export mode, so that a drop-in prints the bytes util-linux prints, widths included.
//
// - Column descriptors (`ColumnSpec`) drive everything: the header, the -o/--output list
//   (`parse_output_list`, util-linux's "+LIST" appends), the --help column list (`column_help`),
//   alignment, truncation, wrapping and the JSON value type.
// - Cells are typed: text, a number (printed in decimal, unquoted in JSON when the column's
//   JSON type is a number), or absent (nothing in a table, null in JSON).
// - Table mode fits the table to the terminal as libsmartcols does: when stdout is a terminal
//   (isatty(3)), its width is TIOCGWINSZ on stdout, else $COLUMNS, else 80; truncatable columns
//   are cut, a "no extremes" column ignores its extreme cells. Widths are screen columns of the
//   current LC_CTYPE (a UTF-8 name is as wide as its glyphs); non-printable bytes print as \xHH.
//   Off a terminal each column is as wide as its widest cell or header.
//
// Ownership: a Table owns copies of its descriptors and cells. The libsmartcols objects live
// only inside `render()` (RAII, scols_unref_*). Thread-compatible: a Table is a plain value;
// rendering reads the process's locale and, in auto terminal mode, stdout's terminal.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ipckit::cli::table {

enum class JsonType { kString, kNumber, kBoolean };

// libsmartcols' column flags that our commands use.
enum Flag : unsigned {
  kRight = 1U << 0,       // SCOLS_FL_RIGHT: pad on the left
  kTrunc = 1U << 1,       // SCOLS_FL_TRUNC: may be cut to fit a terminal (not with notruncate)
  kWrap = 1U << 2,        // SCOLS_FL_WRAP: may wrap onto more lines to fit a terminal
  kNoExtremes = 1U << 3,  // SCOLS_FL_NOEXTREMES: cells far wider than the average may overflow
};

struct ColumnSpec {
  std::string_view name;  // as -o spells it and the header shows it (JSON: lower-cased)
  std::string_view help;  // one line for --help
  unsigned flags = 0;     // Flag bits
  JsonType json = JsonType::kString;
  double width_hint = 1;  // libsmartcols' whint: >= 1 a minimum width, < 1 a share of the screen
};

// One cell: text, a number, or absent (std::nullopt). An empty text is printed as absent.
class Cell {
 public:
  Cell() = default;
  Cell(std::nullopt_t) {}  // NOLINT(google-explicit-constructor): cells read as values
  Cell(std::string text) : text_(std::move(text)) {}  // NOLINT(google-explicit-constructor)
  Cell(std::string_view text) : text_(text) {}        // NOLINT(google-explicit-constructor)
  Cell(const char* text) : text_(text) {}             // NOLINT(google-explicit-constructor)
  Cell(std::optional<std::string> text)               // NOLINT(google-explicit-constructor)
      : text_(std::move(text)) {}
  [[nodiscard]] static Cell number(std::int64_t v) { return Cell(std::to_string(v)); }
  [[nodiscard]] static Cell number(std::uint64_t v) { return Cell(std::to_string(v)); }
  // The text as printed; nullopt when absent.
  [[nodiscard]] const std::optional<std::string>& text() const noexcept { return text_; }

 private:
  std::optional<std::string> text_;
};

enum class Mode {
  kTable,        // aligned columns, fitted to a terminal
  kRaw,          // cells one space apart, blanks, backslashes and control bytes as \xHH
  kJson,         // {"name": [{"col": value, ...}, ...]}, 3-space indents
  kExport,       // NAME="value" NAME="value", one row a line
  kExportLines,  // NAME="value", one a line (lsipc --newline)
};

struct Options {
  Mode mode = Mode::kTable;
  bool noheadings = false;
  bool notruncate = false;  // drop kTrunc from every column
  bool shellvar = false;    // names usable as shell variables ("USE%" -> "USE_PCT")
  std::string name;         // JSON: the array's name
  // Table mode: nullopt decides by stdout (see above); 0 never fits; N fits to N columns.
  std::optional<std::size_t> terminal_width;
};

class Table {
 public:
  Table(std::vector<ColumnSpec> columns, Options options);

  // REQUIRES: cells.size() == the number of columns.
  void add_row(std::vector<Cell> cells);
  [[nodiscard]] std::size_t row_count() const noexcept { return rows_.size(); }
  [[nodiscard]] const Cell& cell(std::size_t row, std::size_t column) const {
    return rows_.at(row).at(column);
  }
  [[nodiscard]] const std::vector<ColumnSpec>& columns() const noexcept { return columns_; }
  [[nodiscard]] Options& options() noexcept { return options_; }

  // The table as libsmartcols prints it (an empty table prints nothing, except in JSON).
  // Throws std::bad_alloc when libsmartcols runs out of memory.
  [[nodiscard]] std::string render() const;

 private:
  std::vector<ColumnSpec> columns_;
  Options options_;
  std::vector<std::vector<Cell>> rows_;
};

// Why an -o list was refused (util-linux's wording in message()).
struct ListError {
  enum class Kind { kEmpty, kUnknown, kNotApplicable, kTooMany } kind;
  std::string name;  // kUnknown/kNotApplicable: the list from the bad name on, as util-linux
  // "unknown column: NAME" or "column NAME does not apply to the specified IPC"; "" when
  // util-linux says nothing (an empty name, too many columns).
  [[nodiscard]] std::string message() const;
};

// util-linux's string_add_to_idarray(): parses "COL,COL" (names case-insensitive) against
// `columns`, replacing `selected` (indexes into `columns`), or appending with "+COL,COL". A
// comma that ends the list belongs to the last name ("KEY," is unknown). `applies(i)` may refuse
// a known column; `capacity` bounds `selected`. On error `selected` may hold a partial list.
[[nodiscard]] std::optional<ListError> parse_output_list(
    std::string_view list, std::span<const ColumnSpec> columns, std::vector<std::size_t>& selected,
    std::size_t capacity, const std::function<bool(std::size_t index)>& applies = {});

// The --help lines of `columns` in util-linux's layout: " %*s  %s\n" (names right-aligned to
// `name_width`).
[[nodiscard]] std::string column_help(std::span<const ColumnSpec> columns,
                                      std::size_t name_width = 14);

// Lower-cased ASCII (JSON keys).
[[nodiscard]] std::string lower(std::string_view s);

}  // namespace ipckit::cli::table
