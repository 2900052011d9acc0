// find_peers() and peer_mechanism() (peers.hpp): finding the peer harnesses, probing them, and
// running one round per harness process.
//
// A harness process is trusted for nothing: whatever it prints that is not one RoundResult JSON
// line, a non-zero exit, a signal, or a run past the deadline makes the round's error, never a
// number. At the deadline the harness gets SIGTERM (its round's processes die with it through
// PR_SET_PDEATHSIG, and an iceoryx harness's RouDi shuts down cleanly), then, if it is still
// there after a grace period, SIGKILL for its whole process group.
#include "harness/peers.hpp"

#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <expected>
#include <optional>
#include <string_view>

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ipckit/core/error.hpp"

namespace ipckit::bench {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct KnownPeer {
  const char* name;
  const char* package;  // the Debian package its harness is built against
};
constexpr std::array<KnownPeer, 4> kKnownPeers{{{"iceoryx", "libiceoryx-posh-dev"},
                                                {"boost-mq", "libboost-dev"},
                                                {"zmq", "libzmq3-dev"},
                                                {"nng", "libnng-dev"}}};
// How long a probe may take; a round gets its own deadline plus this much (RouDi start, exec).
constexpr std::chrono::seconds kProbeDeadline{10};
constexpr std::chrono::seconds kRoundGrace{10};
constexpr std::chrono::seconds kKillGrace{5};

struct Outcome {
  std::string out, err;
  int status = 0;  // waitpid status, valid when !timed_out
  bool timed_out = false;
};

// Runs `program args...` with stdin from /dev/null, collecting stdout and stderr, until it exits
// or `deadline` passes (then SIGTERM, SIGKILL for its group after kKillGrace).
Result<Outcome> run_program(const std::filesystem::path& program,
                            const std::vector<std::string>& args, std::chrono::seconds deadline) {
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return fail_errno("pipe2", program.string());
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    return fail_errno("pipe2", program.string());
  }
  std::vector<std::string> argv_storage{program.string()};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage)
    argv.push_back(a.data());
  argv.push_back(nullptr);

  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]})
      ::close(fd);
    return fail_errno("fork", program.string());
  }
  if (pid == 0) {  // only async-signal-safe calls until exec
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);
    int null = ::open("/dev/null", O_RDONLY);
    if (null < 0 || ::dup2(null, 0) < 0 || ::dup2(out_pipe[1], 1) < 0 || ::dup2(err_pipe[1], 2) < 0)
      ::_exit(127);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);

  Outcome outcome;
  std::array<pollfd, 2> fds{{{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}}};
  std::array<std::string*, 2> sinks{&outcome.out, &outcome.err};
  const auto until = Clock::now() + deadline;
  bool exited = false, terminated = false, killed = false;
  auto term_at = until;
  for (;;) {
    if (!exited) {
      const pid_t r = ::waitpid(pid, &outcome.status, WNOHANG);
      if (r == pid) exited = true;
    }
    const bool open_pipes = fds[0].fd >= 0 || fds[1].fd >= 0;
    // Done when the harness exited and its pipes are drained (or held open by an orphan).
    if (exited && !open_pipes) break;
    const auto now = Clock::now();
    if (!exited && now >= until && !terminated) {
      outcome.timed_out = terminated = true;
      ::kill(pid, SIGTERM);  // our unreaped child
      term_at = now;
    }
    if (!exited && terminated && !killed && now >= term_at + kKillGrace) {
      killed = true;
      ::kill(-pid, SIGKILL);  // its process group (setpgid above)
    }
    if (::poll(fds.data(), fds.size(), 10) < 0 && errno != EINTR) break;
    bool read_any = false;
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buffer[4096];
      const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        if (sinks[i]->size() < (std::size_t{1} << 20)) sinks[i]->append(buffer, std::size_t(n));
        read_any = true;
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
      }
    }
    // An exited harness whose pipes stay open (a grandchild holds them) with nothing to read.
    if (exited && !read_any) break;
  }
  for (auto& fd : fds)
    if (fd.fd >= 0) ::close(fd.fd);
  return outcome;
}

