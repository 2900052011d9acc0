// The three output modes of `ipckit ls` (see ls_model.hpp), all driven by the column table.
#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

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

// Control characters and backslashes as \xHH, and in raw mode (`spaces`) whitespace too, as
// util-linux does: a name with a newline in it (anyone may make one) stays on its row.
std::string escape_cell(const std::string& text, bool spaces) {
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((spaces && std::isspace(c) != 0) || c == '\\' || std::iscntrl(c) != 0) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
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

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

void print_json(const std::vector<const inspect::IpcObject*>& objects,
                const std::vector<const Column*>& cols, const inspect::Listing& listing) {
  std::vector<std::string> keys;
  for (const auto* c : cols)
    keys.push_back(lower(c->name));
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
  std::vector<std::vector<std::string>> rows;
  rows.reserve(objects.size() + 1);
  std::vector<std::string> header;
  for (const auto* c : cols)
    header.emplace_back(c->name);
  rows.push_back(std::move(header));
  for (const auto* o : objects) {
    std::vector<std::string> row;
    row.reserve(cols.size());
    for (const auto* c : cols) {
      std::string t = cell_text(c->get(*o));
      row.push_back(escape_cell(t, mode == Mode::kRaw));
    }
    rows.push_back(std::move(row));
  }
  std::vector<std::size_t> width(cols.size(), 0);
  if (mode == Mode::kTable) {
    for (const auto& row : rows)
      for (std::size_t i = 0; i < row.size(); ++i)
        width[i] = std::max(width[i], row[i].size());
  }
  std::string line;
  for (const auto& row : rows) {
    line.clear();
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (i > 0) line += ' ';
      const bool last = i + 1 == row.size();
      const std::size_t pad = width[i] > row[i].size() ? width[i] - row[i].size() : 0;
      if (cols[i]->right_aligned) line.append(pad, ' ');
      line += row[i];
      if (!cols[i]->right_aligned && !last) line.append(pad, ' ');
    }
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), stdout);
  }
}

}  // namespace ipckit::cli::ls
