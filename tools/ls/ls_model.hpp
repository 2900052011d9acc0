// What `ipckit ls` and `ipckit rm --stale` share: the column-descriptor table that drives `-o`
// parsing, `--help` and every output mode (table, raw, JSON), and the object filters.
//
// Internal to the `ipckit` command. Single-threaded, like the command.
#pragma once

#include <sys/types.h>

#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "cli/table.hpp"
#include "ipckit/core/error.hpp"
#include "ipckit/inspect/ipc_listing.hpp"

namespace ipckit::cli::ls {

// A cell: empty, a number, text, a flag, or the holder list.
using Cell = std::variant<std::monostate, std::int64_t, std::uint64_t, std::string, bool,
                          std::vector<inspect::Holder>>;

// One column: its descriptor (name as -o takes it, upper case, and JSON lower-cased; help line;
// right-aligned or not), whether it is shown by default, and how to read it.
struct Column {
  table::ColumnSpec spec;
  bool shown_by_default;
  Cell (*get)(const inspect::IpcObject&);
};

// Every column, in --help order.
[[nodiscard]] const std::vector<Column>& columns();
// "Available output columns:" and one line per column, for the --help footer.
[[nodiscard]] std::string columns_help();
// Parses "COL,COL,..." (case-insensitive; "+COL,..." adds to the defaults, as util-linux).
// Errors: EINVAL naming the unknown column, or for an empty name.
[[nodiscard]] Result<std::vector<const Column*>> parse_columns(std::string_view list);
[[nodiscard]] std::vector<const Column*> default_columns();

// The filters both commands take. Empty members filter nothing.
struct Filter {
  inspect::TypeSet types = inspect::TypeSet::all();
  std::optional<uid_t> uid;
  std::string name_glob;
  std::optional<std::int64_t> key;
  [[nodiscard]] bool matches(const inspect::IpcObject& o) const;
};

// The raw option strings, checked by the validators below at parse time.
struct FilterOptions {
  std::string types;
  std::string user;
  std::string name;
  std::string key;
  // Adds --type, --user, --name and --key to `app`.
  void add_to(CLI::App& app);
  // Errors: EINVAL for an unknown type or key, ENOENT for an unknown user.
  [[nodiscard]] Result<Filter> build() const;
};

// Prints the objects in one of the three modes to stdout.
enum class Mode { kTable, kRaw, kJson };
void print(const std::vector<const inspect::IpcObject*>& objects,
           const std::vector<const Column*>& cols, Mode mode, const inspect::Listing& listing);

// "0x%08x" as ipcs prints keys.
[[nodiscard]] std::string format_key(std::int64_t key);

}  // namespace ipckit::cli::ls
