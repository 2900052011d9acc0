#include "utillinux/lsipc_table.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cctype>

#include "utillinux/lsipc_fit.hpp"

namespace ipckit::cli::lsipc {

namespace {

std::string raw_escape(const std::string& s) {
  std::string out;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == ' ' || c == '\t' || c == '\\' || c < 0x20 || c == 0x7f)
      out += fmt::format("\\x{:02x}", c);
    else
      out += ch;
  }
  return out;
}

std::string export_quote(const std::string& s) {
  std::string out = "\"";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\' || ch == '`' || ch == '$') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

std::string json_quote(const std::string& s) {
  std::string out = "\"";
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f)
          out += fmt::format("\\u{:04x}", c);
        else
          out += ch;
    }
  }
  return out + "\"";
}

std::string shell_name(const std::string& name) {
  std::string out;
  for (const char ch : name) {
    if (ch == '%')
      out += "_PCT";
    else if (std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '_')
      out += ch;
    else
      out += '_';
  }
  if (!out.empty() && std::isdigit(static_cast<unsigned char>(out[0])) != 0) out.insert(0, "_");
  return out;
}

std::string lower(std::string s) {
  for (char& ch : s)
    ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

std::string render_table(const Table& t) {
  const std::size_t n = t.columns.size();
  const std::vector<std::size_t> width = fit_widths(t, t.terminal_width);
  std::string out;
  const auto line = [&](const std::vector<Cell>& cells) {
    for (std::size_t c = 0; c < n; ++c) {
      const TableColumn& col = t.columns[c];
      std::string text = cells[c].value_or("");
      const bool last = c + 1 == n;
      if (last && text.empty()) break;
      std::size_t w = width[c];
      if (last && text.size() < w && !col.right) w = text.size();
      if (text.size() > w && col.trunc) text.resize(w);
      std::size_t len = text.size();
      if (col.right && len < w) {
        out.append(w - len, ' ');
        len = w;
      }
      out += text;
      if (last) break;
      if (len < w) out.append(w - len, ' ');
      if (len > w && !col.right) {
        // The cell overflows its column: the rest of the row goes on the next line, under its
        // own columns.
        out += '\n';
        for (std::size_t i = 0; i <= c; ++i) {
          if (i + 1 == n) break;
          out.append(width[i], ' ');
          out += ' ';
        }
      } else {
        out += ' ';
      }
    }
    out += '\n';
  };
  if (!t.noheadings) {
    std::vector<Cell> header;
    for (const auto& col : t.columns)
      header.emplace_back(t.shellvar ? shell_name(col.name) : col.name);
    line(header);
  }
  for (const auto& row : t.rows)
    line(row);
  return out;
}

std::string render_raw(const Table& t) {
  std::string out;
  const auto line = [&](const std::vector<Cell>& cells) {
    for (std::size_t c = 0; c < cells.size(); ++c) {
      if (c != 0) out += ' ';
      out += raw_escape(cells[c].value_or(""));
    }
    out += '\n';
  };
  if (!t.noheadings) {
    std::vector<Cell> header;
    for (const auto& col : t.columns)
      header.emplace_back(col.name);
    line(header);
  }
  for (const auto& row : t.rows)
    line(row);
  return out;
}

std::string render_export(const Table& t, char separator) {
  std::string out;
  for (const auto& row : t.rows) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c != 0) out += separator;
      const std::string& name = t.columns[c].name;
      out += name;
      out += '=';
      out += export_quote(row[c].value_or(""));
    }
    out += '\n';
  }
  return out;
}

std::string render_json(const Table& t) {
  std::string out = "{\n   " + json_quote(t.name) + ": [\n";
  if (t.rows.empty()) out += "\n";
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    out += r == 0 ? "      {\n" : "},{\n";
    const auto& row = t.rows[r];
    for (std::size_t c = 0; c < row.size(); ++c) {
      out += "         " + json_quote(lower(t.columns[c].name)) + ": ";
      out += row[c] && !row[c]->empty() ? json_quote(*row[c]) : "null";
      out += c + 1 < row.size() ? ",\n" : "\n";
    }
    out += "      ";
  }
  if (!t.rows.empty()) out += "}\n";
  out += "   ]\n}\n";
  return out;
}

}  // namespace

std::string render(const Table& input, OutMode mode) {
  Table renamed;
  if (input.shellvar) {
    renamed = input;
    for (auto& col : renamed.columns)
      col.name = shell_name(col.name);
  }
  const Table& table = input.shellvar ? renamed : input;
  // The table mode sizes columns by their real names, then prints the shell names.
  if (mode != OutMode::kJson && mode != OutMode::kRaw && mode != OutMode::kExport &&
      mode != OutMode::kNewline)
    return input.rows.empty() ? std::string() : render_table(input);
  if (mode == OutMode::kJson) return render_json(table);
  if (table.rows.empty()) return {};
  switch (mode) {
    case OutMode::kRaw:
      return render_raw(table);
    case OutMode::kExport:
      return render_export(table, ' ');
    case OutMode::kNewline:
      return render_export(table, '\n');
    default:
      return render_table(table);
  }
}

}  // namespace ipckit::cli::lsipc
