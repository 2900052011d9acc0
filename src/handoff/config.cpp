// parse_config / load_config: the handoff daemon's TOML file (docs/handoff.md "Configuration").
//
// toml++ parses (header-only, exceptions off, so nothing escapes as an exception); this file walks
// the tree key by key. Every problem is kept with its line, and the earliest one is reported, so
// the answer does not depend on toml++'s (sorted) key order.
#define TOML_HEADER_ONLY 1
#define TOML_EXCEPTIONS 0
#include <toml++/toml.h>

#include <cerrno>
#include <cstdint>
#include <fstream>
#include <functional>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "handoff/config_text.hpp"
#include "ipckit/handoff/config.hpp"

namespace ipckit::handoff {

namespace {

struct Problem {
  std::uint32_t line = 0;
  std::string what;
};

// One key of a table and what to do with its value.
using Handler = std::function<void(const toml::node& value, const std::string& key)>;
struct KeyHandler {
  std::string_view name;
  Handler handle;
};

class Walker {
 public:
  explicit Walker(Config& config) : config_(config) {}

  [[nodiscard]] const std::optional<Problem>& first() const { return first_; }

  void problem(const toml::source_region& where, std::string what) {
    const std::uint32_t line = where.begin.line;
    if (!first_ || line < first_->line) first_ = Problem{line, std::move(what)};
  }

  void top(const toml::table& root) {
    walk(root, "",
         {{"listen", [this](const auto& v, const auto& k) { listen(v, k); }},
          {"control", [this](const auto& v, const auto& k) { control(v, k); }},
          {"control_mode", [this](const auto& v, const auto& k) { control_mode(v, k); }},
          {"grace_ms",
           [this](const auto& v, const auto& k) { millis(v, k, 0, config_.grace_period); }},
          {"screen", [this](const auto& v, const auto& k) { table(v, k, &Walker::screen); }},
          {"workers", [this](const auto& v, const auto& k) { table(v, k, &Walker::workers); }},
          {"log", [this](const auto& v, const auto& k) { table(v, k, &Walker::log); }}});
  }

 private:
  void walk(const toml::table& t, std::string_view prefix,
            const std::vector<KeyHandler>& handlers) {
    for (auto&& [key, value] : t) {
      const std::string full = prefix.empty() ? std::string(key.str())
                                              : std::string(prefix) + "." + std::string(key.str());
      const KeyHandler* found = nullptr;
      for (const auto& h : handlers) {
        if (h.name == key.str()) found = &h;
      }
      if (found == nullptr) {
        problem(key.source(), "unknown key '" + full + "'");
        continue;
      }
      found->handle(value, full);
    }
  }

  void table(const toml::node& value, const std::string& key,
             void (Walker::*fn)(const toml::table&, const std::string&)) {
    if (const auto* t = value.as_table()) {
      (this->*fn)(*t, key);
    } else {
      problem(value.source(), "'" + key + "' must be a table");
    }
  }

  // An integer in [min, max], or nullopt after reporting the problem.
  std::optional<std::int64_t> integer(const toml::node& value, const std::string& key,
                                      std::int64_t min, std::int64_t max) {
    if (const auto* i = value.as_integer()) {
      const std::int64_t v = i->get();
      if (v >= min && v <= max) return v;
    }
    problem(value.source(), "'" + key + "' must be an integer from " + std::to_string(min) +
                                " to " + std::to_string(max));
    return std::nullopt;
  }

  void count(const toml::node& value, const std::string& key, std::int64_t min,
             std::uint32_t& out) {
    if (auto v = integer(value, key, min, std::numeric_limits<std::uint32_t>::max())) {
      out = static_cast<std::uint32_t>(*v);
    }
  }

  void millis(const toml::node& value, const std::string& key, std::int64_t min,
              Milliseconds& out) {
    if (auto v = integer(value, key, min, kMaxMilliseconds)) out = Milliseconds(*v);
  }

  std::optional<std::string> string(const toml::node& value, const std::string& key) {
    if (const auto* s = value.as_string()) return s->get();
    problem(value.source(), "'" + key + "' must be a string");
    return std::nullopt;
  }

  void line_text(const toml::node& value, const std::string& key, std::string& out) {
    auto s = string(value, key);
    if (!s) return;
    if (auto why = line_problem(*s)) {
      problem(value.source(), "'" + key + "' " + *why);
      return;
    }
    out = std::move(*s);
  }

