#include "harness/peer_main.hpp"

#include <sched.h>

#include <charconv>
#include <cstdio>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "harness/runner.hpp"

namespace ipckit::bench {
namespace {

constexpr int kUsage = 2;

struct UsageError {
  std::string what;
};

template <class Int>
Int parse_int(std::string_view option, std::string_view text, Int min, Int max) {
  Int value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max)
    throw UsageError{fmt::format("{}: '{}' is not a number from {} to {}", option, text, min, max)};
  return value;
}

std::optional<std::pair<int, int>> parse_cpus(std::string_view text) {
  if (text == "none") return std::nullopt;
  const auto comma = text.find(',');
  if (comma == std::string_view::npos)
    throw UsageError{fmt::format("--cpus: '{}' is not A,B or none", text)};
  const int a = parse_int<int>("--cpus", text.substr(0, comma), 0, CPU_SETSIZE - 1);
  const int b = parse_int<int>("--cpus", text.substr(comma + 1), 0, CPU_SETSIZE - 1);
  return std::pair{a, b};
}

struct Arguments {
  bool probe = false;
  Cell cell;
  RoundOptions options;
  bool have_test = false, have_size = false;
};

Arguments parse(int argc, char** argv, const Mechanism& mechanism) {
  Arguments args;
  args.cell.mechanism = mechanism.name;
  args.cell.mode = mechanism.modes.empty() ? "default" : mechanism.modes.front();
  args.options.cpus = default_cpus();
  for (int i = 1; i < argc; ++i) {
    const std::string_view option = argv[i];
    if (option == "--probe") {
      args.probe = true;
      continue;
    }
    if (i + 1 >= argc) {
      if (option.starts_with("--test") || option.starts_with("--size") ||
          option.starts_with("--mode") || option.starts_with("--producers") ||
          option.starts_with("--load") || option.starts_with("--duration-ms") ||
          option.starts_with("--cpus") || option.starts_with("--deadline-s"))
        throw UsageError{fmt::format("{}: a value is required", option)};
      throw UsageError{fmt::format("unknown option '{}'", option)};
    }
    const std::string_view value = argv[++i];
    if (option == "--test") {
      const auto test = parse_test(value);
      if (!test) throw UsageError{fmt::format("--test: '{}' is not latency or throughput", value)};
      args.cell.test = *test;
      args.have_test = true;
    } else if (option == "--size") {
      args.cell.size = parse_int<std::size_t>("--size", value, 8, std::size_t{1} << 30);
      args.have_size = true;
    } else if (option == "--mode") {
      bool known = false;
      for (const auto& m : mechanism.modes)
        known = known || m == value;
      if (!known)
        throw UsageError{fmt::format("--mode: '{}' is not a mode of {}", value, mechanism.name)};
      args.cell.mode = std::string(value);
    } else if (option == "--producers") {
      args.cell.producers = parse_int<int>("--producers", value, 1, mechanism.max_producers);
    } else if (option == "--load") {
      const auto load = parse_load(value);
      if (!load) throw UsageError{fmt::format("--load: '{}' is not idle or busy-cpu", value)};
      args.cell.load = *load;
    } else if (option == "--duration-ms") {
      args.options.duration = std::chrono::milliseconds(parse_int<int>(option, value, 1, 600000));
    } else if (option == "--cpus") {
      args.options.cpus = parse_cpus(value);
    } else if (option == "--deadline-s") {
      args.options.deadline = std::chrono::seconds(parse_int<int>(option, value, 1, 86400));
    } else {
      throw UsageError{fmt::format("unknown option '{}'", option)};
    }
  }
  if (args.probe) return args;
  if (!args.have_test || !args.have_size)
    throw UsageError{"--test and --size are required (or --probe)"};
  bool can = false;
  for (auto t : mechanism.tests)
    can = can || t == args.cell.test;
  if (!can)
    throw UsageError{
        fmt::format("--test: {} does not measure {}", mechanism.name, test_name(args.cell.test))};
  return args;
}

std::string program_name(int argc, char** argv, const Mechanism& mechanism) {
  if (argc > 0 && argv[0] != nullptr) {
    const std::string_view path = argv[0];
    const auto slash = path.rfind('/');
    return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
  }
  return "ipckit-bench-" + mechanism.name;
}

bool print_line(const std::string& line) {
  return std::fputs(line.c_str(), stdout) >= 0 && std::fputc('\n', stdout) != EOF &&
         std::fflush(stdout) == 0;
}

}  // namespace

int peer_main(int argc, char** argv, const Mechanism& mechanism) {
  return peer_main(argc, argv, mechanism, {});
}

int peer_main(int argc, char** argv, const Mechanism& mechanism,
              const std::function<std::optional<std::string>()>& unavailable) {
  const std::string prog = program_name(argc, argv, mechanism);
  Arguments args;
  try {
    args = parse(argc, argv, mechanism);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "%s: %s\n", prog.c_str(), e.what.c_str());
    return kUsage;
  }
  const std::optional<std::string> missing = unavailable ? unavailable() : std::nullopt;
  if (args.probe && missing) {
    std::fprintf(stderr, "%s: %s\n", prog.c_str(), missing->c_str());
    return 1;
  }
  nlohmann::json out;
  if (args.probe) {
    std::vector<std::string> tests;
    for (auto t : mechanism.tests)
      tests.emplace_back(test_name(t));
    out = {{"name", mechanism.name},
           {"modes", mechanism.modes},
           {"tests", tests},
           {"max_producers", mechanism.max_producers},
           {"note", mechanism.note}};
    if (mechanism.max_size != 0) {
      out["max_size"] = mechanism.max_size;
      out["max_size_reason"] = mechanism.max_size_reason;
    }
  } else {
    RoundResult result;
    if (missing) {
      result.error = *missing;
    } else if (auto why = mechanism.cannot ? mechanism.cannot(args.cell) : std::nullopt; why) {
      result.error = "cannot: " + *why;
    } else if (!mechanism.run) {
      result.error = mechanism.name + " has no way to run a round";
    } else {
      result = mechanism.run(args.cell, args.options);
    }
    out = result;
  }
  if (!print_line(out.dump())) {
    std::fprintf(stderr, "%s: cannot write to stdout\n", prog.c_str());
    return 1;
  }
  return 0;
}

}  // namespace ipckit::bench
