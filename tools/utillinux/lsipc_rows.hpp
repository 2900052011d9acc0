// lsipc's rows: the cells of each System V object (ipckit::inspect's snapshot) or system-wide
// limit, for any list of columns, formatted as util-linux 2.38's lsipc formats them.
//
// Single-threaded (getpwuid, getgrgid, localtime).
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

#include "cli/table.hpp"
#include "utillinux/ipcs_format.hpp"
#include "utillinux/lsipc_columns.hpp"

namespace ipckit::cli::lsipc {

using table::Table;
using Cell = std::optional<std::string>;  // nullopt: no data (libsmartcols' NULL)

enum class TimeMode { kShort, kFull, kIso };

struct RowOptions {
  bool bytes = false;     // -b: sizes in bytes, not "4K"
  bool numperms = false;  // -P: "0644", not "rw-r--r--"
  TimeMode time = TimeMode::kShort;
  std::time_t now = 0;  // "today" for TimeMode::kShort
};

// One kind's listing: appends a row per object (only object `id` when id >= 0) and names the
// table (its JSON name); returns false when there is nothing to list. The semaphore listing also
// fills, for id >= 0, the "Elements" sub-table of the set (no rows when there is none).
[[nodiscard]] bool add_shm_rows(Table& table, const std::vector<Col>& cols, const RowOptions& o,
                                int id, ipcs::Names& names);
[[nodiscard]] bool add_msg_rows(Table& table, const std::vector<Col>& cols, const RowOptions& o,
                                int id, ipcs::Names& names);
[[nodiscard]] bool add_sem_rows(Table& table, const std::vector<Col>& cols, const RowOptions& o,
                                int id, ipcs::Names& names, Table& elements);

// The columns of the "Elements" sub-table (lsipc -s -i ID), all right-aligned.
[[nodiscard]] std::vector<table::ColumnSpec> element_columns();

// The --global rows of one kind (limits from /proc/sys/kernel, usage from the object lists).
void add_msg_global(Table& table, const std::vector<Col>& cols, const RowOptions& o);
void add_shm_global(Table& table, const std::vector<Col>& cols, const RowOptions& o);
void add_sem_global(Table& table, const std::vector<Col>& cols, const RowOptions& o);

}  // namespace ipckit::cli::lsipc