  // Every element of an array of strings through `each`; false (reported) for another type.
  bool strings(const toml::node& value, const std::string& key,
               const std::function<void(const std::string&, const toml::node&)>& each) {
    const auto* a = value.as_array();
    if (a == nullptr) {
      problem(value.source(), "'" + key + "' must be an array of strings");
      return false;
    }
    bool ok = true;
    for (const auto& element : *a) {
      if (const auto* s = element.as_string()) {
        each(s->get(), element);
      } else {
        problem(element.source(), "'" + key + "' must be an array of strings");
        ok = false;
      }
    }
    return ok;
  }

  void listen(const toml::node& value, const std::string& key) {
    std::vector<net::InetAddress> out;
    bool ok = strings(value, key, [&](const std::string& text, const toml::node& element) {
      auto address = net::InetAddress::parse(text);
      if (!address) {
        problem(element.source(),
                "'" + key + "': bad address '" + text + "': " + reason(address.error()));
        return;
      }
      out.push_back(*address);
    });
    if (ok) config_.listen = std::move(out);
  }

  void control(const toml::node& value, const std::string& key) {
    auto text = string(value, key);
    if (!text) return;
    if (text->empty()) {
      problem(value.source(), "'" + key + "' must not be empty");
      return;
    }
    auto address = uds::UnixAddress::parse(*text);
    if (!address) {
      problem(value.source(),
              "'" + key + "': bad address '" + *text + "': " + reason(address.error()));
      return;
    }
    config_.control = *address;
  }

  void control_mode(const toml::node& value, const std::string& key) {
    std::optional<mode_t> mode;
    if (const auto* s = value.as_string()) mode = parse_mode(s->get());
    // An integer only when written in octal (0o640): a decimal 416 is never what was meant.
    if (const auto* i = value.as_integer()) {
      // toml++'s integer formats are the values 1-3 of the flags, not separate bits.
      const bool octal = i->flags() == toml::value_flags::format_as_octal;
      if (octal && i->get() >= 0 && i->get() <= 0777) mode = static_cast<mode_t>(i->get());
    }
    if (!mode) {
      problem(value.source(), "'" + key +
                                  "' must be an octal mode from \"0000\" to \"0777\" (or 0o000 "
                                  "to 0o777)");
      return;
    }
    config_.control_mode = *mode;
  }

  void cidrs(const toml::node& value, const std::string& key, std::vector<net::Cidr>& out) {
    std::vector<net::Cidr> list;
    bool ok = strings(value, key, [&](const std::string& text, const toml::node& element) {
      auto cidr = net::Cidr::parse(text);
      if (!cidr) {
        problem(element.source(),
                "'" + key + "': bad CIDR '" + text + "': " + reason(cidr.error()));
        return;
      }
      list.push_back(*cidr);
    });
    if (ok) out = std::move(list);
  }

  void screen(const toml::table& t, const std::string& prefix) {
    Screening& s = config_.screening;
    walk(t, prefix,
         {{"allow", [&](const auto& v, const auto& k) { cidrs(v, k, s.allow); }},
          {"deny", [&](const auto& v, const auto& k) { cidrs(v, k, s.deny); }},
          {"reject_line", [&](const auto& v, const auto& k) { line_text(v, k, s.reject_line); }},
          {"max_per_address",
           [&](const auto& v, const auto& k) { count(v, k, 0, s.max_per_address); }},
          {"rate", [this](const auto& v, const auto& k) { table(v, k, &Walker::rate); }},
          {"pregreet", [this](const auto& v, const auto& k) { table(v, k, &Walker::pregreet); }},
          {"cache", [this](const auto& v, const auto& k) { table(v, k, &Walker::cache); }}});
  }

  void rate(const toml::table& t, const std::string& prefix) {
    Screening& s = config_.screening;
    walk(
        t, prefix,
        {{"connections", [&](const auto& v, const auto& k) { count(v, k, 0, s.rate_connections); }},
         {"per_seconds", [&](const auto& v, const auto& k) {
            if (auto n = integer(v, k, 1, kMaxRatePeriodSeconds)) {
              s.rate_period = std::chrono::seconds(*n);
            }
          }}});
  }

  void pregreet(const toml::table& t, const std::string& prefix) {
    Screening& s = config_.screening;
    walk(t, prefix,
         {{"wait_ms", [&](const auto& v, const auto& k) { millis(v, k, 0, s.pregreet_wait); }},
          {"banner", [&](const auto& v, const auto& k) { line_text(v, k, s.banner); }}});
  }

  void cache(const toml::table& t, const std::string& prefix) {
    Screening& s = config_.screening;
    walk(t, prefix,
         {{"ttl_seconds",
           [&](const auto& v, const auto& k) {
             if (auto n = integer(v, k, 0, kMaxCacheTtlSeconds)) {
               s.cache_ttl = std::chrono::seconds(*n);
             }
           }},
          {"max_entries",
           [&](const auto& v, const auto& k) { count(v, k, 1, s.cache_max_entries); }}});
  }

