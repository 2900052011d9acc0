#include "cli/output.hpp"

#include <signal.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "cli/exit_codes.hpp"

namespace ipckit::cli {

namespace {
std::string& name_storage() {
  static std::string name = "ipckit";
  return name;
}
}  // namespace

std::string_view program_name() {
  return name_storage();
}

void set_program_name(std::string_view argv0) {
  auto slash = argv0.rfind('/');
  name_storage() = std::string(slash == std::string_view::npos ? argv0 : argv0.substr(slash + 1));
}

namespace {
// errno of the first failed write_text() to stdout, for finish_stdout()'s message.
int& first_stdout_errno() {
  static int error = 0;
  return error;
}
}  // namespace

void write_text(std::FILE* stream, std::string_view text) noexcept {
  if (std::fwrite(text.data(), 1, text.size(), stream) < text.size() && stream == stdout &&
      first_stdout_errno() == 0)
    first_stdout_errno() = errno;
}

namespace {
struct sigaction& inherited_sigpipe() {
  static struct sigaction action {};
  return action;
}
bool& sigpipe_saved() {
  static bool saved = false;
  return saved;
}
}  // namespace

void ignore_sigpipe() noexcept {
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  sigpipe_saved() = ::sigaction(SIGPIPE, &ignore, &inherited_sigpipe()) == 0;
}

void restore_sigpipe() noexcept {
  if (sigpipe_saved()) (void)::sigaction(SIGPIPE, &inherited_sigpipe(), nullptr);
  sigpipe_saved() = false;
}

int finish_stdout(int code, int write_errno) {
  errno = 0;
  const bool failed_before = std::ferror(stdout) != 0;
  const bool flush_failed = std::fflush(stdout) != 0;
  if (!failed_before && !flush_failed) return code;
  int error = flush_failed ? errno : write_errno;
  if (flush_failed && error == EBADF && !failed_before) return code;  // no stdout at all
  if (error == 0) error = write_errno != 0 ? write_errno : first_stdout_errno();
  if (error != 0)
    warn("write error: {}", std::strerror(error));
  else
    warn("write error");
  if (code != kExitOk) return code;
  return error == EPIPE ? kExitPeerGone : kExitFailure;
}

}  // namespace ipckit::cli
