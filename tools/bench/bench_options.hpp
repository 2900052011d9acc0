// The command line of `ipckit bench` (docs/bench.md "Options"): what was typed (BenchArgs) and
// what it means once checked (Settings). validate() is pure: it checks every value before the
// command measures or writes anything, so a bad command line leaves nothing behind.
#pragma once

#include <chrono>
#include <cstddef>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "harness/round.hpp"
#include "ipckit/core/error.hpp"

namespace ipckit::bench {

// The options as typed (nullopt: not given).
struct BenchArgs {
  std::optional<std::string> only;      // --only NAME[:MODE],...
  std::optional<std::string> sizes;     // --sizes SIZE,...
  std::optional<std::string> rounds;    // --rounds N
  std::optional<std::string> duration;  // --duration SECONDS
  bool quick = false;
  bool no_pin = false;
  bool json = false;
  bool csv = false;
  bool list = false;
  bool progress = false;
  std::string plot;  // --plot FILE.svg
  std::string html;  // --html FILE.html
};

enum class Output { kTable, kJson, kCsv };

// One --only entry: a mechanism, and one of its modes or every mode.
struct Selection {
  std::string mechanism;
  std::optional<std::string> mode;
};

struct Settings {
  std::vector<Selection> only;     // empty: every mechanism
  std::vector<std::size_t> sizes;  // empty: the default sizes of each test
  int rounds = 5;
  std::chrono::milliseconds duration{200};
  bool quick = false;  // 64 B only, no scaling rows (unless --sizes says otherwise)
  bool pin = true;
  Output output = Output::kTable;
  bool list = false;
  bool progress = false;  // forced on (--progress); otherwise on when stderr is a terminal
  std::string plot, html;
};

// Bounds of the options (docs/bench.md).
inline constexpr std::size_t kMinSize = 8;  // the message stamp needs 8 bytes
inline constexpr std::size_t kMaxSize = std::size_t{64} * 1024 * 1024;  // 64 MiB
inline constexpr int kMaxRounds = 1000;
inline constexpr std::chrono::milliseconds kMaxDuration{60'000};

// What a mechanism name may be: its modes, or why it is unavailable here (a peer whose harness
// was not found), for --only.
struct KnownMechanism {
  std::string name;
  std::vector<std::string> modes;
  std::string unavailable;  // non-empty: named but cannot run here ("not installed: ...")
};

// Checks `args`. Returns the settings, or the one-line reason for the first bad value, worded
// "--sizes: invalid size '1Q' (bytes, 8 to 64M)" (the caller prefixes "ipckit: bench: ").
[[nodiscard]] std::expected<Settings, std::string> validate(const BenchArgs& args,
                                                            std::span<const KnownMechanism> known);

}  // namespace ipckit::bench
