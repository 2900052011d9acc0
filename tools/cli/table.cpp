#include "cli/table.hpp"

#include <fmt/core.h>
#include <libsmartcols.h>

#include <cctype>
#include <cstdlib>
#include <memory>
#include <new>

namespace ipckit::cli::table {

namespace {

struct TableUnref {
  void operator()(libscols_table* t) const noexcept { scols_unref_table(t); }
};
using TablePtr = std::unique_ptr<libscols_table, TableUnref>;

struct Free {
  void operator()(char* p) const noexcept { std::free(p); }  // NOLINT(cppcoreguidelines-no-malloc)
};

// libsmartcols reports failures as negative errnos (or null pointers); all of them are out of
// memory for what we ask.
void check(bool ok) {
  if (!ok) throw std::bad_alloc();
}

int scols_flags(unsigned flags, bool notruncate) {
  int out = 0;
  if ((flags & kRight) != 0) out |= SCOLS_FL_RIGHT;
  if ((flags & kTrunc) != 0 && !notruncate) out |= SCOLS_FL_TRUNC;
  if ((flags & kWrap) != 0) out |= SCOLS_FL_WRAP;
  if ((flags & kNoExtremes) != 0) out |= SCOLS_FL_NOEXTREMES;
  return out;
}

int scols_json_type(JsonType type) {
  switch (type) {
    case JsonType::kNumber:
      return SCOLS_JSON_NUMBER;
    case JsonType::kBoolean:
      return SCOLS_JSON_BOOLEAN;
    case JsonType::kString:
      break;
  }
  return SCOLS_JSON_STRING;
}

void set_mode(libscols_table* tb, const Options& o) {
  check(scols_table_enable_noheadings(tb, o.noheadings ? 1 : 0) == 0);
  check(scols_table_enable_shellvar(tb, o.shellvar ? 1 : 0) == 0);
  switch (o.mode) {
    case Mode::kExportLines:
      check(scols_table_set_column_separator(tb, "\n") == 0);
      [[fallthrough]];
    case Mode::kExport:
      check(scols_table_enable_export(tb, 1) == 0);
      break;
    case Mode::kRaw:
      check(scols_table_enable_raw(tb, 1) == 0);
      break;
    case Mode::kJson:
      check(scols_table_enable_json(tb, 1) == 0);
      break;
    case Mode::kTable:
      break;
  }
  if (!o.name.empty()) check(scols_table_set_name(tb, o.name.c_str()) == 0);
  if (o.terminal_width) {
    const bool fit = *o.terminal_width != 0;
    check(scols_table_set_termforce(tb, fit ? SCOLS_TERMFORCE_ALWAYS : SCOLS_TERMFORCE_NEVER) == 0);
    if (fit) check(scols_table_set_termwidth(tb, *o.terminal_width) == 0);
  }
}

}  // namespace

Table::Table(std::vector<ColumnSpec> columns, Options options)
    : columns_(std::move(columns)), options_(std::move(options)) {}

void Table::add_row(std::vector<Cell> cells) {
  cells.resize(columns_.size());
  rows_.push_back(std::move(cells));
}

std::string Table::render() const {
  const TablePtr tb(scols_new_table());
  check(tb != nullptr);
  set_mode(tb.get(), options_);
  for (const ColumnSpec& c : columns_) {
    // Owned by the table (scols_table_new_column drops its own reference).
    libscols_column* cl =
        scols_table_new_column(tb.get(), std::string(c.name).c_str(), c.width_hint,
                               scols_flags(c.flags, options_.notruncate));
    check(cl != nullptr);
    check(scols_column_set_json_type(cl, scols_json_type(c.json)) == 0);
  }
  for (const auto& row : rows_) {
    libscols_line* ln = scols_table_new_line(tb.get(), nullptr);  // owned by the table
    check(ln != nullptr);
    for (std::size_t i = 0; i < row.size(); ++i) {
      const auto& text = row[i].text();
      if (text && !text->empty()) check(scols_line_set_data(ln, i, text->c_str()) == 0);
    }
  }
  char* data = nullptr;
  check(scols_print_table_to_string(tb.get(), &data) == 0);
  const std::unique_ptr<char, Free> owned(data);
  std::string text = data != nullptr ? std::string(data) : std::string();
  // scols_print_table() ends what it printed with a newline (JSON ends with one already); the
  // string form leaves it out.
  if (!text.empty() && options_.mode != Mode::kJson) text += '\n';
  return text;
}

std::string ListError::message() const {
  switch (kind) {
    case Kind::kUnknown:
      return fmt::format("unknown column: {}", name);
    case Kind::kNotApplicable:
      return fmt::format("column {} does not apply to the specified IPC", name);
    case Kind::kEmpty:
    case Kind::kTooMany:
      break;
  }
  return {};
}

namespace {

bool same_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

}  // namespace

std::optional<ListError> parse_output_list(std::string_view list,
                                           std::span<const ColumnSpec> columns,
                                           std::vector<std::size_t>& selected, std::size_t capacity,
                                           const std::function<bool(std::size_t)>& applies) {
  using Kind = ListError::Kind;
  if (list.empty()) return ListError{Kind::kEmpty, {}};
  if (list.front() == '+') {
    list.remove_prefix(1);
  } else {
    selected.clear();
  }
  if (list.empty()) return ListError{Kind::kEmpty, {}};
  std::size_t begin = std::string_view::npos;
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (selected.size() >= capacity) return ListError{Kind::kTooMany, {}};
    if (begin == std::string_view::npos) begin = i;
    std::size_t end = std::string_view::npos;
    if (list[i] == ',') end = i;
    if (i + 1 == list.size()) end = list.size();
    if (end == std::string_view::npos) continue;
    if (end <= begin) return ListError{Kind::kEmpty, {}};
    const std::string_view name = list.substr(begin, end - begin);
    std::size_t index = 0;
    while (index < columns.size() && !same_ignoring_case(columns[index].name, name))
      ++index;
    if (index == columns.size()) return ListError{Kind::kUnknown, std::string(list.substr(begin))};
    if (applies && !applies(index))
      return ListError{Kind::kNotApplicable, std::string(list.substr(begin))};
    selected.push_back(index);
    begin = std::string_view::npos;
  }
  return std::nullopt;
}

std::string column_help(std::span<const ColumnSpec> columns, std::size_t name_width) {
  std::string out;
  for (const ColumnSpec& c : columns)
    out += fmt::format(" {:>{}}  {}\n", c.name, name_width, c.help);
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace ipckit::cli::table
