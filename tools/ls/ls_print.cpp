// The three output modes of `ipckit ls` (see ls_model.hpp), all driven by the column table:
// table and raw through cli/table (libsmartcols), JSON here (its document carries more than
// rows: the holder lists as arrays and the listing's flags, docs/ls-schema.json).
#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include "cli/output.hpp"
#include "ls/ls_model.hpp"

namespace ipckit::cli::ls {

namespace {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};

std::string holders_text(const std::vector<inspect::Holder>& holders) {
  std::string out;
  for (const auto& h : holders) {
    if (!out.empty()) out += ',';
    out += fmt::format("{}({})", h.pid, h.command);
  }
  return out;
}

// The cell as text; "-" when empty, so every row has every field.
std::string cell_text(const Cell& cell) {
  return std::visit(Overloaded{[](std::monostate) { return std::string("-"); },
                               [](std::int64_t v) { return std::to_string(v); },
                               [](std::uint64_t v) { return std::to_string(v); },
                               [](const std::string& v) { return v; },
                               [](bool v) { return std::string(v ? "yes" : "no"); },
                               [](const std::vector<inspect::Holder>& v) {
                                 return v.empty() ? std::string("-") : holders_text(v);
                               }},
                    cell);
}

nlohmann::ordered_json cell_json(const Cell& cell) {
  return std::visit(Overloaded{[](std::monostate) { return nlohmann::ordered_json(nullptr); },
                               [](std::int64_t v) { return nlohmann::ordered_json(v); },
                               [](std::uint64_t v) { return nlohmann::ordered_json(v); },
                               [](const std::string& v) { return nlohmann::ordered_json(v); },
                               [](bool v) { return nlohmann::ordered_json(v); },
                               [](const std::vector<inspect::Holder>& v) {
                                 auto a = nlohmann::ordered_json::array();
                                 for (const auto& h : v)
                                   a.push_back({{"pid", h.pid}, {"command", h.command}});
                                 return a;
                               }},
                    cell);
}

void print_json(const std::vector<const inspect::IpcObject*>& objects,
                const std::vector<const Column*>& cols, const inspect::Listing& listing) {
  std::vector<std::string> keys;
  for (const auto* c : cols)
    keys.push_back(table::lower(c->spec.name));
  auto array = nlohmann::ordered_json::array();
  for (const auto* o : objects) {
    nlohmann::ordered_json row = nlohmann::ordered_json::object();
    for (std::size_t i = 0; i < cols.size(); ++i)
      row[keys[i]] = cell_json(cols[i]->get(*o));
    array.push_back(std::move(row));
  }
  const nlohmann::ordered_json doc = {
      {"objects", std::move(array)},
      {"unreadable_processes", listing.unreadable_processes},
      {"mqueue_mounted", listing.mqueue_mounted},
      {"unix_peers_known", listing.unix_peers_known},
  };
  fmt::print("{}\n", doc.dump(2));
}

}  // namespace

void print(const std::vector<const inspect::IpcObject*>& objects,
           const std::vector<const Column*>& cols, Mode mode, const inspect::Listing& listing) {
  if (mode == Mode::kJson) {
    print_json(objects, cols, listing);
    return;
  }
  std::vector<table::ColumnSpec> specs;
  for (const auto* c : cols)
    specs.push_back(c->spec);
  table::Options options;
  options.mode = mode == Mode::kRaw ? table::Mode::kRaw : table::Mode::kTable;
  table::Table out(std::move(specs), options);
  for (const auto* o : objects) {
    std::vector<table::Cell> row;
    row.reserve(cols.size());
    for (const auto* c : cols)
      row.emplace_back(cell_text(c->get(*o)));
    out.add_row(std::move(row));
  }
  // libsmartcols prints nothing for an empty table; `ls` always prints its header.
  if (objects.empty()) out.add_row({});
  std::string text = out.render();
  if (objects.empty()) text.resize(text.find('\n') + 1);
  write_text(stdout, text);  // records a failed write's errno for finish_stdout()
}

}  // namespace ipckit::cli::ls
