// Internal: why mq_open(O_CREAT) failed, in words that name the limit. Not installed.
#pragma once

#include <optional>
#include <string>

#include "ipckit/core/error.hpp"
#include "ipckit/posix/mqueue.hpp"

namespace ipckit::posix::detail {

// The kernel's ceilings for CAP_SYS_RESOURCE callers (HARD_MSGMAX, HARD_MSGSIZEMAX).
inline constexpr long kMqHardMsgMax = 65536;
inline constexpr long kMqHardMsgSizeMax = 16L * 1024 * 1024;

// The Error for an mq_open(O_CREAT) of `name` (normalised) that failed with errno `code`. For
// EINVAL, ENOSPC, EMFILE and ENOMEM the detail names the limit that was hit and its value, read
// now from /proc/sys/fs/mqueue and getrlimit(2); `limits` is what was asked (nullopt: defaults).
// Other codes, and codes no limit explains, keep strerror's text.
[[nodiscard]] Error mq_create_error(int code, const std::string& name,
                                    const std::optional<MqLimits>& limits);

// The bytes of RLIMIT_MSGQUEUE a queue of these limits charges to its owner, as the kernel
// counts them (message space plus per-message bookkeeping; the bookkeeping sizes are x86-64's).
[[nodiscard]] unsigned long long mq_charged_bytes(const MqLimits& limits);

}  // namespace ipckit::posix::detail
