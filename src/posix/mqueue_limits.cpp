#include "posix/mqueue_limits.hpp"

#include <dirent.h>
#include <fmt/core.h>
#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <string_view>
#include <utility>

#include "core/text_file.hpp"

namespace ipckit::posix {

namespace {

constexpr std::string_view kProcDir = "/proc/sys/fs/mqueue/";

Result<long> read_proc_long(std::string_view file) {
  const std::string path = std::string(kProcDir) + std::string(file);
  auto text = ipckit::detail::read_text_file(path);
  if (!text) return std::unexpected(std::move(text.error()));
  auto value = ipckit::detail::parse_first_i64(*text);
  if (!value) return fail(EINVAL, "read", path, "not a number");
  return static_cast<long>(*value);
}

// Open descriptors of this process, or -1 if /proc/self/fd cannot be read.
long open_descriptors() {
  DIR* d = ::opendir("/proc/self/fd");
  if (d == nullptr) return -1;
  long n = 0;
  while (const dirent* e = ::readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  ::closedir(d);
  return n - 1;  // the one opendir holds
}

std::string describe_rlimit(rlim_t value) {
  return value == RLIM_INFINITY ? std::string("unlimited") : fmt::format("{}", value);
}

std::string hard_limit_detail(const MqLimits& l) {
  if (l.max_messages > detail::kMqHardMsgMax) {
    return fmt::format(
        "max_messages {} exceeds the kernel's hard limit of {} (HARD_MSGMAX), which binds even "
        "with CAP_SYS_RESOURCE",
        l.max_messages, detail::kMqHardMsgMax);
  }
  if (l.message_size > detail::kMqHardMsgSizeMax) {
    return fmt::format(
        "message_size {} exceeds the kernel's hard limit of {} bytes (HARD_MSGSIZEMAX), which "
        "binds even with CAP_SYS_RESOURCE",
        l.message_size, detail::kMqHardMsgSizeMax);
  }
  return {};
}

std::string einval_detail(const MqLimits& l) {
  if (auto hard = hard_limit_detail(l); !hard.empty()) return hard;
  auto sys = mqueue_system_limits();
  if (!sys) return {};
  if (l.max_messages > sys->msg_max) {
    return fmt::format(
        "max_messages {} exceeds /proc/sys/fs/mqueue/msg_max ({}); only a process with "
        "CAP_SYS_RESOURCE may go beyond it",
        l.max_messages, sys->msg_max);
  }
  if (l.message_size > sys->msgsize_max) {
    return fmt::format(
        "message_size {} exceeds /proc/sys/fs/mqueue/msgsize_max ({}); only a process with "
        "CAP_SYS_RESOURCE may go beyond it",
        l.message_size, sys->msgsize_max);
  }
  return {};
}

std::string emfile_detail(const MqLimits& l) {
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY) {
    const long open = open_descriptors();
    if (open >= 0 && static_cast<rlim_t>(open) >= files.rlim_cur) {
      return fmt::format("{} descriptors are open, the limit RLIMIT_NOFILE ({}; see `ulimit -n`)",
                         open, describe_rlimit(files.rlim_cur));
    }
  }
  rlimit bytes{};
  if (::getrlimit(RLIMIT_MSGQUEUE, &bytes) != 0) return {};
  return fmt::format(
      "a queue of {} messages of {} bytes charges {} bytes to its user, whose queues would then "
      "exceed RLIMIT_MSGQUEUE ({} bytes; see `ulimit -q`)",
      l.max_messages, l.message_size, detail::mq_charged_bytes(l), describe_rlimit(bytes.rlim_cur));
}

}  // namespace

Result<MqSystemLimits> mqueue_system_limits() {
  MqSystemLimits out{};
  const std::pair<std::string_view, long*> fields[] = {
      {"msg_max", &out.msg_max},         {"msgsize_max", &out.msgsize_max},
      {"msg_default", &out.msg_default}, {"msgsize_default", &out.msgsize_default},
      {"queues_max", &out.queues_max},
  };
  for (const auto& [file, field] : fields) {
    auto v = read_proc_long(file);
    if (!v) return std::unexpected(std::move(v.error()));
    *field = *v;
  }
  return out;
}

namespace detail {

unsigned long long mq_charged_bytes(const MqLimits& limits) {
  // ipc/mqueue.c: maxmsg * sizeof(struct msg_msg) + min(maxmsg, MQ_PRIO_MAX) *
  // sizeof(struct posix_msg_tree_node) + maxmsg * msgsize; both structs are 48 bytes on x86-64.
  constexpr unsigned long long kMsgMsg = 48;
  constexpr unsigned long long kTreeNode = 48;
  const auto n = static_cast<unsigned long long>(std::max(limits.max_messages, 0L));
  const auto size = static_cast<unsigned long long>(std::max(limits.message_size, 0L));
  return n * kMsgMsg +
         std::min(n, static_cast<unsigned long long>(kMqPriorityMax) + 1) * kTreeNode + n * size;
}

Error mq_create_error(int code, const std::string& name, const std::optional<MqLimits>& limits) {
  MqLimits asked = limits.value_or(MqLimits{});
  if (!limits) {
    if (auto sys = mqueue_system_limits()) {
      asked = MqLimits{.max_messages = sys->msg_default, .message_size = sys->msgsize_default};
    }
  }
  std::string why;
  switch (code) {
    case EINVAL:
      if (limits) why = einval_detail(asked);
      break;
    case ENOSPC:
      if (auto sys = mqueue_system_limits()) {
        why = fmt::format(
            "this IPC namespace already has /proc/sys/fs/mqueue/queues_max ({}) queues; only a "
            "process with CAP_SYS_RESOURCE may create more",
            sys->queues_max);
      }
      break;
    case EMFILE:
      why = emfile_detail(asked);
      break;
    case ENOMEM:
      why = fmt::format("out of kernel memory for a queue of {} messages of {} bytes ({} bytes)",
                        asked.max_messages, asked.message_size, mq_charged_bytes(asked));
      break;
    default:
      break;
  }
  return Error(code, "mq_open", name, std::move(why));
}

}  // namespace detail

}  // namespace ipckit::posix
