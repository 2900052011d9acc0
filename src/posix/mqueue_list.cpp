// Listing queues through the mqueue filesystem: each queue is a file whose contents is one line,
// "QSIZE:<bytes> NOTIFY:<sigev_notify> SIGNO:<signal> NOTIFY_PID:<pid>", and whose descriptor,
// even one from a plain open(2), is a queue descriptor that mq_getattr(3) accepts.
#include <dirent.h>
#include <fcntl.h>
#include <fmt/core.h>
#include <mqueue.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <sstream>
#include <utility>

#include "core/syscall.hpp"
#include "core/text_file.hpp"
#include "ipckit/posix/mqueue.hpp"

namespace ipckit::posix {

namespace {

constexpr std::string_view kDefaultMountPoint = "/dev/mqueue";

// /proc/mounts writes space, tab, newline and backslash in paths as \040, \011, \012, \134.
std::string unescape_mount_path(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto octal = [&](std::size_t j) { return s[j] >= '0' && s[j] <= '7'; };
    if (s[i] == '\\' && i + 3 < s.size() && octal(i + 1) && octal(i + 2) && octal(i + 3)) {
      out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

// Reads the queue file `file` of the directory open as `dir_fd` into `entry`. Returns false if it
// could not, with `error` set, or unset when the queue was unlinked meanwhile (not an error).
bool read_entry(int dir_fd, const std::string& dir, const std::string& file, MqEntry& entry,
                std::optional<Error>& error) {
  const std::string path = dir + "/" + file;
  Fd fd(::openat(dir_fd, file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (!fd) {
    if (errno != ENOENT) error = Error::from_errno("open", path);
    return false;
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    error = Error::from_errno("fstat", path);
    return false;
  }
  std::array<char, 256> text{};
  const ssize_t n =
      ipckit::detail::retry_eintr([&] { return ::read(fd.get(), text.data(), text.size() - 1); });
  if (n < 0) {
    error = Error::from_errno("read", path);
    return false;
  }
  unsigned long long qsize = 0;
  int notify = 0;
  int signo = 0;
  int pid = 0;
  if (std::sscanf(text.data(), "QSIZE:%llu NOTIFY:%d SIGNO:%d NOTIFY_PID:%d", &qsize, &notify,
                  &signo, &pid) != 4) {
    error = Error(EPROTO, "read", path, "not an mqueue file (no QSIZE: line)");
    return false;
  }
  mq_attr attr{};
  if (::mq_getattr(fd.get(), &attr) != 0) {
    error = Error::from_errno("mq_getattr", path);
    return false;
  }
  entry = MqEntry{.name = "/" + file,
                  .mode = st.st_mode & 0777,
                  .uid = st.st_uid,
                  .gid = st.st_gid,
                  .bytes = static_cast<std::size_t>(qsize),
                  .messages = attr.mq_curmsgs,
                  .max_messages = attr.mq_maxmsg,
                  .message_size = attr.mq_msgsize,
                  .notify_pid = pid,
                  .notify = notify,
                  .notify_signo = signo};
  return true;
}

}  // namespace

Result<std::string> mqueue_mount_point(const std::string& mounts_file) {
  auto text = ipckit::detail::read_text_file(mounts_file);
  if (!text) return std::unexpected(std::move(text.error()));
  std::istringstream in(std::move(*text));
  std::optional<std::string> first;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string device;
    std::string dir;
    std::string type;
    if (!(fields >> device >> dir >> type) || type != "mqueue") continue;
    std::string path = unescape_mount_path(dir);
    if (path == kDefaultMountPoint) return path;
    if (!first) first = std::move(path);
  }
  if (first) return *first;
  return fail(ENOENT, "mqueue_mount_point", mounts_file,
              "no mqueue filesystem is mounted, so queues cannot be listed; mount one (as root) "
              "with: mkdir -p /dev/mqueue && mount -t mqueue none /dev/mqueue");
}

Result<MqListing> list_queues() {
  auto dir = mqueue_mount_point();
  if (!dir) return std::unexpected(std::move(dir.error()));
  return list_queues_at(*dir);
}

Result<MqListing> list_queues_at(const std::string& mount_point) {
  Fd dir_fd(::open(mount_point.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir_fd) return fail_errno("open", mount_point);
  // fdopendir takes the descriptor over; closedir closes it.
  DIR* d = ::fdopendir(dir_fd.get());
  if (d == nullptr) return fail_errno("fdopendir", mount_point);
  const int fd = dir_fd.release();
  MqListing out;
  errno = 0;
  while (const dirent* e = ::readdir(d)) {
    const std::string file = e->d_name;
    if (file == "." || file == "..") continue;
    MqEntry entry{};
    std::optional<Error> error;
    if (read_entry(fd, mount_point, file, entry, error)) {
      out.queues.push_back(std::move(entry));
    } else if (error) {
      out.errors.push_back(std::move(*error));
    }
    errno = 0;
  }
  const int err = errno;
  ::closedir(d);
  if (err != 0) return fail(err, "readdir", mount_point);
  std::sort(out.queues.begin(), out.queues.end(),
            [](const MqEntry& a, const MqEntry& b) { return a.name < b.name; });
  return out;
}

}  // namespace ipckit::posix
