#include "cli/report.hpp"

#include <fmt/core.h>

#include <cerrno>
#include <cstdio>

#include "cli/exit_codes.hpp"
#include "cli/output.hpp"

namespace ipckit::cli {

int exit_code_for(const Error& e) noexcept {
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

int report(const Error& e) {
  warn("{}", e.message());
  return exit_code_for(e);
}

int report(std::string_view prefix, const Error& e) {
  std::string operation =
      e.operation().empty() ? std::string(prefix) : fmt::format("{}: {}", prefix, e.operation());
  return report(Error(e.code(), std::move(operation), e.object(), e.detail()));
}

Error explain_id_error(const Error& e, std::string_view what) {
  if (e.code() != EINVAL && e.code() != EIDRM) return e;
  return e.with_detail(fmt::format("no {} has this id (it was removed, or never existed)", what));
}

void print_try_help(std::string_view command) {
  const std::string line = fmt::format("Try '{} --help' for more information.\n", command);
  (void)std::fwrite(line.data(), 1, line.size(), stderr);
}

int usage_error(std::string_view command, std::string_view message) {
  warn("{}", message);
  print_try_help(command);
  return kExitFailure;
}

}  // namespace ipckit::cli
