#include "tour/tour.hpp"
#include "cli/output.hpp"

#include <unistd.h>

#include <sstream>

namespace ipckit::tour {

std::vector<Step>& step_registry() {
  static std::vector<Step> steps;
  return steps;
}

bool Tour::check(bool ok, std::string_view what) {
  cli::out("  [{}] {}\n", ok ? "ok" : "FAILED", what);
  if (!ok) ++failures_;
  return ok;
}

std::string Tour::unique_name(std::string_view suffix) const {
  return fmt::format("ipckit-tour-{}-{}", ::getpid(), suffix);
}

void Tour::say_text(std::string_view text) {
  // Wrap at 78 columns, indented by two spaces.
  std::istringstream words{std::string(text)};
  std::string word;
  size_t col = 0;
  std::string out = "  ";
  while (words >> word) {
    if (col > 0 && col + 1 + word.size() > 76) {
      out += "\n  ";
      col = 0;
    } else if (col > 0) {
      out += ' ';
      ++col;
    }
    out += word;
    col += word.size();
  }
  cli::out("{}\n", out);
}

void Tour::show_text(std::string_view text) {
  cli::out("    $ {}\n", text);
}

}  // namespace ipckit::tour