std::string last_line(const std::string& text) {
  std::string_view view(text);
  while (!view.empty() && (view.back() == '\n' || view.back() == '\r'))
    view.remove_suffix(1);
  const auto newline = view.rfind('\n');
  return std::string(newline == std::string_view::npos ? view : view.substr(newline + 1));
}

std::string quoted_excerpt(const std::string& text) {
  std::string line = last_line(text);
  if (line.size() > 80) line = line.substr(0, 77) + "...";
  return "'" + line + "'";
}

// Why a harness run that did not exit 0 failed, in one line.
std::string exit_reason(const std::string& program_name, const Outcome& outcome,
                        std::chrono::seconds deadline) {
  if (outcome.timed_out)
    return program_name + " timed out after " + std::to_string(deadline.count()) + " s";
  std::string why =
      WIFSIGNALED(outcome.status)
          ? program_name + " killed by signal " + std::to_string(WTERMSIG(outcome.status))
          : program_name + " exited with status " + std::to_string(WEXITSTATUS(outcome.status));
  if (std::string err = last_line(outcome.err); !err.empty()) why += ": " + err;
  return why;
}

struct Probe {
  std::string name;
  std::vector<std::string> modes;
  std::vector<Test> tests;
  int max_producers = 1;
  std::string note;
  std::size_t max_size = 0;  // 0: no limit reported
  std::string max_size_reason;
};

// `program --probe`: the peer's description, or one line saying why it cannot run here.
std::expected<Probe, std::string> probe(const std::filesystem::path& program,
                                        const std::string& expected_name) {
  const std::string program_name = program.filename().string();
  auto outcome = run_program(program, {"--probe"}, kProbeDeadline);
  if (!outcome) return std::unexpected(outcome.error().message());
  if (outcome->timed_out || !WIFEXITED(outcome->status) || WEXITSTATUS(outcome->status) != 0)
    return std::unexpected(exit_reason(program_name, *outcome, kProbeDeadline));
  Probe p;
  try {
    const auto j = nlohmann::json::parse(last_line(outcome->out));
    j.at("name").get_to(p.name);
    j.at("modes").get_to(p.modes);
    for (const auto& t : j.at("tests")) {
      auto test = parse_test(t.get<std::string>());
      if (!test) return std::unexpected(program_name + " --probe: unknown test " + t.dump());
      p.tests.push_back(*test);
    }
    if (auto it = j.find("max_producers"); it != j.end()) it->get_to(p.max_producers);
    if (auto it = j.find("note"); it != j.end()) it->get_to(p.note);
    if (auto it = j.find("max_size"); it != j.end()) it->get_to(p.max_size);
    if (auto it = j.find("max_size_reason"); it != j.end()) it->get_to(p.max_size_reason);
  } catch (const nlohmann::json::exception&) {
    return std::unexpected(program_name +
                           " --probe printed no description: " + quoted_excerpt(outcome->out));
  }
  if (p.name != expected_name)
    return std::unexpected(program_name + " --probe says it is '" + p.name + "'");
  if (p.modes.empty() || p.tests.empty())
    return std::unexpected(program_name + " --probe lists no modes or no tests");
  return p;
}

std::vector<std::string> round_arguments(const Cell& cell, const RoundOptions& options) {
  std::vector<std::string> args{"--test",        std::string(test_name(cell.test)),
                                "--size",        std::to_string(cell.size),
                                "--mode",        cell.mode,
                                "--producers",   std::to_string(cell.producers),
                                "--load",        std::string(load_name(cell.load)),
                                "--duration-ms", std::to_string(options.duration.count()),
                                "--deadline-s",  std::to_string(options.deadline.count())};
  args.push_back("--cpus");
  args.push_back(options.cpus ? std::to_string(options.cpus->first) + "," +
                                    std::to_string(options.cpus->second)
                              : std::string("none"));
  return args;
}

