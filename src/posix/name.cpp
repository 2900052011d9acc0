#include "ipckit/posix/name.hpp"

#include <fmt/core.h>

#include <cerrno>
#include <utility>

namespace ipckit::posix {

namespace {

std::string_view open_call(NameKind kind) {
  switch (kind) {
    case NameKind::kSharedMemory:
      return "shm_open";
    case NameKind::kSemaphore:
      return "sem_open";
    case NameKind::kMessageQueue:
      return "mq_open";
    case NameKind::kChannel:
      return "open channel";
    case NameKind::kSharedState:
      return "open shared state";
  }
  return "open";
}

std::string_view kind_name(NameKind kind) {
  switch (kind) {
    case NameKind::kSharedMemory:
      return "a shared memory object";
    case NameKind::kSemaphore:
      return "a named semaphore";
    case NameKind::kMessageQueue:
      return "a message queue";
    case NameKind::kChannel:
      return "a channel";
    case NameKind::kSharedState:
      return "a shared state";
  }
  return "a POSIX object";
}

}  // namespace

Result<std::string> check_name(std::string_view name, NameKind kind, std::string_view operation) {
  const auto bad = [&](int code, const std::string& why) {
    std::string shown;  // the name as given, with any NUL byte made visible
    for (const char c : name)
      shown += c == '\0' ? std::string_view("\\0") : std::string_view(&c, 1);
    return fail(code, std::string(operation.empty() ? open_call(kind) : operation),
                std::move(shown), "invalid name: " + why);
  };
  std::string_view base = name;
  if (!base.empty() && base.front() == '/') base.remove_prefix(1);
  if (base.empty()) return bad(EINVAL, "empty");
  if (base.find('/') != std::string_view::npos) {
    return bad(EINVAL, "'/' is allowed only as the first character");
  }
  if (base.find('\0') != std::string_view::npos) return bad(EINVAL, "contains a NUL byte");
  if (base == "." || base == "..") return bad(EINVAL, "'.' and '..' are reserved");
  if (const std::size_t max = max_name_length(kind); base.size() > max) {
    return bad(ENAMETOOLONG, fmt::format("{} bytes after the '/', at most {} for {}", base.size(),
                                         max, kind_name(kind)));
  }
  std::string out;
  out.reserve(base.size() + 1);
  out += '/';
  out += base;
  return out;
}

}  // namespace ipckit::posix