  // Reads allow_uids / allow_gids; either one present makes the policy exactly the listed ids.
  void ids(const toml::node& value, const std::string& key,
           std::optional<std::vector<std::uint32_t>>& out) {
    const auto* a = value.as_array();
    const std::string expected = "'" + key + "' must be an array of ids from 0 to 4294967294";
    if (a == nullptr) {
      problem(value.source(), expected);
      return;
    }
    std::vector<std::uint32_t> list;
    for (const auto& element : *a) {
      const auto* i = element.as_integer();
      if (i == nullptr || i->get() < 0 || i->get() >= 4'294'967'295) {
        problem(element.source(), expected);
        return;
      }
      list.push_back(static_cast<std::uint32_t>(i->get()));
    }
    out = std::move(list);
  }

  void workers(const toml::table& t, const std::string& prefix) {
    WorkerRules& w = config_.workers;
    std::optional<std::vector<std::uint32_t>> uids;
    std::optional<std::vector<std::uint32_t>> gids;
    walk(t, prefix,
         {{"allow_uids", [&](const auto& v, const auto& k) { ids(v, k, uids); }},
          {"allow_gids", [&](const auto& v, const auto& k) { ids(v, k, gids); }},
          {"dispatch",
           [&](const auto& v, const auto& k) {
             auto s = string(v, k);
             if (!s) return;
             if (auto d = parse_dispatch_policy(*s)) {
               w.dispatch = *d;
             } else {
               problem(v.source(),
                       "'" + k + "' must be \"least-busy\" or \"round-robin\", not '" + *s + "'");
             }
           }},
          {"max_in_flight", [&](const auto& v, const auto& k) { count(v, k, 1, w.max_in_flight); }},
          {"ack_timeout_ms", [&](const auto& v, const auto& k) { millis(v, k, 1, w.ack_timeout); }},
          {"busy_timeout_ms",
           [&](const auto& v, const auto& k) { millis(v, k, 0, w.busy_timeout); }},
          {"busy_line", [&](const auto& v, const auto& k) { line_text(v, k, w.busy_line); }}});
    if (uids || gids) {
      uds::AccessPolicy policy = uds::AccessPolicy::only({});
      for (auto uid : uids.value_or(std::vector<std::uint32_t>{}))
        policy.allow_user(uid);
      for (auto gid : gids.value_or(std::vector<std::uint32_t>{}))
        policy.allow_group(gid);
      w.policy = std::move(policy);
    }
  }

  void log(const toml::table& t, const std::string& prefix) {
    walk(t, prefix,
         {{"format",
           [&](const auto& v, const auto& k) {
             auto s = string(v, k);
             if (!s) return;
             if (auto f = parse_log_format(*s)) {
               config_.log_format = *f;
             } else {
               problem(v.source(), "'" + k + "' must be \"logfmt\" or \"json\", not '" + *s + "'");
             }
           }},
          {"level", [&](const auto& v, const auto& k) {
             auto s = string(v, k);
             if (!s) return;
             if (auto l = parse_log_level(*s)) {
               config_.log_level = *l;
             } else {
               problem(v.source(), "'" + k +
                                       "' must be \"debug\", \"info\", \"warning\" or \"error\", "
                                       "not '" +
                                       *s + "'");
             }
           }}});
  }

  Config& config_;
  std::optional<Problem> first_;
};

}  // namespace

Result<Config> parse_config(std::string_view text, std::string_view file, Config base) {
  toml::parse_result parsed = toml::parse(text, file);
  if (!parsed) {
    const toml::parse_error& e = parsed.error();
    // toml++ says "Error while parsing key-value pair: ..."; ours is lowercase, like every message.
    std::string what(e.description());
    constexpr std::string_view kPrefix = "Error while parsing ";
    if (what.starts_with(kPrefix)) what = "syntax error in " + what.substr(kPrefix.size());
    return fail(EINVAL, "config", std::string(file) + ":" + std::to_string(e.source().begin.line),
                std::move(what));
  }
  Walker walker(base);
  walker.top(parsed.table());
  if (const auto& p = walker.first()) {
    return fail(EINVAL, "config", std::string(file) + ":" + std::to_string(p->line), p->what);
  }
  return base;
}

// The public signature takes `base` by value so that a caller can move one in; it moves on.
// NOLINTNEXTLINE(performance-unnecessary-value-param)
Result<Config> load_config(const std::string& path, Config base) {
  auto text = read_config_file(path);
  if (!text) return std::unexpected(text.error());
  return parse_config(*text, path, std::move(base));
}

}  // namespace ipckit::handoff
