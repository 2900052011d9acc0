#include "cli/usage.hpp"

#include <fmt/core.h>

#include <cctype>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "cli/exit_codes.hpp"
#include "cli/output.hpp"
#include "cli/values.hpp"

namespace ipckit::cli {

namespace {

// "z y x" as "'x' 'y' 'z'": CLI11 2.1 joins the arguments it did not expect in reverse order.
std::string quote_words(const std::string& words) {
  std::vector<std::string> list;
  std::size_t start = 0;
  while (start <= words.size()) {
    std::size_t end = words.find(' ', start);
    if (end == std::string::npos) end = words.size();
    if (end > start) list.push_back(words.substr(start, end - start));
    start = end + 1;
  }
  std::string out;
  for (auto it = list.rbegin(); it != list.rend(); ++it)
    out += fmt::format("{}'{}'", out.empty() ? "" : " ", *it);
  return out;
}

// CLI11 prints range bounds with std::to_string: "0.000000", or the largest double in full.
std::string tidy_number(const std::string& text) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0') return text;
  return fmt::format("{:g}", value);
}

std::string lower_first(std::string text) {
  // Only a capitalised word ("Value", "Could"), never an option or a quoted value.
  if (text.size() > 1 && std::isupper(static_cast<unsigned char>(text[0])) != 0 &&
      std::islower(static_cast<unsigned char>(text[1])) != 0)
    text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  while (!text.empty() && (text.back() == '.' || text.back() == ' '))
    text.pop_back();
  return text;
}

struct Rewrite {
  std::regex pattern;
  std::string (*format)(const std::smatch& m);
};

const std::vector<Rewrite>& rewrites() {
  // Each of CLI11 2.x's parse-error wordings (CLI/Error.hpp, CLI/Validators.hpp), once.
  static const std::vector<Rewrite> kRewrites = [] {
    std::vector<Rewrite> r;
    auto add = [&r](const char* pattern, std::string (*format)(const std::smatch&)) {
      r.push_back({std::regex(pattern), format});
    };
    add(R"(^(?:Requires at least \d+ subcommands?|A subcommand is required)$)",
        [](const std::smatch&) { return std::string("missing command"); });
    add(R"(^(\S+) is required$)",
        [](const std::smatch& m) { return fmt::format("missing {}", m.str(1)); });
    add(R"(^Could not convert: (\S+) = (.*)$)", [](const std::smatch& m) {
      return fmt::format("{}: invalid value '{}'", m.str(1), m.str(2));
    });
    add(R"(^The value (.*) is not an allowed value for (\S+)$)", [](const std::smatch& m) {
      return fmt::format("{}: invalid value '{}'", m.str(2), m.str(1));
    });
    add(R"(^(\S+): too many inputs for a flag$)",
        [](const std::smatch& m) { return fmt::format("{}: takes no value", m.str(1)); });
    add(R"(^(\S+): Should be true/false or a number$)",
        [](const std::smatch& m) { return fmt::format("{}: takes no value", m.str(1)); });
    add(R"(^(?:(\S+): )?The following arguments? (?:was|were) not expected: (.*)$)",
        [](const std::smatch& m) {
          const std::string words = m.str(2);
          if (words.starts_with('-') && words.find(' ') == std::string::npos)
            return fmt::format("unrecognized option '{}'", words);
          const bool several = words.find(' ') != std::string::npos;
          return fmt::format("unexpected argument{} {}", several ? "s" : "", quote_words(words));
        });
    add(R"(^(\S+): Value (\S+) not in range (\S+) to (\S+)$)", [](const std::smatch& m) {
      return fmt::format("{}: '{}' not in range {} to {}", m.str(1), m.str(2),
                         tidy_number(m.str(3)), tidy_number(m.str(4)));
    });
    add(R"(^(\S+): (\S+) not in \{(.*)\}$)", [](const std::smatch& m) {
      return fmt::format("{}: invalid value '{}' (one of: {})", m.str(1), m.str(2), m.str(3));
    });
    add(R"(^(\S+) requires (\S+)$)",
        [](const std::smatch& m) { return fmt::format("{} needs {}", m.str(1), m.str(2)); });
    add(R"(^(\S+) excludes (\S+)$)", [](const std::smatch& m) {
      return fmt::format("{} and {} exclude each other", m.str(1), m.str(2));
    });
    add(R"(^Expected (?:exactly|at least) (\d+) arguments? to (\S+), got (\d+)$)",
        [](const std::smatch& m) {
          return fmt::format("{}: expected {} value{}, got {}", m.str(2), m.str(1),
                             m.str(1) == "1" ? "" : "s", m.str(3));
        });
    add(R"(^(\S+): (?:At least|At Most) (\d+) required but received (\d+)$)",
        [](const std::smatch& m) {
          return fmt::format("{}: expected {} value{}, got {}", m.str(1), m.str(2),
                             m.str(2) == "1" ? "" : "s", m.str(3));
        });
    add(R"(^(\S+): \d+ required .* missing$)",
        [](const std::smatch& m) { return fmt::format("{}: missing value", m.str(1)); });
    return r;
  }();
  return kRewrites;
}

}  // namespace

std::string command_path(const CLI::App& root) {
  std::string path(program_name());
  const CLI::App* current = &root;
  for (;;) {
    const CLI::App* next = nullptr;
    for (const CLI::App* sub : current->get_subcommands([](const CLI::App*) { return true; })) {
      if (sub->parsed()) next = sub;
    }
    if (next == nullptr) return path;
    path += " " + next->get_name();
    current = next;
  }
}

namespace {

std::map<const CLI::App*, int>& usage_exit_codes() {
  static std::map<const CLI::App*, int> codes;
  return codes;
}

}  // namespace

void set_usage_exit_code(const CLI::App& command, int code) {
  usage_exit_codes()[&command] = code;
}

int usage_exit_code(const CLI::App& root) {
  int code = kExitFailure;
  const CLI::App* current = &root;
  while (current != nullptr) {
    if (auto it = usage_exit_codes().find(current); it != usage_exit_codes().end()) {
      code = it->second;
    }
    const CLI::App* next = nullptr;
    for (const CLI::App* sub : current->get_subcommands([](const CLI::App*) { return true; })) {
      if (sub->parsed()) next = sub;
    }
    current = next;
  }
  return code;
}

std::string usage_message(const CLI::Error& e) {
  // One line, whatever the user typed: a value's newline shows as "\n".
  std::string text = escape_controls(e.what());
  for (const Rewrite& r : rewrites()) {
    std::smatch m;
    if (std::regex_match(text, m, r.pattern)) return r.format(m);
  }
  return lower_first(std::move(text));
}

namespace {

const CLI::App* deepest_parsed(const CLI::App& root) {
  const CLI::App* current = &root;
  for (;;) {
    const CLI::App* next = nullptr;
    for (const CLI::App* sub : current->get_subcommands([](const CLI::App*) { return true; })) {
      if (sub->parsed()) next = sub;
    }
    if (next == nullptr) return current;
    current = next;
  }
}

}  // namespace

std::string usage_message(const CLI::Error& e, const CLI::App& root) {
  std::string message = usage_message(e);
  if (message != "missing command") return message;
  // "ipckit bogus": CLI11 keeps "bogus" as an unparsed argument and asks for a subcommand.
  const std::vector<std::string> rest = deepest_parsed(root)->remaining();
  if (rest.empty()) return message;
  return fmt::format("unknown command '{}'", escape_controls(rest.front()));
}

}  // namespace ipckit::cli
