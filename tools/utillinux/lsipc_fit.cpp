// libsmartcols' column widths on a terminal (see lsipc_fit.hpp). Written from the observed
// output of util-linux 2.38.1's lsipc and the algorithm as libsmartcols documents it.
#include "utillinux/lsipc_fit.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <cstdlib>
#include <string_view>

namespace ipckit::cli::lsipc {

namespace {

struct Fit {
  std::size_t width = 0;    // current width
  std::size_t minimum = 0;  // the header's width, at least 1
  std::size_t widest = 0;   // widest cell
  std::size_t average = 0;  // "no extremes" columns: average cell width, rounded down
  bool extreme = false;     // "no extremes" column whose widest cell is over twice the average
};

std::size_t cell_width(const Cell& cell) {
  return cell ? cell->size() : 0;
}

// The column's width from its cells; an extreme column's second count skips extreme cells.
void count(const Table& t, std::size_t c, Fit& f) {
  f.width = 0;
  std::size_t sum = 0;
  for (const auto& row : t.rows) {
    const std::size_t len = cell_width(row[c]);
    f.widest = std::max(f.widest, len);
    if (f.extreme && f.average != 0 && len > f.average * 2) continue;
    sum += len;
    f.width = std::max(f.width, len);
  }
  if (t.columns[c].noextremes && !f.extreme && !t.rows.empty()) {
    f.average = sum / t.rows.size();
    f.extreme = f.average != 0 && f.widest > f.average * 2;
  }
  f.width = std::max(f.width, f.minimum);
}

}  // namespace

std::size_t output_terminal_width() {
  if (::isatty(STDOUT_FILENO) == 0) return 0;
  winsize size{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  if (const char* env = std::getenv("COLUMNS")) {
    const std::string_view text(env);
    long columns = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), columns);
    if (ec == std::errc() && end == text.data() + text.size() && !text.empty() && columns > 0 &&
        columns <= INT_MAX)
      return static_cast<std::size_t>(columns);
  }
  return 80;
}

std::vector<std::size_t> fit_widths(const Table& t, std::size_t terminal_width) {
  const std::size_t n = t.columns.size();
  std::vector<Fit> fit(n);
  std::size_t total = 0;
  std::size_t extremes = 0;
  for (std::size_t c = 0; c < n; ++c) {
    fit[c].minimum = std::max<std::size_t>(t.columns[c].name.size(), 1);
    count(t, c, fit[c]);
    total += fit[c].width + (c + 1 < n ? 1 : 0);  // one space between columns
    if (fit[c].extreme) ++extremes;
  }
  std::vector<std::size_t> widths(n);
  const auto result = [&] {
    for (std::size_t c = 0; c < n; ++c)
      widths[c] = fit[c].width;
    return widths;
  };
  if (terminal_width == 0 || n == 0) return result();

  // Too wide: count extreme columns again without their extreme cells.
  if (total > terminal_width && extremes > 0) {
    for (std::size_t c = 0; c < n; ++c) {
      if (!fit[c].extreme) continue;
      const std::size_t before = fit[c].width;
      count(t, c, fit[c]);
      if (before > fit[c].width)
        total -= before - fit[c].width;
      else
        --extremes;
    }
  }
  if (total < terminal_width) {
    // Room left: the extreme columns grow back towards their widest cell, first one first.
    // (Unsigned wrap-around is intended: it mirrors the reference's size_t arithmetic.)
    if (extremes > 0) {
      for (std::size_t c = 0; c < n; ++c) {
        if (!fit[c].extreme) continue;
        std::size_t add = terminal_width - total;
        if (add != 0 && fit[c].width + add > fit[c].widest) add = fit[c].widest - fit[c].width;
        fit[c].width += add;
        total += add;
        if (total == terminal_width) break;
      }
    }
    if (total < terminal_width && !t.columns[n - 1].right) {
      fit[n - 1].width += terminal_width - total;
      total = terminal_width;
    }
  }
  // Still too wide: truncatable columns lose one column each per pass, down to their header.
  bool shrunk = true;
  while (total > terminal_width && shrunk) {
    shrunk = false;
    for (std::size_t c = 0; c < n && total > terminal_width; ++c) {
      if (!t.columns[c].trunc || fit[c].width == fit[c].minimum || fit[c].width == 0) continue;
      --fit[c].width;
      --total;
      shrunk = true;
    }
  }
  return result();
}

}  // namespace ipckit::cli::lsipc
