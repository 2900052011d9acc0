// The object filters of `ipckit ls` and `ipckit rm --stale` (see ls_model.hpp).
#include <fmt/core.h>
#include <fnmatch.h>
#include <pwd.h>

#include <charconv>

#include "cli/completion_hints.hpp"
#include "ipckit/sysv/key.hpp"
#include "ls/ls_model.hpp"

namespace ipckit::cli::ls {

namespace {

// --type's values, for completion.
std::vector<std::string> type_names() {
  std::vector<std::string> names;
  for (int t = 0; t < inspect::kObjectTypeCount; ++t)
    names.emplace_back(inspect::type_name(static_cast<inspect::ObjectType>(t)));
  return names;
}

}  // namespace

namespace {

Result<inspect::TypeSet> parse_types(std::string_view list) {
  inspect::TypeSet set;
  while (true) {
    const auto comma = list.find(',');
    const auto name = list.substr(0, comma);
    const auto type = inspect::parse_type_name(name);
    if (!type)
      return fail(EINVAL, "--type", "",
                  fmt::format("unknown type '{}' (sysv-shm, sysv-sem, sysv-msg, posix-shm, "
                              "posix-sem, mqueue, unix, fifo, channel)",
                              name));
    set.add(*type);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return set;
}

Result<uid_t> parse_user(const std::string& text) {
  uid_t uid = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, uid);
  if (!text.empty() && ec == std::errc() && ptr == end) return uid;
  struct passwd pw {};
  struct passwd* result = nullptr;
  char buffer[1024];
  if (::getpwnam_r(text.c_str(), &pw, buffer, sizeof buffer, &result) == 0 && result != nullptr)
    return pw.pw_uid;
  return fail(ENOENT, "--user", "", fmt::format("no such user '{}'", text));
}

Result<std::int64_t> parse_key(const std::string& text) {
  auto key = sysv::Key::parse(text);
  if (!key) return fail(EINVAL, "--key", "", fmt::format("invalid key '{}'", text));
  return static_cast<std::int64_t>(key->value());
}

template <class F>
CLI::Validator validator(F parse, std::string name) {
  return CLI::Validator(
      [parse](std::string& text) -> std::string {
        auto r = parse(text);
        return r ? std::string() : r.error().detail();
      },
      name, name);
}

}  // namespace

bool Filter::matches(const inspect::IpcObject& o) const {
  if (!types.has(o.type)) return false;
  if (uid && (!o.uid || *o.uid != *uid)) return false;
  if (key && (!o.key || *o.key != *key)) return false;
  if (!name_glob.empty() && ::fnmatch(name_glob.c_str(), o.name.c_str(), 0) != 0) return false;
  return true;
}

void FilterOptions::add_to(CLI::App& app) {
  app.add_option("--type,-t", types, "Only these types, comma-separated")
      ->check(validator([](const std::string& s) { return parse_types(s); }, "TYPE[,TYPE]"));
  hint(app.get_option("--type"), {.choices = type_names(), .list = true});
  app.add_option("--user,-u", user, "Only objects owned by this user (name or uid)")
      ->check(validator(parse_user, "USER"));
  app.add_option("--name,-n", name, "Only objects whose NAME matches this glob (fnmatch)");
  app.add_option("--key,-k", key, "Only System V objects with this key")
      ->check(validator(parse_key, "KEY"));
}

Result<Filter> FilterOptions::build() const {
  Filter f;
  if (!types.empty()) {
    auto t = parse_types(types);
    if (!t) return std::unexpected(t.error());
    f.types = *t;
  }
  if (!user.empty()) {
    auto u = parse_user(user);
    if (!u) return std::unexpected(u.error());
    f.uid = *u;
  }
  if (!key.empty()) {
    auto k = parse_key(key);
    if (!k) return std::unexpected(k.error());
    f.key = *k;
  }
  f.name_glob = name;
  return f;
}

}  // namespace ipckit::cli::ls
