#include "bench/bench_options.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>

#include "cli/size.hpp"
#include "cli/values.hpp"

namespace ipckit::bench {

namespace {

using Fail = std::unexpected<std::string>;

std::vector<std::string_view> split_commas(std::string_view text) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const auto comma = text.find(',', start);
    parts.push_back(
        text.substr(start, comma == std::string_view::npos ? text.npos : comma - start));
    if (comma == std::string_view::npos) return parts;
    start = comma + 1;
  }
}

std::string quote_value(std::string_view text) {
  return "'" + cli::escape_controls(text) + "'";
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items)
    out += (out.empty() ? "" : ", ") + item;
  return out;
}

std::expected<std::vector<Selection>, std::string> parse_only(
    std::string_view text, std::span<const KnownMechanism> known) {
  std::vector<Selection> only;
  for (std::string_view part : split_commas(text)) {
    if (part.empty()) return Fail("--only: empty mechanism name in " + quote_value(text));
    const auto colon = part.find(':');
    const std::string name(part.substr(0, colon));
    const auto it = std::find_if(known.begin(), known.end(),
                                 [&](const KnownMechanism& k) { return k.name == name; });
    if (it == known.end())
      return Fail("--only: unknown mechanism " + quote_value(name) +
                  " ('ipckit bench --list' shows them)");
    if (!it->unavailable.empty())
      return Fail("--only: " + quote_value(name) + " cannot run here: " + it->unavailable);
    Selection s{name, std::nullopt};
    if (colon != std::string_view::npos) {
      const std::string mode(part.substr(colon + 1));
      if (std::find(it->modes.begin(), it->modes.end(), mode) == it->modes.end())
        return Fail("--only: " + quote_value(name) + " has no mode " + quote_value(mode) +
                    " (modes: " + join(it->modes) + ")");
      s.mode = mode;
    }
    only.push_back(std::move(s));
  }
  return only;
}

std::expected<std::vector<std::size_t>, std::string> parse_sizes(std::string_view text) {
  std::vector<std::size_t> sizes;
  for (std::string_view part : split_commas(text)) {
    const auto size = cli::parse_size(part);
    if (!size || *size < kMinSize || *size > kMaxSize)
      return Fail("--sizes: invalid size " + quote_value(part) + " (bytes, 8 to 64M)");
    if (std::find(sizes.begin(), sizes.end(), *size) == sizes.end()) sizes.push_back(*size);
  }
  std::sort(sizes.begin(), sizes.end());
  return sizes;
}

}  // namespace

std::expected<Settings, std::string> validate(const BenchArgs& args,
                                              std::span<const KnownMechanism> known) {
  Settings s;
  s.quick = args.quick;
  if (args.quick) {
    s.rounds = 1;
    s.duration = std::chrono::milliseconds(50);
    s.sizes = {64};
  }
  if (args.only) {
    auto only = parse_only(*args.only, known);
    if (!only) return Fail(only.error());
    s.only = std::move(*only);
  }
  if (args.sizes) {
    auto sizes = parse_sizes(*args.sizes);
    if (!sizes) return Fail(sizes.error());
    s.sizes = std::move(*sizes);
  }
  if (args.rounds) {
    const auto rounds = cli::parse_integer(*args.rounds, 1, kMaxRounds);
    if (!rounds)
      return Fail(fmt::format("--rounds: invalid value {} (a whole number from 1 to {})",
                              quote_value(*args.rounds), kMaxRounds));
    s.rounds = static_cast<int>(*rounds);
  }
  if (args.duration) {
    const auto seconds = cli::parse_seconds(*args.duration);
    const double ms = seconds ? std::round(*seconds * 1000.0) : 0.0;
    if (!seconds || ms < 1.0 || ms > static_cast<double>(kMaxDuration.count()))
      return Fail("--duration: invalid duration " + quote_value(*args.duration) +
                  " (seconds, 0.001 to 60)");
    s.duration = std::chrono::milliseconds(static_cast<long long>(ms));
  }
  if (args.json && args.csv) return Fail("--json and --csv exclude each other");
  s.output = args.json ? Output::kJson : args.csv ? Output::kCsv : Output::kTable;
  s.pin = !args.no_pin;
  s.list = args.list;
  s.progress = args.progress;
  if (args.list && (args.json || args.csv || !args.plot.empty() || !args.html.empty()))
    return Fail("--list prints the mechanisms; it takes no --json, --csv, --plot or --html");
  for (const auto* file : {&args.plot, &args.html}) {
    if (auto problem = cli::control_character_problem(*file))
      return Fail(std::string(file == &args.plot ? "--plot" : "--html") + ": invalid file name " +
                  quote_value(*file) + ": " + *problem);
  }
  s.plot = args.plot;
  s.html = args.html;
  return s;
}

}  // namespace ipckit::bench
