#include "ipckit/posix/mqueue.hpp"

#include <fcntl.h>
#include <fmt/core.h>
#include <mqueue.h>
#include <signal.h>
#include <sys/stat.h>

#include <cerrno>
#include <ctime>
#include <limits>
#include <utility>

#include "core/deadline.hpp"
#include "core/syscall.hpp"
#include "ipckit/posix/name.hpp"
#include "posix/mqueue_limits.hpp"
#include "posix/mqueue_notify.hpp"
#include "posix/unlink_if_failed.hpp"

namespace ipckit::posix {

namespace {

using std::chrono::nanoseconds;

constexpr mode_t kPermissionBits = 0777;
// How often create(kNo) retries when the name vanishes between O_EXCL and the plain open.
constexpr int kCreateAttempts = 64;
constexpr long kNanosPerSecond = 1'000'000'000;

int open_flags(MqAccess access, MqBlocking blocking) {
  int flags = O_CLOEXEC;  // the kernel makes every mq descriptor close-on-exec anyway
  switch (access) {
    case MqAccess::kReadOnly:
      flags |= O_RDONLY;
      break;
    case MqAccess::kWriteOnly:
      flags |= O_WRONLY;
      break;
    case MqAccess::kReadWrite:
      flags |= O_RDWR;
      break;
  }
  if (blocking == MqBlocking::kNonBlock) flags |= O_NONBLOCK;
  return flags;
}

// The absolute CLOCK_REALTIME time `d` from now, saturated instead of overflowing.
timespec realtime_after(nanoseconds d) {
  timespec t{};
  ::clock_gettime(CLOCK_REALTIME, &t);
  const long long secs = d.count() / kNanosPerSecond;
  if (secs >= std::numeric_limits<time_t>::max() - t.tv_sec - 1) {
    return {std::numeric_limits<time_t>::max(), kNanosPerSecond - 1};
  }
  t.tv_sec += static_cast<time_t>(secs);
  t.tv_nsec += static_cast<long>(d.count() % kNanosPerSecond);
  if (t.tv_nsec >= kNanosPerSecond) {
    t.tv_sec += 1;
    t.tv_nsec -= kNanosPerSecond;
  }
  return t;
}

// A system_clock time point as a timespec; before the epoch it is the epoch (already past).
timespec to_timespec(std::chrono::system_clock::time_point tp) {
  const auto ns = std::chrono::duration_cast<nanoseconds>(tp.time_since_epoch()).count();
  if (ns <= 0) return {0, 0};
  return {static_cast<time_t>(ns / kNanosPerSecond), static_cast<long>(ns % kNanosPerSecond)};
}

// Calls `op(deadline)` with the realtime deadline "now + time left" until it succeeds, fails
// with something other than EINTR or ETIMEDOUT, or the CLOCK_MONOTONIC deadline has passed
// (then errno is ETIMEDOUT). An early ETIMEDOUT (the realtime clock jumped forward) retries.
template <class Op>
auto with_timeout(nanoseconds timeout, Op op) -> decltype(op(timespec{})) {
  using ipckit::detail::Clock;
  const auto deadline = ipckit::detail::deadline_after(timeout);
  for (;;) {
    const auto r = op(realtime_after(ipckit::detail::time_left(deadline)));
    if (r != -1) return r;
    const int err = errno;
    if (err != EINTR && err != ETIMEDOUT) return r;
    if (Clock::now() >= deadline) {
      errno = ETIMEDOUT;
      return r;
    }
  }
}

}  // namespace

MessageQueue::MessageQueue(Fd fd, std::string name, MqAccess access, bool created,
                           long max_messages, long message_size) noexcept
    : fd_(std::move(fd)),
      name_(std::move(name)),
      access_(access),
      created_(created),
      max_messages_(max_messages),
      message_size_(message_size) {}

MessageQueue::MessageQueue(MessageQueue&& other) noexcept = default;
MessageQueue& MessageQueue::operator=(MessageQueue&& other) noexcept = default;
MessageQueue::~MessageQueue() = default;

Result<MessageQueue> MessageQueue::create(std::string_view name, const MqCreateOptions& options) {
  auto checked = check_name(name, NameKind::kMessageQueue, "mq_open");
  if (!checked) return std::unexpected(std::move(checked.error()));
  std::string n = std::move(*checked);
  if ((options.mode & ~kPermissionBits) != 0) {
    return fail(EINVAL, "mq_open", n,
                fmt::format("mode {:#o} has bits outside 0777", options.mode));
  }
  mq_attr attr{};
  if (options.limits) {
    if (options.limits->max_messages <= 0 || options.limits->message_size <= 0) {
      return fail(EINVAL, "mq_open", n,
                  fmt::format("max_messages ({}) and message_size ({}) must be positive",
                              options.limits->max_messages, options.limits->message_size));
    }
    attr.mq_maxmsg = options.limits->max_messages;
    attr.mq_msgsize = options.limits->message_size;
  }
  const int flags = open_flags(options.access, options.blocking);
  mq_attr* attr_ptr = options.limits ? &attr : nullptr;

  Fd fd;
  bool created = false;
  for (int attempt = 0; attempt < kCreateAttempts && !fd; ++attempt) {
    fd.reset(::mq_open(n.c_str(), flags | O_CREAT | O_EXCL, options.mode, attr_ptr));
    if (fd) {
      created = true;
      break;
    }
    if (errno != EEXIST || options.exclusive == Exclusive::kYes) {
      return std::unexpected(detail::mq_create_error(errno, n, options.limits));
    }
    fd.reset(::mq_open(n.c_str(), flags));
    if (!fd && errno != ENOENT) return fail_errno("mq_open", n);
    // ENOENT: unlinked by someone between our two calls; try to create it again.
  }
  if (!fd) return fail(EAGAIN, "mq_open", n, "the name keeps appearing and disappearing");

  detail::UnlinkIfFailed undo(n, created, ::mq_unlink);
  // mq_open applied the umask; set the bits asked for exactly.
  if (created && ::fchmod(fd.get(), options.mode) != 0) return fail_errno("fchmod", n);
  mq_attr now{};
  if (::mq_getattr(fd.get(), &now) != 0) return fail_errno("mq_getattr", n);
  undo.dismiss();
  return MessageQueue(std::move(fd), std::move(n), options.access, created, now.mq_maxmsg,
                      now.mq_msgsize);
}

Result<MessageQueue> MessageQueue::open(std::string_view name, MqAccess access,
                                        MqBlocking blocking) {
  auto checked = check_name(name, NameKind::kMessageQueue, "mq_open");
  if (!checked) return std::unexpected(std::move(checked.error()));
  std::string n = std::move(*checked);
  Fd fd(::mq_open(n.c_str(), open_flags(access, blocking)));
  if (!fd) return fail_errno("mq_open", n);
  mq_attr now{};
  if (::mq_getattr(fd.get(), &now) != 0) return fail_errno("mq_getattr", n);
  return MessageQueue(std::move(fd), std::move(n), access, false, now.mq_maxmsg, now.mq_msgsize);
}

Result<void> MessageQueue::unlink(std::string_view name) {
  auto checked = check_name(name, NameKind::kMessageQueue, "mq_unlink");
  if (!checked) return std::unexpected(std::move(checked.error()));
  if (::mq_unlink(checked->c_str()) != 0) return fail_errno("mq_unlink", *checked);
  return {};
}

// ---- errors of send and receive ----

namespace {

Error send_error(const char* op, int code, const std::string& name, std::size_t size,
                 unsigned priority, long message_size, MqAccess access) {
  std::string why;
  if (code == EMSGSIZE) {
    why = fmt::format("a message of {} bytes exceeds the queue's message size of {} bytes", size,
                      message_size);
  } else if (code == EINVAL && priority > kMqPriorityMax) {
    why = fmt::format("priority {} is above the largest, {}", priority, kMqPriorityMax);
  } else if (code == EBADF && access == MqAccess::kReadOnly) {
    why = "this handle was opened read-only";
  }
  return Error(code, op, name, std::move(why));
}

Error receive_error(const char* op, int code, const std::string& name, MqAccess access) {
  std::string why;
  if (code == EBADF && access == MqAccess::kWriteOnly) why = "this handle was opened write-only";
  return Error(code, op, name, std::move(why));
}

}  // namespace

// ---- send ----

Result<void> MessageQueue::send(std::span<const std::byte> data, unsigned priority) const {
  const auto* p = reinterpret_cast<const char*>(data.data());
  // mq_send queues all or nothing, so a restart after EINTR repeats no partial effect.
  if (ipckit::detail::retry_eintr([&] { return ::mq_send(fd_.get(), p, data.size(), priority); }) !=
      0) {
    return std::unexpected(
        send_error("mq_send", errno, name_, data.size(), priority, message_size_, access_));
  }
  return {};
}

Result<void> MessageQueue::send(std::string_view text, unsigned priority) const {
  return send(std::as_bytes(std::span(text)), priority);
}

Result<void> MessageQueue::send_for(std::span<const std::byte> data, unsigned priority,
                                    std::chrono::nanoseconds timeout) const {
  const auto* p = reinterpret_cast<const char*>(data.data());
  const int rc = with_timeout(timeout, [&](const timespec& deadline) {
    return ::mq_timedsend(fd_.get(), p, data.size(), priority, &deadline);
  });
  if (rc != 0) {
    return std::unexpected(
        send_error("mq_timedsend", errno, name_, data.size(), priority, message_size_, access_));
  }
  return {};
}

Result<void> MessageQueue::send_until(std::span<const std::byte> data, unsigned priority,
                                      std::chrono::system_clock::time_point deadline) const {
  const auto* p = reinterpret_cast<const char*>(data.data());
  const timespec ts = to_timespec(deadline);
  // The deadline is absolute, so a restart after EINTR does not stretch it.
  const int rc = ipckit::detail::retry_eintr(
      [&] { return ::mq_timedsend(fd_.get(), p, data.size(), priority, &ts); });
  if (rc != 0) {
    return std::unexpected(
        send_error("mq_timedsend", errno, name_, data.size(), priority, message_size_, access_));
  }
  return {};
}

Result<MqSendResult> MessageQueue::try_send(std::span<const std::byte> data,
                                            unsigned priority) const {
  const auto* p = reinterpret_cast<const char*>(data.data());
  constexpr timespec kPast{0, 0};
  const int rc = ipckit::detail::retry_eintr(
      [&] { return ::mq_timedsend(fd_.get(), p, data.size(), priority, &kPast); });
  if (rc == 0) return MqSendResult::kSent;
  // ETIMEDOUT on a blocking descriptor, EAGAIN on a non-blocking one: full either way.
  if (errno == ETIMEDOUT || errno == EAGAIN) return MqSendResult::kFull;
  return std::unexpected(
      send_error("mq_timedsend", errno, name_, data.size(), priority, message_size_, access_));
}

// ---- receive ----

Result<MqMessage> MessageQueue::receive() const {
  MqMessage m;
  m.data.resize(static_cast<std::size_t>(message_size_));
  auto got = receive_into(m.data);
  if (!got) return std::unexpected(std::move(got.error()));
  m.data.resize(got->size);
  m.priority = got->priority;
  return m;
}

Result<MqReceived> MessageQueue::receive_into(std::span<std::byte> buffer) const {
  if (buffer.size() < static_cast<std::size_t>(message_size_)) {
    return fail(EMSGSIZE, "mq_receive", name_,
                fmt::format("a buffer of {} bytes is smaller than the queue's message size of {} "
                            "bytes",
                            buffer.size(), message_size_));
  }
  unsigned priority = 0;
  auto* p = reinterpret_cast<char*>(buffer.data());
  // mq_receive dequeues nothing unless it succeeds, so a restart after EINTR is safe.
  const ssize_t n = ipckit::detail::retry_eintr(
      [&] { return ::mq_receive(fd_.get(), p, buffer.size(), &priority); });
  if (n < 0) return std::unexpected(receive_error("mq_receive", errno, name_, access_));
  return MqReceived{.size = static_cast<std::size_t>(n), .priority = priority};
}

Result<MqMessage> MessageQueue::receive_for(std::chrono::nanoseconds timeout) const {
  MqMessage m;
  m.data.resize(static_cast<std::size_t>(message_size_));
  auto* p = reinterpret_cast<char*>(m.data.data());
  const ssize_t n = with_timeout(timeout, [&](const timespec& deadline) {
    return ::mq_timedreceive(fd_.get(), p, m.data.size(), &m.priority, &deadline);
  });
  if (n < 0) return std::unexpected(receive_error("mq_timedreceive", errno, name_, access_));
  m.data.resize(static_cast<std::size_t>(n));
  return m;
}

Result<MqMessage> MessageQueue::receive_until(
    std::chrono::system_clock::time_point deadline) const {
  MqMessage m;
  m.data.resize(static_cast<std::size_t>(message_size_));
  auto* p = reinterpret_cast<char*>(m.data.data());
  const timespec ts = to_timespec(deadline);
  const ssize_t n = ipckit::detail::retry_eintr(
      [&] { return ::mq_timedreceive(fd_.get(), p, m.data.size(), &m.priority, &ts); });
  if (n < 0) return std::unexpected(receive_error("mq_timedreceive", errno, name_, access_));
  m.data.resize(static_cast<std::size_t>(n));
  return m;
}

Result<std::optional<MqMessage>> MessageQueue::try_receive() const {
  MqMessage m;
  m.data.resize(static_cast<std::size_t>(message_size_));
  auto* p = reinterpret_cast<char*>(m.data.data());
  constexpr timespec kPast{0, 0};
  const ssize_t n = ipckit::detail::retry_eintr(
      [&] { return ::mq_timedreceive(fd_.get(), p, m.data.size(), &m.priority, &kPast); });
  if (n < 0) {
    // ETIMEDOUT on a blocking descriptor, EAGAIN on a non-blocking one: empty either way.
    if (errno == ETIMEDOUT || errno == EAGAIN) return std::optional<MqMessage>();
    return std::unexpected(receive_error("mq_timedreceive", errno, name_, access_));
  }
  m.data.resize(static_cast<std::size_t>(n));
  return std::optional<MqMessage>(std::move(m));
}

// ---- attributes and notification ----

Result<MqAttributes> MessageQueue::attributes() const {
  mq_attr a{};
  if (::mq_getattr(fd_.get(), &a) != 0) return fail_errno("mq_getattr", name_);
  return MqAttributes{.max_messages = a.mq_maxmsg,
                      .message_size = a.mq_msgsize,
                      .messages = a.mq_curmsgs,
                      .nonblocking = (a.mq_flags & O_NONBLOCK) != 0};
}

Result<void> MessageQueue::set_nonblocking(bool nonblocking) const {
  mq_attr a{};
  a.mq_flags = nonblocking ? O_NONBLOCK : 0;
  if (::mq_setattr(fd_.get(), &a, nullptr) != 0) return fail_errno("mq_setattr", name_);
  return {};
}

// NOLINTNEXTLINE(performance-unnecessary-value-param): the public API takes the callback as a sink
Result<void> MessageQueue::notify(std::function<void()> callback) {
  auto started = detail::start_mq_notifier(fd_.get(), name_, std::move(callback));
  if (!started) return std::unexpected(std::move(started.error()));
  // The kernel accepted a new registration, so any earlier one of this handle is spent (fired
  // or dropped): stop its thread, waiting for its callback (or later, if we are in it).
  replace_notifier(std::move(*started));
  notifier_->arm();
  return {};
}

Result<void> MessageQueue::notify_signal(int signo, int value) {
  if (signo < 1 || signo > SIGRTMAX) {
    return fail(EINVAL, "mq_notify", name_,
                fmt::format("signal {} is not in 1..{}", signo, SIGRTMAX));
  }
  sigevent ev{};
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = signo;
  ev.sigev_value.sival_int = value;
  if (::mq_notify(fd_.get(), &ev) != 0) {
    return std::unexpected(detail::mq_notify_error(errno, name_));
  }
  replace_notifier(nullptr);  // an earlier thread registration of this handle is spent
  return {};
}

Result<void> MessageQueue::cancel_notify() {
  const int rc = ::mq_notify(fd_.get(), nullptr);
  const int err = errno;
  replace_notifier(nullptr);
  if (retired_ && !retired_->on_this_thread()) retired_.reset();  // joins its callback
  if (rc != 0) return fail(err, "mq_notify", name_);
  return {};
}

void MessageQueue::replace_notifier(std::unique_ptr<detail::MqNotifier> next) noexcept {
  auto old = std::exchange(notifier_, std::move(next));
  if (old && old->on_this_thread()) {
    // Replacing retired_ joins the one parked before: its thread is not this one.
    retired_ = std::move(old);
  } else {
    old.reset();  // wakes its thread and joins it, waiting for a callback that is running
  }
}

}  // namespace ipckit::posix
