#include "cli/completion_hints.hpp"

#include <cstring>
#include <map>

namespace ipckit::cli {

namespace {

std::map<const CLI::Option*, ValueHint>& hints() {
  static std::map<const CLI::Option*, ValueHint> registry;
  return registry;
}

std::map<std::string, std::vector<DropInOption>, std::less<>>& drop_ins() {
  static std::map<std::string, std::vector<DropInOption>, std::less<>> registry;
  return registry;
}

}  // namespace

void hint(const CLI::Option* option, ValueHint value) {
  hints()[option] = std::move(value);
}

const ValueHint* hint_of(const CLI::Option* option) {
  const auto it = hints().find(option);
  return it == hints().end() ? nullptr : &it->second;
}

void describe_drop_in(std::string_view name, const char* shortopts, const option* long_options,
                      const std::vector<std::pair<std::string, ValueHint>>& values) {
  std::vector<DropInOption> out;
  auto value_of = [&](const std::string& long_name) {
    for (const auto& [n, v] : values)
      if (n == long_name) return v;
    return ValueHint{};
  };
  std::string seen_short;
  for (const option* o = long_options; o->name != nullptr; ++o) {
    DropInOption d;
    d.long_name = o->name;
    d.takes_value = o->has_arg != no_argument;
    d.optional_value = o->has_arg == optional_argument;
    // The short letter is the long option's `val` when shortopts has it.
    if (o->flag == nullptr && o->val > 0 && o->val < 128 &&
        std::strchr(shortopts, o->val) != nullptr && o->val != ':') {
      d.short_name = static_cast<char>(o->val);
      seen_short += d.short_name;
    }
    d.value = value_of(d.long_name);
    out.push_back(std::move(d));
  }
  // Short options without a long name.
  for (const char* p = shortopts; *p != '\0'; ++p) {
    if (*p == ':' || seen_short.find(*p) != std::string::npos) continue;
    DropInOption d;
    d.short_name = *p;
    d.takes_value = p[1] == ':';
    d.optional_value = d.takes_value && p[2] == ':';
    seen_short += *p;
    out.push_back(std::move(d));
  }
  drop_ins()[std::string(name)] = std::move(out);
}

const std::vector<DropInOption>& drop_in_options(std::string_view name) {
  static const std::vector<DropInOption> none;
  const auto it = drop_ins().find(name);
  return it == drop_ins().end() ? none : it->second;
}

}  // namespace ipckit::cli
