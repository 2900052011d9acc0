#include "cli/usage.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli/exit_codes.hpp"

namespace ipckit::cli {
namespace {

// CLI11's own wordings, as its exceptions carry them, and ipckit's rewrite of each.
TEST(CliUsage, RewritesEveryParserWordingIntoOneStyle) {
  EXPECT_EQ(usage_message(CLI::RequiredError("NAME")), "missing NAME");
  EXPECT_EQ(usage_message(CLI::RequiredError::Subcommand(1)), "missing command");
  EXPECT_EQ(usage_message(CLI::ConversionError("--value", std::vector<std::string>{"-1"})),
            "--value: invalid value '-1'");
  EXPECT_EQ(usage_message(CLI::ExtrasError({"--bogus"})), "unrecognized option '--bogus'");
  // As typed: CLI11 2.1's own message lists them in reverse ("b a").
  EXPECT_EQ(usage_message(CLI::ExtrasError({"a", "b"})), "unexpected arguments 'a' 'b'");
  EXPECT_EQ(usage_message(CLI::ExtrasError({"x"})), "unexpected argument 'x'");
  EXPECT_EQ(usage_message(CLI::ExcludesError("--timeout", "--nonblock")),
            "--timeout and --nonblock exclude each other");
  EXPECT_EQ(usage_message(CLI::RequiresError("--yes", "--stale")), "--yes needs --stale");
  EXPECT_EQ(usage_message(CLI::ArgumentMismatch::TypedAtLeast("--count", 1, "UINT")),
            "--count: missing value");
  std::string minus_one = "-1";
  const std::string range = CLI::NonNegativeNumber(minus_one);  // the largest double, in full
  EXPECT_EQ(usage_message(CLI::ValidationError("--timeout", range)),
            "--timeout: '-1' not in range 0 to 1.79769e+308");
  EXPECT_EQ(usage_message(CLI::ValidationError("--type", "bad not in {stream,dgram}")),
            "--type: invalid value 'bad' (one of: stream,dgram)");
}

TEST(CliUsage, KeepsOurOwnValidatorMessagesAndMakesEveryMessageOneLine) {
  EXPECT_EQ(usage_message(CLI::ValidationError("--capacity", "invalid size '1Q'")),
            "--capacity: invalid size '1Q'");
  EXPECT_EQ(usage_message(CLI::ConversionError("--value", std::vector<std::string>{"a\nb"})),
            "--value: invalid value 'a\\nb'");
  const std::string m = usage_message(CLI::ExtrasError({"x\ny"}));
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
}

TEST(CliUsage, CommandPathIsTheDeepestSubcommandReached) {
  CLI::App app{"test", "ipckit"};
  auto* chan = app.add_subcommand("chan");
  auto* recv = chan->add_subcommand("recv");
  std::string name;
  recv->add_option("NAME", name)->required();
  EXPECT_THROW(app.parse(std::vector<std::string>{"recv", "chan"}), CLI::RequiredError);
  EXPECT_EQ(command_path(app), "ipckit chan recv");
}

TEST(CliUsage, UsageExitCodeIsTheDeepestParsedCommandsOwn) {
  CLI::App app{"test", "ipckit"};
  auto* daemon = app.add_subcommand("daemon");
  auto* serve = daemon->add_subcommand("serve");
  std::string flag;
  serve->add_option("--flag", flag)->required();
  auto* chan = app.add_subcommand("chan");
  chan->add_option("NAME", flag)->required();
  set_usage_exit_code(*daemon, kExitDaemonUsage);  // the whole family, its verbs included

  EXPECT_THROW(app.parse(std::vector<std::string>{"serve", "daemon"}), CLI::RequiredError);
  EXPECT_EQ(usage_exit_code(app), kExitDaemonUsage);

  CLI::App other{"test", "ipckit"};
  other.add_subcommand("chan")->add_option("NAME", flag)->required();
  EXPECT_THROW(other.parse(std::vector<std::string>{"chan"}), CLI::RequiredError);
  EXPECT_EQ(usage_exit_code(other), kExitFailure);
  EXPECT_THROW(other.parse(std::vector<std::string>{"--bogus"}), CLI::ParseError);
  EXPECT_EQ(usage_exit_code(other), kExitFailure);
}

}  // namespace
}  // namespace ipckit::cli
