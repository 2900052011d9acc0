#include "completion/completion_engine.hpp"

#include <algorithm>
#include <optional>
#include <string_view>

#include "cli/completion_hints.hpp"
#include "cli/drop_in.hpp"
#include "completion/completion_live.hpp"

namespace ipckit::cli::completion {

namespace {

// Visible subcommands (hidden ones have no group).
std::vector<const CLI::App*> visible_subcommands(const CLI::App& app) {
  return app.get_subcommands([](const CLI::App* s) { return !s->get_group().empty(); });
}

const CLI::App* subcommand_named(const CLI::App& app, std::string_view name) {
  for (const auto* s : app.get_subcommands([](const CLI::App*) { return true; }))
    if (s->get_name() == name) return s;
  return nullptr;
}

bool takes_value(const CLI::Option* o) {
  return o->get_items_expected_max() != 0;
}

// The option `word` names ("--type", "-t"; without "=VALUE"), looked for in `app` and the
// apps above it (CLI11 lets a subcommand's line use its parents' options... only --help here).
const CLI::Option* option_named(const CLI::App& app, std::string_view word) {
  for (const auto* o : app.get_options()) {
    if (o->get_positional() && o->get_lnames().empty() && o->get_snames().empty()) continue;
    if (word.starts_with("--")) {
      for (const auto& l : o->get_lnames())
        if (word.substr(2) == l) return o;
    } else if (word.size() == 2 && word[0] == '-') {
      for (const auto& s : o->get_snames())
        if (word.substr(1) == s) return o;
    }
  }
  return nullptr;
}

std::vector<const CLI::Option*> positionals(const CLI::App& app) {
  std::vector<const CLI::Option*> out;
  for (const auto* o : app.get_options())
    if (o->get_positional() && o->get_lnames().empty() && o->get_snames().empty()) out.push_back(o);
  return out;
}

// The candidates of a value: its hint's choices and live objects, each prefixed by `lead` (the
// part of a comma-separated list already typed, or "--long=").
void add_values(const ValueHint& hint, const std::string& lead, std::vector<std::string>& out) {
  for (const auto& c : hint.choices)
    out.push_back(lead + c);
  if (hint.live)
    for (auto& n : live_names(*hint.live))
      out.push_back(lead + n);
}

void add_value_candidates(const ValueHint* hint, const std::string& current,
                          const std::string& prefix_before, std::vector<std::string>& out,
                          std::string& match) {
  if (hint == nullptr) return;
  std::string lead = prefix_before;
  match = current;
  if (hint->list) {
    const auto comma = current.rfind(',');
    if (comma != std::string::npos) lead += current.substr(0, comma + 1);
  }
  add_values(*hint, lead, out);
  match = prefix_before + current;
}

std::vector<std::string> finish(std::vector<std::string> all, const std::string& current) {
  std::vector<std::string> out;
  for (auto& c : all)
    if (c.starts_with(current) && std::find(out.begin(), out.end(), c) == out.end())
      out.push_back(std::move(c));
  return out;
}

// A CLI11 command line.
std::vector<std::string> complete_cli11(const CLI::App& root,
                                        const std::vector<std::string>& words) {
  const CLI::App* app = &root;
  const CLI::Option* pending = nullptr;  // an option whose value is the next word
  std::size_t positional_index = 0;
  std::size_t positional_used = 0;  // values given to the current positional
  bool only_positionals = false;    // after "--"
  for (std::size_t i = 1; i + 1 < words.size(); ++i) {
    const std::string& w = words[i];
    if (pending != nullptr) {
      pending = nullptr;
      continue;
    }
    if (!only_positionals && w == "--") {
      only_positionals = true;
      continue;
    }
    if (!only_positionals && w.starts_with("-") && w.size() > 1) {
      const auto eq = w.find('=');
      const CLI::Option* o = option_named(*app, w.substr(0, eq));
      if (o != nullptr && takes_value(o) && eq == std::string::npos) pending = o;
      continue;
    }
    if (positional_index == 0 && positional_used == 0) {
      if (const CLI::App* sub = subcommand_named(*app, w)) {
        app = sub;
        continue;
      }
    }
    const auto ps = positionals(*app);
    if (positional_index < ps.size()) {
      ++positional_used;
      const int max = ps[positional_index]->get_items_expected_max();
      if (max > 0 && positional_used >= static_cast<std::size_t>(max)) {
        ++positional_index;
        positional_used = 0;
      }
    }
  }

  const std::string& current = words.back();
  std::vector<std::string> all;
  std::string match = current;
  if (pending != nullptr) {
    add_value_candidates(hint_of(pending), current, "", all, match);
    return finish(std::move(all), match);
  }
  if (!only_positionals && current.starts_with("--") && current.find('=') != std::string::npos) {
    const auto eq = current.find('=');
    const CLI::Option* o = option_named(*app, std::string_view(current).substr(0, eq));
    if (o == nullptr) return {};
    add_value_candidates(hint_of(o), current.substr(eq + 1), current.substr(0, eq + 1), all, match);
    return finish(std::move(all), match);
  }
  if (!only_positionals && current.starts_with("-")) {
    for (const auto* o : app->get_options()) {
      if (o->get_group().empty()) continue;  // hidden
      for (const auto& l : o->get_lnames())
        all.push_back("--" + l);
      for (const auto& s : o->get_snames())
        all.push_back("-" + s);
    }
    return finish(std::move(all), current);
  }
  if (positional_index == 0 && positional_used == 0)
    for (const auto* s : visible_subcommands(*app))
      all.push_back(s->get_name());
  const auto ps = positionals(*app);
  if (positional_index < ps.size())
    add_value_candidates(hint_of(ps[positional_index]), current, "", all, match);
  return finish(std::move(all), match);
}

// A drop-in's command line (getopt: options anywhere, "-xVALUE", "--long=VALUE").
std::vector<std::string> complete_drop_in(const std::vector<DropInOption>& options,
                                          const std::vector<std::string>& words,
                                          std::size_t first) {
  const DropInOption* pending = nullptr;
  for (std::size_t i = first; i + 1 < words.size(); ++i) {
    const std::string& w = words[i];
    pending = nullptr;
    if (w.size() == 2 && w[0] == '-' && w[1] != '-') {
      for (const auto& o : options)
        if (o.short_name == w[1] && o.takes_value && !o.optional_value) pending = &o;
    } else if (w.starts_with("--") && w.find('=') == std::string::npos) {
      for (const auto& o : options)
        if ("--" + o.long_name == w && o.takes_value && !o.optional_value) pending = &o;
    }
  }
  const std::string& current = words.back();
  std::vector<std::string> all;
  std::string match = current;
  if (pending != nullptr) {
    add_value_candidates(&pending->value, current, "", all, match);
    return finish(std::move(all), match);
  }
  if (current.starts_with("--") && current.find('=') != std::string::npos) {
    const auto eq = current.find('=');
    for (const auto& o : options)
      if ("--" + o.long_name == std::string_view(current).substr(0, eq))
        add_value_candidates(&o.value, current.substr(eq + 1), current.substr(0, eq + 1), all,
                             match);
    return finish(std::move(all), match);
  }
  if (current.starts_with("-")) {
    for (const auto& o : options) {
      if (!o.long_name.empty()) all.push_back("--" + o.long_name);
      if (o.short_name != 0) all.push_back(std::string("-") + o.short_name);
    }
  }
  return finish(std::move(all), current);
}

std::string_view base_name(std::string_view path) {
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace

std::vector<std::string> candidates(const CLI::App& root, const std::vector<std::string>& words) {
  if (words.empty()) return {};
  if (words.size() == 1) return {};
  const std::string_view command = base_name(words[0]);
  if (is_util_linux_name(command)) return complete_drop_in(drop_in_options(command), words, 1);
  if (words.size() > 2 && is_util_linux_name(words[1]))
    return complete_drop_in(drop_in_options(words[1]), words, 2);
  return complete_cli11(root, words);
}

}  // namespace ipckit::cli::completion