RoundResult failed(std::string why) {
  RoundResult r;
  r.error = std::move(why);
  return r;
}

RoundResult run_peer_round(const std::filesystem::path& program, const Cell& cell,
                           const RoundOptions& options) {
  const std::string program_name = program.filename().string();
  const auto deadline = options.deadline + kRoundGrace;
  auto outcome = run_program(program, round_arguments(cell, options), deadline);
  if (!outcome) return failed(outcome.error().message());
  if (outcome->timed_out || !WIFEXITED(outcome->status) || WEXITSTATUS(outcome->status) != 0)
    return failed(exit_reason(program_name, *outcome, deadline));
  RoundResult result;
  try {
    nlohmann::json::parse(last_line(outcome->out)).get_to(result);
  } catch (const nlohmann::json::exception&) {
    return failed(program_name + " printed no result: " + quoted_excerpt(outcome->out));
  }
  return result;
}

std::optional<std::filesystem::path> own_directory() {
  std::error_code error;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) return std::nullopt;
  return exe.parent_path();
}

}  // namespace

std::vector<std::filesystem::path> peer_directories() {
  std::vector<std::filesystem::path> dirs;
  if (const char* env = std::getenv("IPCKIT_BENCH_PEERS"); env && *env) dirs.emplace_back(env);
  if (auto own = own_directory()) dirs.push_back(*own / ".." / "libexec" / "ipckit");
#ifdef IPCKIT_BENCH_PEERS_BUILD_DIR
  dirs.emplace_back(IPCKIT_BENCH_PEERS_BUILD_DIR);
#endif
  return dirs;
}

std::vector<PeerStatus> find_peers_in(const std::vector<std::filesystem::path>& dirs) {
  std::vector<PeerStatus> peers;
  for (const auto& known : kKnownPeers) {
    PeerStatus status;
    status.name = known.name;
    const std::string program_name = std::string("ipckit-bench-") + known.name;
    for (const auto& dir : dirs) {
      const auto candidate = dir / program_name;
      if (::access(candidate.c_str(), X_OK) == 0) {
        status.program = candidate.lexically_normal();
        break;
      }
    }
    if (status.program.empty()) {
      status.why_missing =
          program_name + " not installed: built only when " + known.package + " is found";
    } else if (auto p = probe(status.program, known.name); !p) {
      status.why_missing = p.error();
    } else {
      status.found = true;
    }
    peers.push_back(std::move(status));
  }
  return peers;
}

std::vector<PeerStatus> find_peers() {
  return find_peers_in(peer_directories());
}

Mechanism peer_mechanism(const PeerStatus& status) {
  Mechanism m;
  m.name = status.name;
  m.modes = {"default"};
  m.tests = {Test::kLatency, Test::kThroughput};
  std::string unusable = status.found ? "" : status.why_missing;
  if (status.found) {
    if (auto p = probe(status.program, status.name)) {
      m.modes = p->modes;
      m.tests = p->tests;
      m.max_producers = p->max_producers;
      m.note = p->note;
      m.max_size = p->max_size;
      m.max_size_reason = p->max_size_reason;
    } else {
      unusable = p.error();
    }
  }
  // Marked at plan time, as the built-in mechanisms' rows are, not run to fail.
  m.cannot = [max = m.max_size, why = m.max_size_reason](const Cell& cell) {
    std::optional<std::string> reason;
    if (max != 0 && cell.size > max)
      reason = fmt::format("messages above {} bytes{}", max, why.empty() ? "" : " (" + why + ")");
    return reason;
  };
  m.run = [program = status.program, unusable](const Cell& cell, const RoundOptions& options) {
    if (!unusable.empty()) return failed(unusable);
    return run_peer_round(program, cell, options);
  };
  return m;
}

}  // namespace ipckit::bench
