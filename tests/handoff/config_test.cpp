#include "ipckit/handoff/config.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "support/ipc_test_support.hpp"

namespace ipckit::handoff {
namespace {

using std::chrono::seconds;

Config parse_ok(std::string_view text, Config base = {}) {
  auto r = parse_config(text, "test.toml", std::move(base));
  EXPECT_TRUE(r) << text << "\n→ " << (r ? "" : r.error().message());
  return r ? *r : Config{};
}

// The error of parsing `text`: EINVAL, object "test.toml:LINE", and `what` in its detail.
void expect_error(std::string_view text, int line, std::string_view what) {
  auto r = parse_config(text, "test.toml");
  ASSERT_FALSE(r) << "parsed:\n" << text;
  EXPECT_EQ(r.error().code(), EINVAL);
  EXPECT_EQ(r.error().object(), "test.toml:" + std::to_string(line)) << r.error().message();
  EXPECT_NE(r.error().detail().find(what), std::string::npos)
      << "want \"" << what << "\" in: " << r.error().message();
}

net::Cidr cidr(std::string_view text) {
  return *net::Cidr::parse(text);
}
net::InetAddress inet(std::string_view text) {
  return *net::InetAddress::parse(text);
}

TEST(HandoffConfig, EmptyDocumentIsTheBase) {
  const Config c = parse_ok("");
  const Config d;
  EXPECT_TRUE(c.listen.empty());
  EXPECT_TRUE(c.control.is_unnamed());
  EXPECT_FALSE(c.control_mode.has_value());
  EXPECT_EQ(c.screening, d.screening);
  EXPECT_EQ(c.workers, d.workers);
  EXPECT_EQ(c.grace_period, Milliseconds(10'000));
  EXPECT_EQ(c.log_format, LogFormat::kLogfmt);
  EXPECT_EQ(c.log_level, LogLevel::kInfo);
}

TEST(HandoffConfig, EveryKey) {
  const Config c = parse_ok(R"(
listen = ["127.0.0.1:2525", "[::1]:2526"]
control = "/run/ipckit/handoff.sock"
control_mode = "0660"
grace_ms = 2500

[screen]
allow = ["10.0.0.0/8", "2001:db8::/32"]
deny = ["10.9.0.0/16"]
reject_line = "554 5.7.1 go away"
max_per_address = 4
rate = { connections = 30, per_seconds = 60 }

[screen.pregreet]
wait_ms = 6000
banner = "220-mx.example.net ESMTP"

[screen.cache]
ttl_seconds = 86400
max_entries = 5000

[workers]
allow_uids = [0, 1000]
allow_gids = [100]
dispatch = "round-robin"
max_in_flight = 8
ack_timeout_ms = 3000
busy_timeout_ms = 1500
busy_line = "421 4.3.2 busy, try later"

[log]
format = "json"
level = "warning"
)");
  ASSERT_EQ(c.listen.size(), 2U);
  EXPECT_EQ(c.listen[0], inet("127.0.0.1:2525"));
  EXPECT_EQ(c.listen[1], inet("[::1]:2526"));
  EXPECT_EQ(c.control, *uds::UnixAddress::parse("/run/ipckit/handoff.sock"));
  EXPECT_EQ(c.control_mode, mode_t{0660});
  EXPECT_EQ(c.grace_period, Milliseconds(2500));
  const Screening& s = c.screening;
  EXPECT_EQ(s.allow, (std::vector{cidr("10.0.0.0/8"), cidr("2001:db8::/32")}));
  EXPECT_EQ(s.deny, (std::vector{cidr("10.9.0.0/16")}));
  EXPECT_EQ(s.reject_line, "554 5.7.1 go away");
  EXPECT_EQ(s.max_per_address, 4U);
  EXPECT_EQ(s.rate_connections, 30U);
  EXPECT_EQ(s.rate_period, Milliseconds(60'000));
  EXPECT_EQ(s.pregreet_wait, Milliseconds(6000));
  EXPECT_EQ(s.banner, "220-mx.example.net ESMTP");
  EXPECT_EQ(s.cache_ttl, seconds(86400));
  EXPECT_EQ(s.cache_max_entries, 5000U);
  const WorkerRules& w = c.workers;
  EXPECT_EQ(w.policy, uds::AccessPolicy::only({0, 1000}, {100}));
  EXPECT_EQ(w.dispatch, DispatchPolicy::kRoundRobin);
  EXPECT_EQ(w.max_in_flight, 8U);
  EXPECT_EQ(w.ack_timeout, Milliseconds(3000));
  EXPECT_EQ(w.busy_timeout, Milliseconds(1500));
  EXPECT_EQ(w.busy_line, "421 4.3.2 busy, try later");
  EXPECT_EQ(c.log_format, LogFormat::kJson);
  EXPECT_EQ(c.log_level, LogLevel::kWarning);
  EXPECT_TRUE(validate(c, false)) << validate(c, false).error().message();
}

TEST(HandoffConfig, OtherSpellings) {
  // An abstract control name, an octal integer mode, a table header for rate, one of two id lists.
  const Config c = parse_ok(R"(
control = "@handoff"
[screen.rate]
connections = 5
per_seconds = 1
[workers]
allow_gids = [4]
dispatch = "least-busy"
[log]
level = "debug"
format = "logfmt"
)");
  EXPECT_TRUE(c.control.is_abstract());
  EXPECT_EQ(c.screening.rate_connections, 5U);
  EXPECT_EQ(c.screening.rate_period, Milliseconds(1000));
  EXPECT_EQ(c.workers.policy, uds::AccessPolicy::only({}, {4}));
  EXPECT_EQ(c.workers.dispatch, DispatchPolicy::kLeastBusy);
  EXPECT_EQ(c.log_level, LogLevel::kDebug);
  EXPECT_EQ(parse_ok("control_mode = 0o640").control_mode, mode_t{0640});
  EXPECT_EQ(parse_ok("control_mode = \"600\"").control_mode, mode_t{0600});
  EXPECT_EQ(parse_ok("[log]\nlevel = \"error\"").log_level, LogLevel::kError);
}

TEST(HandoffConfig, OverlaysBase) {
  Config base;
  base.listen = {inet("127.0.0.1:25")};
  base.control = *uds::UnixAddress::parse("@base");
  base.screening.deny = {cidr("192.0.2.0/24")};
  base.screening.banner = "220-base";
  base.workers.max_in_flight = 3;
  base.workers.policy = uds::AccessPolicy::only({7});
  base.grace_period = Milliseconds(1);

  const Config c = parse_ok(R"(
grace_ms = 99
[screen]
deny = ["198.51.100.0/24", "203.0.113.7"]
[workers]
busy_line = "busy"
)",
                            base);
  // Absent keys keep base's values; an array given replaces base's array.
  EXPECT_EQ(c.listen, base.listen);
  EXPECT_EQ(c.control, base.control);
  EXPECT_EQ(c.screening.deny, (std::vector{cidr("198.51.100.0/24"), cidr("203.0.113.7/32")}));
  EXPECT_EQ(c.screening.banner, "220-base");
  EXPECT_EQ(c.workers.max_in_flight, 3U);
  EXPECT_EQ(c.workers.policy, uds::AccessPolicy::only({7}));
  EXPECT_EQ(c.workers.busy_line, "busy");
  EXPECT_EQ(c.grace_period, Milliseconds(99));
  // An empty array is a value too: it clears base's list.
  EXPECT_TRUE(parse_ok("[screen]\ndeny = []", base).screening.deny.empty());
}

TEST(HandoffConfig, UnknownKeysNameTheirLine) {
  expect_error("\n\nlisen = [\"127.0.0.1:25\"]\n", 3, "unknown key 'lisen'");
  expect_error("[screen]\nallow = []\n\nalow = []\n", 4, "unknown key 'screen.alow'");
  expect_error("[screen.rate]\nconnections = 1\nper_second = 5\n", 3,
               "unknown key 'screen.rate.per_second'");
  expect_error("[screen.pregreet]\nwait = 5\n", 2, "unknown key 'screen.pregreet.wait'");
  expect_error("[screen.cache]\nttl = 5\n", 2, "unknown key 'screen.cache.ttl'");
  expect_error("[workers]\ndispatch = \"round-robin\"\nallow_users = [1]\n", 3,
               "unknown key 'workers.allow_users'");
  expect_error("[log]\nfile = \"x\"\n", 2, "unknown key 'log.file'");
  expect_error("[logging]\nlevel = \"info\"\n", 1, "unknown key 'logging'");
}

TEST(HandoffConfig, EarliestProblemWins) {
  // toml++ keeps keys sorted; the report follows the file's order.
  expect_error("zzz = 1\naaa = 2\n", 1, "unknown key 'zzz'");
  expect_error("[workers]\nmax_in_flight = 0\n[screen]\nallow = [\"x\"]\n", 2,
               "'workers.max_in_flight' must be an integer from 1 to 4294967295");
}

TEST(HandoffConfig, WrongTypesNameTheirLine) {
  expect_error("listen = \"127.0.0.1:25\"\n", 1, "'listen' must be an array of strings");
  expect_error("listen = [\"127.0.0.1:25\",\n  25]\n", 2, "'listen' must be an array of strings");
  expect_error("control = 5\n", 1, "'control' must be a string");
  expect_error("control = \"\"\n", 1, "'control' must not be empty");
  expect_error("control_mode = \"0999\"\n", 1, "'control_mode' must be an octal mode");
  expect_error("control_mode = 0o1777\n", 1, "'control_mode' must be an octal mode");
  expect_error("control_mode = 416\n", 1, "'control_mode' must be an octal mode");  // 0o640
  expect_error("control_mode = 0x1a0\n", 1, "'control_mode' must be an octal mode");
  expect_error("grace_ms = \"10\"\n", 1, "'grace_ms' must be an integer from 0 to 86400000");
  expect_error("grace_ms = -1\n", 1, "'grace_ms' must be an integer from 0 to 86400000");
  expect_error("grace_ms = 1.5\n", 1, "'grace_ms' must be an integer");
  expect_error("screen = 5\n", 1, "'screen' must be a table");
  expect_error("[screen]\nrate = 5\n", 2, "'screen.rate' must be a table");
  expect_error("[screen]\nrate = { connections = 1, per_seconds = 0 }\n", 2,
               "'screen.rate.per_seconds' must be an integer from 1 to 86400");
  expect_error("[screen]\nmax_per_address = 4294967296\n", 2,
               "'screen.max_per_address' must be an integer from 0 to 4294967295");
  expect_error("[screen]\nreject_line = true\n", 2, "'screen.reject_line' must be a string");
  expect_error("[screen]\nreject_line = \"a\\r\\nb\"\n", 2,
               "'screen.reject_line' must be one line (no CR, LF or NUL)");
  expect_error("[screen.pregreet]\nbanner = \"" + std::string(999, 'x') + "\"\n", 2,
               "'screen.pregreet.banner' must be at most 998 bytes");
  expect_error("[screen.pregreet]\nwait_ms = 86400001\n", 2, "'screen.pregreet.wait_ms' must");
  expect_error("[screen.cache]\nttl_seconds = 2592001\n", 2,
               "'screen.cache.ttl_seconds' must be an integer from 0 to 2592000");
  expect_error("[screen.cache]\nmax_entries = 0\n", 2, "'screen.cache.max_entries' must");
  expect_error("[workers]\nallow_uids = [1, \"root\"]\n", 2,
               "'workers.allow_uids' must be an array of ids");
  expect_error("[workers]\nallow_gids = [4294967295]\n", 2, "'workers.allow_gids' must be");
  expect_error("[workers]\nallow_uids = 0\n", 2, "'workers.allow_uids' must be an array of ids");
  expect_error("[workers]\ndispatch = \"random\"\n", 2,
               "'workers.dispatch' must be \"least-busy\" or \"round-robin\", not 'random'");
  expect_error("[workers]\nack_timeout_ms = 0\n", 2, "'workers.ack_timeout_ms' must be");
  expect_error("[workers]\nbusy_timeout_ms = []\n", 2, "'workers.busy_timeout_ms' must be");
  expect_error("[workers]\nbusy_line = \"a\\u0000b\"\n", 2, "'workers.busy_line' must be one line");
  expect_error("[log]\nformat = \"xml\"\n", 2, "'log.format' must be \"logfmt\" or \"json\"");
  expect_error("[log]\nlevel = \"loud\"\n", 2, "'log.level' must be \"debug\"");
}

TEST(HandoffConfig, BadAddressesNameTheirLine) {
  expect_error("[screen]\ndeny = [\n  \"10.0.0.0/8\",\n  \"10.0.0.1/8\",\n]\n", 4,
               "'screen.deny': bad CIDR '10.0.0.1/8': host bits set");
  expect_error("[screen]\nallow = [\"10.0.0.0/33\"]\n", 2,
               "'screen.allow': bad CIDR '10.0.0.0/33': prefix must be 0-32");
  expect_error("[screen]\nallow = [\"example.com\"]\n", 2, "bad CIDR 'example.com'");
  expect_error("listen = [\"localhost:25\"]\n", 1, "'listen': bad address 'localhost:25'");
  expect_error("listen = [\"127.0.0.1\"]\n", 1, "'listen': bad address '127.0.0.1'");
  expect_error("control = \"@" + std::string(200, 'x') + "\"\n", 1, "'control': bad address");
}

TEST(HandoffConfig, SyntaxErrorsNameTheirLine) {
  expect_error("grace_ms = 1\n\n[screen\n", 3, "");
  expect_error("listen = [\"a\"\n", 1, "");
  expect_error("grace_ms = 1\ngrace_ms = 2\n", 2, "");  // a redefined key
  auto r = parse_config("x = = 1\n", "conf/handoff.toml");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().object(), "conf/handoff.toml:1");
  EXPECT_TRUE(r.error().detail().starts_with("syntax error in ")) << r.error().detail();
  EXPECT_EQ(r.error().message().find('\n'), std::string::npos) << r.error().message();
}

TEST(HandoffConfig, LoadConfigReadsAFileAndNamesIt) {
  char dir_template[] = "/tmp/ipckit-test-config-XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template;
  const std::string path = dir + "/handoff.toml";
  test::ScopeExit cleanup([&] {
    std::remove(path.c_str());
    ::rmdir(dir.c_str());
  });
  {
    std::FILE* f = std::fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("control = \"@x\"\n[workers]\nmax_in_flight = 2\nbogus = 1\n", f);
    std::fclose(f);
  }
  auto bad = load_config(path);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().object(), path + ":4");
  EXPECT_EQ(bad.error().detail(), "unknown key 'workers.bogus'");

  auto missing = load_config(dir + "/absent.toml");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ENOENT);
  EXPECT_EQ(missing.error().object(), dir + "/absent.toml");

  auto directory = load_config(dir);
  ASSERT_FALSE(directory);
  EXPECT_EQ(directory.error().code(), EISDIR);

  {
    std::FILE* f = std::fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("[workers]\nmax_in_flight = 2\n", f);
    std::fclose(f);
  }
  Config base;
  base.grace_period = Milliseconds(7);
  auto good = load_config(path, base);
  ASSERT_TRUE(good) << good.error().message();
  EXPECT_EQ(good->workers.max_in_flight, 2U);
  EXPECT_EQ(good->grace_period, Milliseconds(7));
}

Config valid() {
  Config c;
  c.listen = {inet("127.0.0.1:0")};
  c.control = *uds::UnixAddress::parse("@v");
  return c;
}

void expect_invalid(const Config& c, std::string_view field, std::string_view what,
                    bool activated = false) {
  auto r = validate(c, activated);
  ASSERT_FALSE(r) << "valid: " << field;
  EXPECT_EQ(r.error().code(), EINVAL);
  EXPECT_EQ(r.error().object(), field) << r.error().message();
  EXPECT_NE(r.error().detail().find(what), std::string::npos) << r.error().message();
}

TEST(HandoffConfig, Validate) {
  EXPECT_TRUE(validate(valid(), false));

  Config c = valid();
  c.control = uds::UnixAddress::unnamed();
  expect_invalid(c, "control", "no control socket address given");
  EXPECT_TRUE(validate(c, false, true));  // systemd passed a socket named "control"

  c = valid();
  c.listen.clear();
  expect_invalid(c, "listen", "nothing to listen on");
  EXPECT_TRUE(validate(c, true));  // systemd passed the listeners

  c = valid();
  c.listen = {inet("127.0.0.1:25"), inet("127.0.0.1:25")};
  expect_invalid(c, "listen", "'127.0.0.1:25' is listed twice");
  c.listen = {inet("127.0.0.1:0"), inet("127.0.0.1:0")};  // two free ports: fine
  EXPECT_TRUE(validate(c, false));

  c = valid();
  c.control_mode = 0660;
  expect_invalid(c, "control_mode", "only to a path");
  c.control = *uds::UnixAddress::parse("/run/x.sock");
  EXPECT_TRUE(validate(c, false));
  c.control_mode = 01777;
  expect_invalid(c, "control_mode", "must be from 0 to 511");

  c = valid();
  c.workers.max_in_flight = 0;
  expect_invalid(c, "workers.max_in_flight", "must be from 1 to 4294967295, not 0");
  c = valid();
  c.workers.ack_timeout = Milliseconds(0);
  expect_invalid(c, "workers.ack_timeout_ms", "must be from 1");
  c = valid();
  c.workers.busy_timeout = Milliseconds(kMaxMilliseconds + 1);
  expect_invalid(c, "workers.busy_timeout_ms", "must be from 0 to 86400000");
  c = valid();
  c.grace_period = Milliseconds(-1);
  expect_invalid(c, "grace_ms", "must be from 0");
  c = valid();
  c.screening.rate_period = Milliseconds(0);
  expect_invalid(c, "screen.rate.per_seconds", "must be from 1000");
  c = valid();
  c.screening.pregreet_wait = Milliseconds(kMaxMilliseconds + 1);
  expect_invalid(c, "screen.pregreet.wait_ms", "must be from 0");
  c = valid();
  c.screening.cache_ttl = seconds(kMaxCacheTtlSeconds + 1);
  expect_invalid(c, "screen.cache.ttl_seconds", "must be from 0");
  c = valid();
  c.screening.cache_max_entries = 0;
  expect_invalid(c, "screen.cache.max_entries", "must be from 1");
  c = valid();
  c.screening.banner = "220-a\r\n220-b";
  expect_invalid(c, "screen.pregreet.banner", "one line");
  c = valid();
  c.screening.reject_line = std::string(999, 'x');
  expect_invalid(c, "screen.reject_line", "at most 998 bytes");
  c = valid();
  c.workers.busy_line = "a\nb";
  expect_invalid(c, "workers.busy_line", "one line");
  c = valid();
  c.workers.policy = uds::AccessPolicy::only({});
  expect_invalid(c, "workers.allow_uids", "no uid or gid may register");
  c.workers.policy = uds::AccessPolicy::anyone();
  EXPECT_TRUE(validate(c, false));
}

TEST(HandoffConfig, Words) {
  EXPECT_EQ(to_string(DispatchPolicy::kRoundRobin), "round-robin");
  EXPECT_EQ(to_string(DispatchPolicy::kLeastBusy), "least-busy");
  EXPECT_EQ(parse_dispatch_policy("round-robin"), DispatchPolicy::kRoundRobin);
  EXPECT_EQ(parse_dispatch_policy("least-busy"), DispatchPolicy::kLeastBusy);
  EXPECT_EQ(parse_dispatch_policy("Least-Busy"), std::nullopt);
  EXPECT_EQ(parse_log_format("json"), LogFormat::kJson);
  EXPECT_EQ(parse_log_format("logfmt"), LogFormat::kLogfmt);
  EXPECT_EQ(parse_log_format(""), std::nullopt);
  EXPECT_EQ(parse_log_level("warning"), LogLevel::kWarning);
  EXPECT_EQ(parse_log_level("warn"), std::nullopt);
}

}  // namespace
}  // namespace ipckit::handoff
