#include "cli/output.hpp"

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

int report(const Error& e) {
  warn("{}", e.message());
  switch (e.code()) {
    case ETIMEDOUT:
      return kExitTimeout;
    case EPIPE:
    case ECONNRESET:
    case EOWNERDEAD:
      return kExitPeerGone;
    case ENOSYS:
    case EOPNOTSUPP:
      return kExitUnsupported;
    default:
      return kExitFailure;
  }
}

int finish_stdout(int code) {
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    warn("write error: {}", std::strerror(errno));
    return code == kExitOk ? kExitFailure : code;
  }
  return code;
}

}  // namespace ipckit::cli
